"""Whether this installation can make images at all, known before anyone presses Generate.

The web process never imports torch nor loads a model (runtime.py), so this reads only the
settings and whether the model libraries are installed (importlib's find_spec imports nothing).
A configured backend whose weights turn out to be missing still ends its job in "No model
available" with what to do; this catches the cases the page can know up front: image
generation switched off (YENNI_IMAGE_BACKEND=none, the default of `bash scripts/run.sh`), an
unknown backend name, or the model libraries missing where the jobs would run.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from django.conf import settings

from generation.backends.image.none import HOW_TO_ADD
from generation.backends.runtime import BACKENDS, INSTALL_HINT, WEIGHTLESS, role_config

# The libraries the image backends import inside their functions.
IMAGE_LIBRARIES = ("torch", "diffusers")


@dataclass(frozen=True)
class ImageGeneration:
    """`active`: Generate may queue a batch. `operator_note`: what an operator does (English,
    translated on show), for staff and the docs only, never for analysts."""

    active: bool
    operator_note: str = ""


def image_generation() -> ImageGeneration:
    config = role_config("image")
    if config.backend == "none":
        return ImageGeneration(active=False, operator_note=HOW_TO_ADD)
    if config.backend not in BACKENDS["image"]:
        return ImageGeneration(
            active=False,
            operator_note=(
                f"YENNI_IMAGE_BACKEND={config.backend} is not an image backend: use sdxl, or "
                "none to switch image generation off; see docs/models.md."
            ),
        )
    # With a GPU cluster the jobs run on another machine, whose libraries this one cannot see.
    if config.backend not in WEIGHTLESS and not settings.GPU_CLUSTER:
        missing = [name for name in IMAGE_LIBRARIES if importlib.util.find_spec(name) is None]
        if missing:
            return ImageGeneration(active=False, operator_note=INSTALL_HINT)
    return ImageGeneration(active=True)
