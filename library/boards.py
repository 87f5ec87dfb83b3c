"""Boards: an analyst's named collections of past pieces.

Pinning a board on a brief is the brief workflow's (generation.briefs.services.board_to_brief).

A board belongs to one user; the views only ever load boards by owner, so these services take
the board as given. Adding an image twice, or pinning an image the brief already pins, changes
nothing: pressing a button twice must not make a mess.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creatives.models import CreativeImage
from library.models import Board, BoardItem

NAME_MAX = Board._meta.get_field("name").max_length


def board_create(*, owner, name: str) -> Board:
    """Return the owner's board with this name (ignoring case), creating it when there is none.

    Creating a board is usually the first half of "save this piece to a new board": a name the
    analyst already uses means that board, not an error.
    """
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the board a name."))
    if len(name) > NAME_MAX:
        raise ValidationError(
            _("Board names have at most {limit} characters.").format(limit=NAME_MAX)
        )
    existing = Board.objects.filter(owner=owner, name__iexact=name).order_by("pk").first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Board.objects.create(owner=owner, name=name)
    except IntegrityError:
        # The same name created at the same moment (a double click): use that one.
        return Board.objects.get(owner=owner, name=name)


def board_add(board: Board, *, image_id: int, note: str = "") -> tuple[BoardItem, bool]:
    """Put a past image on the board; (item, False) when it was there already.

    Raises CreativeImage.DoesNotExist for an unknown image.
    """
    image = CreativeImage.objects.only("pk").get(pk=image_id)
    item, created = BoardItem.objects.get_or_create(
        board=board, image=image, defaults={"note": note[:300]}
    )
    if created:
        _touch(board)
    return item, created


def board_remove(board: Board, *, image_id: int) -> bool:
    """Take an image off the board; False when it was not on it."""
    deleted, _by_model = BoardItem.objects.filter(board=board, image_id=image_id).delete()
    if deleted:
        _touch(board)
    return bool(deleted)


def _touch(board: Board) -> None:
    """Move the board to the top of its owner's list: the one used last comes first."""
    Board.objects.filter(pk=board.pk).update(updated_at=timezone.now())
