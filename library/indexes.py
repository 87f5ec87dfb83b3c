"""The library's in-process indexes: description vectors for "search by meaning" and "described
alike", perceptual hashes for "looks alike".

Each is one NumPy array per process, loaded on first use and reloaded when the stored rows
change (one cheap aggregate query per use watches the count and the highest id): a search is
one matrix-vector product, a "looks alike" one XOR and popcount over every image.

The vectors are also kept as a file snapshot that every process on the machine maps: reading
100,000 vectors from the database took a worker's first semantic search 1–2 s (issue 17),
mapping the file takes milliseconds. The first process that needs a set of vectors writes it
to `settings.LIBRARY_INDEX_DIR` under a new name and records the name in the library's shared
cache, keyed by the machine and by the count and highest id it was read at; the others on the
machine map that file. A missing, damaged or unwritable file costs a read from the database,
never a wrong answer.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import Count, Max, QuerySet

from creatives.models import CreativeImage, ImageEmbedding
from library.embeddings import DIMS, MODEL_ID
from library.shared import shared_get_or_compute, shared_key, shared_put

logger = logging.getLogger(__name__)

# A snapshot another process may still map is kept this long after a newer one is written
# (on Linux a mapped file stays readable after its removal, so this only bounds disk use).
SNAPSHOT_KEEP_SECONDS = 600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Neighbour:
    image_id: int
    score: float  # cosine similarity for vectors, differing bits for perceptual hashes


class VectorIndex:
    """Every stored vector of the model as one normalised float32 matrix, for top-k by dot.

    Loaded once per process and reloaded when the row count or the highest id changes (one
    cheap aggregate query per use): 20,000 × 384 floats are 30 MB and a search is one
    matrix-vector product of about 2 ms.
    """

    def __init__(self) -> None:
        self.stamp: tuple[int, int] | None = None
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, DIMS), dtype=np.float32)
        self.lock = threading.Lock()

    def refresh(self) -> VectorIndex:
        rows = ImageEmbedding.objects.filter(model_id=MODEL_ID)
        found = rows.aggregate(count=Count("id"), top=Max("id"))
        stamp = (found["count"], found["top"] or 0)
        with self.lock:
            if stamp != self.stamp:
                self.ids, self.matrix = _shared_vectors(rows, stamp)
                self.stamp = stamp
        return self

    def position(self, image_id: int) -> int | None:
        at = int(np.searchsorted(self.ids, image_id))
        return at if at < len(self.ids) and self.ids[at] == image_id else None

    def scores(self, vector: np.ndarray) -> np.ndarray:
        return self.matrix @ np.asarray(vector, dtype=np.float32)

    def top(
        self,
        vector: np.ndarray,
        *,
        k: int,
        among: np.ndarray | None = None,
        exclude: Iterable[int] = (),
    ) -> list[Neighbour]:
        """The k most similar images, best first; only `among` ids when given."""
        if not len(self.ids) or k <= 0:
            return []
        scores = self.scores(vector)
        keep = np.ones(len(self.ids), dtype=bool)
        if among is not None:
            keep &= np.isin(self.ids, among)
        excluded = list(exclude)
        if excluded:
            keep &= ~np.isin(self.ids, excluded)
        candidates = np.flatnonzero(keep)
        if not len(candidates):
            return []
        chosen = candidates[np.argsort(-scores[candidates], kind="stable")[:k]]
        return [Neighbour(int(self.ids[i]), float(scores[i])) for i in chosen]


def _vectors_from_database(rows: QuerySet) -> tuple[np.ndarray, np.ndarray]:
    pairs = list(rows.order_by("image_id").values_list("image_id", "vector"))
    ids = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
    matrix = np.frombuffer(b"".join(bytes(p[1]) for p in pairs), dtype="<f4")
    matrix = matrix.reshape(len(pairs), DIMS).astype(np.float32)
    # Stored vectors are unit length already; normalising again costs nothing and keeps the
    # dot product a cosine even for rows written by other tools.
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return ids, matrix / np.maximum(norms, 1e-12)


def _shared_vectors(rows: QuerySet, stamp: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The vectors at `stamp`: mapped from the snapshot another process wrote, or read from the
    database (and written as the snapshot for the others)."""
    # The folder is this machine's: with several web machines on one shared cache (Redis),
    # each names its own snapshot.
    key = shared_key("vectors", MODEL_ID, socket.gethostname(), *stamp)
    read: list[tuple[np.ndarray, np.ndarray]] = []

    def from_database() -> str | None:
        read.append(_vectors_from_database(rows))
        return _snapshot_write(*read[0])

    token = shared_get_or_compute(key, from_database)
    if read:
        return read[0]
    mapped = _snapshot_read(token, count=stamp[0])
    if mapped is not None:
        return mapped
    ids, matrix = _vectors_from_database(rows)
    token = _snapshot_write(ids, matrix)
    if token is not None:
        shared_put(key, token)
    return ids, matrix


def _snapshot_dir() -> Path:
    return Path(settings.LIBRARY_INDEX_DIR)


def _snapshot_read(token: object, *, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The snapshot `token` mapped read-only, or None when it is missing or not what it claims."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    folder = _snapshot_dir()
    try:
        ids = np.load(folder / f"{token}.ids.npy")
        matrix = np.load(folder / f"{token}.vectors.npy", mmap_mode="r")
    except (OSError, ValueError, EOFError):
        return None
    if ids.shape != (count,) or matrix.shape != (count, DIMS) or matrix.dtype != np.float32:
        return None
    return ids, matrix


def _snapshot_write(ids: np.ndarray, matrix: np.ndarray) -> str | None:
    """Write the snapshot under a new name and return it; None (logged) when it cannot be."""
    folder = _snapshot_dir()
    token = f"{re.sub(r'[^A-Za-z0-9]+', '_', MODEL_ID)}-{len(ids)}-{secrets.token_hex(6)}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, array in (("ids", ids), ("vectors", matrix)):
            # Written aside and renamed, so no process ever maps a half-written file.
            partial = folder / f".{token}.{suffix}.partial"
            with partial.open("wb") as out:
                np.save(out, np.ascontiguousarray(array))
            os.replace(partial, folder / f"{token}.{suffix}.npy")
    except OSError as exc:
        logger.warning(
            "The library could not write the vector snapshot to %s (%s): this process keeps "
            "its vectors in memory and the others read theirs from the database.",
            folder,
            exc,
        )
        return None
    _snapshots_prune(folder, keep=token)
    return token


def _snapshots_prune(folder: Path, *, keep: str) -> None:
    cutoff = time.time() - SNAPSHOT_KEEP_SECONDS
    for path in folder.iterdir():
        if path.name.startswith((keep, f".{keep}")):
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass  # another process removed it first


class HashIndex:
    """Every image's 64-bit perceptual hash as a uint64 array: Hamming distance by popcount."""

    def __init__(self) -> None:
        self.stamp: tuple[int, int] | None = None
        self.ids = np.zeros(0, dtype=np.int64)
        self.hashes = np.zeros(0, dtype=np.uint64)
        self.lock = threading.Lock()

    def refresh(self) -> HashIndex:
        found = CreativeImage.objects.aggregate(count=Count("id"), top=Max("id"))
        stamp = (found["count"], found["top"] or 0)
        with self.lock:
            if stamp != self.stamp:
                pairs = list(CreativeImage.objects.order_by("id").values_list("id", "phash"))
                self.ids = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
                self.hashes = np.fromiter(
                    (int(p[1] or "0", 16) for p in pairs), dtype=np.uint64, count=len(pairs)
                )
                self.stamp = stamp
        return self

    def nearest(self, phash: str, *, k: int, exclude: Iterable[int] = ()) -> list[Neighbour]:
        """The k images whose hashes differ in the fewest bits, closest first, ties by id."""
        if not len(self.ids) or k <= 0:
            return []
        distance = np.bitwise_count(self.hashes ^ np.uint64(int(phash, 16))).astype(np.int64)
        excluded = list(exclude)
        keep = ~np.isin(self.ids, excluded) if excluded else np.ones(len(self.ids), dtype=bool)
        candidates = np.flatnonzero(keep)
        order = np.lexsort((self.ids[candidates], distance[candidates]))[:k]
        return [
            Neighbour(int(self.ids[candidates[i]]), float(distance[candidates[i]])) for i in order
        ]


_vectors = VectorIndex()
_hashes = HashIndex()


def indexes_clear() -> None:
    """Forget this process's indexes (tests: a rolled-back transaction reuses row ids)."""
    global _vectors, _hashes
    _vectors, _hashes = VectorIndex(), HashIndex()


def vector_index() -> VectorIndex:
    """This process's vector index, reloaded when the stored vectors changed."""
    return _vectors.refresh()


def hash_index() -> HashIndex:
    """This process's perceptual-hash index, reloaded when images were added or removed."""
    return _hashes.refresh()


def similar_by_description(image_id: int, *, k: int = 12) -> list[Neighbour]:
    """Images whose descriptions embed closest to this one's; empty when it has no vector."""
    index = vector_index()
    at = index.position(image_id)
    if at is None:
        return []
    return index.top(index.matrix[at], k=k, exclude=[image_id])


def similar_by_phash(image_id: int, *, k: int = 12) -> list[Neighbour]:
    """Images that look alike pixel for pixel (perceptual hash), closest first."""
    phash = CreativeImage.objects.filter(pk=image_id).values_list("phash", flat=True).first()
    if not phash:
        return []
    return hash_index().nearest(phash, k=k, exclude=[image_id])
