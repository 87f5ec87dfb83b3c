"""The embedded default's data is for its own user: folders 0700, the database and files 0600.

The security review found the SQLite database and its WAL files created 0644 (world-readable).
SQLite creates -wal and -shm with the mode of the database file, so creating that file 0600
covers the WAL files created later too; these tests check it on real files, under the usual
umask 022, in a fresh process that loads the real settings.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from yenni_site.private_files import private_folder, private_sqlite_file

ROOT = Path(__file__).resolve().parent.parent


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_file_and_the_wal_files_sqlite_makes_later_are_0600(tmp_path):
    import sqlite3

    old_umask = os.umask(0o022)
    try:
        folder = tmp_path / "data"
        private_folder(folder)
        database = folder / "yenni.sqlite3"
        private_sqlite_file(database)
        connection = sqlite3.connect(database)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
        connection.commit()
        modes = {
            path.name: _mode(path) for path in folder.iterdir() if path.name.startswith("yenni")
        }
        connection.close()
    finally:
        os.umask(old_umask)

    assert _mode(folder) == 0o700
    assert modes == {"yenni.sqlite3": 0o600, "yenni.sqlite3-wal": 0o600, "yenni.sqlite3-shm": 0o600}


def test_files_left_world_readable_by_an_older_version_are_tightened(tmp_path):
    folder = tmp_path / "var"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    database = folder / "yenni.sqlite3"
    for name in ("yenni.sqlite3", "yenni.sqlite3-wal", "yenni.sqlite3-shm"):
        (folder / name).write_bytes(b"")
        (folder / name).chmod(0o644)

    private_folder(folder)
    private_sqlite_file(database)

    assert _mode(folder) == 0o700
    assert {path.name: _mode(path) for path in folder.iterdir()} == {
        "yenni.sqlite3": 0o600,
        "yenni.sqlite3-wal": 0o600,
        "yenni.sqlite3-shm": 0o600,
    }


SCRIPT = """
import os, stat, sys
os.umask(0o022)
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from pathlib import Path

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (x integer)")
    cursor.execute("INSERT INTO t VALUES (1)")
name = default_storage.save("images/ab/cd/piece.png", ContentFile(b"png"))
data = Path(os.environ["YENNI_DATA_DIR"])
for path in sorted([data, *data.rglob("*")]):
    print(path.relative_to(data.parent), oct(stat.S_IMODE(path.stat().st_mode)))
"""


def test_the_settings_make_the_data_folder_database_wal_and_media_private(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("YENNI_") and key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="yenni_site.settings",
        YENNI_DATA_DIR=str(tmp_path / "data"),
        YENNI_SECRET_KEY="test-only-secret-key-0123456789abcdefghijklmnop",
    )

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    modes = dict(line.split() for line in result.stdout.splitlines())
    assert modes == {
        "data": "0o700",
        "data/media": "0o700",
        "data/media/images": "0o700",
        "data/media/images/ab": "0o700",
        "data/media/images/ab/cd": "0o700",
        "data/media/images/ab/cd/piece.png": "0o600",
        "data/yenni.sqlite3": "0o600",
        "data/yenni.sqlite3-shm": "0o600",
        "data/yenni.sqlite3-wal": "0o600",
    }
