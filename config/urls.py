from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("tandem.api.urls")),
    path("preferences/external-services/google/", include("tandem.accounts.google_urls")),
    path("preferences/external-services/google/", include("tandem.sync.google_urls")),
    path("sync/", include("tandem.sync.urls")),
    path("google/push/", include("tandem.sync.push_urls")),
    path("", include("tandem.accounts.urls")),
    path("", include("tandem.meetings.urls")),
]
