"""The asset library, creative pages, insights and boards (analysts and leads)."""

from django.urls import path

from library.views import boards, browse, creative, files, insights

urlpatterns = [
    path("library/images/<int:pk>/file/", files.image_file, name="library_image_file"),
    path("library/", browse.library, name="library"),
    path("library/search.json", browse.library_search_json, name="library_search_json"),
    path("library/thumbs/<int:pk>.webp", browse.thumbnail, name="library_thumbnail"),
    path("library/<int:pk>/similar/", browse.similar, name="library_similar"),
    path("creatives/<int:pk>/", creative.creative_detail, name="creative_detail"),
    path("insights/", insights.insights, name="insights"),
    path("boards/", boards.board_list, name="board_list"),
    path("boards/<int:pk>/", boards.board_detail, name="board_detail"),
    path("boards/add/", boards.board_add, name="board_add"),
    path("boards/<int:pk>/remove/<int:image_id>/", boards.board_remove, name="board_remove"),
]
