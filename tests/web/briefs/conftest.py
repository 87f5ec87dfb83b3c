"""The analyst's brief pages: a small real catalog, a brief on it, and English pages.

A small real catalog (six images of one node with a month of results) is ranked by the real
services; the default "none" image backend and the tiny random SDXL model run for real. Pages
are read in English (the msgids) unless a test is about Spanish, so the assertions survive
the Spanish translation.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from campaigns.models import Objective
from campaigns.rollups import image_rollup_refresh
from generation.models import Brief
from tests.factories import make_account, make_ad, make_campaign, make_creative, make_metric
from tests.factories import make_node as factory_node
from tests.generation.tiny_sdxl import tiny_image_model, tiny_sdxl_dir  # noqa: F401 (fixtures)
from tests.web.briefs.helpers import FIRST_DAY, PIECES, TODAY, _brief, _image


@pytest.fixture
def node(db, media_storage):
    """Wompi with six traffic pieces over five days: piece n has 40 + 10n clicks on 4,000."""
    wompi = factory_node(name="Wompi", slug="wompi")
    account = make_account(platform="meta", default_node=wompi)
    campaign = make_campaign(
        account=account,
        node=wompi,
        objective=Objective.TRAFFIC,
        start_date=FIRST_DAY,
        end_date=TODAY,
    )
    for n in range(1, PIECES + 1):
        ad = make_ad(campaign=campaign, creative=make_creative(images=[_image(n)]))
        for offset in range(5):
            make_metric(
                ad=ad,
                date=FIRST_DAY + dt.timedelta(days=offset),
                impressions=4_000,
                clicks=40 + 10 * n,
            )
    image_rollup_refresh()
    return wompi


@pytest.fixture
def en(client):
    """Read the pages in English, the language of the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def brief(analyst, node) -> Brief:
    return _brief(analyst, node)


@pytest.fixture
def other_analyst(db):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username="olga_other", password="s3cret-pass")
    user.groups.add(Group.objects.get(name="Analysts"))
    return user
