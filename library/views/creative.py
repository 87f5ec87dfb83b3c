"""The creative page: one past image with its copy, runs, daily results, ranks and briefs.

Analysts and leads only (others get the polite 403 page; anonymous users go to the login page).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from creatives.models import CreativeImage
from library import extensions
from library.creative_page import creative_page
from yenni_site.roles import library_required


@require_GET
@library_required
def creative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    image = get_object_or_404(CreativeImage.objects.select_related("near_duplicate_of"), pk=pk)
    page = creative_page(image, user=request.user)
    context = {
        "page": page,
        "image": image,
        "chart_data": page.series.chart_data(page.currency),
        # Shows the library, insights and boards links in the header (see base.html).
        "uses_briefs": True,
        "brief_references": [],
    }
    # "Briefs that used this image" comes from the brief workflow, if installed.
    context.update(extensions.page_context(extensions.CREATIVE_DETAIL, request, image))
    return render(request, "creatives/creative_detail.html", context)
