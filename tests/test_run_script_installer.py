"""scripts/_venv.sh: when run.sh's default install goes through uv and when it stays with pip.

uv does not read pip's configuration, so a pip pointed at another index (a company mirror)
keeps pip; YENNI_INSTALLER=pip is the way out; otherwise uv, once it is in the venv.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def venv(tmp_path) -> Path:
    """A venv folder whose python is this one and whose uv is a stub that exists."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(Path(os.__file__).resolve().parents[2] / "bin" / "python3")
    uv = bin_dir / "uv"
    uv.write_text("#!/bin/sh\nexit 0\n")
    uv.chmod(0o755)
    return tmp_path / "venv"


def _uv_usable(venv: Path, **env: str) -> bool:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_INDEX_URL", "YENNI_", "PIP_CONFIG_FILE"))
    }
    environment.update(env, YENNI_VENV=str(venv))
    result = subprocess.run(
        ["bash", "-c", f'ROOT="{ROOT}"; . "$ROOT/scripts/_venv.sh"; _uv_usable'],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode == 0


def test_uv_installs_when_it_is_in_the_venv_and_pip_uses_its_default_index(venv, tmp_path):
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nextra-index-url = file:///somewhere/simple\n")

    assert _uv_usable(venv, PIP_CONFIG_FILE=str(config)) is True


def test_pip_installs_when_asked_to(venv):
    assert _uv_usable(venv, YENNI_INSTALLER="pip") is False


def test_pip_installs_when_pip_is_pointed_at_another_index_by_the_environment(venv):
    assert _uv_usable(venv, PIP_INDEX_URL="https://mirror.example.co/simple") is False


def test_pip_installs_when_pips_configuration_names_another_index(venv, tmp_path):
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = https://mirror.example.co/simple\n")

    assert _uv_usable(venv, PIP_CONFIG_FILE=str(config)) is False
