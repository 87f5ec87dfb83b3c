"""`describe_images`, `yenni_models` and the rule that the web process imports no model library."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from creatives.models import ImageDescription
from creatives.services import creative_image_store

ROOT = Path(__file__).resolve().parents[2]


def _store(n: int) -> int:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (20 * n % 256, 90, 200)).save(buffer, format="JPEG")
    image, _ = creative_image_store(data=buffer.getvalue())
    return image.pk


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_describe_images_pending_describes_each_image_once(db, media_storage):
    ids = [_store(n) for n in range(1, 6)]

    out, err = _run("describe_images", "--pending")
    again, _ = _run("describe_images")

    assert out.startswith("Described 5 images with heuristic (heuristic-v1) in ")
    assert "Describing: 100%|##########| 5/5 " in err
    assert again.startswith("Described 0 images with heuristic (heuristic-v1)")
    assert sorted(ImageDescription.objects.values_list("image_id", flat=True)) == sorted(ids)


def test_describe_images_all_describes_every_image_again_without_duplicates(db, media_storage):
    for n in range(1, 4):
        _store(n)
    _run("describe_images", "--quiet")

    out, _ = _run("describe_images", "--all", "--quiet")

    assert out.startswith("Described 3 images with heuristic")
    assert ImageDescription.objects.count() == 3


def test_describe_images_with_an_unusable_backend_says_how_to_fix_it(db, settings, tmp_path):
    settings.YENNI_MODELS = {
        **settings.YENNI_MODELS,
        "describe": {"backend": "interrogator", "model": str(tmp_path / "nope"), "options": {}},
    }

    with pytest.raises(CommandError) as excinfo:
        _run("describe_images", "--quiet")

    assert str(excinfo.value).startswith(
        f"The caption model weights folder {tmp_path / 'nope'} does not exist."
    )


def test_models_check_passes_on_the_embedded_default(db):
    out, _ = _run("yenni_models", "check")

    assert out.splitlines()[0] == "[ok  ] describe: heuristic"
    assert "[ok  ] prompt: composer" in out
    assert "[ok  ] image: none" in out


def test_models_check_loads_tiny_local_models_and_reports_them(
    db, settings, tiny_sdxl_dir, tiny_llm_dir, tiny_blip_dir, tiny_clip_dir
):
    settings.YENNI_MODELS = {
        "describe": {
            "backend": "interrogator",
            "model": str(tiny_blip_dir),
            "device": "cpu",
            "options": {"clip_model": str(tiny_clip_dir), "depth": "medium"},
        },
        "prompt": {"backend": "llm", "model": str(tiny_llm_dir), "device": "cpu", "options": {}},
        "image": {"backend": "sdxl", "model": str(tiny_sdxl_dir), "device": "cpu", "options": {}},
    }

    out, _ = _run("yenni_models", "check", "--json")

    reports = {r["role"]: r for r in json.loads(out)}
    assert {role: (r["backend"], r["usable"]) for role, r in reports.items()} == {
        "describe": ("interrogator", True),
        "prompt": ("llm", True),
        "image": ("sdxl", True),
    }
    assert reports["image"]["weights"] == str(tiny_sdxl_dir)
    assert reports["prompt"]["weights"] == str(tiny_llm_dir)
    assert {r["device"] for r in reports.values()} == {"cpu"}


def test_models_check_fails_with_the_fix_when_weights_are_missing(db, settings):
    settings.YENNI_MODELS = {
        **settings.YENNI_MODELS,
        "image": {"backend": "sdxl", "model": "stabilityai/not-in-this-cache", "options": {}},
    }

    with pytest.raises(CommandError) as excinfo:
        _run("yenni_models", "check", "--role", "image")

    assert str(excinfo.value) == "Not usable here: image (see above)."


def test_models_fetch_fails_clearly_without_internet(db, settings, monkeypatch):
    # A closed local port stands in for huggingface.co, as on these machines.
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    settings.YENNI_MODELS = {
        **settings.YENNI_MODELS,
        "image": {"backend": "sdxl", "model": "stabilityai/stable-diffusion-xl-base-1.0"},
    }

    with pytest.raises(CommandError) as excinfo:
        _run("yenni_models", "fetch", "--role", "image")

    message = str(excinfo.value)
    assert message.startswith("Could not download:\n  image (stabilityai/stable-diffusion-xl-base")
    assert "This needs internet access to huggingface.co" in message


def test_the_web_process_imports_no_model_library():
    script = (
        "import sys, django\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        "import yenni_site.urls, generation.admin, generation.briefs.services, generation.tasks\n"
        "Client().get('/')\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'diffusers', 'accelerate') "
        "if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "yenni_site.settings_test"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
