"""The asset library, creative pages, insights and boards (analysts and leads)."""

from django.urls import path

from library.views import boards as board_views
from library.views import browse as library_views
from library.views import creative as creative_views
from library.views import files as file_views
from library.views import insights as insight_views

urlpatterns = [
    path("library/images/<int:pk>/file/", file_views.image_file, name="library_image_file"),
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
]
