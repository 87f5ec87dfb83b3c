"""Embed a search query in the web process: all-MiniLM-L6-v2's forward pass in NumPy.

The web process must never import torch or transformers (the model-backend rule, see
docs/library.md), so a query goes through `QueryEncoder`: the same BERT forward pass written in
NumPy over the same safetensors weights and the same tokenizer. It takes a batch too (padded to
the batch's longest text, padding masked out of attention and pooling): on the default install,
with no torch, workers embed descriptions with it (library.embeddings). Tests check that it
gives sentence-transformers' vectors.

MiniLM was trained on English: alone, it barely tells "cálida" from "fría" (a Spanish query
for warm orange pieces ranked cool blue ones third, see docs/library.md). A Spanish query is
therefore embedded together with a word-for-word English reading from the glossary in
data/spanish_glossary.tsv: every word the describers write in Spanish, and the common words of
an ad-image search. It is data, one word a line, read through importlib.resources.
"""

from __future__ import annotations

import contextlib
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

    Matches sentence-transformers to about 1e-7 (tests/library checks 1e-5). A query takes
    15–40 ms on one shared CPU core; 200 descriptions about 25 s, as fast as torch on two busy
    cores (docs/library.md).
    """

    def __init__(self, path: Path) -> None:
        import json

        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.width = int(config["hidden_size"])
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

    def _one_blas_thread(self):
        # These matrices are small: BLAS threads only wait for each other, and on a busy
        # server they wait for the CPU too (a 20 ms query took 700 ms beside other work; 48
        # descriptions took 42 s with two OpenBLAS threads and 7 s with one, on two busy cores).
        if self.threads is None:
            return contextlib.nullcontext()
        return self.threads.limit(limits=1, user_api="blas")

    def encode_one(self, text: str) -> np.ndarray:
        with self._one_blas_thread():
            return self._encode_batch([text])[0]

    def encode_batch(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in batches of `batch_size`.

        Texts are sorted by token count first (as sentence-transformers does), so a batch
        pads to a length close to each of its texts; rows come back in the caller's order.
        """
        if not texts:
            return np.zeros((0, self.width), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.empty((len(texts), self.width), dtype=np.float32)
        with self._one_blas_thread():
            for start in range(0, len(order), batch_size):
                chosen = order[start : start + batch_size]
                out[chosen] = self._forward([encodings[i].ids for i in chosen])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self._forward([e.ids for e in self.tokenizer.encode_batch(texts)])

    def _norm(self, x: np.ndarray, prefix: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        w = self.weights
        return (x - mean) / np.sqrt(var + self.eps) * w[f"{prefix}.weight"] + w[f"{prefix}.bias"]

    def _dense(self, x: np.ndarray, prefix: str) -> np.ndarray:
        return x @ self.weights[f"{prefix}.weight"] + self.weights[f"{prefix}.bias"]

    def _forward(self, token_ids: list[list[int]]) -> np.ndarray:
        """BERT over a batch padded to its longest text, then mean pooling over real tokens."""
        from scipy.special import erf

        batch, tokens = len(token_ids), max(len(ids) for ids in token_ids)
        ids = np.zeros((batch, tokens), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((batch, tokens), dtype=np.float32)
        for row, row_ids in enumerate(token_ids):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1.0
        w = self.weights
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:tokens]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        width = self.width
        size = width // self.heads
        # NumPy 2 promotes float32 arrays to float64 next to a NumPy float64 scalar: every
        # constant stays float32, or each layer would copy its weights to float64.
        scale = np.float32(1.0 / np.sqrt(size))
        root_two = np.float32(np.sqrt(2.0))
        # Padding keys get a large negative score, so softmax gives them no weight (as BERT's
        # extended attention mask does); a text alone in its batch has none.
        key_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]

        def heads(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, tokens, self.heads, size).transpose(0, 2, 1, 3)

        for layer in range(self.layers):
            p = f"encoder.layer.{layer}"
            q = heads(self._dense(x, f"{p}.attention.self.query"))
            k = heads(self._dense(x, f"{p}.attention.self.key"))
            v = heads(self._dense(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) * scale + key_bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, width)
            x = self._norm(
                self._dense(context, f"{p}.attention.output.dense") + x,
                f"{p}.attention.output.LayerNorm",
            )
            hidden = self._dense(x, f"{p}.intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + erf(hidden / root_two))  # exact GELU, as BERT
            x = self._norm(self._dense(hidden, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
        # Mean pooling over each text's own tokens, as sentence-transformers' Pooling module.
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


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
    """threadpoolctl's controller (a default dependency), or None."""
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
                    "The tokenizers and safetensors packages are needed to run the embedding "
                    "model. They are default dependencies: reinstall the project "
                    "(pip install -e . -c constraints.txt)."
                ) from exc
        return _query_encoder


def embed_query(text: str) -> np.ndarray:
    """One unit-length float32 vector for a search text, without torch."""
    return query_encoder().encode_one(query_text(text))
