"""The Content-Security-Policy breaks nothing (issue 15, finding 3): in a real Chromium, the
main pages, the admin and the API reference load with no violation reported (an inline
script or style the policy refused, a script from elsewhere)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from tandem.meetings.services import MeetingInput, meeting_create

from .conftest import make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded from the first script that runs, before the page's own.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile);
});
"""
PAGES = [
    "/",
    "/?view=week",
    "/?view=list",
    "/meetings/new/",
    "/preferences/",
    "/preferences/external-services/",
    "/api/docs/",
    "/admin/",
    "/admin/meetings/meeting/",
]


def test_no_page_reports_a_policy_violation(page: Page, live_server: Any) -> None:
    user = make_user("vera", "Vera")
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    meeting_create(
        owner=user,
        data=MeetingInput(subject="Review", start=start, end=start + timedelta(hours=1)),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, live_server.url, "vera")
    found: dict[str, list[str]] = {}
    for path in [*PAGES, f"/admin/meetings/meeting/{user.meetings.get().pk}/change/"]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__csp")
        if violations:
            found[path] = violations
    assert found == {}
