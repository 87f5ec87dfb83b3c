"""Boards: save pieces, list them, remove them, pin a board on a brief; only the owner's."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from PIL import Image

from campaigns.models import Objective
from creatives.models import CreativeImage
from generation.briefs import services
from generation.models import Brief, BriefReference
from library import boards
from library.models import Board, BoardItem
from tests.factories import make_node


def _image(n: int) -> CreativeImage:
    from creatives.services import creative_image_store

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), ((n * 37) % 256, (n * 91) % 256, 90)).save(buffer, format="PNG")
    image, _ = creative_image_store(data=buffer.getvalue())
    return image


@pytest.fixture
def images(db, media_storage) -> list[CreativeImage]:
    return [_image(n) for n in range(1, 5)]


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def other_analyst(db) -> User:
    user = User.objects.create_user(username="olga_other", password="s3cret-pass")
    user.groups.add(Group.objects.get(name="Analysts"))
    return user


def _brief(owner: User, title: str = "Links de pago") -> Brief:
    return Brief.objects.create(
        owner=owner,
        node=make_node(),
        objective=Objective.TRAFFIC,
        title=title,
        description="Emprendedora recibiendo pagos con el celular",
    )


def _board(owner: User, name: str, images: list[CreativeImage]) -> Board:
    board = boards.board_create(owner=owner, name=name)
    for image in images:
        boards.board_add(board, image_id=image.pk)
    return board


def _ids(board: Board) -> list[int]:
    return list(board.items.order_by("added_at", "pk").values_list("image_id", flat=True))


# --- services -------------------------------------------------------------------------------


def test_creating_a_board_with_a_name_already_used_returns_that_board(analyst):
    first = boards.board_create(owner=analyst, name="Ideas  de verano")

    again = boards.board_create(owner=analyst, name="  ideas de VERANO ")

    assert again == first
    assert first.name == "Ideas de verano"
    assert Board.objects.filter(owner=analyst).count() == 1


def test_two_analysts_may_each_have_a_board_of_the_same_name(analyst, other_analyst):
    mine = boards.board_create(owner=analyst, name="Favoritas")
    theirs = boards.board_create(owner=other_analyst, name="Favoritas")

    assert mine != theirs
    assert Board.objects.filter(name="Favoritas").count() == 2


@pytest.mark.parametrize(
    "name,message",
    [
        ("   ", "Give the board a name."),
        ("x" * 81, "Board names have at most 80 characters."),
    ],
)
def test_a_board_needs_a_short_non_empty_name(analyst, name, message):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        boards.board_create(owner=analyst, name=name)

    assert caught.value.messages == [message]
    assert not Board.objects.exists()


def test_adding_the_same_piece_twice_keeps_one_item(analyst, images):
    board = boards.board_create(owner=analyst, name="Favoritas")

    first = boards.board_add(board, image_id=images[0].pk, note="warm light")
    second = boards.board_add(board, image_id=images[0].pk, note="another note")

    assert first[1] is True and second[1] is False
    assert first[0] == second[0]
    assert list(board.items.values_list("image_id", "note")) == [(images[0].pk, "warm light")]


def test_adding_an_unknown_image_raises_and_adds_nothing(analyst, db):
    board = boards.board_create(owner=analyst, name="Favoritas")

    with pytest.raises(CreativeImage.DoesNotExist):
        boards.board_add(board, image_id=999_999)

    assert not BoardItem.objects.exists()


def test_removing_takes_the_piece_off_and_says_whether_it_was_there(analyst, images):
    board = _board(analyst, "Favoritas", images[:2])

    assert boards.board_remove(board, image_id=images[0].pk) is True
    assert boards.board_remove(board, image_id=images[0].pk) is False
    assert _ids(board) == [images[1].pk]


def test_a_board_on_a_brief_pins_each_piece_in_the_boards_order(analyst, images):
    brief = _brief(analyst)
    # One image is already a ranked reference, one was excluded by the analyst.
    BriefReference.objects.create(brief=brief, image=images[1], order=1, metric="ctr")
    BriefReference.objects.create(brief=brief, image=images[2], order=2, excluded=True)
    board = _board(analyst, "Favoritas", [images[2], images[0], images[1]])

    refs = services.board_to_brief(board, brief)

    assert [ref.image_id for ref in refs] == [images[2].pk, images[0].pk, images[1].pk]
    assert sorted(
        brief.references.values_list("image_id", "pinned", "excluded", "order", "metric")
    ) == sorted(
        [
            (images[0].pk, True, False, 3, ""),
            (images[1].pk, True, False, 1, "ctr"),
            (images[2].pk, True, False, 2, ""),
        ]
    )


def test_pinning_a_board_twice_adds_no_duplicate_references(analyst, images):
    brief = _brief(analyst)
    board = _board(analyst, "Favoritas", images[:2])

    services.board_to_brief(board, brief)
    services.board_to_brief(board, brief)

    assert brief.references.count() == 2


def test_a_board_cannot_be_pinned_on_a_brief_its_owner_may_not_change(
    analyst, other_analyst, images
):
    brief = _brief(other_analyst)
    board = _board(analyst, "Favoritas", images[:2])

    with pytest.raises(PermissionDenied):
        services.board_to_brief(board, brief)

    assert not brief.references.exists()


# --- pages ----------------------------------------------------------------------------------


def test_saving_a_piece_to_a_new_board_named_inline_creates_both_and_goes_back(en, analyst, images):
    en.force_login(analyst)
    back = reverse("creative_detail", args=[images[0].pk])

    response = en.post(
        reverse("board_add"),
        {"board": "new", "new_board": "Fotos cálidas", "image_id": images[0].pk, "next": back},
        follow=True,
    )

    board = Board.objects.get(owner=analyst)
    assert response.redirect_chain == [(back, 302)]
    assert board.name == "Fotos cálidas"
    assert _ids(board) == [images[0].pk]
    assert "Saved to “Fotos cálidas”." in response.content.decode()


def test_saving_a_piece_to_an_existing_board_twice_keeps_one_and_says_so(en, analyst, images):
    en.force_login(analyst)
    board = _board(analyst, "Favoritas", [])
    data = {"board": board.pk, "image_id": images[1].pk}

    en.post(reverse("board_add"), data)
    response = en.post(reverse("board_add"), data, follow=True)

    assert _ids(board) == [images[1].pk]
    assert response.redirect_chain == [(reverse("board_detail", args=[board.pk]), 302)]
    assert "Already on “Favoritas”." in response.content.decode()


def test_a_new_board_without_a_name_is_refused_and_nothing_is_created(en, analyst, images):
    en.force_login(analyst)

    response = en.post(
        reverse("board_add"),
        {"board": "new", "new_board": " ", "image_id": images[0].pk},
        follow=True,
    )

    assert not Board.objects.exists() and not BoardItem.objects.exists()
    assert "Choose a board, or give the new board a name." in response.content.decode()


def test_an_unknown_image_is_refused_with_a_message(en, analyst, db):
    en.force_login(analyst)
    board = _board(analyst, "Favoritas", [])

    response = en.post(reverse("board_add"), {"board": board.pk, "image_id": 999_999}, follow=True)

    assert not BoardItem.objects.exists()
    assert "That image is not in the library." in response.content.decode()


def test_the_boards_page_creates_an_empty_board(en, analyst, db):
    en.force_login(analyst)

    response = en.post(reverse("board_add"), {"board": "new", "new_board": "Ideas"})

    board = Board.objects.get(owner=analyst, name="Ideas")
    assert response.status_code == 302
    assert response["Location"] == reverse("board_detail", args=[board.pk])
    assert not board.items.exists()


def test_a_next_address_on_another_site_is_ignored(en, analyst, images):
    en.force_login(analyst)
    board = _board(analyst, "Favoritas", [])

    response = en.post(
        reverse("board_add"),
        {"board": board.pk, "image_id": images[0].pk, "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("board_detail", args=[board.pk])


def test_the_board_list_shows_only_the_users_boards_with_their_size(
    en, analyst, other_analyst, images
):
    _board(analyst, "Favoritas", images[:3])
    _board(analyst, "Vacía", [])
    _board(other_analyst, "De Olga", images[:1])
    en.force_login(analyst)

    html = en.get(reverse("board_list")).content.decode()

    assert html.count('data-testid="board-card"') == 2
    assert "Favoritas" in html and "Vacía" in html
    assert "De Olga" not in html
    assert "3 pieces" in html and "0 pieces" in html


def test_the_board_page_lists_its_pieces_and_the_users_own_briefs(
    en, analyst, other_analyst, images
):
    board = _board(analyst, "Favoritas", images[:2])
    mine = _brief(analyst, "Mi brief")
    _brief(other_analyst, "El de Olga")
    en.force_login(analyst)

    html = en.get(reverse("board_detail", args=[board.pk])).content.decode()

    assert html.count('data-testid="board-item"') == 2
    assert f'<option value="{mine.pk}">Mi brief' in html
    assert "El de Olga" not in html
    assert 'data-testid="use-board"' in html


def test_removing_a_piece_from_the_board_page(en, analyst, images):
    board = _board(analyst, "Favoritas", images[:2])
    en.force_login(analyst)

    response = en.post(reverse("board_remove", args=[board.pk, images[0].pk]))

    assert response["Location"] == reverse("board_detail", args=[board.pk])
    assert _ids(board) == [images[1].pk]


def test_using_a_board_in_a_brief_pins_its_pieces_and_opens_the_brief(en, analyst, images):
    board = _board(analyst, "Favoritas", images[:3])
    brief = _brief(analyst)
    en.force_login(analyst)

    response = en.post(reverse("board_to_brief", args=[board.pk]), {"brief": brief.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("brief_detail", args=[brief.pk]) + "#references"
    assert sorted(brief.references.filter(pinned=True).values_list("image_id", flat=True)) == (
        sorted(image.pk for image in images[:3])
    )


def test_an_empty_board_pins_nothing_and_says_so(en, analyst, db):
    board = _board(analyst, "Vacía", [])
    brief = _brief(analyst)
    en.force_login(analyst)

    response = en.post(reverse("board_to_brief", args=[board.pk]), {"brief": brief.pk}, follow=True)

    assert "The board is empty: add pieces to it first." in response.content.decode()
    assert not brief.references.exists()


# --- someone else's board, someone else's brief ---------------------------------------------


def test_someone_elses_board_is_not_found_and_stays_as_it_was(en, analyst, other_analyst, images):
    theirs = _board(other_analyst, "De Olga", images[:1])
    mine = _brief(analyst)
    en.force_login(analyst)

    pages = [
        en.get(reverse("board_detail", args=[theirs.pk])),
        en.post(reverse("board_add"), {"board": theirs.pk, "image_id": images[1].pk}),
        en.post(reverse("board_remove", args=[theirs.pk, images[0].pk])),
        en.post(reverse("board_to_brief", args=[theirs.pk]), {"brief": mine.pk}),
    ]

    assert [page.status_code for page in pages] == [404, 404, 404, 404]
    assert _ids(theirs) == [images[0].pk]
    assert not mine.references.exists()


def test_a_brief_the_user_cannot_see_is_not_found_and_nothing_is_pinned(
    en, analyst, other_analyst, images
):
    board = _board(analyst, "Favoritas", images[:2])
    theirs = _brief(other_analyst)
    en.force_login(analyst)

    response = en.post(reverse("board_to_brief", args=[board.pk]), {"brief": theirs.pk})

    assert response.status_code == 404
    assert not theirs.references.exists()


def test_a_brief_the_user_sees_but_cannot_change_is_refused_and_nothing_is_pinned(
    en, lead, analyst, images
):
    board = _board(lead, "De Lucía", images[:2])
    analysts_brief = _brief(analyst)  # a lead sees every brief, changes only their own
    en.force_login(lead)

    response = en.post(reverse("board_to_brief", args=[board.pk]), {"brief": analysts_brief.pk})

    assert response.status_code == 403
    assert "Only the brief" in response.content.decode()
    assert not analysts_brief.references.exists()


@pytest.mark.parametrize("value", ["", "abc"])
def test_a_missing_or_malformed_brief_is_not_found(en, analyst, images, value):
    board = _board(analyst, "Favoritas", images[:1])
    en.force_login(analyst)

    response = en.post(reverse("board_to_brief", args=[board.pk]), {"brief": value})

    assert response.status_code == 404


def test_a_lead_uses_boards_on_their_own_briefs(en, lead, images):
    board = _board(lead, "De Lucía", images[:1])
    brief = _brief(lead)
    en.force_login(lead)

    response = en.post(reverse("board_to_brief", args=[board.pk]), {"brief": brief.pk})

    assert response.status_code == 302
    assert list(brief.references.values_list("image_id", "pinned")) == [(images[0].pk, True)]


@pytest.mark.parametrize(
    "method,name,args",
    [
        ("get", "board_list", []),
        ("get", "board_detail", [1]),
        ("post", "board_add", []),
        ("post", "board_remove", [1, 1]),
        ("post", "board_to_brief", [1]),
    ],
)
def test_anonymous_users_are_sent_to_the_login_page(client, db, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_outside_the_marketing_groups_gets_no_boards(en, outsider, images):
    en.force_login(outsider)

    listing = en.get(reverse("board_list"))
    adding = en.post(
        reverse("board_add"), {"board": "new", "new_board": "Mías", "image_id": images[0].pk}
    )

    assert (listing.status_code, adding.status_code) == (403, 403)
    assert not Board.objects.exists()


def test_the_board_pages_answer_only_their_methods(en, analyst, db):
    en.force_login(analyst)
    board = _board(analyst, "Favoritas", [])

    assert en.get(reverse("board_add")).status_code == 405
    assert en.get(reverse("board_to_brief", args=[board.pk])).status_code == 405
    assert en.post(reverse("board_list")).status_code == 405


def test_pinned_board_pieces_survive_ranking_again(analyst, images, media_storage):
    brief = _brief(analyst)
    board = _board(analyst, "Favoritas", images[:2])
    services.board_to_brief(board, brief)

    services.brief_refresh(brief)

    assert sorted(brief.references.filter(pinned=True).values_list("image_id", flat=True)) == (
        sorted(image.pk for image in images[:2])
    )
