"""A lead changes what an account counts: its history is recounted without asking the platform.

The account is synced from the fake Meta once; then the lead's choice in the admin recounts the
daily rows and the ranking tables from the types already stored, with no HTTP call.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from django.urls import reverse

from campaigns import conversion_recount
from campaigns.models import AdAccount, ConversionRecount, DailyMetric, ImageWeeklyRollup, Objective
from campaigns.ranking.selectors import brief_ranking
from ingestion.models import IngestionRun
from tests.factories import make_node
from tests.fakes.meta import CUSTOM_CONVERSION
from tests.ingestion.conftest import account_yesterday, sync


@pytest.fixture
def synced_meta(fake_meta, meta_account):
    """The Meta account, in a node, synced once with the default choice."""
    meta_account.default_node = make_node(name="Tu360Compras", slug="tu360compras")
    meta_account.save()
    run = sync(meta_account)
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    return meta_account


def account_form(account: AdAccount, **choice) -> dict:
    """What the admin's change form posts for the account, with the given choice fields."""
    return {
        "name": account.name,
        "currency": account.currency,
        "time_zone": account.time_zone,
        "default_node": account.default_node_id or "",
        "active": "on",
        "conversions_source": "default",
        "leads_source": "default",
        **choice,
    }


def figures(account: AdAccount) -> dict:
    rows = DailyMetric.objects.filter(ad__campaign__account=account).values_list(
        "ad__external_id", "date", "conversions", "conversion_value_micros", "leads"
    )
    return {(ad, date): (c, v, n) for ad, date, c, v, n in rows}


def rollup_totals(node) -> tuple:
    totals = ImageWeeklyRollup.objects.filter(node=node).aggregate(
        conversions=Sum("conversions"),
        value=Sum("conversion_value_reporting_micros"),
        leads=Sum("leads"),
    )
    return totals["conversions"], totals["value"], totals["leads"]


def daily_totals(account) -> tuple:
    totals = DailyMetric.objects.filter(ad__campaign__account=account).aggregate(
        conversions=Sum("conversions"), value=Sum("conversion_value_micros"), leads=Sum("leads")
    )
    return totals["conversions"], totals["value"], totals["leads"]


def conversions_ranked(account) -> dict[int, float]:
    ranking = brief_ranking(
        node=account.default_node,
        objective=Objective.CONVERSION,
        as_of=account_yesterday(account),
    )
    return {ref.image_id: ref.figures["conversions"] for ref in ranking.references}


def test_a_lead_changing_the_counted_types_recounts_days_and_rankings_without_a_call(
    synced_meta, fake_meta, client, lead, django_capture_on_commit_callbacks
):
    account, history = synced_meta, fake_meta.history
    ranked_before = conversions_ranked(account)
    calls = fake_meta.calls
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:campaigns_adaccount_change", args=[account.pk]),
            account_form(
                account,
                conversions_source="chosen",
                conversion_types=[CUSTOM_CONVERSION],
                leads_source="chosen",
                lead_types=["lead", "lead_grouped"],
            ),
            follow=True,
        )

    assert response.status_code == 200
    account.refresh_from_db()
    assert (account.conversion_types, account.lead_types) == (
        [CUSTOM_CONVERSION],
        ["lead", "lead_grouped"],
    )
    assert figures(account) == {
        (m.ad_id, m.date): (float(m.clicks % 4), (m.clicks % 4) * 20_000_000_000, 2 * m.leads)
        for m in history.metrics
    }
    # The rollup briefs rank from follows the days (every ad shows one image, all in COP).
    assert rollup_totals(account.default_node) == daily_totals(account)
    ranked_after = conversions_ranked(account)
    assert ranked_after and ranked_after != ranked_before
    recount = ConversionRecount.objects.get()
    assert (recount.status, recount.requested_by, recount.rows_read) == (
        ConversionRecount.Status.SUCCEEDED,
        lead,
        len(history.metrics),
    )
    assert recount.rows_changed > 0
    assert fake_meta.calls == calls
    assert "se están volviendo a contar" in response.content.decode()  # in Spanish
    page = client.get(reverse("admin:campaigns_adaccount_change", args=[account.pk]))
    assert "Hecho el" in page.content.decode()  # the last recount


def test_back_to_the_default_gives_the_figures_a_sync_gave(
    synced_meta, fake_meta, client, lead, django_capture_on_commit_callbacks
):
    account = synced_meta
    synced = figures(account)
    account.conversion_types = ["landing_page_view"]
    account.save()
    call_command("recount_conversions", f"--account={account.external_id}", stdout=io.StringIO())
    assert figures(account) != synced
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:campaigns_adaccount_change", args=[account.pk]),
            account_form(account),
        )

    account.refresh_from_db()
    assert (account.conversion_types, account.lead_types) == (None, None)
    assert figures(account) == synced


def test_a_choice_naming_a_type_the_account_never_reported_is_refused(
    synced_meta, client, lead, django_capture_on_commit_callbacks
):
    account = synced_meta
    before = figures(account)
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:campaigns_adaccount_change", args=[account.pk]),
            account_form(
                account, conversions_source="chosen", conversion_types=["purchase", "purchases"]
            ),
        )

    assert response.status_code == 200
    assert "«purchases» no es un tipo de conversión de esta cuenta" in response.content.decode()
    account.refresh_from_db()
    assert account.conversion_types is None
    assert not ConversionRecount.objects.exists()
    assert figures(account) == before


def test_the_form_lists_the_types_seen_with_their_totals_and_the_platform_default(
    synced_meta, fake_meta, client, lead
):
    client.force_login(lead)
    client.cookies["django_language"] = "en"

    page = client.get(
        reverse("admin:campaigns_adaccount_change", args=[synced_meta.pk])
    ).content.decode()

    assert "The platform default: purchase, complete_registration" in page
    custom_days = sum(1 for m in fake_meta.history.metrics if m.clicks % 4)
    assert f"{CUSTOM_CONVERSION} — " in page
    assert f"on {custom_days:,} ad-days" in page
    assert "counted once, whichever prefix Meta reports it under" in page


def test_a_type_reported_only_long_ago_is_still_offered(synced_meta, client, lead):
    account = synced_meta
    old_days = DailyMetric.objects.filter(ad__campaign__account=account).order_by("date")[:5]
    for row in old_days:
        row.conversion_types = {**row.conversion_types, "offsite_conversion.custom.7": [2, 0]}
        row.date = row.date.replace(year=row.date.year - 1)
        row.save()
    call_command("recount_conversions", f"--account={account.external_id}", stdout=io.StringIO())
    client.force_login(lead)
    client.cookies["django_language"] = "en"

    page = client.get(reverse("admin:campaigns_adaccount_change", args=[account.pk]))

    assert (
        "offsite_conversion.custom.7 — in this account&#x27;s history, none in the last 90 days"
        in (page.content.decode())
    )


def test_a_recount_that_fails_midway_leaves_every_figure_as_it_was(
    synced_meta, fake_meta, monkeypatch
):
    account = synced_meta
    before, rolled = figures(account), rollup_totals(account.default_node)
    account.conversion_types = [CUSTOM_CONVERSION]
    account.save()
    real, batches = conversion_recount._batch_recount, []

    def second_batch_fails(batch, **kwargs):
        batches.append(len(batch))
        if len(batches) == 2:
            raise RuntimeError("disk full")
        return real(batch, **kwargs)

    monkeypatch.setattr(conversion_recount, "_batch_recount", second_batch_fails)
    recount = ConversionRecount.objects.create(account=account)

    recount = conversion_recount.conversion_recount_run(recount=recount, ads_per_batch=5)

    assert len(batches) == 2 and batches[0] > 100
    assert recount.status == ConversionRecount.Status.FAILED
    assert recount.error == "RuntimeError: disk full"
    assert figures(account) == before
    assert rollup_totals(account.default_node) == rolled


def test_the_command_recounts_one_account_or_all_and_says_what_it_did(synced_meta, fake_meta):
    account = synced_meta
    account.lead_types = []
    account.save()
    out = io.StringIO()

    call_command("recount_conversions", "--all", stdout=out)

    rows = len(fake_meta.history.metrics)
    with_leads = sum(1 for m in fake_meta.history.metrics if m.leads)
    text = out.getvalue()
    assert f"{rows} daily rows read, {with_leads} changed" in text
    assert "leads count nothing" in text
    # Every synced day holds its types, those with no action at all too ({}).
    assert "without types" not in text
    assert text.rstrip().endswith(
        f"Recounted 1 of 1 accounts: {rows} daily rows read, {with_leads} changed; ranking "
        "tables refreshed for the accounts that changed."
    )
    assert DailyMetric.objects.aggregate(leads=Sum("leads"))["leads"] == 0
    with pytest.raises(CommandError, match="No account matches"):
        call_command("recount_conversions", "--account=act_404", stdout=io.StringIO())


def test_rows_without_types_keep_their_figures_and_the_lead_is_told(
    synced_meta, fake_meta, client, lead
):
    account, metric = synced_meta, fake_meta.history.metrics[0]
    # A day stored before every type was kept, or from a CSV file: no breakdown.
    DailyMetric.objects.filter(ad__external_id=metric.ad_id, date=metric.date).update(
        conversion_types=None, conversions=9.0
    )
    account.conversion_types = ["landing_page_view"]
    account.save()
    out = io.StringIO()

    call_command("recount_conversions", f"--account={account.external_id}", stdout=out)

    row = DailyMetric.objects.get(ad__external_id=metric.ad_id, date=metric.date)
    assert row.conversions == 9.0
    assert "daily rows without types, kept as they were" in out.getvalue()
    client.force_login(lead)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:campaigns_adaccount_change", args=[account.pk]))
    assert "1 daily row holds no types" in page.content.decode()
    assert "python manage.py ingest_replay" in page.content.decode()
