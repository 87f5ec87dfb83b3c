"""The insights page: how a node × objective's pieces did under its rule, and what they share.

Analysts and leads only; anonymous users go to the login page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from campaigns.models import Objective
from library.forms import InsightsFilterForm
from library.insights import insights_page
from library.intervals import MIN_PIECES
from yenni_site.roles import library_required


@require_GET
@library_required
def insights(request: HttpRequest) -> HttpResponse:
    """`?node=<slug or id>&objective=<value>`; without them, the first pair with campaigns."""
    form = InsightsFilterForm(request.GET)
    if form.is_valid():
        page = insights_page(
            node_value=form.cleaned_data["node"] or None,
            objective=form.cleaned_data["objective"] or None,
        )
    else:
        messages.warning(
            request,
            _(
                "That business unit or objective is not one Yenni knows. Showing the first "
                "business unit and objective instead."
            ),
        )
        page = insights_page(node_value=None, objective=None)
    nodes = []
    for node, _objective in page.pairs:
        if node not in nodes:
            nodes.append(node)
    return render(
        request,
        "insights/insights.html",
        {
            "page": page,
            "nodes": nodes,
            "objectives": Objective.choices,
            "min_pieces": MIN_PIECES,
            "uses_briefs": True,
        },
    )
