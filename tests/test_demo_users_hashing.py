"""`yenni_demo_users` on every run.sh start: a kept password is not hashed again (issue 17).

PBKDF2 costs about a second per user on the busy 2-core machine; the users' passwords only need
hashing when they are new or no longer what the command set.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

ROLE_VARIABLES = (
    "YENNI_DEMO_ANALYST_USER",
    "YENNI_DEMO_ANALYST_PASSWORD",
    "YENNI_DEMO_LEAD_USER",
    "YENNI_DEMO_LEAD_PASSWORD",
)


@pytest.fixture
def data_dir(settings, tmp_path, monkeypatch):
    for name in ROLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    settings.DATA_DIR = tmp_path
    return tmp_path


def _run() -> str:
    out = StringIO()
    call_command("yenni_demo_users", stdout=out)
    return out.getvalue()


def _hashes() -> dict[str, str]:
    return dict(
        User.objects.filter(username__in=["analista", "lider"]).values_list("username", "password")
    )


def test_a_second_run_keeps_the_stored_password_hashes_as_they_are(db, data_dir):
    _run()
    first = _hashes()

    _run()

    assert _hashes() == first
    stored = json.loads((data_dir / "demo_credentials.json").read_text())
    assert stored["analyst"]["hash"] == first["analista"]
    assert User.objects.get(username="analista").check_password(stored["analyst"]["password"])


def test_a_password_changed_since_the_last_run_is_set_back_to_the_demo_one(db, data_dir):
    _run()
    lead = User.objects.get(username="lider")
    lead.set_password("changed-by-someone")
    lead.save()

    _run()

    lead.refresh_from_db()
    stored = json.loads((data_dir / "demo_credentials.json").read_text())
    assert lead.check_password(stored["lead"]["password"])
    assert not lead.check_password("changed-by-someone")
    assert stored["lead"]["hash"] == lead.password


def test_a_password_edited_in_the_credentials_file_is_hashed_again(db, data_dir):
    _run()
    path = data_dir / "demo_credentials.json"
    stored = json.loads(path.read_text())
    stored["analyst"]["password"] = "new-demo-pass-1"
    path.write_text(json.dumps(stored))

    assert "new-demo-pass-1" in _run()

    assert User.objects.get(username="analista").check_password("new-demo-pass-1")


def test_a_password_from_the_environment_is_set_on_every_run(db, data_dir, monkeypatch):
    monkeypatch.setenv("YENNI_DEMO_ANALYST_PASSWORD", "first-pass-123")
    _run()
    monkeypatch.setenv("YENNI_DEMO_ANALYST_PASSWORD", "second-pass-456")

    _run()

    analyst = User.objects.get(username="analista")
    assert analyst.check_password("second-pass-456")
    stored = json.loads((data_dir / "demo_credentials.json").read_text())
    assert "analyst" not in stored
