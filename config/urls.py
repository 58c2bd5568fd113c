from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("tandem.api.urls")),
    path("", include("tandem.accounts.urls")),
    path("", include("tandem.meetings.urls")),
]
