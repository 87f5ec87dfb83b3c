"""run.sh's gunicorn command loads the library's encoder and vectors in each worker before it
answers (issue 17): a real gunicorn, with the real config module, on its own SQLite database."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.library.processes import ROOT, own_database_env

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_sh_gunicorn_arguments() -> list[str]:
    """The config option exactly as scripts/run.sh passes it."""
    script = (ROOT / "scripts" / "run.sh").read_text()
    assert "yenni_site.wsgi --config python:yenni_site.gunicorn_conf" in script
    return ["yenni_site.wsgi", "--config", "python:yenni_site.gunicorn_conf"]


def test_each_gunicorn_worker_loads_the_search_encoder_and_vectors_before_answering(
    tmp_path: Path,
):
    env = own_database_env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                str(gunicorn),
                *_run_sh_gunicorn_arguments(),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            status = None
            while time.monotonic() < deadline and status is None:
                try:
                    url = f"http://127.0.0.1:{port}/accounts/login/"
                    with urllib.request.urlopen(url, timeout=5) as response:
                        status = response.status
                except OSError:
                    time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text()
    assert status == 200, text
    assert text.count("Worker warm-up: query encoder loaded") == 2, text
    assert text.count("Worker warm-up: vectors loaded") == 2, text
    assert "did not load" not in text, text
