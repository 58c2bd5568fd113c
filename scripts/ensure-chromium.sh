#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright (Playwright's own browser download
# is not used). Installs it with apt when missing and we are root; otherwise says what to do.
set -euo pipefail
if [ -x /usr/bin/chromium ] || [ -n "${TANDEM_CHROMIUM:-}" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "error: browser tests need Chromium at /usr/bin/chromium." >&2
echo "  Debian/Ubuntu: sudo apt-get install chromium   (or set TANDEM_CHROMIUM=/path/to/chrome)" >&2
exit 1
