"""The asset library, creative pages, insights and boards (analysts and leads)."""

from django.urls import path

from generation import board_views, creative_views, insight_views, library_views

urlpatterns = [
    path("library/", library_views.library, name="library"),
    path(
        "library/search.json",
        library_views.library_search_json,
        name="library_search_json",
    ),
    path(
        "library/thumbs/<int:pk>.webp",
        library_views.thumbnail,
        name="library_thumbnail",
    ),
    path(
        "library/<int:pk>/similar/",
        library_views.similar,
        name="library_similar",
    ),
    path(
        "creatives/<int:pk>/",
        creative_views.creative_detail,
        name="creative_detail",
    ),
    path("insights/", insight_views.insights, name="insights"),
    path("boards/", board_views.board_list, name="board_list"),
    path("boards/<int:pk>/", board_views.board_detail, name="board_detail"),
    path("boards/add/", board_views.board_add, name="board_add"),
    path(
        "boards/<int:pk>/remove/<int:image_id>/",
        board_views.board_remove,
        name="board_remove",
    ),
    path(
        "boards/<int:pk>/to-brief/",
        board_views.board_to_brief,
        name="board_to_brief",
    ),
]
