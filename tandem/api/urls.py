from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from tandem.api import google_views, sync_views
from tandem.api.docs import ApiDocsView
from tandem.api.following_views import FollowingView
from tandem.api.preview_views import SeriesPreviewView
from tandem.api.series_views import SeriesOccurrenceListView
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
    path("v1/meetings/<int:pk>/preview/", SeriesPreviewView.as_view(), name="api-series-preview"),
    path(
        "v1/meetings/<int:pk>/occurrences/",
        SeriesOccurrenceListView.as_view(),
        name="api-occurrences",
    ),
    path(
        "v1/meetings/<int:pk>/occurrences/<str:key>/",
        OccurrenceView.as_view(),
        name="api-occurrence",
    ),
    path(
        "v1/meetings/<int:pk>/occurrences/<str:key>/following/",
        FollowingView.as_view(),
        name="api-following",
    ),
    path(
        "v1/users/<str:username>/meetings/",
        ColleagueMeetingsView.as_view(),
        name="api-colleague-meetings",
    ),
    # The Google connection and the sync: everything External services and the settings
    # page do (tandem/api/google_views.py, sync_views.py).
    path("v1/google/", google_views.GoogleConnectionView.as_view(), name="api-google"),
    path("v1/google/revoke/", google_views.GoogleRevokeView.as_view(), name="api-google-revoke"),
    path(
        "v1/google/calendars/",
        google_views.GoogleCalendarsView.as_view(),
        name="api-google-calendars",
    ),
    path(
        "v1/google/calendars/dedicated/",
        google_views.DedicatedCalendarView.as_view(),
        name="api-google-dedicated-calendar",
    ),
    path("v1/google/settings/", google_views.SyncSettingsView.as_view(), name="api-sync-settings"),
    path("v1/sync/", sync_views.SyncStatusView.as_view(), name="api-sync"),
    path("v1/sync/now/", sync_views.SyncNowView.as_view(), name="api-sync-now"),
    path("v1/sync/runs/", sync_views.SyncRunListView.as_view(), name="api-sync-runs"),
    path("v1/sync/runs/<int:pk>/", sync_views.SyncRunDetailView.as_view(), name="api-sync-run"),
    path(
        "v1/sync/conflicts/", sync_views.SyncConflictListView.as_view(), name="api-sync-conflicts"
    ),
    path("v1/sync/attention/", sync_views.AttentionView.as_view(), name="api-sync-attention"),
]
