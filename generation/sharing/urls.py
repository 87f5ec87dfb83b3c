"""The agency's share pages: the token in the URL is the only key (no login)."""

from django.urls import path

from generation.sharing import views as share_views

urlpatterns = [
    path("s/<str:token>/", share_views.share_page, name="share_page"),
    path("s/<str:token>/pack.zip", share_views.share_pack, name="share_pack"),
    path(
        "s/<str:token>/images/<int:image_pk>/",
        share_views.share_image,
        name="share_image",
    ),
    path(
        "s/<str:token>/references/<int:image_id>/",
        share_views.share_reference_image,
        name="share_reference_image",
    ),
]
