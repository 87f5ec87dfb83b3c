"""The embedded default's data folder and SQLite database, readable by their own user only.

The data folder holds the bank's ad history, its images and the secret key. SQLite creates a
database's -wal and -shm files (and its rollback journal) with the mode of the database file
itself, whatever the umask, so creating that file 0600 before SQLite opens it keeps the files
SQLite makes later private too. Files an older version left readable are tightened here.
No third-party code: settings.py calls this before Django has started.
"""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
# The files SQLite keeps beside a database.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_folder(path: Path) -> None:
    """Create the folder (and its parents) if needed; the folder itself ends up 0700."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _tighten(path, FOLDER_MODE)


def private_sqlite_file(path: Path) -> None:
    """Create an empty database file 0600 if there is none (SQLite takes an empty file as a new
    database), and make an existing one and its side files 0600."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        pass
    else:
        os.close(descriptor)
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_SIDE_FILES)):
        if candidate.exists():
            _tighten(candidate, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except PermissionError:
        # Someone else's file (a folder an operator shares on purpose): leave it as it is.
        pass
