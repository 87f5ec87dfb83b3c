"""A `manage.py ingest` killed with SIGKILL mid-sync, then started again at once.

The processes use a database of their own (an SQLite file, or a throw-away PostgreSQL database
when the suite runs on PostgreSQL) and the fake Graph API this test serves over real HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from tests.fakes.history import history_build
from tests.fakes.meta import FakeMeta
from tests.fakes.server import FakeRequest, FakeResponse, FakeServer

REPO = Path(__file__).resolve().parents[2]
TOKEN = "meta-kill-test-token-5e0b"
# 3 campaign, 5 creative and 5 ad pages, and the insights call naming archived and deleted ads.
CATALOG_CALLS = 14
CALLS_PER_CHUNK = 3

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.factories import make_account
make_account(platform="meta", external_id="act_1001", name="Tu360 Compras Meta")
"""

REPORT = """
import json, django
django.setup()
from django.db.models import Count, Sum
from campaigns.models import DailyMetric
from ingestion.models import IngestionRun, SyncBookmark
rows = DailyMetric.objects.values("ad__external_id").annotate(
    i=Sum("impressions"), c=Sum("clicks"), s=Sum("spend_micros"), v=Sum("conversions"))
print(json.dumps({
    "runs": [[r.pk, r.status, r.error] for r in IngestionRun.objects.order_by("pk")],
    "rows": DailyMetric.objects.count(),
    "duplicates": DailyMetric.objects.values("ad_id", "date").annotate(n=Count("id"))
        .filter(n__gt=1).count(),
    "totals": {r["ad__external_id"]: [r["i"], r["c"], r["s"], float(r["v"])] for r in rows},
    "bookmark": str(SyncBookmark.objects.get().last_synced_date),
}))
"""


class HeldMeta(FakeMeta):
    """The Graph API fake, holding one call unanswered until the test lets it go."""

    def __init__(self, *args, hold_call: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.hold_call = hold_call
        self.holding = threading.Event()
        self.release = threading.Event()

    def handle(self, request: FakeRequest) -> FakeResponse:
        response = super().handle(request)
        if request.call == self.hold_call:
            self.holding.set()
            self.release.wait(timeout=60)
        return response


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """An empty database for the subprocesses: PostgreSQL when the suite runs on it."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        yield ""  # SQLite in the data folder
        return
    import psycopg

    name = f"yenni_kill_{uuid.uuid4().hex[:12]}"
    db = settings.DATABASES["default"]
    login = quote(db["USER"], safe="") + (
        f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    )
    server = f"postgres://{login}@{db['HOST']}:{db['PORT']}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(tmp_path: Path, database_url: str, api_url: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "yenni_site.settings",
        "YENNI_DATA_DIR": str(tmp_path),
        "YENNI_SECRET_KEY": "kill-test-secret-key",
        "YENNI_META_API_URL": api_url,
        "YENNI_TOKEN_META_ACT_1001": TOKEN,
        "YENNI_INGEST_CHUNK_DAYS": "7",
        "YENNI_INGEST_BACKFILL_DAYS": "63",
        "YENNI_INGEST_PAGE_SIZE": "100",
        "YENNI_INGEST_WAIT_SCALE": "0.0002",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _python(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_a_sync_killed_mid_run_is_taken_over_at_once_and_the_catalog_has_no_duplicates(
    tmp_path, database_url
):
    yesterday = dt.datetime.now(ZoneInfo("America/Bogota")).date() - dt.timedelta(days=1)
    kill_at = CATALOG_CALLS + 3 * CALLS_PER_CHUNK + 2  # mid-way through the fourth chunk
    platform = HeldMeta(
        history_build(end=yesterday, days=63), account_id="act_1001", token=TOKEN, hold_call=kill_at
    )
    with FakeServer(platform) as server:
        env = _env(tmp_path, database_url, server.url)
        _python(SETUP, env)
        command = [sys.executable, "manage.py", "ingest", "--account=act_1001"]
        first = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
        held = platform.holding.wait(timeout=90)
        first.send_signal(signal.SIGKILL)  # while it waits for the held call's answer
        first.wait(timeout=10)
        calls_at_kill = platform.calls
        platform.release.set()

        second = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )
        report = json.loads(_python(REPORT, env))

    assert held
    assert first.returncode == -signal.SIGKILL
    assert calls_at_kill == kill_at
    assert second.returncode == 0, second.stdout + second.stderr
    (_dead_pk, dead_status, dead_error), (run_pk, run_status, run_error) = report["runs"]
    assert (dead_status, run_status) == ("failed", "succeeded"), run_error
    assert dead_error.startswith("El proceso que hacía esta ejecución se detuvo (su proceso ")
    assert f"La ejecución #{run_pk} tomó la cuenta" in dead_error
    assert report["duplicates"] == 0
    assert report["rows"] == len(platform.history.metrics)
    expected = {ad: [*map(float, t[:3]), t[3]] for ad, t in platform.history.totals_by_ad().items()}
    actual = {ad: [*map(float, t[:3]), t[3]] for ad, t in report["totals"].items()}
    assert actual == expected
    assert report["bookmark"] == str(yesterday)


SECOND_ACCOUNT = """
import django
django.setup()
from tests.factories import make_account
make_account(platform="meta", external_id="act_2002", name="Zeta Meta")
"""


@pytest.mark.slow
def test_the_runs_a_killed_ingest_had_queued_are_closed_by_the_next_ingest(tmp_path, database_url):
    """Two accounts: the kill comes during the first; the second's run never starts."""
    yesterday = dt.datetime.now(ZoneInfo("America/Bogota")).date() - dt.timedelta(days=1)
    platform = HeldMeta(
        history_build(end=yesterday, days=63), account_id="act_1001", token=TOKEN, hold_call=5
    )
    with FakeServer(platform) as server:
        env = _env(tmp_path, database_url, server.url)
        _python(SETUP, env)
        _python(SECOND_ACCOUNT, env)
        first = subprocess.Popen(
            [sys.executable, "manage.py", "ingest"], cwd=REPO, env=env, stdout=subprocess.DEVNULL
        )
        held = platform.holding.wait(timeout=90)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        platform.release.set()
        # Only the first account this time: the second's orphan is closed all the same.
        second = subprocess.run(
            [sys.executable, "manage.py", "ingest", "--account=act_1001"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # The second account never had a run start, so the one bookmark is the first's.
        report = json.loads(_python(REPORT, env))

    assert held
    assert second.returncode == 0, second.stdout + second.stderr
    (_, dead, _), (_, orphan, orphan_error), (_, restarted, error) = report["runs"]
    assert (dead, orphan, restarted) == ("failed", "failed", "succeeded"), error
    assert orphan_error.startswith(
        "Nunca empezó: el proceso que la puso en cola terminó antes de llegar a esta cuenta "
        "(su proceso "
    )
    assert report["duplicates"] == 0
    assert report["bookmark"] == str(yesterday)
