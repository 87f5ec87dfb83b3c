"""Named users shared by the whole suite: a lead, an analyst, an outsider."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.utils import translation


@pytest.fixture(autouse=True)
def _site_language_between_tests():
    """Each test starts in the site's language (Spanish).

    A request through the test client leaves its language active in the thread afterwards, so
    without this a test's outcome would depend on which test ran before it on the same worker.
    """
    translation.deactivate()
    yield
    translation.deactivate()


def _user_in_group(username: str, group: str | None, *, is_staff: bool = False) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.co", password="s3cret-pass", is_staff=is_staff
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def lead(db) -> User:
    """A marketing lead: staff, in the Marketing leads group, not a superuser."""
    return _user_in_group("lucia_lead", "Marketing leads", is_staff=True)


@pytest.fixture
def analyst(db) -> User:
    """An analyst: uses the web pages, has no admin access."""
    return _user_in_group("andres_analyst", "Analysts")


@pytest.fixture
def outsider(db) -> User:
    """A signed-in user in no group."""
    return _user_in_group("otto_outsider", None)


@pytest.fixture
def media_storage(settings, tmp_path):
    """Store files in a folder of this test's own, so tests never see each other's files."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media", "base_url": "/media/"},
        },
    }
    return tmp_path / "media"
