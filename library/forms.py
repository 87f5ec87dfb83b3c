"""Forms of the board and insights pages: every value a page posts or reads is checked here.

Django's text fields refuse NUL bytes ("Null characters are not allowed.") and values past
their max_length, so nothing unchecked reaches the database: PostgreSQL answers a NUL byte in
text with an error, which used to be a 500.
"""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from campaigns.models import Objective
from library.boards import NAME_MAX
from library.models import BoardItem
from yenni_site.http import ID_MAX, IdField

NEW_BOARD = "new"
NOTE_MAX = BoardItem._meta.get_field("note").max_length
# Long enough for any page of ours with its query string; a longer "next" is not one of ours.
NEXT_MAX = 2000


class BackAddressField(forms.CharField):
    """Where to go back to after the form: a malformed address is dropped, never an error.

    The view still checks that it is on this site before redirecting to it.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, max_length=NEXT_MAX, **kwargs)

    def clean(self, value) -> str:
        try:
            return super().clean(value)
        except forms.ValidationError:
            return ""


class BoardAddForm(forms.Form):
    """Put a piece on one of the user's boards or on a new one; without a piece, only the board.

    `board` and `image_id` come from a select and a hidden input: a malformed one is a tampered
    form and the view answers 404, as for any id. The typed fields get messages.
    """

    board = forms.CharField(required=False, max_length=20)
    new_board = forms.CharField(
        required=False,
        max_length=NAME_MAX,
        # The service's own words for the same limit (library.boards.board_create).
        error_messages={
            "max_length": format_lazy(
                _("Board names have at most {limit} characters."), limit=NAME_MAX
            )
        },
    )
    image_id = IdField(required=False)
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX,
        error_messages={"max_length": _("Keep the note under %(limit_value)d characters.")},
    )
    next = BackAddressField()

    # Fields whose errors mean a tampered form rather than a typing mistake.
    ID_FIELDS = ("board", "image_id")

    def clean_board(self) -> int | None:
        """The chosen board's id, or None for "a new board"."""
        value = self.cleaned_data["board"]
        if value in ("", NEW_BOARD):
            return None
        try:
            number = int(value)
        except ValueError:
            raise forms.ValidationError("Not a board.", code="invalid") from None
        if not 1 <= number <= ID_MAX:
            raise forms.ValidationError("Not a board.", code="invalid")
        return number

    def tampered(self) -> bool:
        return any(name in self.errors for name in self.ID_FIELDS)

    def messages(self) -> list[str]:
        """What the analyst can fix, one line per problem."""
        return [str(error) for name in ("new_board", "note") for error in self.errors.get(name, [])]


class InsightsFilterForm(forms.Form):
    """`?node=<slug or id>&objective=<value>`: both optional; a bad one is reported and dropped."""

    node = forms.CharField(required=False, max_length=100)
    objective = forms.ChoiceField(required=False, choices=[("", ""), *Objective.choices])
