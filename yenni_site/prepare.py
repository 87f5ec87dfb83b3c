"""Prepare a checkout to serve, in one process: what `scripts/run.sh` does before it serves.

Each `manage.py` start imports Django and every app (about 1.5 s on the 2-core machine), and
run.sh used to start eight of them before serving. `manage.py yenni_prepare` runs the same steps
in one process and times each one, so run.sh can say where a start-up's time went (issue 17).

Two steps are skipped when they have nothing to do, by rules that cannot skip a needed run:
- migrate runs only when Django's own migration plan is not empty (a new migration file makes
  it non-empty), so a second run pays for reading the migration files, not for `migrate`'s
  post-migrate pass over every model's permissions;
- collectstatic runs only when the fingerprint of the static sources (every file the static
  finders list: path and content) or of the collected manifest differs from the one stamped
  after the last collect. The manifest storage re-hashes every file on each collect, about 5 s.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

STAMP_FOLDER = "prepare"
STATIC_STAMP = "collectstatic.sha256"


# A stage whose wall time exceeds its CPU time by this factor waited for the cores (a busy
# machine): the summary then shows the CPU seconds too, which is what a quiet machine would take.
BUSY_FACTOR = 1.5
BUSY_MIN_SECONDS = 2.0


@dataclass
class StageTimes:
    """Seconds per stage, in the order they ran, with a word on what each did."""

    stages: list[tuple[str, float, str, float]] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, str]]:
        """Time the block; the block may set `note["note"]` ("skipped: unchanged", …)."""
        note = {"note": ""}
        started, cpu_started = time.monotonic(), time.process_time()
        try:
            yield note
        finally:
            self.add(
                name,
                time.monotonic() - started,
                note["note"],
                cpu=time.process_time() - cpu_started,
            )

    def add(self, name: str, seconds: float, note: str = "", *, cpu: float | None = None) -> None:
        self.stages.append((name, seconds, note, seconds if cpu is None else cpu))

    def summary(self) -> str:
        parts = []
        for name, seconds, note, cpu in self.stages:
            notes = [note] if note else []
            if seconds >= BUSY_MIN_SECONDS and seconds > BUSY_FACTOR * cpu:
                notes.append(f"{cpu:.1f} s CPU")
            parts.append(f"{name} {seconds:.1f} s" + (f" ({'; '.join(notes)})" if notes else ""))
        return ", ".join(parts)


def migrations_pending(database: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The migrations `migrate` would apply now, as "app.name" (Django's own plan)."""
    connection = connections[database]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan]


def migrate_if_pending(database: str = DEFAULT_DB_ALIAS) -> str:
    """Run migrate when there is something to apply; say what happened."""
    pending = migrations_pending(database)
    if not pending:
        return "up to date"
    call_command("migrate", database=database, interactive=False, verbosity=0)
    return f"{len(pending)} applied"


def static_sources_fingerprint() -> str:
    """A hash of every static source file the finders list (path and content) and the storage.

    A changed, added or removed file under static/ or in an installed app changes it. Content,
    not modification times: a fresh clone has new times and the same files.
    """
    digest = hashlib.sha256()
    digest.update(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    digest.update(str(settings.STATIC_ROOT).encode())
    seen: set[str] = set()
    entries: list[tuple[str, str]] = []
    for finder in finders.get_finders():
        for path, storage in finder.list(ignore_patterns=["CVS", ".*", "*~"]):
            prefix = getattr(storage, "prefix", None) or ""
            name = f"{prefix}/{path}" if prefix else path
            # The first finder to list a path wins, as in collectstatic.
            if name in seen:
                continue
            seen.add(name)
            entries.append((name, storage.path(path)))
    for name, full_path in sorted(entries):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(_file_sha256(Path(full_path)).encode())
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _collected_fingerprint() -> str:
    """The collected side: "" when nothing was collected, else what lies in STATIC_ROOT.

    The manifest storage's manifest names every collected file with its content hash; other
    storages (the test settings' plain one) are read as the list of files and their sizes.
    """
    root = Path(settings.STATIC_ROOT)
    if not root.is_dir():
        return ""
    manifest = root / "staticfiles.json"
    if manifest.is_file():
        return _file_sha256(manifest)
    digest = hashlib.sha256()
    files = sorted(path for path in root.rglob("*") if path.is_file())
    if not files:
        return ""
    for path in files:
        digest.update(f"{path.relative_to(root)}\0{path.stat().st_size}\n".encode())
    return digest.hexdigest()


def static_stamp_path() -> Path:
    return Path(settings.DATA_DIR) / STAMP_FOLDER / STATIC_STAMP


def collectstatic_if_changed(
    collect: Callable[[], None] | None = None,
) -> str:
    """Collect static files unless neither the sources nor the collected files changed."""
    stamp = static_stamp_path()
    sources = static_sources_fingerprint()
    collected = _collected_fingerprint()
    if collected and stamp.is_file() and stamp.read_text().strip() == f"{sources} {collected}":
        return "skipped: unchanged"
    (collect or _collect)()
    stamp.parent.mkdir(parents=True, exist_ok=True)
    # Written after the collect succeeded: a failed collect leaves no stamp, so it runs again.
    stamp.write_text(f"{sources} {_collected_fingerprint()}\n")
    return "collected"


def _collect() -> None:
    # --clear: collectstatic alone copies a file only when its source is newer to the second,
    # so an edit within the same second as the last collect, or a file restored with an older
    # time, would keep the stale copy that the fingerprint said had changed.
    call_command("collectstatic", interactive=False, verbosity=0, clear=True)
