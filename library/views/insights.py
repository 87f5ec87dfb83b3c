"""The insights page: how a node × objective's pieces did under its rule, and what they share.

Analysts and leads only; anonymous users go to the login page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from campaigns.models import Objective
from library.insights import insights_page
from library.intervals import MIN_PIECES
from yenni_site.roles import library_required


@require_GET
@library_required
def insights(request: HttpRequest) -> HttpResponse:
    """`?node=<slug or id>&objective=<value>`; without them, the first pair with campaigns."""
    page = insights_page(
        node_value=request.GET.get("node") or None, objective=request.GET.get("objective") or None
    )
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
