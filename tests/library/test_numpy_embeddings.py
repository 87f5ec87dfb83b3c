"""Semantic search on the default install (issue 14 item 8): with no sentence-transformers and
no torch, descriptions are embedded by the NumPy forward pass the query side uses, batched, and
its vectors are those of sentence-transformers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from library import embeddings, query_encoder
from tests.library.processes import own_database_env

ROOT = Path(__file__).resolve().parents[2]

# Short and long texts in one batch: the short ones are padded to the longest, so a mistake in
# the attention mask or the pooling shows up as a different vector for them.
TEXTS = [
    "Square image, warm, mostly orange.",
    "hola",
    "Landscape image, cool, mostly blue and white, with lots of text and two faces. A smiling "
    "woman holds a phone in a café.\nImagen horizontal, fría, sobre todo azul y blanca, con "
    "mucho texto y dos caras.",
    "Pagos con QR para comercios pequeños en Medellín",
    "Portrait image, neutral, mostly grey.\nImagen vertical, neutra, sobre todo gris.",
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_the_batched_numpy_encoder_gives_the_vectors_of_sentence_transformers():
    pytest.importorskip("sentence_transformers")
    torch_vectors = embeddings.embed_texts(TEXTS)
    encoder = query_encoder.query_encoder()

    batched = encoder.encode_batch(TEXTS, batch_size=len(TEXTS))
    in_pairs = encoder.encode_batch(TEXTS, batch_size=2)

    assert batched.shape == (len(TEXTS), embeddings.DIMS)
    assert batched.dtype == np.float32
    assert _cosines(batched, torch_vectors).min() >= 0.999
    assert np.abs(batched - torch_vectors).max() < 1e-5
    # Batch size and padding change nothing, and each row is the text's own vector.
    assert np.abs(in_pairs - batched).max() < 1e-5
    one_by_one = np.stack([encoder.encode_one(text) for text in TEXTS])
    assert np.abs(one_by_one - batched).max() < 1e-5
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_an_empty_batch_gives_no_rows():
    assert query_encoder.query_encoder().encode_batch([]).shape == (0, embeddings.DIMS)


def test_without_sentence_transformers_descriptions_are_embedded_in_numpy_with_the_same_vectors(
    monkeypatch,
):
    pytest.importorskip("sentence_transformers")
    torch_vectors = embeddings.embed_texts(TEXTS)
    assert embeddings.embed_backend() == "sentence-transformers"
    monkeypatch.setattr(embeddings, "_sentence_model", None)
    # What the default install lacks: importing it fails.
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)

    numpy_vectors = embeddings.embed_texts(TEXTS)

    assert embeddings.embed_backend() == "numpy"
    assert _cosines(numpy_vectors, torch_vectors).min() >= 0.999


# A process like the default install's: torch, transformers and sentence-transformers cannot be
# imported. It describes images through the describe job, then searches in Spanish.
_DEFAULT_INSTALL_SCRIPT = """
import sys
for name in ("torch", "transformers", "sentence_transformers", "diffusers", "accelerate"):
    sys.modules[name] = None  # import now raises ImportError, as where it is not installed
import io, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import Group, User
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
from PIL import Image
from creatives.models import ImageEmbedding
from creatives.services import creative_image_store
from generation.backends import runtime
from generation.jobs.queue import job_queue
from generation.models import ModelJob
from library import embeddings

ids = {}
for name, colour in (("orange", (245, 130, 20)), ("blue", (20, 60, 200)),
                     ("green", (30, 160, 60))):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    image, _ = creative_image_store(data=buffer.getvalue())
    ids[name] = image.pk
backend = runtime.role_config("describe").backend
job = job_queue(kind=ModelJob.Kind.DESCRIBE, backend=backend,
                payload={"image_ids": sorted(ids.values())})
job.refresh_from_db()
assert job.status == ModelJob.Status.SUCCEEDED, (job.status, job.error)
print("result", job.result["embedded"], repr(job.result["embedding_unavailable"]))
print("rows", ImageEmbedding.objects.filter(model_id=embeddings.MODEL_ID).count())
print("backend", embeddings.embed_backend())
user = User.objects.create_user("ana")
user.groups.add(Group.objects.get(name="Analysts"))
client = Client()
client.force_login(user)
r = client.get("/library/search.json", {"q": "imagen naranja cálida", "semantic": "on"})
assert r.status_code == 200, r.status_code
data = r.json()
by_id = {v: k for k, v in ids.items()}
print("semantic", data["semantic"])
print("ranked", ",".join(by_id[card["id"]] for card in data["results"]))
"""


@pytest.mark.slow
def test_on_the_default_install_describing_images_stores_embeddings_and_a_spanish_query_finds_them(
    tmp_path,
):
    env = own_database_env(tmp_path)

    result = subprocess.run(
        [sys.executable, "-c", _DEFAULT_INSTALL_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.split(" ")[0] in _KEYS]
    assert lines == [
        "result 3 ''",
        "rows 3",
        "backend numpy",
        "semantic True",
        "ranked orange,green,blue",
    ]


_KEYS = {"result", "rows", "backend", "semantic", "ranked"}
