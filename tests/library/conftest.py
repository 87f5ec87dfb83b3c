"""Fixtures shared by the library's page tests: an English client and one image's history."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.conf import settings

from campaigns.models import Objective
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_exchange_rate,
    make_metric,
    make_node,
)
from tests.library.small_catalog import FIRST_DAY, TODAY, image_of


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def piece(db, media_storage):
    """Image X on three creatives (alone; in a carousel with Y; twice in one carousel), on a COP
    account and a USD account, plus an unrelated image Z on the same campaign.

    Day 0 is written by hand (figures below); days 1–19 are seeded random, with gaps. USD has
    no rate on days 0–1 (its spend there is left out) and none on day 10 (day 9's carries).
    """
    node = make_node(name="Wompi", slug="wompi")
    cop = make_account(platform="meta", default_node=node)
    usd = make_account(platform="google_ads", currency="USD")
    meta_campaign = make_campaign(
        account=cop, node=node, objective=Objective.TRAFFIC, start_date=FIRST_DAY, end_date=TODAY
    )
    google_campaign = make_campaign(
        account=usd, node=node, objective=Objective.TRAFFIC, start_date=FIRST_DAY, end_date=TODAY
    )
    x, y, z = image_of(1), image_of(2), image_of(3)
    alone = make_ad(campaign=meta_campaign, creative=make_creative(images=[x]))
    carousel = make_ad(
        campaign=google_campaign, creative=make_creative(platform="google_ads", images=[x, y])
    )
    unrelated = make_ad(campaign=meta_campaign, creative=make_creative(images=[z]))
    twice = make_ad(campaign=meta_campaign, creative=make_creative(images=[x, x]))
    make_metric(ad=alone, date=FIRST_DAY, impressions=1000, clicks=25, spend_micros=12_500_000)
    make_metric(ad=carousel, date=FIRST_DAY, impressions=500, clicks=10, spend_micros=2_000_000)
    make_metric(ad=twice, date=FIRST_DAY, impressions=300, clicks=3, spend_micros=1_000_000)
    make_metric(ad=unrelated, date=FIRST_DAY, impressions=9999, clicks=99, spend_micros=9_000_000)
    rng = random.Random(7)
    for offset in range(1, 20):
        day = FIRST_DAY + dt.timedelta(days=offset)
        if offset == 12:
            continue  # no ad ran: the series still has the day, with zeros
        for ad in (alone, carousel, unrelated, twice):
            if rng.random() < 0.2:
                continue
            impressions = rng.randint(0, 5000)
            make_metric(
                ad=ad,
                date=day,
                impressions=impressions,
                clicks=rng.randint(0, impressions // 20),
                spend_micros=rng.randint(0, 90_000_000),
            )
    for offset in range(2, 20):
        if offset != 10:
            make_exchange_rate(
                currency="USD",
                date=FIRST_DAY + dt.timedelta(days=offset),
                rate=f"{3900 + offset}.25",
            )
    return x
