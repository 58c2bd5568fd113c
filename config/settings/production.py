"""Production: every secret from the environment, PostgreSQL, HTTPS only.

Before anything else (base.py would generate missing secrets into var/ and fall back to
SQLite), the environment is checked and the process stops with one plain message naming
what is missing (production_checks.py; docs/configuration.md).
"""

import os

from .production_checks import production_problems, refusal

_problems = production_problems(os.environ)
if _problems:
    # SystemExit, not ImproperlyConfigured: the message alone, without a traceback.
    raise SystemExit(refusal(_problems))


from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The HTTPS proxy in front says the request came over HTTPS (README's deployment line).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A year, subdomains included; preload only marks the header (submitting the domain to the
# browsers' preload list is a separate, deliberate step: https://hstspreload.org).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
