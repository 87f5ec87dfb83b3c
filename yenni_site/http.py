"""Small request helpers that every app's views share."""

from __future__ import annotations

from django.http import Http404


def int_or_404(value: str | None) -> int:
    """A form's id as an int; anything else is a page that does not exist, not a server error."""
    try:
        return int(value or "")
    except ValueError as exc:
        raise Http404("Not a number.") from exc
