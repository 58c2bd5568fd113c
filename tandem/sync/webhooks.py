"""The webhook Google POSTs push notifications to (tandem/sync/push.py opens the channels).

Reference: https://developers.google.com/workspace/calendar/api/guides/push#receiving-
notifications. A notification carries no change, only headers naming the channel; the body
is ignored. We accept it only when the channel id is ours and its token matches (constant
time), and then do one thing: queue that user's sync, debounced, so duplicates and bursts
cost one run. An unknown channel or a wrong token gets an error and causes no call to
Google and no task. CSRF does not apply: Google cannot send a CSRF token, and the channel
token is this request's proof of origin.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tandem.sync.push import push_channel_known, push_channel_owner_id
from tandem.sync.tasks import request_sync

logger = logging.getLogger(__name__)

# "not_exists" is listed by Google's push guide but not used by Calendar's events; a change
# either way means "list again".
CHANGED_STATES = frozenset({"exists", "not_exists"})


def _answer(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def google_push(request: HttpRequest) -> HttpResponse:
    channel_id = request.headers.get("X-Goog-Channel-ID", "")
    token = request.headers.get("X-Goog-Channel-Token", "")
    resource_state = request.headers.get("X-Goog-Resource-State", "")
    user_id = push_channel_owner_id(channel_id=channel_id, token=token)
    if user_id is None:
        if push_channel_known(channel_id=channel_id):
            logger.warning("push notification with a wrong token refused")
            return _answer(403, "Wrong channel token.")
        return _answer(404, "Unknown channel.")
    if resource_state == "sync":
        return _answer(200, "Channel confirmed.")  # Sent once when a channel opens.
    if resource_state not in CHANGED_STATES:
        return _answer(400, "Unknown resource state.")
    queued = request_sync(user_id=user_id, trigger="push")
    logger.info(
        "push notification for user %s (message %s): %s",
        user_id,
        request.headers.get("X-Goog-Message-Number", "?")[:20],
        "sync queued" if queued else "a sync is already queued",
    )
    return _answer(200, "Sync queued.")
