"""The analyst's brief pages (login required)."""

from django.urls import path

from generation.briefs import views

urlpatterns = [
    path("briefs/new/", views.brief_new, name="brief_new"),
    path("briefs/<int:pk>/", views.brief_detail, name="brief_detail"),
    path(
        "briefs/<int:pk>/references/<int:image_id>/",
        views.brief_reference,
        name="brief_reference",
    ),
    path("briefs/<int:pk>/rerank/", views.brief_rerank, name="brief_rerank"),
    path(
        "briefs/<int:pk>/prompt/",
        views.brief_prompt_edit,
        name="brief_prompt_edit",
    ),
    path(
        "briefs/<int:pk>/prompt/rewrite/",
        views.brief_prompt_rewrite,
        name="brief_prompt_rewrite",
    ),
    path(
        "briefs/<int:pk>/prompt/versions/<int:number>/restore/",
        views.brief_prompt_restore,
        name="brief_prompt_restore",
    ),
    path(
        "briefs/<int:pk>/generate/",
        views.brief_generate,
        name="brief_generate",
    ),
    path(
        "briefs/<int:pk>/progress/",
        views.brief_progress,
        name="brief_progress",
    ),
    path(
        "briefs/<int:pk>/images/<int:image_pk>/pick/",
        views.image_pick,
        name="image_pick",
    ),
    path("briefs/<int:pk>/share/", views.brief_share, name="brief_share"),
    path(
        "briefs/<int:pk>/share/<int:link_pk>/revoke/",
        views.share_revoke,
        name="share_revoke",
    ),
    path(
        "generated/<int:pk>/file/",
        views.generated_image_file,
        name="generated_image_file",
    ),
    path(
        "boards/<int:pk>/to-brief/",
        views.board_to_brief,
        name="board_to_brief",
    ),
]
