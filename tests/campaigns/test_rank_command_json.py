"""`rank --json` prints one JSON document on stdout, a summary with the references (issue 15
item 6); logs and messages go to stderr."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command

from campaigns.models import Objective, RankingRule
from campaigns.rollups import image_rollup_refresh
from creatives.models import CreativeImage
from tests.factories import (
    make_account,
    make_ad,
    make_campaign,
    make_creative,
    make_image,
    make_metric,
    make_node,
)

REPO = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 10, 5)
AS_OF = "2026-10-31"


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """An empty database for the subprocesses: PostgreSQL when the suite runs on it."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        yield ""  # SQLite in the data folder
        return
    import psycopg

    name = f"yenni_rank_json_{uuid.uuid4().hex[:12]}"
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


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_rank_json_prints_only_json_on_stdout_with_every_log_line_on_stderr(tmp_path, database_url):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "yenni_site.settings",
        "YENNI_DATA_DIR": str(tmp_path),
        "YENNI_SECRET_KEY": "rank-json-test-secret-key",
        # Every logger at its most talkative: none of it may reach stdout.
        "YENNI_LOG_LEVEL": "DEBUG",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    for args in (("migrate", "-v", "0"), ("yenni_demo", "--creatives", "60", "--months", "3")):
        done = _manage(*args, env=env)
        assert done.returncode == 0, done.stderr

    done = _manage(
        "rank", "--node", "wompi", "--objective", "traffic", "--json", "--as-of", AS_OF, env=env
    )

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert " INFO " in done.stderr  # the logs were there, on stderr
    assert list(summary)[:7] == [
        "node",
        "objective",
        "rule",
        "considered",
        "passed",
        "message",
        "metric",
    ]
    assert (summary["node"], summary["objective"], summary["metric"]) == ("wompi", "traffic", "ctr")
    assert summary["rule"]["version"] == 1
    assert isinstance(summary["rule"]["id"], int)
    references = summary["references"]
    assert summary["considered"] >= summary["passed"] >= 1
    assert len(references) == min(4, summary["passed"])
    assert [ref["order"] for ref in references] == list(range(1, len(references) + 1))
    # A message says why when fewer than the rule's four came back, and only then.
    assert (summary["message"] == "") == (len(references) == 4)
    assert (summary["window_end"], summary["window_start"]) == ("2026-10-31", "2025-11-01")


def _piece(campaign, n: int, *, clicks: int, impressions: int = 20_000) -> CreativeImage:
    image = make_image()
    CreativeImage.objects.filter(pk=image.pk).update(
        phash=f"{random.Random(n).getrandbits(64):016x}"
    )
    ad = make_ad(campaign=campaign, creative=make_creative(images=[image]))
    make_metric(ad=ad, date=DAY, impressions=impressions, clicks=clicks)
    return image


@pytest.fixture
def wompi(db, media_storage):
    node = make_node(name="Wompi", slug="wompi")
    campaign = make_campaign(
        account=make_account(platform="meta", default_node=node),
        node=node,
        objective=Objective.TRAFFIC,
        start_date=dt.date(2026, 9, 1),
        end_date=dt.date(2026, 10, 31),
    )
    return node, campaign


def test_rank_json_summarises_the_rule_the_pieces_and_the_message(wompi, capsys):
    node, campaign = wompi
    # 1,000 impressions whether the rule's minimums are fixed or scaled (5 % of the median
    # piece's 20,000).
    rule = RankingRule.objects.create(
        node=node, objective="traffic", metric="ctr", min_impressions=1_000, top_n=3
    )
    best = _piece(campaign, 1, clicks=600)
    second = _piece(campaign, 2, clicks=400)
    _piece(campaign, 3, clicks=10, impressions=100)  # below the 1,000 impressions
    image_rollup_refresh()

    call_command(
        "rank", "--node", "wompi", "--objective", "traffic", "--json", "--as-of", AS_OF,
        "--lang", "en",
    )  # fmt: skip

    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert captured.err == ""
    assert {key: summary[key] for key in list(summary)[:6]} == {
        "node": "wompi",
        "objective": "traffic",
        "rule": {"id": rule.pk, "version": 1},
        "considered": 3,
        "passed": 2,
        "message": (
            "Only 2 of 3 references: of 3 pieces, 2 pass the rule's minimums "
            "(1 below the minimum impressions (1,000))."
        ),
    }
    assert summary["message_es"] == (
        "Solo 2 de 3 referencias: de 3 piezas, 2 pasan los mínimos de la regla "
        "(1 por debajo del mínimo de impresiones (1.000))."
    )
    assert [(ref["order"], ref["image_id"]) for ref in summary["references"]] == [
        (1, best.pk),
        (2, second.pk),
    ]
    assert summary["references"][0]["reason_en"].endswith("; 1st of 2 Wompi traffic pieces")
    assert summary["gate_misses"] == [{"gate": "impressions", "minimum": 1000.0, "missed": 1}]


def test_rank_json_for_a_node_without_pieces_says_why_in_the_message(db, capsys):
    make_node(name="Plink", slug="plink")

    call_command("rank", "--node", "plink", "--objective", "traffic", "--json", "--as-of", AS_OF)

    summary = json.loads(capsys.readouterr().out)
    assert (summary["considered"], summary["passed"], summary["references"]) == (0, 0, [])
    # --lang defaults to Spanish, as the other outputs of `rank`.
    assert summary["message"] == (
        "No hay piezas de Plink con objetivo de tráfico en la ventana de la regla."
    )
