"""Embed a search query in the web process: all-MiniLM-L6-v2's forward pass in NumPy.

Workers embed descriptions with sentence-transformers on torch (library.embeddings); the web
process must never import torch or transformers (the model-backend rule, see docs/library.md),
so a query goes through `QueryEncoder`: the same BERT forward pass written in NumPy over the
same safetensors weights and the same tokenizer. A test checks that both give the same vector.

MiniLM was trained on English: alone, it barely tells "cálida" from "fría" (a Spanish query
for warm orange pieces ranked cool blue ones third, see docs/library.md). A Spanish query is
therefore embedded together with a word-for-word English reading from the glossary in
data/spanish_glossary.tsv: every word the describers write in Spanish, and the common words of
an ad-image search. It is data, one word a line, read through importlib.resources.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from importlib import resources
from pathlib import Path

import numpy as np

from library.embeddings import MAX_TOKENS, EmbeddingUnavailable, model_path


class QueryEncoder:
    """all-MiniLM-L6-v2's forward pass in NumPy: BERT, mean pooling, unit length.

    Matches sentence-transformers to about 1e-7 (tests/library checks 1e-5). It is slower than
    torch on long batches, and fast enough for a query: 15–40 ms on one shared CPU core.
    """

    def __init__(self, path: Path) -> None:
        import json

        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        # Linear weights transposed once, so each layer is a plain (tokens × in) @ (in × out);
        # the embedding tables stay as they are (looked up by row).
        self.weights = {
            name: np.ascontiguousarray(
                value.T if value.ndim == 2 and not name.startswith("embeddings.") else value,
                dtype=np.float32,
            )
            for name, value in load_file(str(path / "model.safetensors")).items()
            if value.dtype != np.int64  # position_ids: a buffer, not a weight
        }
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.threads = _blas_controller()

    def encode_one(self, text: str) -> np.ndarray:
        # A query's matrices are small: BLAS threads only wait for each other, and on a busy
        # server they wait for the CPU too (a 20 ms query took 700 ms beside other work).
        if self.threads is None:
            return self._encode(text)
        with self.threads.limit(limits=1, user_api="blas"):
            return self._encode(text)

    def _norm(self, x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        w = self.weights
        return (x - mean) / np.sqrt(var + self.eps) * w[f"{prefix}.weight"] + w[f"{prefix}.bias"]

    def _dense(self, x: np.ndarray, prefix: str) -> np.ndarray:
        return x @ self.weights[f"{prefix}.weight"] + self.weights[f"{prefix}.bias"]

    def _encode(self, text: str) -> np.ndarray:
        from scipy.special import erf

        ids = np.array(self.tokenizer.encode(text).ids, dtype=np.int64)
        w = self.weights
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: len(ids)]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        tokens, width = x.shape
        size = width // self.heads
        # NumPy 2 promotes float32 arrays to float64 next to a NumPy float64 scalar: every
        # constant stays float32, or each layer would copy its weights to float64.
        scale = np.float32(1.0 / np.sqrt(size))
        root_two = np.float32(np.sqrt(2.0))
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}"

            def heads(t: np.ndarray) -> np.ndarray:
                return t.reshape(tokens, self.heads, size).transpose(1, 0, 2)

            q = heads(self._dense(x, f"{p}.attention.self.query"))
            k = heads(self._dense(x, f"{p}.attention.self.key"))
            v = heads(self._dense(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 2, 1) * scale
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(tokens, width)
            x = self._norm(
                self._dense(context, f"{p}.attention.output.dense") + x,
                f"{p}.attention.output.LayerNorm",
            )
            hidden = self._dense(x, f"{p}.intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + erf(hidden / root_two))  # exact GELU, as BERT
            x = self._norm(self._dense(hidden, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        pooled = x.mean(axis=0)  # one text, no padding: every token counts
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


@functools.cache
def spanish_glossary() -> dict[str, str]:
    """The Spanish words of data/spanish_glossary.tsv (without accents) and their English
    reading; blank lines and lines starting with # are skipped."""
    glossary: dict[str, str] = {}
    data = resources.files("library").joinpath("data", "spanish_glossary.tsv")
    for line in data.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            spanish, english = line.split("\t")
            glossary[spanish] = english
    return glossary


def query_text(text: str) -> str:
    """What a search query embeds: the query, plus its English reading when it is Spanish."""
    text = text.strip()
    folded = "".join(
        ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch)
    )
    words = re.findall(r"\w+", folded)
    glossary = spanish_glossary()
    if not any(word in glossary and glossary[word] != word for word in words):
        return text
    english = " ".join(glossary.get(word, word) for word in words)
    return f"{text}\n{english}"


def _blas_controller():
    """threadpoolctl's controller (installed with sentence-transformers), or None."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


_query_encoder: QueryEncoder | None = None
_query_lock = threading.Lock()


def query_encoder() -> QueryEncoder:
    """The NumPy encoder, loaded once per process on the first semantic search."""
    global _query_encoder
    with _query_lock:
        if _query_encoder is None:
            path = model_path()
            try:
                _query_encoder = QueryEncoder(path)
            except ImportError as exc:
                raise EmbeddingUnavailable(
                    "The tokenizers and safetensors packages are needed to read a search query "
                    "with the embedding model. Install the project's ml extra."
                ) from exc
        return _query_encoder


def embed_query(text: str) -> np.ndarray:
    """One unit-length float32 vector for a search text, without torch."""
    return query_encoder().encode_one(query_text(text))
