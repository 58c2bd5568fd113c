from django.urls import path

from tandem.sync import live, views

urlpatterns = [
    path("sync-now/", views.sync_now, name="sync-now"),
    path("attention/", views.attention_answer_view, name="sync-attention"),
    path("live/changes/", live.calendar_changes, name="calendar-changes"),
]
