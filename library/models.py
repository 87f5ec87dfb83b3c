"""The library's own rows: analysts' boards of past pieces."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Board(models.Model):
    """An analyst's named collection of past pieces, to look at together or pin on a brief."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="boards",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=80)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        # Created by the generation app before the library had its own; the table kept its name.
        db_table = "generation_board"
        verbose_name = _("board")
        verbose_name_plural = _("boards")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="board_unique_owner_name"),
        ]

    def __str__(self) -> str:
        return self.name


class BoardItem(models.Model):
    """One past image on a board; an image is on a board at most once."""

    board = models.ForeignKey(
        Board, on_delete=models.CASCADE, related_name="items", verbose_name=_("board")
    )
    image = models.ForeignKey(
        "creatives.CreativeImage",
        on_delete=models.CASCADE,
        related_name="board_items",
        verbose_name=_("image"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        db_table = "generation_boarditem"
        verbose_name = _("board item")
        verbose_name_plural = _("board items")
        ordering = ["board", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["board", "image"], name="board_item_unique_image"),
        ]

    def __str__(self) -> str:
        return f"{self.board_id}: {self.image_id}"
