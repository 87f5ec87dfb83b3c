"""The asset library, creative pages, insights and boards (analysts and leads)."""

from django.urls import path
from django.utils.module_loading import import_string


def _later(dotted: str):
    """Development scaffolding while the pages are written in parallel: resolve the view on
    first request, so the URL map loads before every module exists. Replaced by direct imports
    once they all do."""

    def view(request, *args, **kwargs):
        return import_string(dotted)(request, *args, **kwargs)

    return view


urlpatterns = [
    path("library/", _later("generation.library_views.library"), name="library"),
    path(
        "library/search.json",
        _later("generation.library_views.library_search_json"),
        name="library_search_json",
    ),
    path(
        "library/thumbs/<int:pk>.webp",
        _later("generation.library_views.thumbnail"),
        name="library_thumbnail",
    ),
    path(
        "library/<int:pk>/similar/",
        _later("generation.library_views.similar"),
        name="library_similar",
    ),
    path(
        "creatives/<int:pk>/",
        _later("generation.creative_views.creative_detail"),
        name="creative_detail",
    ),
    path("insights/", _later("generation.insight_views.insights"), name="insights"),
    path("boards/", _later("generation.board_views.board_list"), name="board_list"),
    path("boards/<int:pk>/", _later("generation.board_views.board_detail"), name="board_detail"),
    path("boards/add/", _later("generation.board_views.board_add"), name="board_add"),
    path(
        "boards/<int:pk>/remove/<int:image_id>/",
        _later("generation.board_views.board_remove"),
        name="board_remove",
    ),
    path(
        "boards/<int:pk>/to-brief/",
        _later("generation.board_views.board_to_brief"),
        name="board_to_brief",
    ),
]
