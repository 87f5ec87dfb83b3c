"""Boards: list, one board, add a piece (to a board or a new one), remove.

Pinning a board on a brief is the brief workflow's page (generation.briefs.views.board_to_brief).

Analysts and leads only. A board is its owner's alone: anyone else's board answers 404, so
nobody learns which boards exist. Every change is a POST that redirects (no JavaScript needed).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from creatives.models import CreativeImage
from library import boards, extensions
from library.forms import BoardAddForm
from library.models import Board, BoardItem
from yenni_site.roles import library_required

LIST_THUMBNAILS = 4


def _own_board(request: HttpRequest, pk: int) -> Board:
    return get_object_or_404(Board, pk=pk, owner=request.user)


def _back(request: HttpRequest, form: BoardAddForm, fallback: str) -> HttpResponseRedirect:
    """To the page the form came from (same site only), else to `fallback`."""
    target = form.cleaned_data.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


@require_GET
@library_required
def board_list(request: HttpRequest) -> HttpResponse:
    """The user's boards, the last used first, with a few thumbnails each."""
    own = (
        Board.objects.filter(owner=request.user)
        .annotate(size=Count("items"))
        .prefetch_related(
            Prefetch(
                "items",
                queryset=BoardItem.objects.select_related("image").order_by("-added_at", "-pk"),
                to_attr="recent_items",
            )
        )
    )
    rows = [(board, board.recent_items[:LIST_THUMBNAILS]) for board in own]
    return render(
        request,
        "boards/board_list.html",
        {"rows": rows, "name_max": boards.NAME_MAX, "uses_briefs": True},
    )


@require_GET
@library_required
def board_detail(request: HttpRequest, pk: int) -> HttpResponse:
    board = _own_board(request, pk)
    items = list(board.items.select_related("image").order_by("added_at", "pk"))
    context = {"board": board, "items": items, "briefs": [], "uses_briefs": True}
    # The brief picker ("pin on one of my briefs") comes from the brief workflow, if installed.
    context.update(extensions.page_context(extensions.BOARD_DETAIL, request, board))
    return render(request, "boards/board_detail.html", context)


@require_POST
@library_required
def board_add(request: HttpRequest) -> HttpResponse:
    """Add a piece to one of the user's boards, or to a new board named inline.

    Without an image it only creates the board (the "new board" form of the boards page).
    """
    form = BoardAddForm(request.POST)
    valid = form.is_valid()
    if form.tampered():
        raise Http404("Not a board or not an image.")
    if not valid:
        for message in form.messages():
            messages.error(request, message)
        return _back(request, form, reverse("board_list"))
    data = form.cleaned_data
    if data["board"] is None:
        if not data["new_board"]:
            messages.error(request, _("Choose a board, or give the new board a name."))
            return _back(request, form, reverse("board_list"))
        try:
            board = boards.board_create(owner=request.user, name=data["new_board"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return _back(request, form, reverse("board_list"))
    else:
        board = _own_board(request, data["board"])
    if data["image_id"] is None:
        messages.success(request, _("Board “{name}” is ready.").format(name=board.name))
        return redirect("board_detail", pk=board.pk)
    try:
        _item, created = boards.board_add(board, image_id=data["image_id"], note=data["note"])
    except CreativeImage.DoesNotExist:
        messages.error(request, _("That image is not in the library."))
        return _back(request, form, reverse("board_detail", args=[board.pk]))
    if created:
        messages.success(request, _("Saved to “{name}”.").format(name=board.name))
    else:
        messages.info(request, _("Already on “{name}”.").format(name=board.name))
    return _back(request, form, reverse("board_detail", args=[board.pk]))


@require_POST
@library_required
def board_remove(request: HttpRequest, pk: int, image_id: int) -> HttpResponse:
    board = _own_board(request, pk)
    if boards.board_remove(board, image_id=image_id):
        messages.success(request, _("Removed from the board."))
    else:
        messages.info(request, _("That piece was not on the board."))
    return redirect("board_detail", pk=board.pk)
