"""Ranking tables behind the daily metrics are said so plainly, and `refresh_ranking` fixes it.

A load that saved daily rows without refreshing the ranking tables used to rank as if those
results did not exist (`rank` said "There are no … pieces" and exited 0).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import random

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from campaigns.models import Objective, RankingRule
from campaigns.rollups import image_rollup_refresh
from creatives.models import CreativeImage
from generation.briefs.services import brief_refresh
from generation.models import Brief
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_image,
    make_metric,
    make_node,
)

DAY = dt.date(2026, 10, 5)
_IMAGES = itertools.count(1)
AS_OF = "2026-10-31"
STALE_ES = (
    "Los resultados de ranking están desactualizados: ejecute refresh_ranking (python manage.py "
    "refresh_ranking --account …) para {accounts}; las tablas de ranking aún no cuentan todas "
    "sus métricas diarias."
)


def _results(campaign, *, impressions: int = 5_000, clicks: int = 100, days: int = 3):
    n = next(_IMAGES)
    # Images of their own size and hash: the tiny flat test images would be one piece.
    image = make_image(width=8 + n)
    CreativeImage.objects.filter(pk=image.pk).update(
        phash=f"{random.Random(n).getrandbits(64):016x}"
    )
    ad = make_ad(campaign=campaign, creative=make_creative(images=[image]))
    for offset in range(days):
        make_metric(
            ad=ad, date=DAY + dt.timedelta(days=offset), impressions=impressions, clicks=clicks
        )
    return ad


def _rank(*args: str) -> str:
    out = io.StringIO()
    call_command(
        "rank", "--node", "wompi", "--objective", "traffic", "--as-of", AS_OF, *args,
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return out.getvalue()


@pytest.fixture
def wompi(db, media_storage):
    node = make_node(name="Wompi", slug="wompi")
    meta = make_account(platform="meta", name="Wompi Meta", default_node=node)
    google = make_account(platform="google_ads", name="Wompi Google", default_node=node)
    campaigns = {
        account.name: make_campaign(account=account, node=node, objective=Objective.TRAFFIC)
        for account in (meta, google)
    }
    return node, campaigns


def test_a_load_saved_without_refreshing_makes_rank_refuse_with_what_to_run(wompi):
    _, campaigns = wompi
    _results(campaigns["Wompi Meta"])
    image_rollup_refresh()
    _results(campaigns["Wompi Meta"], clicks=400)  # a later load that refreshed nothing

    with pytest.raises(CommandError) as excinfo:
        _rank()

    assert str(excinfo.value) == STALE_ES.format(accounts="Wompi Meta")


def test_a_first_load_never_refreshed_is_not_reported_as_no_pieces(wompi):
    _, campaigns = wompi
    _results(campaigns["Wompi Google"])

    with pytest.raises(CommandError) as excinfo:
        _rank("--lang", "en")

    assert str(excinfo.value) == STALE_ES.format(accounts="Wompi Google")


def test_refresh_ranking_brings_the_tables_up_to_date_and_rank_answers_again(wompi):
    _, campaigns = wompi
    _results(campaigns["Wompi Meta"])
    image_rollup_refresh()
    late = _results(campaigns["Wompi Meta"], clicks=400)
    out = io.StringIO()

    call_command("refresh_ranking", stdout=out)
    ranked = _rank("--lang", "en")

    assert out.getvalue().startswith("Ranking tables refreshed for every image: ")
    lines = ranked.splitlines()
    assert len(lines) == 4  # the heading, two references, the shortfall
    # The late, better piece is counted and ranks first.
    late_image = late.creative.image_slots.get().image_id
    assert lines[1].startswith(f"  1. image {late_image}: CTR ")


def test_refresh_ranking_for_one_account_leaves_the_other_reported_behind(wompi):
    _, campaigns = wompi
    _results(campaigns["Wompi Meta"])
    _results(campaigns["Wompi Google"])

    call_command("refresh_ranking", "--account", "Wompi Meta", stdout=io.StringIO())
    with pytest.raises(CommandError) as excinfo:
        _rank()
    call_command("refresh_ranking", "--node", "wompi", stdout=io.StringIO())

    assert str(excinfo.value) == STALE_ES.format(accounts="Wompi Google")
    assert [line[:5] for line in _rank().splitlines()[1:3]] == ["  1. ", "  2. "]


def test_a_refresh_of_some_images_does_not_hide_other_rows_it_did_not_count(wompi):
    _, campaigns = wompi
    first = _results(campaigns["Wompi Meta"])
    image_rollup_refresh()
    _results(campaigns["Wompi Meta"])  # saved, never refreshed
    make_metric(ad=first, date=DAY + dt.timedelta(days=5))
    # The refresh a re-mapping or an ingestion run makes, for the first ad's image only.
    image_rollup_refresh(image_ids=[first.creative.image_slots.get().image_id])

    with pytest.raises(CommandError) as excinfo:
        _rank()

    assert str(excinfo.value) == STALE_ES.format(accounts="Wompi Meta")


def test_refresh_ranking_rejects_an_unknown_account_and_node(wompi):
    with pytest.raises(CommandError) as account_error:
        call_command("refresh_ranking", "--account", "nope")
    with pytest.raises(CommandError) as node_error:
        call_command("refresh_ranking", "--node", "nope")

    assert str(account_error.value) == "Unknown account 'nope'."
    assert str(node_error.value) == "Unknown node 'nope'. Known nodes: wompi."


def test_the_brief_page_says_in_plain_words_that_results_are_being_updated(wompi, analyst):
    node, campaigns = wompi
    _results(campaigns["Wompi Meta"])
    brief = Brief.objects.create(
        owner=analyst, node=node, objective=Objective.TRAFFIC, title="Pagos", description="QR"
    )

    brief_refresh(brief)

    brief.refresh_from_db()
    assert brief.ranking == {
        "message_es": (
            "Los últimos resultados de Wompi Meta aún no están en el ranking, así que las "
            "referencias quedarían incompletas. Se están actualizando; intente de nuevo en unos "
            "minutos y avise a un administrador si esto continúa."
        ),
        "message_en": (
            "The latest results of Wompi Meta are not in the ranking yet, so the references "
            "would be incomplete. They are being updated; try again in a few minutes, and tell "
            "an administrator if this persists."
        ),
    }
    assert brief.references.count() == 0


def test_the_admin_preview_tells_staff_to_run_refresh_ranking(wompi, client, lead):
    _, campaigns = wompi
    _results(campaigns["Wompi Meta"])
    rule = RankingRule.objects.get(node__isnull=True, objective=Objective.TRAFFIC)
    client.force_login(lead)

    response = client.get(reverse("admin:campaigns_rankingrule_change", args=[rule.pk]))

    assert response.status_code == 200
    assert response.context["preview"]["error"] == STALE_ES.format(accounts="Wompi Meta")


# --- the freshness check rides on the rule's query when every account is counted -------------


def test_a_brief_on_current_tables_reads_its_rule_and_their_freshness_in_one_query(wompi):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns.ranking.selectors import brief_ranking

    node, campaigns = wompi
    _results(campaigns["Wompi Meta"])
    image_rollup_refresh()

    with CaptureQueriesContext(connection) as queries:
        ranking = brief_ranking(
            node=node, objective=Objective.TRAFFIC, as_of=dt.date.fromisoformat(AS_OF)
        )

    assert len(ranking.references) == 1
    # The rule with the freshness answer, the window's pieces, the references' near-copies.
    assert len(queries.captured_queries) == 3
    first = queries.captured_queries[0]["sql"]
    assert "campaigns_rankingrule" in first
    assert "campaigns_rankingcoverage" in first


def test_newer_rows_of_another_node_take_the_full_check_and_the_brief_still_ranks(wompi):
    from campaigns.ranking.selectors import StaleRankingError, brief_ranking

    node, campaigns = wompi
    _results(campaigns["Wompi Meta"])
    image_rollup_refresh()
    # Plink's account loads rows after the refresh: the newest daily row is not Wompi's.
    plink = make_node(name="Plink", slug="plink")
    plink_campaign = make_campaign(
        account=make_account(platform="meta", name="Plink Meta", default_node=plink),
        node=plink,
        objective=Objective.TRAFFIC,
    )
    _results(plink_campaign)

    ranking = brief_ranking(
        node=node, objective=Objective.TRAFFIC, as_of=dt.date.fromisoformat(AS_OF)
    )

    assert len(ranking.references) == 1
    with pytest.raises(StaleRankingError) as refused:
        brief_ranking(node=plink, objective=Objective.TRAFFIC, as_of=dt.date.fromisoformat(AS_OF))
    assert refused.value.accounts == ["Plink Meta"]
