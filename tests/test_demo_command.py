"""The demo history command, at a small size (40 creatives, 2 months) so each test is quick."""

from __future__ import annotations

import hashlib
import io
import json
from io import StringIO
from itertools import combinations

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q

from campaigns.models import (
    Ad,
    AdAccount,
    Campaign,
    DailyMetric,
    ExchangeRate,
    Node,
    NodeMappingRule,
    Objective,
)
from campaigns.objectives import map_objective
from creatives.imaging import phash_distance
from creatives.models import Creative, CreativeImage, CreativeImageSlot
from demo.history import plan_history
from demo.metrics import simulate_daily_metrics
from demo.plan import DemoParameters
from yenni_site.progress import Progress

SMALL = ["--creatives", "40", "--months", "2"]
IMAGE_FIELDS = (
    "sha256", "phash", "width", "height", "format", "byte_size", "first_seen", "last_seen",
    "source_url",
)  # fmt: skip
METRIC_FIELDS = (
    "ad__external_id", "date", "impressions", "reach", "clicks", "link_clicks", "spend_micros",
    "conversions", "conversion_value_micros", "leads", "video_views", "engagements",
)  # fmt: skip


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("yenni_demo", *SMALL, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def catalog_snapshot() -> dict[str, list]:
    """Everything the demo writes, keyed by platform ids rather than database ids."""
    return {
        "campaigns": list(
            Campaign.objects.order_by("account__external_id", "external_id").values_list(
                "account__external_id",
                "external_id",
                "name",
                "objective_raw",
                "objective",
                "status",
                "start_date",
                "end_date",
                "node__slug",
                "node_source",
            )
        ),
        "ads": list(
            Ad.objects.order_by("campaign__external_id", "external_id").values_list(
                "campaign__external_id",
                "external_id",
                "name",
                "status",
                "start_date",
                "end_date",
                "creative__external_id",
            )
        ),
        "creatives": list(
            Creative.objects.order_by("platform", "external_id").values_list(
                "platform", "external_id", "name", "headline", "body", "landing_url"
            )
        ),
        "slots": sorted(
            CreativeImageSlot.objects.values_list(
                "creative__external_id", "position", "image__sha256"
            )
        ),
        "images": sorted(CreativeImage.objects.values_list(*IMAGE_FIELDS)),
        "metrics": list(
            DailyMetric.objects.order_by(
                "ad__campaign__external_id", "ad__external_id", "date"
            ).values_list(*METRIC_FIELDS)
        ),
        "rates": list(
            ExchangeRate.objects.order_by("currency", "date").values_list(
                "currency", "reporting_currency", "date", "rate"
            )
        ),
    }


def test_it_makes_as_many_creatives_as_asked_and_at_least_as_many_distinct_images(db):
    output = run_demo()

    assert Creative.objects.count() == 40
    assert CreativeImage.objects.count() >= 40
    assert Creative.objects.filter(image_slots__isnull=True).count() == 0
    assert "40 creatives" in output
    assert f"{DailyMetric.objects.count():,} daily metric rows" in output


def test_stored_files_hold_the_bytes_their_hash_names(db):
    run_demo()

    for image in CreativeImage.objects.all():
        with default_storage.open(image.file.name, "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == image.sha256


def test_the_same_seed_gives_the_same_rows_and_image_bytes(db):
    run_demo("--seed", "11")
    first = catalog_snapshot()

    run_demo("--seed", "11", "--reset")

    assert catalog_snapshot() == first
    assert len(first["metrics"]) == DailyMetric.objects.count() > 0


def test_a_different_seed_gives_different_data(db):
    run_demo("--seed", "11")
    first = catalog_snapshot()

    run_demo("--seed", "12", "--reset")
    second = catalog_snapshot()

    assert {row[0] for row in second["images"]}.isdisjoint({row[0] for row in first["images"]})
    assert second["campaigns"] != first["campaigns"]
    assert second["metrics"] != first["metrics"]


def test_plans_and_metrics_depend_only_on_the_parameters():
    parameters = DemoParameters(seed=3, creatives=20, months=1)

    first, second = plan_history(parameters), plan_history(parameters)
    first_rows = [chunk.impressions.tolist() for chunk in simulate_daily_metrics(first)]
    second_rows = [chunk.impressions.tolist() for chunk in simulate_daily_metrics(second)]

    assert first == second
    assert first_rows == second_rows


def test_daily_metrics_respect_the_funnel(db):
    run_demo()
    metrics = DailyMetric.objects.all()

    assert metrics.filter(impressions=0).count() == 0
    assert metrics.filter(clicks__gt=F("impressions")).count() == 0
    assert metrics.filter(link_clicks__gt=F("clicks")).count() == 0
    assert metrics.filter(conversions__gt=F("clicks")).count() == 0
    assert metrics.filter(leads__gt=F("clicks")).count() == 0
    assert metrics.filter(reach__gt=F("impressions")).count() == 0
    assert metrics.filter(video_views__gt=F("impressions")).count() == 0
    assert metrics.filter(engagements__lt=F("clicks")).count() == 0
    assert metrics.filter(spend_micros=0).count() == 0
    # Only conversion campaigns report a value, and only for days with conversions.
    assert metrics.filter(conversion_value_micros__gt=0, conversions=0).count() == 0
    assert (
        metrics.filter(conversion_value_micros__gt=0)
        .exclude(ad__campaign__objective=Objective.CONVERSION)
        .count()
        == 0
    )


def test_google_reports_no_daily_reach_and_other_platforms_do(db):
    run_demo()

    google = DailyMetric.objects.filter(ad__campaign__account__platform__slug="google_ads")
    others = DailyMetric.objects.exclude(ad__campaign__account__platform__slug="google_ads")
    assert google.exclude(reach=0).count() == 0
    assert others.filter(reach=0).count() == 0


def test_no_metrics_fall_outside_their_ads_flight(db):
    run_demo()

    outside = DailyMetric.objects.filter(
        Q(date__lt=F("ad__start_date")) | Q(date__gt=F("ad__end_date"))
    )
    assert outside.count() == 0
    assert Ad.objects.filter(start_date__lt=F("campaign__start_date")).count() == 0
    assert Ad.objects.filter(end_date__gt=F("campaign__end_date")).count() == 0
    assert (
        Ad.objects.filter(end_date__isnull=True).exclude(status__in=["ACTIVE", "ENABLED"]).count()
        == 0
    )
    assert Ad.objects.filter(end_date__isnull=True).count() > 0


def test_some_pieces_have_tiny_volume(db):
    run_demo()

    lifetime = Ad.objects.annotate(shown=Count("daily_metrics")).filter(shown__gt=0)
    tiny = [
        ad for ad in lifetime if sum(ad.daily_metrics.values_list("impressions", flat=True)) < 500
    ]
    assert len(tiny) >= 2


def test_every_objective_in_the_taxonomy_appears(db):
    run_demo()

    assert set(Campaign.objects.values_list("objective", flat=True)) == set(Objective.values)


def test_raw_objectives_are_kept_in_each_platforms_own_words(db):
    run_demo()

    campaigns = Campaign.objects.select_related("account__platform")
    for campaign in campaigns:
        assert map_objective(campaign.account.platform.slug, campaign.objective_raw) == (
            campaign.objective
        )
    raw = set(campaigns.values_list("account__platform__slug", "objective_raw"))
    assert any(platform == "meta" and value.startswith("OUTCOME_") for platform, value in raw)
    assert any(platform == "google_ads" and " - " in value for platform, value in raw)
    assert campaigns.filter(objective=Objective.OTHER).exclude(objective_raw="").count() > 0


def test_at_least_four_nodes_get_campaigns_through_rules_and_account_defaults(db):
    run_demo()

    nodes_with_campaigns = Node.objects.filter(campaigns__isnull=False).distinct()
    assert nodes_with_campaigns.count() >= 4
    assert {"tu360compras", "tu360inmobiliario", "wompi", "plink"} <= set(
        nodes_with_campaigns.values_list("slug", flat=True)
    )
    assert Campaign.objects.filter(node__isnull=True).count() == 0
    assert set(Campaign.objects.values_list("node_source", flat=True)) == {
        Campaign.NodeSource.RULE,
        Campaign.NodeSource.ACCOUNT,
    }
    assert NodeMappingRule.objects.count() == 5


def test_usd_accounts_have_an_exchange_rate_for_every_metric_date(db):
    run_demo()

    assert AdAccount.objects.filter(currency="USD").count() >= 2
    usd_dates = set(
        DailyMetric.objects.filter(ad__campaign__account__currency="USD").values_list(
            "date", flat=True
        )
    )
    rate_dates = set(
        ExchangeRate.objects.filter(
            currency="USD", reporting_currency=settings.YENNI_REPORTING_CURRENCY
        ).values_list("date", flat=True)
    )
    assert usd_dates
    assert set(DailyMetric.objects.values_list("date", flat=True)) <= rate_dates
    rates = ExchangeRate.objects.values_list("rate", flat=True)
    assert all(3000 < rate < 5000 for rate in rates)


def test_some_distinct_images_are_near_duplicates(db):
    run_demo()

    hashes = list(CreativeImage.objects.values_list("sha256", "phash"))
    close = [
        (a, b)
        for (a, a_phash), (b, b_phash) in combinations(hashes, 2)
        if phash_distance(a_phash, b_phash) <= 10
    ]
    assert len(close) >= 2


def test_images_are_reused_across_ads_and_carousels_hold_several(db):
    run_demo()

    images_per_ad = Ad.objects.values_list("creative__image_slots__image", flat=True)
    counts: dict[int, int] = {}
    for image in images_per_ad:
        counts[image] = counts.get(image, 0) + 1
    assert sum(1 for count in counts.values() if count > 1) >= 5
    carousels = Creative.objects.annotate(slots=Count("image_slots")).filter(slots__gte=2)
    assert carousels.count() >= 1
    assert all(2 <= carousel.slots <= 4 for carousel in carousels)


def test_it_refuses_a_catalog_with_campaigns_without_reset(db):
    run_demo()
    campaigns, images = Campaign.objects.count(), CreativeImage.objects.count()

    with pytest.raises(CommandError, match="Pass --reset to wipe the catalog"):
        run_demo("--seed", "8")

    assert Campaign.objects.count() == campaigns
    assert CreativeImage.objects.count() == images


def test_reset_wipes_the_catalog_and_the_old_image_files(db, django_capture_on_commit_callbacks):
    run_demo("--seed", "7")
    old_files = list(CreativeImage.objects.values_list("file", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        run_demo("--seed", "8", "--reset")

    assert not any(default_storage.exists(name) for name in old_files)
    assert all(
        default_storage.exists(name)
        for name in CreativeImage.objects.values_list("file", flat=True)
    )
    assert Creative.objects.count() == 40
    assert AdAccount.objects.count() == 13
    assert Node.objects.count() == 5


def test_it_writes_the_true_quality_file_with_one_entry_per_image(db):
    run_demo("--seed", "5")

    path = settings.DATA_DIR / "demo" / "true_quality.json"
    document = json.loads(path.read_text())
    assert document["format"] == "yenni-demo-true-quality/1"
    assert document["seed"] == 5
    assert document["parameters"]["creatives"] == 40
    assert document["parameters"]["months"] == 2
    assert set(document["images"]) == set(CreativeImage.objects.values_list("sha256", flat=True))
    entry = next(iter(document["images"].values()))
    assert set(entry["true"]) == {
        "ctr",
        "link_click_share",
        "conversion_rate",
        "lead_rate",
        "video_view_rate",
        "engagement_rate",
        "fatigue_half_life_days",
    }
    assert entry["node"] in set(Node.objects.values_list("slug", flat=True))
    variants = [e for e in document["images"].values() if e["variant_of"]]
    assert all(e["variant_of"] in document["images"] for e in variants)


def test_progress_off_a_terminal_draws_each_stage_once_at_start_and_once_at_the_end():
    stream = io.StringIO()
    progress = Progress(stream)

    progress.stage("images", 100, "images")
    for _ in range(100):
        progress.advance()
    progress.done("3 images/s")

    draws = [draw for draw in stream.getvalue().replace("\n", "\r").split("\r") if draw]
    assert len(draws) == 2
    assert draws[0].startswith("images:   0%|")
    assert "0/100" in draws[0]
    assert draws[1].startswith("images: 100%|##########| 100/100")
    assert draws[1].endswith("3 images/s]")


def test_progress_without_a_stream_reports_nothing_and_a_new_stage_closes_the_last():
    silent = Progress()
    silent.stage("images", 10, "images")
    silent.advance(10)
    silent.done()

    stream = io.StringIO()
    progress = Progress(stream)
    progress.stage("catalog", 3)
    progress.advance(3)
    progress.stage("rollup", 1)
    progress.advance()
    progress.done()

    assert stream.getvalue().count("\n") == 2
    assert "catalog: 100%" in stream.getvalue()
    assert "rollup: 100%" in stream.getvalue()


def test_it_refuses_too_few_creatives_and_bad_dates_before_writing_anything(db):
    with pytest.raises(CommandError, match="--creatives must be at least 12"):
        call_command("yenni_demo", "--creatives", "5", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="--end-date must look like 2026-10-31"):
        call_command("yenni_demo", "--end-date", "31/10/2026", stdout=StringIO(), stderr=StringIO())

    assert Node.objects.count() == 0
    assert AdAccount.objects.count() == 0
