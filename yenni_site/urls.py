from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Yenni Ad administration")
admin.site.site_title = _("Yenni Ad")
admin.site.index_title = _("Marketing lead tools")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("library/", include("creatives.urls")),
]
