"""The asset library's pages: the grid with its filters and searches, its JSON twin, the
thumbnails and "more like this". Analysts and marketing leads only.

Views read the GET form, call library.selectors and render; thumbnails come from
creatives.thumbnails.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.db import OperationalError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_safe

from creatives.models import CreativeImage
from creatives.serving import stored_file_response
from creatives.thumbnails import ThumbnailError, thumbnail_ensure
from creatives.vocabulary import COLOUR_LABELS, ORIENTATION_LABELS
from library import selectors as lib
from library.query import SORTS, LibraryQuery
from library.tiers import TIERS
from yenni_site.roles import library_required

View = Callable[..., HttpResponse]


def _date_box() -> forms.DateInput:
    """A text box for a day, in the page's order (dd/mm/yyyy in Spanish, yyyy-mm-dd in English).

    Not <input type="date">: Chromium lays that out in its own interface language, whatever
    the page's `lang` (Debian's Chromium showed 1 May as "05/01/2026" on a Spanish page, even
    with the es-CO locale). The box shows and reads DATE_INPUT_FORMATS (yenni_site/formats);
    the placeholder spells the first of them.
    """
    return forms.DateInput(
        attrs={
            "placeholder": _("yyyy-mm-dd"),
            "inputmode": "numeric",
            "autocomplete": "off",
            "maxlength": "10",
        }
    )


class LibraryFilterForm(forms.Form):
    """The library's GET form; every field optional, a bad value is reported and ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)
    semantic = forms.BooleanField(label=_("Search by meaning (semantic)"), required=False)
    node = forms.ChoiceField(label=_("Node"), required=False)
    platform = forms.ChoiceField(label=_("Platform"), required=False)
    objective = forms.ChoiceField(label=_("Objective"), required=False)
    date_from = forms.DateField(label=_("Ran from"), required=False, widget=_date_box())
    date_to = forms.DateField(label=_("Ran until"), required=False, widget=_date_box())
    tier = forms.ChoiceField(
        label=_("Performance tier"),
        required=False,
        choices=[("", _("Any tier")), *TIERS.items()],
        help_text=_("Under the active ranking rule: choose a node and an objective."),
    )
    described = forms.ChoiceField(
        label=_("Description"),
        required=False,
        choices=[("", _("Any")), ("yes", _("Described")), ("no", _("Not described yet"))],
    )
    orientation = forms.ChoiceField(
        label=_("Orientation"),
        required=False,
        choices=[("", _("Any")), *ORIENTATION_LABELS.items()],
    )
    colour = forms.ChoiceField(
        label=_("Dominant colour"),
        required=False,
        choices=[("", _("Any")), *COLOUR_LABELS.items()],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[(spec.key, spec.label) for spec in SORTS.values()],
    )
    direction = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("", _("Best first")), ("desc", _("Highest first")), ("asc", _("Lowest first"))],
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    page_size = forms.IntegerField(
        required=False, min_value=1, max_value=lib.MAX_PAGE_SIZE, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The active nodes, read once: the choices, and the Node the query needs.
        self.nodes = {node.slug: node for node in lib.active_nodes()}
        self.fields["node"].choices = [
            ("", _("Every node")),
            *((slug, node.name) for slug, node in self.nodes.items()),
        ]
        self.fields["platform"].choices = [("", _("Every platform")), *lib.platform_choices()]
        self.fields["objective"].choices = [
            ("", _("Every objective")),
            *lib.objective_choices(),
        ]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period comes before its start."))
            # Half a period would mislead: the whole period is left out until it is fixed.
            self.cleaned_data.pop("date_from", None)
        return data

    def library_query(self) -> LibraryQuery:
        """The valid part of the form as a query: invalid fields count as not given."""
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        node = self.nodes.get(data.get("node") or "")
        return LibraryQuery(
            text=data.get("q") or "",
            semantic=bool(data.get("semantic")),
            node=node,
            platform=data.get("platform") or "",
            objective=data.get("objective") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            tier=data.get("tier") or "",
            described=data.get("described") or "",
            orientation=data.get("orientation") or "",
            colour=data.get("colour") or "",
            sort=data.get("sort") or "recent",
            direction=data.get("direction") or "",
        )


def _read(request: HttpRequest) -> tuple[LibraryFilterForm, lib.LibraryPage]:
    form = LibraryFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()  # fills cleaned_data with the valid fields; errors are shown
        query = form.library_query()
        page = form.cleaned_data.get("page") or 1
        size = form.cleaned_data.get("page_size") or lib.PAGE_SIZE
    else:
        form.cleaned_data = {}
        query, page, size = LibraryQuery(), 1, lib.PAGE_SIZE
    result = lib.library_page(query, page=page, page_size=size)
    return form, result


def _page_url(request: HttpRequest, number: int) -> str:
    params = request.GET.copy()
    params["page"] = str(number)
    return f"{request.path}?{params.urlencode()}"


def _page_links(request: HttpRequest, result: lib.LibraryPage) -> list[dict]:
    """A link to the first, the last and the pages near this one; None marks a gap ("…")."""
    wanted = {1, result.pages, *range(result.number - 2, result.number + 3)}
    links: list[dict] = []
    for number in sorted(n for n in wanted if 1 <= n <= result.pages):
        if links and number - links[-1]["number"] > 1:
            links.append({"number": None, "url": "", "current": False})
        links.append(
            {
                "number": number,
                "url": _page_url(request, number),
                "current": number == result.number,
            }
        )
    return links


@require_GET
@library_required
def library(request: HttpRequest) -> HttpResponse:
    form, result = _read(request)
    context = {
        "form": form,
        "result": result,
        "page_links": _page_links(request, result) if result.pages > 1 else [],
        "previous_url": _page_url(request, result.number - 1) if result.has_previous else "",
        "next_url": _page_url(request, result.number + 1) if result.has_next else "",
        "filtered": bool(request.GET),
        "uses_briefs": True,
    }
    return render(request, "library/library.html", context)


@require_GET
@library_required
def library_search_json(request: HttpRequest) -> JsonResponse:
    form, result = _read(request)
    return JsonResponse(
        {
            "count": result.count,
            "page": result.number,
            "pages": result.pages,
            "page_size": result.page_size,
            "semantic": result.semantic,
            "notes": result.notes,
            "errors": {name: [str(e) for e in errors] for name, errors in form.errors.items()},
            "results": [
                {
                    **card.as_dict(),
                    "thumbnail_url": card.thumbnail_url,
                    "image_url": card.image_url,
                    "similar_url": card.similar_url,
                }
                for card in result.cards
            ],
        }
    )


@require_safe
@library_required
def thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    """The stored WebP thumbnail, made on the first request; browsers keep it for a year."""
    image = get_object_or_404(CreativeImage, pk=pk)
    try:
        thumb = thumbnail_ensure(image)
    except ThumbnailError as exc:
        raise Http404(str(exc)) from exc
    except OperationalError:
        # SQLite busy with another writer (many thumbnails made at once on a first visit):
        # show the full image this time; the thumbnail is made on a later request.
        return HttpResponseRedirect(image.get_file_url())
    # An image's bytes never change (stored by hash), so neither does its thumbnail.
    cache = "private, max-age=31536000, immutable"
    try:
        return stored_file_response(thumb.file.name, cache_control=cache)
    except Http404:
        # The file went missing under its row (a storage clean-up): make it again, once.
        thumb.delete()
        try:
            remade = thumbnail_ensure(image)
        except ThumbnailError as exc:
            raise Http404("The thumbnail could not be made.") from exc
        return stored_file_response(remade.file.name, cache_control=cache)


@require_GET
@library_required
def similar(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(CreativeImage.objects.only("pk"), pk=pk)
    result = lib.similar_page(pk)
    if result is None:
        raise Http404("No such image.")
    return render(request, "library/similar.html", {"result": result, "uses_briefs": True})
