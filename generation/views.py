"""Pages of the analyst's workflow: the home page now, briefs in a later issue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaigns.selectors import catalog_summary


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Greet the analyst and show how much ad history Yenni can draw on."""
    return render(request, "generation/home.html", {"summary": catalog_summary()})
