from django.urls import URLPattern, URLResolver, path

from tandem.meetings import calendar_feed, following_views, occurrence_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.calendar, name="calendar"),
    path("calendar/feed/", calendar_feed.calendar_feed, name="calendar-feed"),
    path("meetings/new/", views.meeting_create_view, name="meeting-create"),
    path("meetings/deleted/", views.deleted_meetings, name="meetings-deleted"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/move/", calendar_feed.meeting_move, name="meeting-move"),
    path("meetings/<int:pk>/delete/", views.meeting_delete_view, name="meeting-delete"),
    path("meetings/<int:pk>/restore/", views.meeting_restore_view, name="meeting-restore"),
    path(
        "meetings/<int:pk>/occurrences/<str:key>/edit/",
        occurrence_views.occurrence_edit,
        name="occurrence-edit",
    ),
    path(
        "meetings/<int:pk>/occurrences/<str:key>/cancel/",
        occurrence_views.occurrence_cancel_view,
        name="occurrence-cancel",
    ),
    path(
        "meetings/<int:pk>/occurrences/<str:key>/following/edit/",
        following_views.following_edit,
        name="following-edit",
    ),
    path(
        "meetings/<int:pk>/occurrences/<str:key>/following/delete/",
        following_views.following_delete,
        name="following-delete",
    ),
]
