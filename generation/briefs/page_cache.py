"""The brief page's sections, rendered once and kept in Django's cache (issue 17 item 1).

Rendering the page's templates and forms was most of its cost, yet a section changes only
with a new ranking, prompt version, batch, pick or share link. Each section's cache key is a
digest of every row it renders, read by the page's fixed queries anyway (the brief, its
references, versions, batches, images, jobs and links), plus everything about the reader and
the request that it shows: the language, the time zone, whether the reader may change the
brief (buttons) and is staff (operators' notes), whether image generation is on. So a changed
row, even one written by `QuerySet.update()` that leaves `updated_at` alone, makes a new key,
and nothing stale can be served; old entries just expire. The digest also covers the
templates' and the formatting code's own text, so a deploy never serves HTML of the old code
from the (shared, database) cache.

On PostgreSQL the rows are not even loaded when every section is cached: one query (the
"stamp") reads a digest of each table's rows for the brief, md5 of the rows' full text, and
the keys are built from those digests; the page's rows are read only for a section that is
missing, and what is rendered then is stored only if the stamp read afterwards is still the
same (so a change racing the render can never be stored under the old key). Elsewhere
(SQLite) the keys come from the rows the page loads.

A section holding an unfinished job is rendered every time (its elapsed time moves), and so
is one showing a bound form (its errors are this request's); with such a job, or one that
finished in the last few minutes (the page lists those), the page takes the rows' way.

Forms carry a CSRF token, which differs per browser: sections are rendered with a fixed
placeholder for it, replaced by this request's token on the way out.

Each process also keeps the sections it read or stored, in a small LRU in front of the shared
cache: a key names its content, so a kept entry can never be stale, and a worker's repeat
visit to a page costs no cache round trip (one query fewer with the database cache).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cachetools import LRUCache
from django.conf import settings
from django.core.cache import cache as default_cache
from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe

from yenni_site.cache_guard import cache_guarded

# A day: the keys change with the content, so the timeout only bounds how long an unused
# section takes room in the cache.
TIMEOUT = 24 * 3600
KEY_PREFIX = "brief-page"

ROOT = Path(__file__).resolve().parent.parent.parent
# What a section's HTML is made of besides the rows: templates, formatting and labels.
CODE_FILES = (
    "templates/generation/partials",
    "generation/briefs/selectors.py",
    "generation/briefs/page_cache.py",
    "generation/briefs/forms.py",
    "generation/models.py",
    "campaigns/figures.py",
    "campaigns/ranking/metrics.py",
    "locale",
)


# This process's copies, bounded by their characters (about 8 MB of HTML; a page's sections
# are a few tens of kilobytes).
LOCAL_CHARS = 8_000_000
_local: LRUCache = LRUCache(maxsize=LOCAL_CHARS, getsizeof=len)
_local_lock = threading.Lock()


def local_clear() -> None:
    """Forget this process's copies (tests that empty the shared cache empty these too)."""
    with _local_lock:
        _local.clear()


@dataclass(frozen=True)
class Section:
    """One part of the page: its template and what its HTML depends on (None: never cached)."""

    name: str
    template: str
    inputs: object | None


def csrf_placeholder() -> str:
    """The same in every worker (from SECRET_KEY), and not something a user could guess."""
    return "csrf-" + salted_hmac("brief-page-csrf", "placeholder").hexdigest()[:32]


@cache
def code_version(files: tuple[str, ...] = CODE_FILES) -> str:
    """A digest of the files that shape a section's HTML, read once per process."""
    digest = hashlib.blake2b(digest_size=8)
    for name in files:
        path = ROOT / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.suffix in (".html", ".py", ".mo"):
                digest.update(file.name.encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def row(obj: Model | None) -> tuple | None:
    """Every stored value of a row, the way a key names "this row as it is now"."""
    if obj is None:
        return None
    return (obj._meta.label, tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields))


def rows(objs: Iterable[Model]) -> list[tuple | None]:
    return [row(obj) for obj in objs]


def person(user) -> tuple | None:
    """What the page shows of a user: never the password hash or last login, which churn."""
    if user is None:
        return None
    return (user.pk, user.get_username(), user.first_name, user.last_name)


def key(name: str, inputs: object) -> str:
    digest = hashlib.blake2b(repr(inputs).encode(), digest_size=16).hexdigest()
    return f"{KEY_PREFIX}:{name}:{digest}"


def request_inputs(request: HttpRequest) -> tuple:
    """What every section shows of the request: language, time zone, currency, code."""
    return (
        translation.get_language(),
        timezone.get_current_timezone_name(),
        settings.YENNI_REPORTING_CURRENCY,
        code_version(),
    )


def sections_rendered(
    request: HttpRequest,
    sections: list[Section],
    context: Callable[[], dict],
    *,
    still_current: Callable[[], bool] = lambda: True,
) -> dict[str, SafeString]:
    """Each section's HTML by name: from the cache where its key is there, else rendered.

    `context` builds the rendering context (reading the page's rows): called only when a
    section must be rendered. What was rendered is stored only if `still_current()`.
    """
    common = request_inputs(request)
    keys = {
        section.name: key(section.name, (common, section.inputs))
        for section in sections
        if section.inputs is not None
    }
    with _local_lock:
        found = {k: _local[k] for k in keys.values() if k in _local}
    missing = [k for k in keys.values() if k not in found]
    if missing:
        # One round trip for the rest (one query with the database cache).
        # A cache that does not answer costs the rendering, never the page.
        shared = cache_guarded(lambda: default_cache.get_many(missing), {})
        found.update(shared)
        _local_keep(shared)
    placeholder = csrf_placeholder()
    html: dict[str, str] = {}
    fresh: dict[str, str] = {}
    section_context: dict | None = None
    for section in sections:
        section_key = keys.get(section.name)
        if section_key in found:
            html[section.name] = found[section_key]
            continue
        if section_context is None:
            # The view's context wins over the context processors', so the placeholder
            # replaces the request's token in every {% csrf_token %} of the section.
            section_context = {**context(), "csrf_token": placeholder}
        html[section.name] = render_to_string(section.template, section_context, request=request)
        if section_key is not None:
            fresh[section_key] = html[section.name]
    if fresh and still_current():
        cache_guarded(lambda: default_cache.set_many(fresh, timeout=TIMEOUT), None)
        _local_keep(fresh)
    token = get_token(request)
    return {name: mark_safe(text.replace(placeholder, token)) for name, text in html.items()}


def _local_keep(sections: dict[str, str]) -> None:
    with _local_lock:
        for section_key, text in sections.items():
            _local[section_key] = text


def brief_sections(
    brief,
    parts: dict,
    *,
    can_change: bool,
    is_staff: bool,
    generation,
    prompt_live: bool = False,
    generate_live: bool = False,
    batches_live: bool = False,
) -> list[Section]:
    """The brief page's sections, each with the inputs its HTML depends on.

    `parts` holds what each table contributes (from `page_parts` or `stamp_parts`); a `*_live`
    section is rendered every time (a bound form, an unfinished job).
    """
    viewer = (can_change, is_staff)
    brief_rows = (
        row(brief),
        person(brief.owner),
        (brief.node_id, brief.node.name),
        row(brief.style_preset),
    )
    versions, jobs, presets = parts["versions"], parts["jobs"], parts["presets"]
    return [
        Section("head", "generation/partials/brief_head.html", (viewer, brief_rows)),
        Section(
            "references",
            "generation/partials/brief_references.html",
            (viewer, brief_rows, parts["references"]),
        ),
        Section(
            "prompt",
            "generation/partials/brief_prompt.html",
            None if prompt_live else (viewer, brief.pk, versions, jobs),
        ),
        Section(
            "generate",
            "generation/partials/brief_generate.html",
            None if generate_live else (viewer, brief_rows, versions, generation, presets),
        ),
        Section(
            "batches",
            "generation/partials/brief_batches.html",
            None
            if batches_live
            else (viewer, brief.pk, parts["batches"], parts["images"], jobs, presets, versions),
        ),
        Section(
            "share",
            "generation/partials/brief_share_section.html",
            (viewer, brief.pk, parts["images"], parts["links"], settings.YENNI_SHARE_DAYS),
        ),
    ]


def page_parts(page, presets: list | None) -> dict:
    """What each table contributes to the keys, from the rows the page loaded.

    `page` is selectors.BriefPage; `presets` the active style presets the generate form lists
    (None where the form is not shown).
    """
    cards = [*page.references, *page.excluded]
    return {
        "references": [(row(card.reference), _image_size(card.reference)) for card in cards],
        "versions": [
            (row(v), person(v.author), v.restored_from.number if v.restored_from_id else None)
            for v in page.prompt_versions
        ],
        "jobs": rows([line.job for line in [*page.write_jobs, *page.batch_jobs]]),
        "batches": [
            (
                row(card.batch),
                row(card.batch.style_preset),
                card.batch.prompt_version.number if card.batch.prompt_version_id else None,
            )
            for card in page.batches
        ],
        "images": [rows(card.images) for card in page.batches],
        "links": [
            (row(link), link.is_revoked, link.is_expired, link.is_active)
            for link in page.share_links
        ],
        "presets": rows(presets or []),
    }


def _image_size(reference) -> tuple:
    return (reference.image_id, reference.image.width, reference.image.height)


# --- the stamp: the rows' digests in one query (PostgreSQL) ---------------------------------


def stamp_parts(brief, *, recent) -> dict | None:
    """What each table contributes to the keys, as digests of its rows' full text.

    None where this is not PostgreSQL, or where a job of the brief is unfinished or finished
    after `recent` (the page then shows moving figures and takes the rows' way).
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        # The clock of ShareLink.is_expired, not the database's (now() is the transaction's).
        now = timezone.now()
        sql = "SELECT " + ",\n       ".join(_stamp_sql_parts("%(brief)s", "%(now)s", "%(recent)s"))
        cursor.execute(sql, {"brief": brief.pk, "recent": recent, "now": now})
        return _stamp_from(cursor.fetchone())


def with_stamp(briefs: QuerySet, *, recent) -> QuerySet:
    """`briefs` with each one's stamp read in the same query (`stamp_of` reads it): the page's
    brief and its rows' digests in one round trip instead of two. Unchanged off PostgreSQL."""
    if connection.vendor != "postgresql":
        return briefs
    from generation.models import Brief

    own_id = f"{connection.ops.quote_name(Brief._meta.db_table)}.id"
    parts = _stamp_sql_parts(own_id, "%s", "%s")
    # One array of texts: an annotation is one value. The counts come back as text.
    array = "ARRAY[" + ", ".join(f"({part})::text" for part in parts) + "]"
    return briefs.annotate(page_stamp=RawSQL(array, [timezone.now(), recent]))


def stamp_of(brief) -> dict | None:
    """The stamp `with_stamp` read with the brief (None: not read, or a job still moving)."""
    values = getattr(brief, "page_stamp", None)
    if values is None:
        return None
    return _stamp_from([*values[:-2], int(values[-2]), int(values[-1])])


_STAMP_NAMES = ("references", "versions", "jobs", "batches", "images", "links", "presets")


def _stamp_from(values) -> dict | None:
    parts = dict(zip(_STAMP_NAMES, values[: len(_STAMP_NAMES)], strict=True))
    expired_links, live_jobs = values[len(_STAMP_NAMES) :]
    if live_jobs:
        return None
    # A link turns "expired" with time alone, its row unchanged.
    parts["links"] = (parts["links"], expired_links)
    return parts


@cache
def _stamp_sql_parts(brief: str, now: str, recent: str) -> tuple[str, ...]:
    """The stamp's values as SQL expressions, in `_STAMP_NAMES` order, then the brief's
    expired links and its unfinished or recent jobs. `brief` is the brief's id (a parameter,
    or the outer query's column); `now` and `recent` the placeholders of those two times,
    in that order."""
    from django.contrib.auth import get_user_model

    from creatives.models import CreativeImage
    from generation.models import (
        BriefReference,
        GeneratedImage,
        ImageBatch,
        ModelJob,
        PromptVersion,
        ShareLink,
        StylePreset,
    )

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def digest(text: str, source: str, order: str) -> str:
        # md5 of every row's full text, in a fixed order; '' for no rows.
        return f"(SELECT md5(coalesce(string_agg({text}, ',' ORDER BY {order}), '')) {source})"

    statuses = (ModelJob.Status.QUEUED, ModelJob.Status.RUNNING)
    unfinished = ", ".join(f"'{status}'" for status in statuses)
    batch_jobs = f"SELECT job_id FROM {table(ImageBatch)} WHERE brief_id = {brief}"
    return (
        digest(
            "r::text || '|' || i.width || 'x' || i.height",
            f"FROM {table(BriefReference)} r JOIN {table(CreativeImage)} i ON i.id = r.image_id "
            f"WHERE r.brief_id = {brief}",
            "r.id",
        ),
        digest(
            "v::text || '|' || coalesce(u.username, '') || '|' || coalesce(u.first_name, '') "
            "|| '|' || coalesce(u.last_name, '')",
            f"FROM {table(PromptVersion)} v LEFT JOIN {table(get_user_model())} u "
            f"ON u.id = v.author_id WHERE v.brief_id = {brief}",
            "v.id",
        ),
        digest(
            "j::text",
            f"FROM {table(ModelJob)} j WHERE j.brief_id = {brief} OR j.id IN ({batch_jobs})",
            "j.id",
        ),
        digest("b::text", f"FROM {table(ImageBatch)} b WHERE b.brief_id = {brief}", "b.id"),
        digest(
            "g::text",
            f"FROM {table(GeneratedImage)} g JOIN {table(ImageBatch)} b ON b.id = g.batch_id "
            f"WHERE b.brief_id = {brief}",
            "g.id",
        ),
        digest("s::text", f"FROM {table(ShareLink)} s WHERE s.brief_id = {brief}", "s.id"),
        digest("p::text", f"FROM {table(StylePreset)} p", "p.id"),
        f"(SELECT count(*) FROM {table(ShareLink)} s WHERE s.brief_id = {brief} "
        f"AND s.expires_at <= {now})",
        f"(SELECT count(*) FROM {table(ModelJob)} j WHERE (j.brief_id = {brief} "
        f"OR j.id IN ({batch_jobs})) AND (j.status IN ({unfinished}) "
        f"OR j.finished_at >= {recent}))",
    )
