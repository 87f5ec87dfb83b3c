"""Issue 13's acceptance: 90 days from all four platforms over real HTTP, matched to a truth file.

The four fake platforms (tests/fakes/world.py) serve one account each over HTTP on 127.0.0.1;
`manage.py ingest` reads them all, from an empty catalog, and the catalog must equal the
committed truth to the unit: per ad and day impressions, clicks, spend in micros, counted
conversions and leads, and every conversion type the platform reported with its count and
value; per ad its status (removed and deleted ads included) and its picture.
Three times: clean; with a throttle every 5th call, a server error every 7th and a body cut
off every 9th; and with the process killed mid-run and started again at once. Each scenario
prints its wall time and API calls per platform (`pytest -s` shows them).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from ingestion.models import IngestionRun
from tests.fakes.server import FakeServer
from tests.fakes.world import (
    DAYS,
    SPECS,
    TRUTH_FILE,
    Measure,
    faults,
    hold,
    platform_build,
    report,
    truth,
    truth_load,
    truth_text,
)
from tests.ingestion.end_to_end import (
    accounts_create,
    catalog_read,
    differences,
    duplicate_rows,
    runs_read,
)

REPO = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("America/Bogota")  # the accounts' time zone (AdAccount's default)
# Every wait (the platforms' own and the backoff) is this fraction of the real one.
WAIT_SCALE = 0.0002


def _yesterday() -> dt.date:
    return dt.datetime.now(ZONE).date() - dt.timedelta(days=1)


@contextlib.contextmanager
def _serving(platforms: dict) -> Iterator[dict[str, str]]:
    """Serve each fake platform on its own port; yield the base URL of each by slug."""
    with contextlib.ExitStack() as stack:
        urls = {}
        for spec in SPECS:
            server = stack.enter_context(FakeServer(platforms[spec.slug]))
            urls[spec.slug] = f"{server.url}{spec.base_path}"
        yield urls


def _measures(
    scenario: str, runs: list[dict], platforms: dict, served: dict[str, int] | None = None
) -> list[Measure]:
    """The runs' figures beside what each fake saw (`served`: its calls, when not all of them)."""
    served = served or {slug: platform.calls for slug, platform in platforms.items()}
    return [
        Measure(
            scenario=scenario,
            platform=run["platform"],
            seconds=run["seconds"],
            api_calls=run["api_calls"],
            server_calls=served[run["platform"]],
            throttled=platforms[run["platform"]].throttled,
            errors=platforms[run["platform"]].errors,
            cut_bodies=platforms[run["platform"]].broken_bodies,
            waits=run["waits"],
            unscaled_wait=run["waited"] / WAIT_SCALE,
            images=run["images"],
        )
        for run in runs
    ]


def _catalog_problems(expected: dict, catalog: dict) -> str:
    found = differences(expected["platforms"], catalog)
    return "\n".join(["The catalog differs from the truth:", *found]) if found else ""


# The truth file ------------------------------------------------------------------------------


def test_the_committed_truth_is_what_the_world_spec_gives():
    assert truth_load() == truth(), (
        f"{TRUTH_FILE.name} no longer matches tests/fakes/world.py: "
        "run `python -m tests.fakes.world --write-truth` and review the diff"
    )
    assert TRUTH_FILE.read_text() == truth_text(truth())


def test_the_truth_covers_what_issue_13_names():
    data = truth_load()
    platforms = data["platforms"]
    assert set(platforms) == {"meta", "google_ads", "linkedin", "x"}
    ads = [ad for p in platforms.values() for ad in p["ads"].values()]
    assert {ad["status"] for ad in ads if ad["removed"]} == {"REMOVED", "DELETED"}
    assert all(ad["days"] for ad in ads if ad["removed"])  # removed ads keep their history
    assert any(not ad["images"] for ad in ads) and any(ad["images"] for ad in ads)
    days = {int(day) for ad in ads for day in ad["days"]}
    assert days == set(range(DAYS))
    for slug, platform in platforms.items():
        rows = [row for ad in platform["ads"].values() for row in ad["days"].values()]
        assert any(row[3] for row in rows), f"{slug}: no conversions to count"
        assert any(row[4] for row in rows) == (slug in ("meta", "linkedin")), slug
        assert len({name for row in rows for name in row[5]}) >= 4, f"{slug}: few types"


# In-process scenarios: `manage.py ingest` in this process, the fakes in threads ----------------


@pytest.fixture
def world_settings(db, ingest_settings, monkeypatch):
    ingest_settings.INGEST_BACKFILL_DAYS = DAYS
    ingest_settings.INGEST_WAIT_SCALE = WAIT_SCALE
    for spec in SPECS:
        monkeypatch.setenv(spec.token_variable, spec.token)
    accounts_create()
    return ingest_settings


def _ingest(world_settings, platforms: dict) -> tuple[float, str]:
    """Run `manage.py ingest` (every active account) against the fakes; return time and output."""
    out = io.StringIO()
    with _serving(platforms) as urls:
        world_settings.INGEST_API_URLS = {**world_settings.INGEST_API_URLS, **urls}
        started = time.perf_counter()
        try:
            call_command("ingest", stdout=out)
        except CommandError as exc:
            out.write(f"\nCommandError: {exc}")
        return time.perf_counter() - started, out.getvalue()


def _check_catalog(scenario: str, platforms: dict, seconds: float, output: str) -> None:
    runs = runs_read()
    figures = report(_measures(scenario, runs, platforms), wall={scenario: seconds})
    print(f"\n{figures}")
    assert [(r["platform"], r["status"]) for r in runs] == [
        (slug, IngestionRun.Status.SUCCEEDED) for slug in ("google_ads", "linkedin", "meta", "x")
    ], f"{output}\n{figures}"
    for run in runs:
        assert run["api_calls"] == platforms[run["platform"]].calls, figures
    assert duplicate_rows() == 0
    problems = _catalog_problems(truth_load(), catalog_read())
    assert not problems, f"{problems}\n{figures}"


@pytest.mark.slow
def test_90_days_from_the_four_platforms_match_the_truth(world_settings):
    platforms = {spec.slug: platform_build(spec, end=_yesterday()) for spec in SPECS}

    seconds, output = _ingest(world_settings, platforms)

    _check_catalog("clean", platforms, seconds, output)
    for run in runs_read():
        assert run["waits"] == 0, run


@pytest.mark.slow
def test_throttles_server_errors_and_cut_bodies_on_every_platform_change_nothing(world_settings):
    # The run's ceiling on waiting, scaled as the waits are: the real waits must fit in it.
    world_settings.INGEST_MAX_WAIT_SECONDS *= WAIT_SCALE
    platforms = {
        spec.slug: platform_build(spec, end=_yesterday(), failures=faults()) for spec in SPECS
    }

    seconds, output = _ingest(world_settings, platforms)

    _check_catalog("faults", platforms, seconds, output)
    for run in runs_read():
        platform = platforms[run["platform"]]
        assert platform.throttled and platform.errors and platform.broken_bodies, run
        # Each failed call was waited out once and asked again.
        assert run["waits"] == platform.throttled + platform.errors + platform.broken_bodies


# Killed: `manage.py ingest` in a subprocess with its own database, SIGKILLed mid-run ----------

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.ingestion.end_to_end import accounts_create
accounts_create()
"""

REPORT = """
import json, django
django.setup()
from tests.ingestion.end_to_end import catalog_read, duplicate_rows, runs_read
print(json.dumps({"runs": runs_read(), "duplicates": duplicate_rows(), "catalog": catalog_read()}))
"""
SQLITE_FILE = "yenni.sqlite3"  # in YENNI_DATA_DIR (yenni_site/settings.py)


def _postgres_server() -> str:
    db = settings.DATABASES["default"]
    login = quote(db["USER"], safe="") + (
        f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    )
    return f"postgres://{login}@{db['HOST']}:{db['PORT']}"


def _postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{_postgres_server()}/postgres", autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Iterator[tuple[Path, str]]:
    """The world's accounts in a migrated database, made once for the module.

    Its SQLite folder, or the name of a PostgreSQL database (when the suite runs on
    PostgreSQL) that each test copies as a template.
    """
    folder = tmp_path_factory.mktemp("migrated")
    postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    name = f"yenni_e2e_{uuid.uuid4().hex[:12]}" if postgres else ""
    if name:
        _postgres(f'CREATE DATABASE "{name}"')
    try:
        _python(SETUP, _env(folder, f"{_postgres_server()}/{name}" if name else ""))
        yield folder, name
    finally:
        if name:
            _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database(migrated, tmp_path) -> Iterator[tuple[Path, str]]:
    """A copy of the migrated database for one test: (its data folder, its DATABASE_URL)."""
    folder, template = migrated
    if not template:
        for file in folder.glob(f"{SQLITE_FILE}*"):  # with its -wal, should one be left
            shutil.copy(file, tmp_path / file.name)
        yield tmp_path, ""
        return
    name = f"yenni_e2e_{uuid.uuid4().hex[:12]}"
    _postgres(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield tmp_path, f"{_postgres_server()}/{name}"
    _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(data_dir: Path, database_url: str, urls: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "yenni_site.settings",
        "YENNI_DATA_DIR": str(data_dir),
        "YENNI_SECRET_KEY": "e2e-test-secret-key",
        "YENNI_INGEST_CHUNK_DAYS": "7",
        "YENNI_INGEST_BACKFILL_DAYS": str(DAYS),
        "YENNI_INGEST_PAGE_SIZE": "100",
        "YENNI_INGEST_WAIT_SCALE": str(WAIT_SCALE),
        "YENNI_INGEST_IMAGE_HOSTS": "127.0.0.1",
        "YENNI_INGEST_IMAGE_ALLOWED_NETWORKS": "127.0.0.1/32",
    }
    for spec in SPECS:
        env[spec.token_variable] = spec.token
        if urls:
            env[spec.url_variable] = urls[spec.slug]
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _python(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# Where the first process dies: (platform, a pattern of its calls' paths, the how-manieth of
# those).
# Accounts go by platform: Google, LinkedIn, Meta, X.
KILL_POINTS = [
    # X's 7th stats call is the web stats of its fourth week: three weeks of X are saved, the
    # other three platforms are done.
    pytest.param("x", r"/stats/accounts/", 7, id="x-mid-metrics"),
    # LinkedIn's second picture: its catalog is saved, but most pictures are not downloaded
    # yet. The creatives whose pictures were not settled are not remembered as read
    # (creative_versions), so the restart reads their posts again and downloads them.
    pytest.param(
        "linkedin",
        r"^/images/",  # a download, not the images API (/rest/images/…)
        2,
        id="linkedin-mid-pictures",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("slug", "pattern", "nth"), KILL_POINTS)
def test_an_ingest_killed_mid_platform_and_restarted_at_once_matches_the_truth(
    database, slug, pattern, nth
):
    data_dir, database_url = database
    platforms = {spec.slug: platform_build(spec, end=_yesterday()) for spec in SPECS}
    victim = platforms[slug]
    hold(victim, lambda request: re.search(pattern, request.path) is not None, nth=nth)
    command = [sys.executable, "manage.py", "ingest"]
    with _serving(platforms) as urls:
        env = _env(data_dir, database_url, urls)
        log = data_dir / "first.log"
        started = time.perf_counter()
        with log.open("w") as out:
            first = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=out)
            held = victim.holding.wait(timeout=150)
            first.send_signal(signal.SIGKILL)  # while it waits for the held call's answer
            first.wait(timeout=10)
        killed_after = time.perf_counter() - started
        calls_at_kill = {name: platform.calls for name, platform in platforms.items()}
        victim.release.set()

        restarted = time.perf_counter()
        second = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
        seconds = time.perf_counter() - restarted
        state = json.loads(_python(REPORT, env))

    runs = state["runs"]
    first_runs, second_runs = runs[:4], runs[4:]
    after_kill = {name: p.calls - calls_at_kill[name] for name, p in platforms.items()}
    measures = _measures("killed", first_runs, platforms, calls_at_kill)
    measures += _measures("restart", second_runs, platforms, after_kill)
    figures = report(measures, wall={"killed": killed_after, "restart": seconds})
    statuses = ", ".join(f"{r['platform']} {r['status']}" for r in runs)
    print(f"\n{figures}\nruns: {statuses}")

    order = ["google_ads", "linkedin", "meta", "x"]
    victim_at = order.index(slug)
    assert held, log.read_text()
    assert first.returncode == -signal.SIGKILL
    assert second.returncode == 0, second.stdout + second.stderr
    assert [r["platform"] for r in runs] == order + order
    done_before = [r["status"] for r in first_runs[:victim_at]]
    assert done_before == ["succeeded"] * victim_at, statuses
    dead = first_runs[victim_at]
    assert dead["status"] == "failed", statuses
    assert dead["error"].startswith("El proceso que hacía esta ejecución se detuvo (su proceso ")
    assert f"La ejecución #{second_runs[victim_at]['pk']} tomó la cuenta" in dead["error"]
    # No run of the restart is refused as "still running", nor fails.
    assert [r["status"] for r in second_runs] == ["succeeded"] * 4, second.stdout
    assert state["duplicates"] == 0
    problems = _catalog_problems(truth_load(), state["catalog"])
    assert not problems, f"{problems}\n{figures}"
