"""A brief with a catalog behind it and a batch of generated images, for the share tests."""

from __future__ import annotations

import pytest

from generation.models import Brief, GeneratedImage
from tests.web.share.helpers import _batch, _brief, _catalog


@pytest.fixture
def brief(db, media_storage, analyst) -> Brief:
    _catalog()
    return _brief(analyst)


@pytest.fixture
def images(brief) -> list[GeneratedImage]:
    """Four generated images, of which the analyst picked the second and the fourth."""
    return _batch(brief, seed=1000, picked=(1, 3))
