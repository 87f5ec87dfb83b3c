"""Who may open or change what: every brief page URL × every kind of user, GET and POST.

Seeing a brief needs permissions.can_view (another analyst's brief is a 404, so nobody learns
it exists); every POST needs can_change (403); people outside the analysts and leads get a
polite 403; anonymous visitors go to the login page; a method a URL does not take is a 405 for
everyone. A refused request must leave everything as it was.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from campaigns.models import Objective
from generation.models import (
    Brief,
    BriefReference,
    GeneratedImage,
    ImageBatch,
    ModelJob,
    PromptVersion,
    ShareLink,
)
from generation.sharing import links as sharing
from tests.factories import make_image, make_node, make_png

USERS = ("owner", "other", "lead", "outsider", "anonymous")


@pytest.fixture
def world(db, media_storage, analyst, lead, outsider):
    """One analyst's brief with a reference, a prompt, a generated image and a share link."""
    other = User.objects.create_user(username="olga_other", password="s3cret-pass")
    other.groups.add(Group.objects.get(name="Analysts"))
    node = make_node(name="Wompi", slug="wompi")
    brief = Brief.objects.create(
        owner=analyst,
        node=node,
        objective=Objective.TRAFFIC,
        title="Links de pago",
        description="Emprendedora recibiendo pagos",
    )
    reference = BriefReference.objects.create(brief=brief, image=make_image(), order=1)
    PromptVersion.objects.create(
        brief=brief, number=1, positive="a woman paying with a phone", source="composer"
    )
    job = ModelJob.objects.create(
        kind=ModelJob.Kind.GENERATE, brief=brief, status=ModelJob.Status.SUCCEEDED
    )
    batch = ImageBatch.objects.create(brief=brief, job=job, seed=1, image_count=1)
    image = GeneratedImage(batch=batch, index=0, seed=1, width=12, height=8)
    image.file.save("generated.png", ContentFile(make_png()), save=True)
    link, _token = sharing.share_link_create(brief=brief, agency="Agencia", days=5)
    return {
        "users": {"owner": analyst, "other": other, "lead": lead, "outsider": outsider},
        "node": node,
        "brief": brief,
        "image_id": reference.image_id,
        "generated": image,
        "link": link,
    }


def _url(name: str, world: dict) -> str:
    brief = world["brief"].pk
    args = {
        "home": [],
        "brief_new": [],
        "brief_detail": [brief],
        "brief_reference": [brief, world["image_id"]],
        "brief_rerank": [brief],
        "brief_prompt_edit": [brief],
        "brief_prompt_rewrite": [brief],
        "brief_prompt_restore": [brief, 1],
        "brief_generate": [brief],
        "brief_progress": [brief],
        "image_pick": [brief, world["generated"].pk],
        "brief_share": [brief],
        "share_revoke": [brief, world["link"].pk],
        "generated_image_file": [world["generated"].pk],
    }[name]
    return reverse(name, args=args)


def _data(name: str, world: dict) -> dict:
    """A valid POST for the URL: what the owner's browser would send."""
    return {
        "brief_new": {
            "node": world["node"].pk,
            "objective": "traffic",
            "title": "Otro brief",
            "description": "Pagos con el celular en la plaza",
            "image_count": "4",
            "guidance_scale": "7",
            "sketch_strength": "0.6",
        },
        "brief_reference": {"action": "pin"},
        "brief_prompt_edit": {"positive": "a man paying at a market stall", "negative": ""},
        "brief_generate": {"guidance_scale": "7", "image_count": "1"},
        "image_pick": {"picked": "true"},
        "brief_share": {"agency": "Agencia Norte", "days": "7"},
    }.get(name, {})


def _state() -> dict:
    """Everything a POST on these pages can change."""
    return {
        "briefs": Brief.objects.count(),
        "pinned": BriefReference.objects.filter(pinned=True).count(),
        "prompts": PromptVersion.objects.count(),
        "batches": ImageBatch.objects.count(),
        "picked": GeneratedImage.objects.filter(picked=True).count(),
        "links": ShareLink.objects.count(),
        "revoked": ShareLink.objects.filter(revoked_at__isnull=False).count(),
    }


def _row(owner, other, lead, outsider, anonymous) -> dict[str, int]:
    return dict(zip(USERS, (owner, other, lead, outsider, anonymous), strict=True))


# (URL name, method): expected status for owner, other analyst, lead, outsider, anonymous.
MATRIX = {
    ("home", "GET"): _row(200, 200, 200, 200, 302),
    ("home", "POST"): _row(405, 405, 405, 405, 405),
    ("brief_new", "GET"): _row(200, 200, 200, 403, 302),
    ("brief_new", "POST"): _row(302, 302, 302, 403, 302),
    ("brief_detail", "GET"): _row(200, 404, 200, 403, 302),
    ("brief_detail", "POST"): _row(405, 405, 405, 405, 405),
    ("brief_reference", "GET"): _row(405, 405, 405, 405, 405),
    ("brief_reference", "POST"): _row(302, 404, 403, 403, 302),
    ("brief_rerank", "GET"): _row(405, 405, 405, 405, 405),
    ("brief_rerank", "POST"): _row(302, 404, 403, 403, 302),
    ("brief_prompt_edit", "GET"): _row(405, 405, 405, 405, 405),
    ("brief_prompt_edit", "POST"): _row(302, 404, 403, 403, 302),
    ("brief_prompt_rewrite", "GET"): _row(405, 405, 405, 405, 405),
    ("brief_prompt_rewrite", "POST"): _row(302, 404, 403, 403, 302),
    ("brief_prompt_restore", "GET"): _row(405, 405, 405, 405, 405),
    ("brief_prompt_restore", "POST"): _row(302, 404, 403, 403, 302),
    ("brief_generate", "GET"): _row(405, 405, 405, 405, 405),
    ("brief_generate", "POST"): _row(302, 404, 403, 403, 302),
    ("brief_progress", "GET"): _row(200, 404, 200, 403, 302),
    ("brief_progress", "POST"): _row(405, 405, 405, 405, 405),
    ("image_pick", "GET"): _row(405, 405, 405, 405, 405),
    ("image_pick", "POST"): _row(302, 404, 403, 403, 302),
    ("brief_share", "GET"): _row(200, 404, 200, 403, 302),
    ("brief_share", "POST"): _row(200, 404, 403, 403, 302),
    ("share_revoke", "GET"): _row(405, 405, 405, 405, 405),
    ("share_revoke", "POST"): _row(302, 404, 403, 403, 302),
    ("generated_image_file", "GET"): _row(200, 404, 200, 403, 302),
    ("generated_image_file", "POST"): _row(405, 405, 405, 405, 405),
}

CELLS = [
    pytest.param(name, method, who, status, id=f"{name}-{method}-{who}")
    for (name, method), row in MATRIX.items()
    for who, status in row.items()
]


def test_the_table_covers_every_analyst_page_of_the_url_map():
    from generation.briefs.urls import urlpatterns

    # Pinning a board on a brief starts on the board page; tests/library/test_boards.py covers it.
    ours = {p.name for p in urlpatterns} - {"board_to_brief"}
    assert {name for name, _method in MATRIX} == ours | {"home"}


@pytest.mark.parametrize(("name", "method", "who", "status"), CELLS)
def test_each_user_gets_the_expected_status_on_each_page(client, world, name, method, who, status):
    if who != "anonymous":
        client.force_login(world["users"][who])
    url = _url(name, world)
    before = _state()

    response = client.get(url) if method == "GET" else client.post(url, _data(name, world))

    assert response.status_code == status
    if status == 302 and who == "anonymous":
        assert response["Location"] == f"{reverse('login')}?next={url}"
    if status in (302, 403, 404, 405) and not (status == 302 and who != "anonymous"):
        assert _state() == before  # a refused request changes nothing


def test_analysts_who_see_the_team_may_look_but_still_not_change(client, world, settings):
    settings.YENNI_ANALYSTS_SEE_TEAM = True
    client.force_login(world["users"]["other"])
    before = _state()

    looks = [client.get(_url(n, world)).status_code for n in ("brief_detail", "brief_progress")]
    changes = [
        client.post(_url(n, world), _data(n, world)).status_code
        for n in ("brief_reference", "brief_generate", "image_pick", "brief_share")
    ]

    assert looks == [200, 200]
    assert changes == [403, 403, 403, 403]
    assert _state() == before


@pytest.mark.parametrize(
    "name",
    [
        "brief_new",
        "brief_reference",
        "brief_rerank",
        "brief_prompt_edit",
        "brief_prompt_rewrite",
        "brief_prompt_restore",
        "brief_generate",
        "image_pick",
        "brief_share",
        "share_revoke",
    ],
)
def test_every_post_needs_the_csrf_token(world, name):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["users"]["owner"])
    before = _state()

    response = browser.post(_url(name, world), _data(name, world))

    assert response.status_code == 403
    assert b"CSRF" in response.content
    assert _state() == before
