"""Small request helpers that every app's views share."""

from __future__ import annotations

from django import forms
from django.http import Http404


def int_or_404(value: str | None) -> int:
    """A form's id as an int; anything else is a page that does not exist, not a server error."""
    try:
        return int(value or "")
    except ValueError as exc:
        raise Http404("Not a number.") from exc


# The largest id a bigint column holds: a larger number cannot be a row of ours.
ID_MAX = 2**63 - 1


class IdField(forms.IntegerField):
    """A row's id as a select or hidden input sends it: a positive integer that fits a bigint.

    A malformed one (a NUL byte, letters, 40 digits) can only come from a tampered form, so the
    views answer it as they answer any unknown id (404), never with a database error.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=1, max_value=ID_MAX, **kwargs)
