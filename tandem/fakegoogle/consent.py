"""The HTML pages of the authorization endpoint: account chooser + consent, and error pages.

Plain server-rendered forms a browser (or Playwright) can click through. Every piece of
text that came from a request is escaped.
"""

from __future__ import annotations

from html import escape

from tandem.fakegoogle.store import Account

_AUTH = "https://www.googleapis.com/auth/"
SCOPE_LABELS = {
    "openid": "Associate you with your personal info on Google",
    _AUTH + "userinfo.email": "See your primary Google Account email address",
    _AUTH + "userinfo.profile": "See your personal info",
    _AUTH + "calendar": "See, edit, share, and permanently delete all the calendars you can "
    "access using Google Calendar",
    _AUTH + "calendar.events": "View and edit events on all your calendars",
    _AUTH + "calendar.readonly": "See and download any calendar you can access using your "
    "Google Calendar",
}
LOCKED_SCOPES = {
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
}

_STYLE = """
body{font-family:Roboto,Arial,sans-serif;max-width:34rem;margin:3rem auto;color:#202124}
h1{font-size:1.4rem} .box{border:1px solid #dadce0;border-radius:8px;padding:1.5rem}
label{display:block;margin:.5rem 0} .error{color:#d93025}
button{margin-right:1rem;padding:.5rem 1.2rem}
"""


def _page(title: str, body: str, status_note: str = "") -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><div class=box><p>Google Account emulator{escape(status_note)}</p>"
        f"{body}</div></body></html>"
    )


def error_page(code: int, error: str, description: str) -> str:
    body = (
        f"<h1>Access blocked: authorization error</h1>"
        f"<p class=error id=error-code>Error {code}: {escape(error)}</p>"
        f"<p id=error-description>{escape(description)}</p>"
    )
    return _page(f"Error {code}: {error}", body)


def consent_page(
    *,
    consent_id: str,
    client_name: str,
    accounts: list[Account],
    selected: str | None,
    scopes: list[str],
    message: str = "",
) -> str:
    account_inputs = "".join(
        "<label><input type=radio name=account value='{v}'{c}> {name} &lt;{v}&gt;</label>".format(
            v=escape(a.email, quote=True),
            c=" checked" if a.email == selected else "",
            name=escape(a.name or a.email),
        )
        for a in accounts
    )
    if not accounts:
        account_inputs = (
            "<p class=error>No test account exists; create one via /_emulator/accounts.</p>"
        )
    scope_inputs = "".join(
        "<label><input type=checkbox name=scope value='{v}' checked{d}> {label}"
        "<br><small>{v}</small></label>{hidden}".format(
            v=escape(s, quote=True),
            label=escape(SCOPE_LABELS.get(s, s)),
            d=" disabled" if s in LOCKED_SCOPES else "",
            # A disabled checkbox is not submitted: basic scopes travel in a hidden field.
            hidden=f"<input type=hidden name=scope value='{escape(s, quote=True)}'>"
            if s in LOCKED_SCOPES
            else "",
        )
        for s in scopes
    )
    body = (
        f"<h1>Sign in to continue to {escape(client_name)}</h1>"
        + (f"<p class=error>{escape(message)}</p>" if message else "")
        + "<form method=post action='/o/oauth2/v2/auth'>"
        f"<input type=hidden name=consent_id value='{escape(consent_id, quote=True)}'>"
        f"<fieldset><legend>Choose an account</legend>{account_inputs}</fieldset>"
        f"<fieldset><legend>{escape(client_name)} wants to access your Google Account</legend>"
        f"{scope_inputs}</fieldset>"
        "<p><button type=submit name=action value=deny id=deny>Cancel</button>"
        "<button type=submit name=action value=allow id=allow>Allow</button></p></form>"
    )
    return _page(f"Sign in - {client_name}", body)
