"""The library's in-process indexes: description vectors for "search by meaning" and "described
alike", perceptual hashes for "looks alike".

Each is one NumPy array per process, loaded on first use and reloaded when the stored rows
change (one cheap aggregate query per use watches the count and the highest id): a search is
one matrix-vector product, a "looks alike" one XOR and popcount over every image.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max

from creatives.models import CreativeImage, ImageEmbedding
from library.embeddings import DIMS, MODEL_ID


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
                pairs = list(rows.order_by("image_id").values_list("image_id", "vector"))
                ids = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
                matrix = np.frombuffer(b"".join(bytes(p[1]) for p in pairs), dtype="<f4")
                matrix = matrix.reshape(len(pairs), DIMS).astype(np.float32)
                # Stored vectors are unit length already; normalising again costs nothing and
                # keeps the dot product a cosine even for rows written by other tools.
                norms = np.linalg.norm(matrix, axis=1, keepdims=True)
                self.matrix = matrix / np.maximum(norms, 1e-12)
                self.ids = ids
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
