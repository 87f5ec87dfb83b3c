"""The tiny random SDXL as the image model: fixtures for the tests that generate images.

Built once per test process (per xdist worker); images come out 64×64 in 2 steps on the CPU.
A folder's conftest imports these two fixtures, since pytest shares fixtures only downwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_sdxl_dir(tmp_path_factory) -> Path:
    from generation.backends.tiny.sdxl import build_tiny_sdxl

    return build_tiny_sdxl(tmp_path_factory.mktemp("tiny-sdxl") / "sdxl")


@pytest.fixture
def tiny_image_model(settings, tiny_sdxl_dir) -> Path:
    """Generate with the tiny SDXL on the CPU."""
    settings.YENNI_MODELS = {
        **settings.YENNI_MODELS,
        "image": {
            "backend": "sdxl",
            "model": str(tiny_sdxl_dir),
            "device": "cpu",
            "dtype": "float32",
            "options": {},
        },
    }
    settings.YENNI_IMAGE_SIZE = 64
    settings.YENNI_IMAGE_STEPS = 2
    return tiny_sdxl_dir
