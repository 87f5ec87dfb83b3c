"""Tiny random-weight models, built once per test run (per xdist worker) in a temporary folder.

Each builder saves a real checkpoint with save_pretrained, so every backend runs its real
loading and inference code on the CPU in seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.generation.tiny_sdxl import tiny_image_model, tiny_sdxl_dir  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def tiny_models_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tiny-models")


@pytest.fixture(scope="session")
def tiny_llm_dir(tiny_models_root) -> Path:
    from generation.backends.tiny.llm import build_tiny_llm

    return build_tiny_llm(tiny_models_root / "llm")


@pytest.fixture(scope="session")
def tiny_blip_dir(tiny_models_root) -> Path:
    from generation.backends.tiny.vision import build_tiny_blip

    return build_tiny_blip(tiny_models_root / "blip")


@pytest.fixture(scope="session")
def tiny_clip_dir(tiny_models_root) -> Path:
    from generation.backends.tiny.vision import build_tiny_clip

    return build_tiny_clip(tiny_models_root / "clip")
