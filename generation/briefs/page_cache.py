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

A section holding an unfinished job is rendered every time (its elapsed time moves), and so
is one showing a bound form (its errors are this request's).

Forms carry a CSRF token, which differs per browser: sections are rendered with a fixed
placeholder for it, replaced by this request's token on the way out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as default_cache
from django.db.models import Model
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.safestring import SafeString, mark_safe

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
def code_version() -> str:
    """A digest of the files that shape a section's HTML, read once per process."""
    digest = hashlib.blake2b(digest_size=8)
    for name in CODE_FILES:
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
    context: dict,
    *,
    cache=None,
    render: Callable[..., str] = render_to_string,
) -> dict[str, SafeString]:
    """Each section's HTML by name: from the cache where its key is there, else rendered."""
    cache = cache or default_cache
    common = request_inputs(request)
    keys = {
        section.name: key(section.name, (common, section.inputs))
        for section in sections
        if section.inputs is not None
    }
    # One round trip for the whole page (one query with the database cache).
    found = cache.get_many(list(keys.values())) if keys else {}
    placeholder = csrf_placeholder()
    # The view's context wins over the context processors', so the placeholder replaces the
    # request's token in every {% csrf_token %} of the section.
    section_context = {**context, "csrf_token": placeholder}
    html: dict[str, str] = {}
    fresh: dict[str, str] = {}
    for section in sections:
        section_key = keys.get(section.name)
        if section_key in found:
            html[section.name] = found[section_key]
            continue
        html[section.name] = render(section.template, section_context, request=request)
        if section_key is not None:
            fresh[section_key] = html[section.name]
    if fresh:
        cache.set_many(fresh, timeout=TIMEOUT)
    token = get_token(request)
    return {name: mark_safe(text.replace(placeholder, token)) for name, text in html.items()}


def brief_sections(
    page,
    *,
    can_change: bool,
    is_staff: bool,
    generation,
    presets: list | None,
    prompt_form_bound: bool,
    generate_form_bound: bool,
    rewrite_confirm: object | None,
) -> list[Section]:
    """The brief page's sections, each with the inputs its HTML depends on.

    `page` is selectors.BriefPage; `presets` the active style presets the generate form lists
    (None where the form is not shown). A form that carries this request's data (its errors) is
    never cached.
    """
    brief = page.brief
    viewer = (can_change, is_staff)
    brief_rows = (
        row(brief),
        person(brief.owner),
        (brief.node_id, brief.node.name),
        row(brief.style_preset),
    )
    references = [(row(card.reference), _image_size(card.reference)) for card in page.references]
    excluded = [(row(card.reference), _image_size(card.reference)) for card in page.excluded]
    versions = [
        (row(v), person(v.author), v.restored_from.number if v.restored_from_id else None)
        for v in page.prompt_versions
    ]
    write_jobs = [line.job for line in page.write_jobs]
    batches = [
        (
            row(card.batch),
            row(card.batch.job),
            row(card.batch.style_preset),
            card.batch.prompt_version.number if card.batch.prompt_version_id else None,
            rows(card.images),
        )
        for card in page.batches
    ]
    links = [
        (row(link), link.is_revoked, link.is_expired, link.is_active) for link in page.share_links
    ]
    has_picks = any(image.picked for card in page.batches for image in card.images)
    pending_writes = any(not job.finished for job in write_jobs)
    pending_batches = any(not card.job.job.finished for card in page.batches)
    prompt_live = prompt_form_bound or rewrite_confirm is not None or pending_writes
    return [
        Section("head", "generation/partials/brief_head.html", (viewer, brief_rows)),
        Section(
            "references",
            "generation/partials/brief_references.html",
            (viewer, brief_rows, references, excluded),
        ),
        Section(
            "prompt",
            "generation/partials/brief_prompt.html",
            None if prompt_live else (viewer, brief.pk, versions, rows(write_jobs)),
        ),
        Section(
            "generate",
            "generation/partials/brief_generate.html",
            None
            if generate_form_bound
            else (viewer, brief_rows, versions[:1], generation, rows(presets or [])),
        ),
        Section(
            "batches",
            "generation/partials/brief_batches.html",
            None if pending_batches else (viewer, brief.pk, batches),
        ),
        Section(
            "share",
            "generation/partials/brief_share_section.html",
            (viewer, brief.pk, has_picks, links, settings.YENNI_SHARE_DAYS),
        ),
    ]


def _image_size(reference) -> tuple:
    return (reference.image_id, reference.image.width, reference.image.height)
