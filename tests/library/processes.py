"""The environment of a Django child process with its own SQLite, never the suite's."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def own_database_env(data_dir: Path) -> dict[str, str]:
    """This process's environment, less its database and data folder, for a child that
    builds its own SQLite database in `data_dir` under the test settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "YENNI_DATA_DIR"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="yenni_site.settings_test",
        YENNI_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT),
    )
    return env
