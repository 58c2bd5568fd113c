from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from tandem.api.docs import ApiDocsView
from tandem.api.views import (
    ColleagueMeetingsView,
    MeetingDetailView,
    MeetingListView,
    MeetingRestoreView,
    OccurrenceView,
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocsView.as_view(), name="api-docs"),
    path("v1/meetings/", MeetingListView.as_view(), name="api-meetings"),
    path("v1/meetings/<int:pk>/", MeetingDetailView.as_view(), name="api-meeting"),
    path("v1/meetings/<int:pk>/restore/", MeetingRestoreView.as_view(), name="api-meeting-restore"),
    path(
        "v1/meetings/<int:pk>/occurrences/<str:key>/",
        OccurrenceView.as_view(),
        name="api-occurrence",
    ),
    path(
        "v1/users/<str:username>/meetings/",
        ColleagueMeetingsView.as_view(),
        name="api-colleague-meetings",
    ),
]
