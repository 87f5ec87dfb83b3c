from django.urls import path

from creatives import views

app_name = "creatives"

urlpatterns = [
    path("images/<int:pk>/file/", views.image_file, name="image-file"),
]
