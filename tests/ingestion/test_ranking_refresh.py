"""A sync keeps the ranking's tables in step with the results it saved."""

from __future__ import annotations

from django.core import mail

from campaigns.models import DailyMetric, ImageWeeklyRollup, Objective
from campaigns.ranking.selectors import brief_ranking
from ingestion.models import IngestionRun
from tests.factories import make_node
from tests.ingestion.conftest import account_yesterday, sync


def test_a_sync_puts_its_results_in_the_rollup_that_briefs_rank(fake_meta, meta_account):
    node = make_node(name="Tu360Compras", slug="tu360compras")
    meta_account.default_node = node
    meta_account.save()

    run = sync(meta_account)

    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    rolled = ImageWeeklyRollup.objects.filter(node=node)
    daily = DailyMetric.objects.filter(ad__campaign__account=meta_account)
    assert rolled.exists()
    # Every ad here shows one image, so the rollup holds exactly the daily impressions.
    assert sum(rolled.values_list("impressions", flat=True)) == sum(
        daily.values_list("impressions", flat=True)
    )
    ranking = brief_ranking(
        node=node, objective=Objective.TRAFFIC, as_of=account_yesterday(meta_account)
    )
    assert ranking.considered > 0


def test_spend_without_an_exchange_rate_is_saved_but_flagged_for_briefs(
    fake_google, google_account
):
    google_account.default_node = make_node(name="Wompi", slug="wompi")
    google_account.save()

    run = sync(google_account)

    assert run.status == IngestionRun.Status.SUCCEEDED
    assert DailyMetric.objects.filter(ad__campaign__account=google_account).exists()
    assert run.error.startswith(
        "The results are saved, but briefs do not see them yet: No exchange rate from USD to "
        "COP: spend in USD cannot be compared."
    )
    assert len(mail.outbox) == 1
    assert "Wompi Google" in mail.outbox[0].body
    assert not ImageWeeklyRollup.objects.exists()
