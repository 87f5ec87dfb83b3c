"""What the benchmarks share: the command line, Django set up for a bench, the demo history,
percentiles.

Only the standard library is imported here, so the GPU benches can use it on a machine that
has nothing but torch and diffusers; psycopg and Django are imported by the helpers that need
them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Production settings refuse a short or missing key when DEBUG is off.
SECRET_KEY = "bench-only-secret-key-" + "x" * 40


def bench_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser described by the first line of the bench's docstring, as --help shows it."""
    return argparse.ArgumentParser(description=(doc or "").split("\n")[0])


def percentile(values: list[float], q: float) -> float:
    """The value at quantile q (0 to 1) of values, the nearest rank, no interpolation."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database that url names unless it exists."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(
    *, database_url: str | None, data_dir: Path | str | None = None, **environ: str
) -> None:
    """Point Django's settings at the bench's database and data folder, then set Django up.

    Without database_url the settings' default, a SQLite file in the data folder, is used; a
    PostgreSQL database is created if missing. environ holds further YENNI_* settings.
    """
    if database_url:
        if database_url.startswith(("postgres://", "postgresql://")):
            ensure_database(database_url)
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    if data_dir is not None:
        os.environ["YENNI_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("YENNI_SECRET_KEY", SECRET_KEY)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yenni_site.settings")
    os.environ.update(environ)

    import django

    django.setup()


def demo_history_load(
    *, seed: int, creatives: int, months: int, announce: bool = True, **output
) -> None:
    """Replace the catalog with a demo history in a child process, as `manage.py` runs it.

    output passes stdout / stderr to subprocess.run; announce prints how long it took.
    """
    sizes = ["--seed", str(seed), "--creatives", str(creatives), "--months", str(months)]
    demo = [sys.executable, str(ROOT / "manage.py"), "yenni_demo", *sizes, "--reset"]
    started = time.perf_counter()
    subprocess.run(demo, check=True, env=os.environ.copy(), **output)
    if announce:
        print(f"demo history loaded in {time.perf_counter() - started:.0f} s")
