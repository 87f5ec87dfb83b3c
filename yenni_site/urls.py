from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from generation.briefs import views as generation_views

admin.site.site_header = _("Yenni Ad administration")
admin.site.site_title = _("Yenni Ad")
admin.site.index_title = _("Marketing lead tools")
# The lists leads read must fit a 1366-px laptop; the nav sidebar took 300 px of it and only
# repeats the admin's index, which the breadcrumbs reach.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", generation_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("generation.api.urls")),
    path("", include("generation.briefs.urls")),
    path("", include("generation.sharing.urls")),
    path("", include("library.urls")),
]

# 404 and 403 are Django's own views with templates/404.html and 403.html; the 500 page must
# not touch the database, so it has a view of its own.
handler500 = "yenni_site.errors.server_error"
