"""Who may call what: every endpoint and method for each kind of user, cell by cell.

The brief belongs to the owner analyst. Other analysts do not see it (404) unless
YENNI_ANALYSTS_SEE_TEAM is on, and then may read but not change it (403); leads read every
brief and change none but their own (403); a signed-in user in no group gets 403 everywhere
but the schema and docs; an anonymous request gets 401 everywhere. A refused change leaves
the database as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.db.models import Q
from rest_framework.test import APIClient

from campaigns.models import Node
from creatives.models import CreativeImage
from generation.briefs import services
from generation.models import (
    Brief,
    BriefReference,
    GeneratedImage,
    ImageBatch,
    ModelJob,
    PromptVersion,
    ShareLink,
)
from generation.sharing.links import share_link_create
from tests.factories import make_ad, make_creative, make_image, make_metric

USERS = ("owner", "other_analyst", "lead", "outsider", "anonymous")


@dataclass(frozen=True)
class World:
    brief: Brief
    image: CreativeImage
    generated: GeneratedImage
    job: ModelJob
    link: ShareLink
    creative_id: int


@pytest.fixture
def world(db, media_storage, analyst, image_model_configured) -> World:
    """A brief with one of everything, built directly: no ranking needed to test access."""
    node = Node.objects.create(name="Wompi", slug="wompi")
    image = make_image()
    creative = make_creative(images=[image])
    make_metric(ad=make_ad(creative=creative))
    brief = Brief.objects.create(
        owner=analyst,
        node=node,
        objective="traffic",
        title="Links de pago",
        description="Pagos con el celular",
    )
    BriefReference.objects.create(brief=brief, image=image, order=1)
    services.prompt_version_edit(brief, positive="a shop", negative="", author=analyst)
    batch = services.batch_queue(brief, seed=1, image_count=1)  # queued: commit never comes
    generated = GeneratedImage.objects.create(
        batch=batch, index=0, seed=1, file="generated/x.png", width=8, height=8
    )
    link, _token = share_link_create(brief=brief, agency="DDB", days=3, created_by=analyst)
    return World(brief, image, generated, batch.job, link, creative.pk)


@pytest.fixture
def client_as(analyst, other_analyst, lead, outsider, api_for):
    users: dict[str, User | None] = {
        "owner": analyst,
        "other_analyst": other_analyst,
        "lead": lead,
        "outsider": outsider,
        "anonymous": None,
    }
    return lambda who: api_for(users[who])


def _state() -> tuple:
    """Everything a refused request might have changed."""
    return (
        Brief.objects.count(),
        PromptVersion.objects.count(),
        ImageBatch.objects.count(),
        ModelJob.objects.count(),
        ShareLink.objects.count(),
        ShareLink.objects.filter(revoked_at__isnull=False).count(),
        BriefReference.objects.filter(Q(pinned=True) | Q(excluded=True)).count(),
        GeneratedImage.objects.filter(picked=True).count(),
    )


NEW_BRIEF = {
    "node": "wompi",
    "objective": "traffic",
    "title": "Otro brief",
    "description": "Un brief nuevo para probar permisos",
}

# (endpoint, method, path, body, expected status for each of USERS)
MATRIX = [
    ("brief list", "get", "/api/v1/briefs/", None, (200, 200, 200, 403, 401)),
    ("brief create", "post", "/api/v1/briefs/", NEW_BRIEF, (201, 201, 201, 403, 401)),
    ("brief read", "get", "/api/v1/briefs/{brief}/", None, (200, 404, 200, 403, 401)),
    ("brief replace", "put", "/api/v1/briefs/{brief}/", NEW_BRIEF, (405, 405, 405, 403, 401)),
    ("brief update", "patch", "/api/v1/briefs/{brief}/", {"title": "x"}, (405, 405, 405, 403, 401)),
    ("brief delete", "delete", "/api/v1/briefs/{brief}/", None, (405, 405, 405, 403, 401)),
    ("rank", "post", "/api/v1/briefs/{brief}/rank/", None, (200, 404, 403, 403, 401)),
    (
        "reference mark",
        "post",
        "/api/v1/briefs/{brief}/references/{image}/",
        {"pinned": True},
        (200, 404, 403, 403, 401),
    ),
    ("prompt versions", "get", "/api/v1/briefs/{brief}/prompt/", None, (200, 404, 200, 403, 401)),
    (
        "prompt edit",
        "post",
        "/api/v1/briefs/{brief}/prompt/",
        {"positive": "a bright shop", "negative": ""},
        (201, 404, 403, 403, 401),
    ),
    ("generate", "post", "/api/v1/briefs/{brief}/generate/", {}, (202, 404, 403, 403, 401)),
    ("images", "get", "/api/v1/briefs/{brief}/images/", None, (200, 404, 200, 403, 401)),
    ("share links", "get", "/api/v1/briefs/{brief}/share-links/", None, (200, 404, 200, 403, 401)),
    (
        "share create",
        "post",
        "/api/v1/briefs/{brief}/share-links/",
        {"agency": "Sancho", "days": 2, "confirm": True},
        (201, 404, 403, 403, 401),
    ),
    ("job", "get", "/api/v1/jobs/{job}/", None, (200, 404, 200, 403, 401)),
    (
        "pick",
        "post",
        "/api/v1/images/{generated}/pick/",
        {"picked": True},
        (200, 404, 403, 403, 401),
    ),
    ("revoke", "post", "/api/v1/share-links/{link}/revoke/", None, (200, 404, 403, 403, 401)),
    ("creatives", "get", "/api/v1/creatives/", None, (200, 200, 200, 403, 401)),
    ("creative", "get", "/api/v1/creatives/{creative}/", None, (200, 200, 200, 403, 401)),
    ("metrics", "get", "/api/v1/creatives/{creative}/metrics/", None, (200, 200, 200, 403, 401)),
    ("nodes", "get", "/api/v1/nodes/", None, (200, 200, 200, 403, 401)),
    ("style presets", "get", "/api/v1/style-presets/", None, (200, 200, 200, 403, 401)),
    ("schema", "get", "/api/schema/", None, (200, 200, 200, 200, 401)),
    ("docs", "get", "/api/docs/", None, (200, 200, 200, 200, 401)),
]

# With YENNI_ANALYSTS_SEE_TEAM on, another analyst reads the brief but still cannot change it.
TEAM_READS = {"brief read", "prompt versions", "images", "share links", "job"}

CELLS = [
    pytest.param(method, path, body, who, expected[USERS.index(who)], id=f"{name}-{who}")
    for name, method, path, body, expected in MATRIX
    for who in USERS
]
TEAM_CELLS = [
    pytest.param(
        method,
        path,
        body,
        200 if name in TEAM_READS else (403 if status == 404 else status),
        id=name,
    )
    for name, method, path, body, (_owner, status, *_rest) in MATRIX
]


def _call(api: APIClient, method: str, path: str, body, world: World):
    url = path.format(
        brief=world.brief.pk,
        image=world.image.pk,
        generated=world.generated.pk,
        job=world.job.pk,
        link=world.link.pk,
        creative=world.creative_id,
    )
    send = getattr(api, method)
    return send(url) if body is None else send(url, body, format="json")


@pytest.mark.parametrize(("method", "path", "body", "who", "expected"), CELLS)
def test_each_user_gets_exactly_the_expected_status(
    client_as, world, method, path, body, who, expected
):
    before = _state()

    response = _call(client_as(who), method, path, body, world)

    assert response.status_code == expected
    if expected >= 400:
        assert _state() == before
    if expected in (401, 403, 404, 405) and not path.startswith("/api/docs"):
        assert isinstance(response.json()["detail"], str)
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(("method", "path", "body", "expected"), TEAM_CELLS)
def test_with_team_visibility_another_analyst_reads_but_never_changes(
    client_as, world, settings, method, path, body, expected
):
    settings.YENNI_ANALYSTS_SEE_TEAM = True
    before = _state()

    response = _call(client_as("other_analyst"), method, path, body, world)

    assert response.status_code == expected
    if expected >= 400:
        assert _state() == before


def test_a_refused_change_says_who_may_make_it(client_as, world):
    response = client_as("lead").post(f"/api/v1/briefs/{world.brief.pk}/rank/")

    assert response.json() == {"detail": "Only the analyst who opened this brief can change it."}


def test_a_user_in_no_group_is_told_to_ask_for_access(client_as, world):
    response = client_as("outsider").get("/api/v1/briefs/")

    assert response.json() == {
        "detail": "Your account is neither an analyst nor a marketing lead, so it cannot use "
        "the API. Ask a marketing lead to add you to the Analysts group."
    }


def test_an_analyst_lists_only_their_own_briefs_and_a_lead_lists_all(
    client_as, world, other_analyst
):
    theirs = Brief.objects.create(
        owner=other_analyst,
        node=world.brief.node,
        objective="traffic",
        title="Theirs",
        description="Otro brief de otra persona",
    )

    def ids(who: str) -> list[int]:
        return [row["id"] for row in client_as(who).get("/api/v1/briefs/").json()["results"]]

    assert ids("owner") == [world.brief.pk]
    assert ids("other_analyst") == [theirs.pk]
    assert ids("lead") == [theirs.pk, world.brief.pk]


def test_with_team_visibility_analysts_list_the_whole_team(
    client_as, world, other_analyst, settings
):
    settings.YENNI_ANALYSTS_SEE_TEAM = True

    response = client_as("other_analyst").get("/api/v1/briefs/")

    assert [row["id"] for row in response.json()["results"]] == [world.brief.pk]


def test_can_change_tells_the_reader_whether_the_actions_will_work(client_as, world):
    owner = client_as("owner").get(f"/api/v1/briefs/{world.brief.pk}/").json()
    lead = client_as("lead").get(f"/api/v1/briefs/{world.brief.pk}/").json()

    assert (owner["can_change"], lead["can_change"]) == (True, False)


def test_a_lead_changes_their_own_brief(client_as, world, lead):
    own = Brief.objects.create(
        owner=lead,
        node=world.brief.node,
        objective="traffic",
        title="Mine",
        description="Un brief de la líder",
    )

    response = client_as("lead").post(
        f"/api/v1/briefs/{own.pk}/prompt/", {"positive": "a calm bank office"}, format="json"
    )

    assert response.status_code == 201
    assert own.prompt_versions.get().author == lead


def test_an_analyst_removed_from_the_group_loses_access_with_the_same_token(
    client_as, world, analyst
):
    api = client_as("owner")
    assert api.get("/api/v1/briefs/").status_code == 200
    analyst.groups.clear()

    assert api.get("/api/v1/briefs/").status_code == 403
