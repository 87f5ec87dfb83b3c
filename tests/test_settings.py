"""The settings module read in a clean environment, each case in its own Python process."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "secret_key": settings.SECRET_KEY,
    "engine": db["ENGINE"],
    "db_name": str(db["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "q_cluster": settings.Q_CLUSTER,
    "storage": settings.STORAGES["default"]["BACKEND"],
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "time_zone": settings.TIME_ZONE,
    "db_options": {
        k: v for k, v in db.get("OPTIONS", {}).items() if isinstance(v, (int, bool, str))
    },
}))
"""


def _clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Return an environment with none of Yenni's variables, only the data folder and `extra`."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "yenni_site.settings",
        "YENNI_DATA_DIR": str(data_dir),
    }
    env.update(extra)
    return env


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _settings(env: dict[str, str]) -> dict:
    result = _python(PRINT_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_a_secret_key_and_debug_off_settings_refuse_to_load(tmp_path):
    result = _python(PRINT_SETTINGS, _clean_env(tmp_path))

    assert result.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured: YENNI_SECRET_KEY is not set" in (
        result.stderr
    )


def test_the_key_file_in_the_data_folder_is_used(tmp_path):
    (tmp_path / "secret_key").write_text("key-from-the-file-0123456789\n")

    values = _settings(_clean_env(tmp_path))

    assert values["secret_key"] == "key-from-the-file-0123456789"


def test_the_environment_key_wins_over_the_key_file(tmp_path):
    (tmp_path / "secret_key").write_text("key-from-the-file")

    values = _settings(_clean_env(tmp_path, YENNI_SECRET_KEY="key-from-the-environment"))

    assert values["secret_key"] == "key-from-the-environment"


def test_with_nothing_set_yenni_uses_sqlite_the_orm_broker_and_the_database_cache(tmp_path):
    values = _settings(_clean_env(tmp_path, YENNI_SECRET_KEY="k"))

    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(tmp_path.resolve() / "yenni.sqlite3")
    assert values["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert values["q_cluster"]["orm"] == "default"
    assert values["allowed_hosts"] == ["127.0.0.1", "localhost"]
    assert values["time_zone"] == "America/Bogota"
    assert "redis" not in values["q_cluster"]
    assert values["storage"] == "django.core.files.storage.FileSystemStorage"


def test_the_sqlite_database_runs_in_wal_mode(tmp_path):
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('PRAGMA journal_mode')\n"
        "    print(cursor.fetchone()[0])\n"
    )

    result = _python(code, _clean_env(tmp_path, YENNI_SECRET_KEY="k"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"
    assert (tmp_path / "yenni.sqlite3").exists()


def test_database_url_switches_to_postgresql(tmp_path):
    url = "postgres://yenni:pw@db.example.co:5432/yenni"

    values = _settings(_clean_env(tmp_path, YENNI_SECRET_KEY="k", DATABASE_URL=url))

    assert values["engine"] == "django.db.backends.postgresql"
    assert values["db_name"] == "yenni"


def test_postgresql_prepares_a_statement_run_five_times_on_a_connection(tmp_path):
    # Planning was a tenth of a brief's ranking on the 10M-row history (0.7 of ~6 ms) and the
    # brief page's digests took longer to plan than to run: psycopg prepares a statement a
    # connection runs again (connections live YENNI_DB_CONN_MAX_AGE seconds), which needs
    # server-side binding.
    url = "postgres://yenni:pw@db.example.co:5432/yenni"

    values = _settings(_clean_env(tmp_path, YENNI_SECRET_KEY="k", DATABASE_URL=url))

    assert values["db_options"] == {"server_side_binding": True, "prepare_threshold": 5}


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(tmp_path):
    url = "postgres://yenni:pw@db.example.co:5432/yenni"
    env = _clean_env(
        tmp_path, YENNI_SECRET_KEY="k", DATABASE_URL=url, YENNI_DB_PREPARED_STATEMENTS="off"
    )

    values = _settings(env)

    assert values["db_options"] == {}


def test_sqlite_has_no_prepared_statement_options(tmp_path):
    values = _settings(_clean_env(tmp_path, YENNI_SECRET_KEY="k"))

    assert "server_side_binding" not in values["db_options"]
    assert "prepare_threshold" not in values["db_options"]


def test_a_redis_url_switches_the_broker_to_redis(tmp_path):
    url = "redis://127.0.0.1:6379/3"

    values = _settings(_clean_env(tmp_path, YENNI_SECRET_KEY="k", YENNI_REDIS_URL=url))

    assert values["q_cluster"]["redis"] == url
    assert "orm" not in values["q_cluster"]


def test_an_s3_bucket_switches_file_storage_to_s3(tmp_path):
    values = _settings(_clean_env(tmp_path, YENNI_SECRET_KEY="k", YENNI_S3_BUCKET="yenni-ads"))

    assert values["storage"] == "storages.backends.s3.S3Storage"


def test_a_production_environment_passes_the_deploy_checks(tmp_path):
    env = _clean_env(
        tmp_path,
        YENNI_SECRET_KEY=secrets.token_urlsafe(50),
        YENNI_HTTPS="1",
        YENNI_ALLOWED_HOSTS="yenni.example.co",
        # `check` does not connect; the URL only makes the settings take the production branch.
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


@pytest.mark.parametrize("variable", ["YENNI_Q_WORKERS", "YENNI_Q_TIMEOUT"])
def test_an_integer_variable_with_text_is_refused_with_its_name(tmp_path, variable):
    result = _python(PRINT_SETTINGS, _clean_env(tmp_path, YENNI_SECRET_KEY="k", **{variable: "x"}))

    assert result.returncode == 1
    assert f"{variable} must be an integer, got 'x'" in result.stderr


def test_env_example_lists_every_variable_the_settings_read():
    source = (REPO / "yenni_site" / "settings.py").read_text()
    read = set(re.findall(r'env(?:_bool|_int|_list)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), re.M))

    assert len(read) >= 29
    assert read - listed == set()


def test_a_copied_env_example_with_empty_values_runs_the_embedded_default(tmp_path):
    names = re.findall(r"^([A-Z][A-Z0-9_]+)=$", (REPO / ".env.example").read_text(), re.M)
    empty = {name: "" for name in names}
    env = {**_clean_env(tmp_path), **empty, "YENNI_DATA_DIR": str(tmp_path)}
    env["YENNI_SECRET_KEY"] = "k"

    values = _settings(env)

    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(tmp_path.resolve() / "yenni.sqlite3")
    assert values["storage"] == "django.core.files.storage.FileSystemStorage"
    assert values["q_cluster"]["orm"] == "default"
    assert values["allowed_hosts"] == ["127.0.0.1", "localhost"]
    assert values["time_zone"] == "America/Bogota"
