"""How the library searches: by words (full-text) and by meaning (semantic).

A word search keeps the images whose description, creative copy or campaign name holds every
word, accents and case folded. On PostgreSQL each word is one query on the GIN indexes of
migration creatives 0004; elsewhere (SQLite) the folded text is scanned. A semantic search
embeds the query (library.query_encoder) and ranks the stored description vectors
(library.indexes) by cosine similarity. docs/library.md says why each works as it does.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable

import numpy as np
from django.db import connection, transaction
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from creatives.models import Creative, CreativeImageSlot, ImageDescription
from library.embeddings import MODEL_ID
from library.indexes import Neighbour, vector_index
from library.query_encoder import EmbeddingUnavailable, embed_query
from library.shared import shared_get_or_compute, shared_key

MAX_WORDS = 8

# Accents and underscores folded the same way in the index, the query and the fallback, so
# "credito" finds "Crédito" and "celulares" finds "T360C_TRAF_Celulares_2026Q4".
FOLD_FROM = "ÁÉÍÓÚÜÑáéíóúüñ_"
FOLD_TO = "AEIOUUNaeiouun "


def search_words(text: str) -> list[str]:
    """The words of a search, lower-case and without accents, at most MAX_WORDS, in order."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("_", " "))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words: list[str] = []
    for word in re.findall(r"\w+", plain):
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


class TextMatches(Func):
    """True where the fields, joined by spaces, contain `word` (folded as above).

    PostgreSQL, by default: `to_tsvector('simple', …) @@ to_tsquery('simple', 'word:*')`, a
    word-prefix match answered by the GIN expression indexes of migration creatives 0004 (the
    expression here and there must stay identical). With `anywhere`, and on other databases
    (SQLite): the folded text contains the word anywhere (LIKE '%word%'), no index.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, fields: list[str], word: str, *, anywhere: bool = False) -> None:
        super().__init__(*[F(name) for name in fields])
        self.word = word
        self.anywhere = anywhere

    def _document(self, compiler, connection_) -> tuple[str, list]:
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, part_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(part_params)
        return "(" + " || ' ' || ".join(parts) + ")", params

    def _pattern(self) -> str:
        escaped = self.word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"

    def as_postgresql(self, compiler, connection_, **extra) -> tuple[str, list]:
        document, params = self._document(compiler, connection_)
        folded = f"translate({document}, '{FOLD_FROM}', '{FOLD_TO}')"
        if self.anywhere:
            return f"{folded} ILIKE %s", [*params, self._pattern()]
        sql = f"to_tsvector('simple'::regconfig, {folded}) @@ to_tsquery('simple'::regconfig, %s)"
        return sql, [*params, f"{self.word}:*"]

    def as_sql(self, compiler, connection_, **extra) -> tuple[str, list]:
        document, params = self._document(compiler, connection_)
        for source, target in zip(FOLD_FROM, FOLD_TO, strict=True):
            document = f"REPLACE({document}, '{source}', '{target}')"
        return f"{document} LIKE %s ESCAPE '\\'", [*params, self._pattern()]


DESCRIPTION_FIELDS = ["text", "text_es"]
COPY_FIELDS = ["name", "headline", "body"]
CAMPAIGN_FIELDS = ["name"]


class IdIn(Func):
    """`pk = ANY(array)`: one parameter for thousands of ids (PostgreSQL)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, ids: np.ndarray) -> None:
        super().__init__(F("pk"))
        self.ids = [int(pk) for pk in ids]

    def as_sql(self, compiler, connection_, **extra) -> tuple[str, list]:
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"{sql} = ANY(%s)", [*params, self.ids]


def _word_sources(word: str) -> list[QuerySet]:
    """The image ids whose description, creative copy or campaign name holds the word."""
    described = ImageDescription.objects.filter(TextMatches(DESCRIPTION_FIELDS, word))
    copy = CreativeImageSlot.objects.filter(
        creative__in=Creative.objects.filter(TextMatches(COPY_FIELDS, word)).values("pk")
    )
    campaigns = CreativeImageSlot.objects.filter(
        # Campaign names are codes ("T360C_TRAF_Celulares_2026Q4") in a table of a few
        # thousand rows: a substring scan costs a millisecond and needs no index.
        creative__ads__campaign__in=Campaign.objects.filter(
            TextMatches(CAMPAIGN_FIELDS, word, anywhere=True)
        ).values("pk")
    )
    return [
        rows.order_by().values_list("image_id", flat=True) for rows in (described, copy, campaigns)
    ]


def text_image_ids(text: str) -> np.ndarray:
    """PostgreSQL: the sorted ids of images holding every word, one indexed query per word.

    The planner judges a sequential scan cheaper than the GIN index for a word most rows hold
    ("azul", "imagen"), because it prices to_tsvector per row at a fraction of its real cost:
    such a word took 0.6–1.5 s that way. Sequential scans are therefore switched off for these
    queries only (SET LOCAL, inside their own transaction): the index answers any word in tens
    of milliseconds, however common.
    """
    found: np.ndarray | None = None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for word in search_words(text):
            described, copy, campaigns = _word_sources(word)
            ids = np.fromiter(described.union(copy, campaigns, all=True), dtype=np.int64)
            found = np.unique(ids) if found is None else np.intersect1d(found, ids)
            if not len(found):
                break
    return found if found is not None else np.zeros(0, dtype=np.int64)


def text_q(text: str) -> Q:
    """Images whose descriptions, creative copy or campaign names hold every word of `text`.

    Each word may come from any of the three (an image of campaign "…_Celulares_…" described
    as orange matches "celulares naranja").
    """
    q = Q()
    for word in search_words(text):
        described, copy, campaigns = _word_sources(word)
        q &= Q(pk__in=described) | Q(pk__in=copy) | Q(pk__in=campaigns)
    return q


def word_matches(images: QuerySet, text: str) -> QuerySet:
    """The images holding every word of `text` (all of them when it has no word)."""
    if not search_words(text):
        return images
    if connection.vendor == "postgresql":
        return images.filter(IdIn(text_image_ids(text)))
    return images.filter(text_q(text))


def query_vector(text: str) -> np.ndarray:
    """The search text's vector: from the shared cache when any process embedded this text
    before, so a fresh worker answers a search someone already ran without loading the query
    encoder (about half a second, a second on a busy machine)."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return shared_get_or_compute(shared_key("query", MODEL_ID, digest), lambda: embed_query(text))


def semantic_matches(
    text: str, *, limit: int, among: Callable[[], np.ndarray | None], notes: list[str]
) -> list[Neighbour] | None:
    """The `limit` images described closest to `text`, best first, only those `among()` gives
    (None: every image); or None, with a note saying why, to fall back to a word search."""
    try:
        vector = query_vector(text)
    except EmbeddingUnavailable as exc:
        notes.append(
            str(
                _("Semantic search is unavailable, so this is a word search instead: {reason}")
            ).format(reason=exc)
        )
        return None
    index = vector_index()
    if not len(index.ids):
        notes.append(
            str(
                _(
                    "No image descriptions are embedded yet, so this is a word search instead. "
                    "An operator can run: manage.py embed_images --pending"
                )
            )
        )
        return None
    return index.top(vector, k=limit, among=among())
