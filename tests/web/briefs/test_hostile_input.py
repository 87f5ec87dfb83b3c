"""NUL bytes and oversize values on every page that takes input: a message, never a 500.

PostgreSQL refuses a NUL byte in text ("A string literal cannot contain NUL (0x00)
characters"), so a value that reaches the database unchecked is a server error there and not on
SQLite: the suite runs on both. Forms refuse such values with Django's message; ids that only a
tampered form could send answer 404 or 400, as malformed ids always have.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from generation.models import BriefReference, GeneratedImage, PromptVersion, ShareLink
from library import boards
from library.models import Board, BoardItem
from tests.web.briefs.helpers import _batch, _refs

NUL = "a\x00b"
NUL_MESSAGE = "Null characters are not allowed."


@pytest.fixture
def board(analyst, node) -> Board:
    return boards.board_create(owner=analyst, name="Favoritas")


@pytest.fixture
def image_id(brief) -> int:
    return _refs(brief)[0]


# --- boards ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new_board", "message"),
    [
        (NUL, NUL_MESSAGE),
        ("x" * 81, "Board names have at most 80 characters."),
    ],
)
def test_a_new_board_name_with_a_nul_byte_or_too_long_is_refused_with_a_message(
    en, analyst, image_id, new_board, message
):
    en.force_login(analyst)

    response = en.post(
        reverse("board_add"),
        {"board": "new", "new_board": new_board, "image_id": image_id},
        follow=True,
    )

    assert response.status_code == 200
    assertContains(response, message)
    assert not Board.objects.exists()


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (NUL, NUL_MESSAGE),
        ("x" * 301, "Keep the note under 300 characters."),
    ],
)
def test_a_note_with_a_nul_byte_or_too_long_is_refused_with_a_message(
    en, analyst, board, image_id, note, message
):
    en.force_login(analyst)

    response = en.post(
        reverse("board_add"),
        {"board": board.pk, "image_id": image_id, "note": note},
        follow=True,
    )

    assert response.status_code == 200
    assertContains(response, message)
    assert not BoardItem.objects.exists()


@pytest.mark.parametrize("field", ["board", "image_id"])
def test_a_tampered_board_or_image_id_is_not_found(en, analyst, board, image_id, field):
    en.force_login(analyst)
    data = {"board": board.pk, "image_id": image_id, field: NUL}

    response = en.post(reverse("board_add"), data)

    assert response.status_code == 404
    assert not BoardItem.objects.exists()


@pytest.mark.parametrize("target", ["/boards/\x00", "/" + "x" * 3000])
def test_a_next_address_with_a_nul_byte_or_too_long_is_ignored(
    en, analyst, board, image_id, target
):
    en.force_login(analyst)

    response = en.post(
        reverse("board_add"), {"board": board.pk, "image_id": image_id, "next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("board_detail", args=[board.pk])
    assert board.items.count() == 1


def test_a_board_pinned_on_a_tampered_brief_id_is_not_found(en, analyst, board, brief, image_id):
    boards.board_add(board, image_id=image_id)
    en.force_login(analyst)

    response = en.post(reverse("board_to_brief", args=[board.pk]), {"brief": f"{brief.pk}\x00"})

    assert response.status_code == 404


# --- the brief pages ----------------------------------------------------------------------


def test_a_reference_action_with_a_nul_byte_is_refused(en, brief, image_id):
    en.force_login(brief.owner)

    response = en.post(reverse("brief_reference", args=[brief.pk, image_id]), {"action": NUL})

    assert response.status_code == 400
    assert response.content.decode() == "Unknown action: use pin, unpin, exclude or include."
    assert not BriefReference.objects.filter(brief=brief, pinned=True).exists()


def test_a_pick_with_a_nul_byte_is_refused(en, brief):
    image = _batch(brief, images=1).images.get()
    en.force_login(brief.owner)

    response = en.post(reverse("image_pick", args=[brief.pk, image.pk]), {"picked": NUL})

    assert response.status_code == 400
    assert response.content.decode() == "Say picked=true or picked=false."
    assert not GeneratedImage.objects.filter(picked=True).exists()


@pytest.mark.parametrize("field", ["title", "description", "audience", "tone"])
def test_the_brief_form_refuses_a_nul_byte_in_each_text_field(en, analyst, node, field):
    en.force_login(analyst)
    data = {
        "node": node.pk,
        "objective": "traffic",
        "title": "Links de pago",
        "description": "Emprendedora recibiendo pagos con el celular",
        "image_count": 4,
        "guidance_scale": 7,
        "sketch_strength": 0.6,
        field: "Emprendedora\x00 con el celular",
    }

    response = en.post(reverse("brief_new"), data)

    assert response.status_code == 200
    assertContains(response, NUL_MESSAGE)
    assert not analyst.briefs.exists()


@pytest.mark.parametrize("field", ["positive", "negative"])
def test_the_prompt_form_refuses_a_nul_byte(en, brief, field):
    en.force_login(brief.owner)
    versions = PromptVersion.objects.filter(brief=brief).count()
    data = {"positive": "a photo", "negative": "", field: NUL}

    response = en.post(reverse("brief_prompt_edit", args=[brief.pk]), data)

    assert response.status_code == 200
    assertContains(response, NUL_MESSAGE)
    assert PromptVersion.objects.filter(brief=brief).count() == versions


@pytest.mark.parametrize("field", ["seed", "guidance_scale", "style_preset", "image_count"])
def test_the_generate_form_refuses_a_nul_byte(en, brief, field, settings):
    # An image model named, so the form is read (with none, nothing is read: issue 14 item 7).
    settings.YENNI_MODELS = {**settings.YENNI_MODELS, "image": {"backend": "sdxl", "model": "x"}}
    en.force_login(brief.owner)
    data = {"seed": "", "guidance_scale": 7, "style_preset": "", "image_count": 4, field: NUL}

    response = en.post(reverse("brief_generate", args=[brief.pk]), data)

    assert response.status_code == 200
    assert not brief.batches.exists()


@pytest.mark.parametrize(
    ("agency", "message"),
    [(NUL, NUL_MESSAGE), ("x" * 121, "Keep the agency&#x27;s name under 120 characters.")],
)
def test_the_share_form_refuses_a_nul_byte_or_a_long_agency(en, brief, agency, message):
    en.force_login(brief.owner)

    response = en.post(reverse("brief_share", args=[brief.pk]), {"agency": agency, "days": 7})

    assert response.status_code == 200
    assertContains(response, message)
    assert not ShareLink.objects.exists()


# --- pages read with GET --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", [{"node": NUL}, {"objective": NUL}, {"node": "x" * 500, "objective": "x" * 500}]
)
def test_the_insights_page_says_what_is_wrong_with_its_filter(en, analyst, node, query):
    en.force_login(analyst)

    response = en.get(reverse("insights"), query)

    assert response.status_code == 200
    assertContains(response, "Showing the first business unit and objective instead.")


@pytest.mark.parametrize("field", ["q", "node", "sort", "colour"])
def test_the_library_refuses_a_nul_byte_in_its_filter(en, analyst, node, field):
    en.force_login(analyst)

    response = en.get(reverse("library"), {field: NUL})

    assert response.status_code == 200
