"""Every URL pattern of the site, asked as every role, answers exactly what this matrix says.

The resolver is walked recursively (pages, files, share links, the API, the admin), and each
pattern must have a row here: a new pattern fails `test_every_url_pattern_is_in_the_matrix`
until someone decides who may open it. Each row gives the status of a GET for

    anonymous · signed in, in no group · the analyst who owns the brief · another analyst ·
    a marketing lead (staff) · a superuser

`L` is a redirect to the login page with `next`, `AL` to the admin's login page; a number is
that status exactly. The path arguments are real objects of `tests.security.world`: the brief,
its images and the board are the analyst's. Every image a page shows to a role must open for
that role (a file view checks what its page checks). File views are asked with HEAD too. Views
that only accept POST are asked with POST by the roles that must be refused (see POST_MATRIX);
what an allowed POST does is each feature's own tests' business.

Signed-in roles are asked with a session, the API included (it takes the session as well as
a token; tests/api/test_image_files.py asks the image addresses with a token only).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.world import ROLES, World, build_world

L = "login"
AL = "admin login"
LOGIN_PAGES = {L: "/accounts/login/", AL: "/admin/login/"}


class Row(NamedTuple):
    """Expected statuses per role, and which world ids fill the pattern's arguments."""

    statuses: tuple[int | str, ...]
    args: dict[str, str]


def row(anonymous, outsider, analyst, other_analyst, lead, superuser, **args: str) -> Row:
    return Row((anonymous, outsider, analyst, other_analyst, lead, superuser), args)


def everyone(status: int | str, **args: str) -> Row:
    return row(status, status, status, status, status, status, **args)


# --- the site's own pages, files and share links ---------------------------------------------
# A brief and what hangs off it is the analyst's: another analyst gets 404 (its existence is not
# revealed), leads and superusers read it. The catalog (library, creatives, insights) is for
# every analyst and lead. Files answer what the page that shows them answers.
SITE = {
    #                               anon  no grp analyst other  lead  super
    "home": row(L, 200, 200, 200, 200, 200),
    "login": row(200, 302, 302, 302, 302, 302),
    "logout": everyone(405),
    "set_language": everyone(302),
    "brief_new": row(L, 403, 200, 200, 200, 200),
    "brief_detail": row(L, 403, 200, 404, 200, 200, pk="brief"),
    "brief_progress": row(L, 403, 200, 404, 200, 200, pk="brief"),
    "brief_share": row(L, 403, 200, 404, 200, 200, pk="brief"),
    "brief_reference": everyone(405, pk="brief", image_id="reference_image"),
    "brief_rerank": everyone(405, pk="brief"),
    "brief_prompt_edit": everyone(405, pk="brief"),
    "brief_prompt_rewrite": everyone(405, pk="brief"),
    "brief_prompt_restore": everyone(405, pk="brief", number="prompt_version"),
    "brief_generate": everyone(405, pk="brief"),
    "image_pick": everyone(405, pk="brief", image_pk="generated_image"),
    "share_revoke": everyone(405, pk="brief", link_pk="link"),
    "generated_image_file": row(L, 403, 200, 404, 200, 200, pk="generated_image"),
    "board_to_brief": everyone(405, pk="board"),
    "library": row(L, 403, 200, 200, 200, 200),
    "library_search_json": row(L, 403, 200, 200, 200, 200),
    "library_image_file": row(L, 403, 200, 200, 200, 200, pk="catalog_image"),
    "library_thumbnail": row(L, 403, 200, 200, 200, 200, pk="catalog_image"),
    "library_similar": row(L, 403, 200, 200, 200, 200, pk="catalog_image"),
    "creative_detail": row(L, 403, 200, 200, 200, 200, pk="catalog_image"),
    "insights": row(L, 403, 200, 200, 200, 200),
    "board_list": row(L, 403, 200, 200, 200, 200),
    "board_detail": row(L, 403, 200, 404, 404, 404, pk="board"),
    "board_add": everyone(405),
    "board_remove": everyone(405, pk="board", image_id="reference_image"),
    # The agency's pages: the token is the only key, whoever asks (test_share_links below
    # asks with revoked, expired and wrong tokens).
    "share_page": everyone(200, token="token"),
    "share_pack": everyone(200, token="token"),
    "share_image": everyone(200, token="token", image_pk="picked_image"),
    "share_reference_image": everyone(200, token="token", image_id="reference_image"),
}

# --- the API ---------------------------------------------------------------------------------
# 401 without credentials, 403 outside the groups; briefs, their jobs and generated images as on
# the pages. Actions that only accept POST answer 405 to a GET once the user passes the checks.
API = {
    #                               anon  no grp analyst other  lead  super
    "api:brief-list": row(401, 403, 200, 200, 200, 200),
    "api:brief-detail": row(401, 403, 200, 404, 200, 200, pk="brief"),
    "api:brief-images": row(401, 403, 200, 404, 200, 200, pk="brief"),
    "api:brief-prompt": row(401, 403, 200, 404, 200, 200, pk="brief"),
    "api:brief-share-links": row(401, 403, 200, 404, 200, 200, pk="brief"),
    "api:brief-generate": row(401, 403, 405, 405, 405, 405, pk="brief"),
    "api:brief-rank": row(401, 403, 405, 405, 405, 405, pk="brief"),
    "api:brief-prompt-rewrite": row(401, 403, 405, 405, 405, 405, pk="brief"),
    "api:brief-prompt-restore": row(
        401, 403, 405, 405, 405, 405, pk="brief", number="prompt_version"
    ),
    "api:brief-references": row(
        401, 403, 405, 405, 405, 405, pk="brief", image_id="reference_image"
    ),
    "api:job-detail": row(401, 403, 200, 404, 200, 200, pk="job"),
    "api:image-file": row(401, 403, 200, 404, 200, 200, pk="generated_image"),
    "api:image-pick": row(401, 403, 405, 405, 405, 405, pk="generated_image"),
    "api:share-link-revoke": row(401, 403, 405, 405, 405, 405, pk="link"),
    "api:creative-list": row(401, 403, 200, 200, 200, 200),
    "api:creative-detail": row(401, 403, 200, 200, 200, 200, pk="creative"),
    "api:creative-metrics": row(401, 403, 200, 200, 200, 200, pk="creative"),
    "api:creative-image-file": row(401, 403, 200, 200, 200, 200, pk="catalog_image"),
    "api:node-list": row(401, 403, 200, 200, 200, 200),
    "api:style-preset-list": row(401, 403, 200, 200, 200, 200),
    # Anyone signed in may read what the API offers.
    "api:schema": row(401, 200, 200, 200, 200, 200),
    "api:docs": row(401, 200, 200, 200, 200, 200),
    "api:not-found": everyone(404, rest="api_rest"),
}

# --- the admin -------------------------------------------------------------------------------
# Only staff get in: everyone else is sent to the admin's login page. The lead (staff, group
# "Marketing leads") sees what the group's permissions allow; the superuser everything, except
# what no one may do by hand (catalog rows come from the platforms: view only).
ADMIN = {
    #                               anon  no grp analyst other  lead  super
    "admin:index": row(AL, AL, AL, AL, 200, 200),
    "admin:login": row(200, 200, 200, 200, 302, 302),
    # Django answers a logout by someone not in the admin with its index, which sends them on.
    "admin:logout": row(302, 302, 302, 302, 405, 405),
    "admin:password_change": row(AL, AL, AL, AL, 200, 200),
    "admin:password_change_done": row(AL, AL, AL, AL, 200, 200),
    "admin:autocomplete": row(AL, AL, AL, AL, 403, 403),
    "admin:jsi18n": row(AL, AL, AL, AL, 200, 200),
    "admin:view_on_site": row(
        AL, AL, AL, AL, 404, 404, content_type_id="content_type_node", object_id="node"
    ),
    "admin/(?P<url>.*)$": row(AL, AL, AL, AL, 404, 404, url="admin_rest"),
    "admin:auth_user_password_change": row(AL, AL, AL, AL, 403, 200, id="user"),
    "admin:campaigns_nodemappingrule_reapply": row(AL, AL, AL, AL, 405, 405),
    "admin:ingestion_ingestionrun_import_csv": row(AL, AL, AL, AL, 200, 200),
}

# Per admin model: what the lead's group may do, and what the superuser may: v view, a add,
# c change, d delete. Each model's changelist, add, change, history, delete and "object id
# only" pages follow from these letters (see admin_rows). A newly registered model fails the
# completeness test until it is listed here.
ADMIN_MODELS = {
    #                           lead    superuser
    "auth.group": ("", "vacd"),
    "auth.user": ("", "vacd"),
    "knox.authtoken": ("", "vacd"),  # API tokens (hashed)
    # The login throttle's records (django-axes): written by logins, never added by hand.
    "axes.accessattempt": ("", "vcd"),
    "axes.accessfailurelog": ("", "vcd"),
    "axes.accesslog": ("", "vcd"),
    "django_q.schedule": ("", "vacd"),
    "django_q.success": ("", "vcd"),
    "django_q.failure": ("", "vcd"),
    "django_q.ormq": ("", "vcd"),
    "campaigns.platform": ("v", "vc"),
    "campaigns.adaccount": ("vac", "vacd"),
    "campaigns.exchangerate": ("vacd", "vacd"),
    "campaigns.node": ("vac", "vacd"),
    "campaigns.nodemappingrule": ("vacd", "vacd"),
    "campaigns.campaign": ("vc", "vc"),
    "campaigns.ad": ("v", "v"),
    "campaigns.dailymetric": ("v", "v"),
    "campaigns.rankingrule": ("vac", "vacd"),
    "creatives.creative": ("v", "v"),
    "creatives.creativeimage": ("v", "v"),
    "creatives.imagedescription": ("v", "v"),
    # Leads edit brand guidelines and style presets (generation/migrations/0009); a preset is
    # switched off, not deleted. The row here is a node's guideline: the global default is
    # never deleted (tests/generation/test_lead_permissions.py).
    "generation.brandguideline": ("vacd", "vacd"),
    "generation.stylepreset": ("vac", "vacd"),
    "generation.brief": ("v", "v"),
    "generation.imagebatch": ("v", "v"),
    "generation.modeljob": ("v", "v"),
    # A run is added by importing a CSV file (import_csv above), never through the add page.
    "ingestion.ingestionrun": ("v", "v"),
    "ingestion.syncbookmark": ("vc", "vcd"),
    "ingestion.imagefetchfailure": ("v", "v"),
}


def _admin_status(perms: str, page: str) -> int:
    may_read = "v" in perms or "c" in perms
    need = {
        "changelist": may_read,
        "add": "a" in perms,
        "change": may_read,
        "history": may_read,
        "delete": "d" in perms,
        "redirect": True,  # <object_id>/ only redirects to …/change/, which then checks
    }[page]
    if page == "redirect":
        return 302
    return 200 if need else 403


def _registered(models: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """The listed models the admin serves in these settings.

    A third-party app's models (the token store, the login throttle's records) are listed with
    both the app in and out of INSTALLED_APPS, so swapping one is not a failure here; a model
    the admin serves that is not listed still is.
    """
    served = {model._meta.label_lower for model in admin.site._registry}
    return {label: perms for label, perms in models.items() if label in served}


def admin_rows() -> dict[str, Row]:
    """Each listed model's pages, their statuses derived from ADMIN_MODELS."""
    rows: dict[str, Row] = {}
    for label, (lead, superuser) in _registered(ADMIN_MODELS).items():
        app, model = label.split(".")
        object_id = {"object_id": f"admin:{label}"}
        pages = {
            f"admin:{app}_{model}_changelist": ("changelist", {}),
            f"admin:{app}_{model}_add": ("add", {}),
            f"admin:{app}_{model}_change": ("change", object_id),
            f"admin:{app}_{model}_history": ("history", object_id),
            f"admin:{app}_{model}_delete": ("delete", object_id),
            f"admin/{app}/{model}/<path:object_id>/": ("redirect", object_id),
        }
        for key, (page, args) in pages.items():
            statuses = (AL, AL, AL, AL, _admin_status(lead, page), _admin_status(superuser, page))
            rows[key] = Row(statuses, args)
    # An app's index answers 404 to staff who may see nothing in it.
    registered = _registered(ADMIN_MODELS)
    for app in sorted({label.split(".")[0] for label in registered}):
        lead_sees = any(
            perms for label, (perms, _) in registered.items() if label.startswith(f"{app}.")
        )
        rows[f"admin:app_list [{app}]"] = row(
            AL, AL, AL, AL, 200 if lead_sees else 404, 200, app_label=f"app:{app}"
        )
    return rows


def matrix() -> dict[str, Row]:
    return {**SITE, **API, **ADMIN, **admin_rows()}


# --- POST: the roles that must be refused ----------------------------------------------------
# Views that answer GET with 405 to everyone (or to everyone allowed in, for the API), asked
# with an empty POST by the roles that may not use them; None is a role that may, not asked here.
# A refused POST changes nothing: test_refused_posts_change_nothing checks the brief.
POST_MATRIX = {
    #                               anon  no grp analyst other  lead  super
    "brief_reference": row(L, 403, None, 404, 403, 403, pk="brief", image_id="reference_image"),
    "brief_rerank": row(L, 403, None, 404, 403, 403, pk="brief"),
    "brief_prompt_edit": row(L, 403, None, 404, 403, 403, pk="brief"),
    "brief_prompt_rewrite": row(L, 403, None, 404, 403, 403, pk="brief"),
    "brief_prompt_restore": row(L, 403, None, 404, 403, 403, pk="brief", number="prompt_version"),
    "brief_generate": row(L, 403, None, 404, 403, 403, pk="brief"),
    "image_pick": row(L, 403, None, 404, 403, 403, pk="brief", image_pk="generated_image"),
    "share_revoke": row(L, 403, None, 404, 403, 403, pk="brief", link_pk="link"),
    "brief_share": row(L, 403, None, 404, 403, 403, pk="brief"),
    "brief_new": row(L, 403, None, None, None, None),
    "board_to_brief": row(L, 403, None, 404, 404, 404, pk="board"),
    "board_add": row(L, 403, None, None, None, None),
    "board_remove": row(L, 403, None, 404, 404, 404, pk="board", image_id="reference_image"),
    "api:brief-list": row(401, 403, None, None, None, None),
    "api:brief-generate": row(401, 403, None, 404, 403, 403, pk="brief"),
    "api:brief-rank": row(401, 403, None, 404, 403, 403, pk="brief"),
    "api:brief-references": row(
        401, 403, None, 404, 403, 403, pk="brief", image_id="reference_image"
    ),
    "api:brief-prompt": row(401, 403, None, 404, 403, 403, pk="brief"),
    "api:brief-prompt-rewrite": row(401, 403, None, 404, 403, 403, pk="brief"),
    "api:brief-prompt-restore": row(
        401, 403, None, 404, 403, 403, pk="brief", number="prompt_version"
    ),
    "api:brief-share-links": row(401, 403, None, 404, 403, 403, pk="brief"),
    "api:image-pick": row(401, 403, None, 404, 403, 403, pk="generated_image"),
    "api:share-link-revoke": row(401, 403, None, 404, 403, 403, pk="link"),
}

# File views: asked with HEAD as well, which must answer as GET does.
FILE_VIEWS = [
    "library_image_file",
    "library_thumbnail",
    "generated_image_file",
    "share_image",
    "share_reference_image",
    "share_pack",
    "api:image-file",
    "api:creative-image-file",
]


# --- walking the resolver ----------------------------------------------------------------------


class Pattern(NamedTuple):
    key: str  # the namespaced name, or the full route when the pattern has none
    route: str


def url_patterns() -> list[Pattern]:
    """Every pattern the root URLconf routes to, however deeply included."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Pattern]:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace or ""
                yield from walk(entry, route, inner if entry.namespace else namespace)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                yield Pattern(name if entry.name else route, route)

    return list(walk(get_resolver(), "", ""))


def _pattern_key(matrix_key: str) -> str:
    return matrix_key.split(" [", 1)[0]


_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def url_for(key: str, route: str, args: dict[str, str], world: World) -> str:
    """The address of one matrix row: named patterns reversed, unnamed ones (routes) filled."""
    kwargs = {
        name: source.removeprefix("app:") if source.startswith("app:") else world.ids[source]
        for name, source in args.items()
    }
    pattern_key = _pattern_key(key)
    if "/" not in pattern_key:
        return reverse(pattern_key, kwargs=kwargs)

    def fill(match: re.Match) -> str:
        return str(kwargs[match.group(1) or match.group(2)])

    return "/" + _ARGUMENT.sub(fill, route).replace("^", "").replace("$", "")


# --- asking --------------------------------------------------------------------------------


def _client(world: World, role: str) -> Client:
    client = Client()
    if world.users[role] is not None:
        client.force_login(world.users[role])
    return client


def _answer(response, url: str) -> int | str:
    """The status as the matrix writes it: L or AL for a redirect to that login page that
    comes back to the address asked."""
    if response.status_code == 302:
        location = urlsplit(response["Location"])
        for name, login in LOGIN_PAGES.items():
            if location.path == login and parse_qs(location.query).get("next") == [url]:
                return name
    return response.status_code


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once per module (and worker) inside a transaction that is rolled back at the end.

    Each test still runs in its own savepoint (the db fixture), so what one request writes (a
    counted share page view, a thumbnail) never reaches the next test.
    """
    media = tmp_path_factory.mktemp("url-matrix-media")
    storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": media, "base_url": "/media/"},
    }
    with (
        django_db_blocker.unblock(),
        override_settings(STORAGES={**settings.STORAGES, "default": storage}),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(_world, db) -> World:
    return _world


@pytest.fixture(scope="module")
def routes() -> dict[str, str]:
    return {pattern.key: pattern.route for pattern in url_patterns()}


def test_every_url_pattern_is_in_the_matrix(routes):
    covered = {_pattern_key(key) for key in matrix()}

    missing = sorted(set(routes) - covered)
    stale = sorted(covered - set(routes))

    assert missing == [], (
        "URL patterns with no row in tests/security/test_url_matrix.py; say who may open "
        f"them: {missing}"
    )
    assert stale == [], f"Rows for URL patterns that no longer exist: {stale}"


def test_every_post_only_view_is_in_the_post_matrix():
    rows = matrix()
    post_only = {
        key
        for key, entry in rows.items()
        if not key.startswith("admin") and entry.statuses[5] == 405 and key != "logout"
    }

    assert sorted(post_only - set(POST_MATRIX)) == []


def _ask(world: World, role: str, keys: list[str], routes, method: str = "get") -> list[str]:
    """Ask each row's address as the role; one line per answer that differs from the row."""
    index = ROLES.index(role)
    rows = POST_MATRIX if method == "post" else matrix()
    client = _client(world, role)
    wrong: list[str] = []
    shown: dict[str, str] = {}  # image address → the page that showed it
    for key in keys:
        entry = rows[key]
        expected = entry.statuses[index]
        if expected is None or _pattern_key(key) not in routes:
            continue  # an allowed POST; or a row with no pattern, which the completeness test names
        missing = [source for source in entry.args.values() if source not in world.ids]
        if any(not source.startswith("app:") for source in missing):
            wrong.append(f"{key}: tests/security/world.py makes no {missing}")
            continue
        url = url_for(key, routes[_pattern_key(key)], entry.args, world)
        response = getattr(client, method)(url)
        answer = _answer(response, url)
        if answer != expected:
            wrong.append(f"{method.upper()} {url} ({key}): {answer}, expected {expected}")
        if method == "get" and answer == 200:
            for src in _images_shown(response):
                shown.setdefault(src, key)
    # Whoever sees a page sees its images: each file view checks what its page checks.
    for src, key in shown.items():
        status = client.get(src).status_code
        if status != 200:
            wrong.append(f"GET {src} (an image on {key}): {status}, expected 200")
    return wrong


_IMG_SRC = re.compile(r"""<img\b[^>]*?\ssrc=["']([^"']+)["']""", re.IGNORECASE)


def _images_shown(response) -> list[str]:
    """The site's own image addresses in an HTML page (static files aside)."""
    if response.streaming or not response["Content-Type"].startswith("text/html"):
        return []
    sources = _IMG_SRC.findall(response.content.decode())
    return [src for src in sources if src.startswith("/") and not src.startswith("/static/")]


SECTIONS = {
    "site": lambda key: key in SITE,
    "api": lambda key: key in API,
    "admin": lambda key: key not in SITE and key not in API,
}


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_matrix_says(world, routes, role, section):
    keys = [key for key in matrix() if SECTIONS[section](key)]

    wrong = _ask(world, role, keys, routes)

    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_file_views_answer_head_as_they_answer_get(world, routes, role):
    wrong = _ask(world, role, FILE_VIEWS, routes, method="head")

    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_refused_posts_are_refused(world, routes, role):
    from generation.models import Brief

    brief = Brief.objects.get(pk=world.ids["brief"])
    before = (brief.updated_at, brief.prompt_versions.count(), brief.batches.count())

    wrong = _ask(world, role, list(POST_MATRIX), routes, method="post")

    brief.refresh_from_db()
    assert wrong == [], "\n".join(wrong)
    assert (brief.updated_at, brief.prompt_versions.count(), brief.batches.count()) == before


@pytest.mark.parametrize(
    ("token", "status"),
    [("token", 200), ("revoked_token", 410), ("expired_token", 410), ("wrong_token", 404)],
)
@pytest.mark.parametrize(
    "key", ["share_page", "share_pack", "share_image", "share_reference_image"]
)
def test_share_links_open_only_with_an_active_token(world, routes, key, token, status):
    args = {**SITE[key].args, "token": token}

    response = Client().get(url_for(key, routes[key], args, world))

    assert response.status_code == status
    assert response["Cache-Control"] == "private, no-store"
