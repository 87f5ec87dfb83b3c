"""The database itself refuses duplicates and impossible values in the catalog."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import (
    AdAccount,
    Campaign,
    DailyMetric,
    ExchangeRate,
    NodeMappingRule,
    Platform,
)
from creatives.models import Creative, CreativeImage
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_exchange_rate,
    make_image,
    make_metric,
    make_node,
)

pytestmark = pytest.mark.usefixtures("media_storage")


def test_an_account_id_is_unique_per_platform(db):
    make_account(platform="meta", external_id="act_1")

    with pytest.raises(IntegrityError), transaction.atomic():
        make_account(platform="meta", external_id="act_1")

    make_account(platform="linkedin", external_id="act_1")
    assert AdAccount.objects.filter(external_id="act_1").count() == 2


def test_an_account_currency_must_be_an_iso_code(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_account(currency="usd")

    assert not AdAccount.objects.exists()


def test_a_campaign_id_is_unique_per_account(db):
    account = make_account()
    make_campaign(account=account, external_id="cmp_1")

    with pytest.raises(IntegrityError), transaction.atomic():
        make_campaign(account=account, external_id="cmp_1")

    make_campaign(account=make_account(), external_id="cmp_1")
    assert Campaign.objects.filter(external_id="cmp_1").count() == 2


def test_an_ad_id_is_unique_per_campaign(db):
    campaign = make_campaign()
    make_ad(campaign=campaign, external_id="ad_1")

    with pytest.raises(IntegrityError), transaction.atomic():
        make_ad(campaign=campaign, external_id="ad_1")

    make_ad(campaign=make_campaign(), external_id="ad_1")


def test_an_ad_has_one_row_of_results_per_day(db):
    ad = make_ad()
    make_metric(ad=ad, date=dt.date(2024, 3, 1))

    with pytest.raises(IntegrityError), transaction.atomic():
        make_metric(ad=ad, date=dt.date(2024, 3, 1))

    make_metric(ad=ad, date=dt.date(2024, 3, 2))
    assert DailyMetric.objects.filter(ad=ad).count() == 2


def test_negative_spend_cannot_be_stored(db):
    ad = make_ad()

    with pytest.raises(IntegrityError), transaction.atomic():
        make_metric(ad=ad, spend_micros=-1)

    assert not DailyMetric.objects.exists()


def test_negative_conversions_cannot_be_stored(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_metric(ad=make_ad(), conversions=-0.5)


def test_an_image_is_stored_once_per_content_hash(db):
    image = make_image()

    with pytest.raises(IntegrityError), transaction.atomic():
        CreativeImage.objects.create(
            sha256=image.sha256,
            file="images/other.png",
            phash=image.phash,
            width=1,
            height=1,
            format="PNG",
            byte_size=1,
        )

    assert CreativeImage.objects.count() == 1


def test_an_image_hash_must_be_lowercase_hex(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        CreativeImage.objects.create(
            sha256="A" * 64, file="x.png", phash="0" * 16, width=1, height=1, format="PNG",
            byte_size=1,
        )  # fmt: skip


def test_a_creative_id_is_unique_per_platform(db):
    make_creative(platform="meta", external_id="cr_1")

    with pytest.raises(IntegrityError), transaction.atomic():
        make_creative(platform="meta", external_id="cr_1")

    make_creative(platform="x", external_id="cr_1")
    assert Creative.objects.filter(external_id="cr_1").count() == 2


def test_creatives_imported_from_files_may_share_an_empty_id(db):
    make_creative(platform="meta", external_id="")
    make_creative(platform="meta", external_id="")

    assert Creative.objects.filter(platform="meta", external_id="").count() == 2


def test_an_exchange_rate_is_unique_per_currency_and_day(db):
    make_exchange_rate(currency="USD", date=dt.date(2024, 3, 1))

    with pytest.raises(IntegrityError), transaction.atomic():
        make_exchange_rate(currency="USD", date=dt.date(2024, 3, 1))

    make_exchange_rate(currency="EUR", date=dt.date(2024, 3, 1))
    make_exchange_rate(currency="USD", date=dt.date(2024, 3, 2))
    assert ExchangeRate.objects.count() == 3


def test_an_exchange_rate_must_be_positive(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_exchange_rate(rate="0")


def test_a_campaign_cannot_end_before_it_starts(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_campaign(start_date=dt.date(2024, 3, 10), end_date=dt.date(2024, 3, 9))

    make_campaign(start_date=dt.date(2024, 3, 10), end_date=dt.date(2024, 3, 10))
    make_campaign(start_date=dt.date(2024, 3, 10), end_date=None)
    assert Campaign.objects.count() == 2


def test_a_campaign_objective_must_be_in_the_taxonomy(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_campaign(objective="OUTCOME_SALES")

    assert not Campaign.objects.exists()


def test_a_mapping_rule_needs_an_account_or_a_pattern(db):
    node = make_node()

    with pytest.raises(IntegrityError), transaction.atomic():
        NodeMappingRule.objects.create(node=node, account=None, campaign_name_pattern="")

    NodeMappingRule.objects.create(node=node, campaign_name_pattern="wompi")
    NodeMappingRule.objects.create(node=node, account=make_account())
    assert NodeMappingRule.objects.count() == 2


def test_the_four_platforms_cannot_be_seeded_twice(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Platform.objects.create(slug="meta", name="Meta again")
