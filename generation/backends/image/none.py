"""The embedded default for images: no image model, and a plain statement of how to add one."""

from __future__ import annotations

from generation.backends.base import BackendUnavailable, GenerateRequest, GenerateResult, ModelRole


def gettext_noop(message: str) -> str:
    """Mark for the translation catalogue without importing Django (pages translate on show)."""
    return message


NO_IMAGE_MODEL = gettext_noop(
    "No image model is installed, so Yenni wrote the prompt but made no images."
)
HOW_TO_ADD = gettext_noop(
    "An operator adds one by installing the model libraries (pip install -c constraints.txt "
    "-e '.[ml]'), putting Stable Diffusion XL weights in a local folder or the Hugging Face cache "
    "(python manage.py yenni_models fetch), and setting YENNI_IMAGE_BACKEND=sdxl; see "
    "docs/models.md. Meanwhile the prompt can be copied into any image tool."
)


class NoImageModel:
    """Loads nothing; every generate call ends in the "no image model" state."""

    model_id = ""
    usable = True  # a deliberate configuration, so `yenni_models check` passes
    status_message = "Image generation is off (YENNI_IMAGE_BACKEND=none)."
    how_to_fix = "Set YENNI_IMAGE_BACKEND=sdxl and provide weights to generate images."
    device = ""
    weights_path = ""

    def __init__(self, config: ModelRole) -> None:
        self.config = config

    def generate(self, request: GenerateRequest) -> GenerateResult:
        raise BackendUnavailable(NO_IMAGE_MODEL, HOW_TO_ADD)
