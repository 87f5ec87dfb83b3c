"""What the benchmarks share: the command line, the machine's load, Django set up for a bench,
the demo history, percentiles.

Only the standard library is imported here, so the GPU benches can use it on a machine that
has nothing but torch and diffusers; psycopg and Django are imported by the helpers that need
them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Production settings refuse a short or missing key when DEBUG is off.
SECRET_KEY = "bench-only-secret-key-" + "x" * 40


def bench_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser described by the first line of the bench's docstring, as --help shows it."""
    return argparse.ArgumentParser(description=(doc or "").split("\n")[0])


@contextlib.contextmanager
def machine_load_printed() -> Iterator[None]:
    """Print the machine's load before and after the block, even when it fails.

    These machines are shared: a figure measured while other work held the cores is not
    comparable with one from an idle machine, and the lines say which it was.
    """
    print(f"machine load before: {machine_load()}", flush=True)
    try:
        yield
    finally:
        print(f"machine load after: {machine_load()}", flush=True)


def machine_load(sample_seconds: float = 0.5) -> str:
    """The load averages, the CPU count, the memory available and what else is busy, in a line.

    Busy processes are those that used at least a tenth of a CPU over `sample_seconds`
    (read from /proc, so Linux only), grouped by name; this process is left out.
    """
    try:
        one, five, fifteen = os.getloadavg()
        loads = f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)"
    except OSError:
        loads = "load average unknown"
    parts = [f"{loads} on {os.cpu_count()} CPUs"]
    memory = _meminfo()
    if memory:
        parts.append(
            f"{memory['MemAvailable'] / 2**20:.1f} of {memory['MemTotal'] / 2**20:.1f} GiB free"
        )
    busy = _busy_processes(sample_seconds)
    if busy is not None:
        parts.append("busy besides this bench: " + (", ".join(busy) or "nothing"))
    return "; ".join(parts)


def _meminfo() -> dict[str, int]:
    """/proc/meminfo's MemTotal and MemAvailable in KiB, or nothing where it is not readable."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return {}
    values = {}
    for line in lines:
        name, _, rest = line.partition(":")
        if name in ("MemTotal", "MemAvailable"):
            values[name] = int(rest.split()[0])
    return values if len(values) == 2 else {}


def _cpu_ticks() -> dict[int, tuple[str, int]]:
    """Every process's name and CPU time so far (user + system, in clock ticks)."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone since the listing
            continue
        # The name is in parentheses and may hold spaces; the fields after it are plain.
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks[int(entry.name)] = (name, int(fields[11]) + int(fields[12]))
    return ticks


def _busy_processes(sample_seconds: float) -> list[str] | None:
    """'name share' for each process name that used ≥ 10 % of a CPU, busiest first; None where
    /proc is not there."""
    if not Path("/proc/self/stat").exists():
        return None
    before = _cpu_ticks()
    time.sleep(sample_seconds)
    after = _cpu_ticks()
    per_second = os.sysconf("SC_CLK_TCK") * sample_seconds
    shares: dict[str, list[float]] = {}
    for pid, (name, used) in after.items():
        if pid == os.getpid() or pid not in before:
            continue
        share = (used - before[pid][1]) / per_second
        if share > 0:
            shares.setdefault(name, []).append(share)
    totals = sorted(((sum(s), len(s), name) for name, s in shares.items()), reverse=True)
    return [
        f"{name}{f' ×{count}' if count > 1 else ''} {total:.0%}"
        for total, count, name in totals
        if total >= 0.1
    ]


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
