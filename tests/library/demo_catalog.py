"""The demo history as a module's catalog: loaded and described, wiped afterwards.

Its files (images, the truth file) go to a folder of the module's own: test workers share the
suite's data folder, and one worker's wipe must not delete another's images.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from demo.loader import demo_catalog_wipe
from generation.descriptions import images_describe


@contextmanager
def demo_catalog_loaded(
    tmp_path_factory, django_db_blocker, *, name: str, seed: int, creatives: int, months: int
) -> Iterator[None]:
    """The demo's catalog, described, for the block; the database is unblocked inside it."""
    folder = tmp_path_factory.mktemp(name)
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": folder / "media", "base_url": "/media/"},
        },
    }
    with override_settings(DATA_DIR=folder, STORAGES=storages), django_db_blocker.unblock():
        call_command(
            "yenni_demo",
            "--seed",
            str(seed),
            "--creatives",
            str(creatives),
            "--months",
            str(months),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        images_describe()
        try:
            yield
        finally:
            demo_catalog_wipe()
