#!/usr/bin/env bash
# Browser tests drive Debian's Chromium; never a browser a test tool downloads itself.
# Installs it with apt when missing and we are root (CI, fresh machines); otherwise says what to do.
set -euo pipefail
CHROMIUM="${NBSEC_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests (about a minute)..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "error: $CHROMIUM not found; the browser tests need Debian's Chromium" >&2
echo "hint: sudo apt-get install chromium (or set NBSEC_CHROMIUM to a Chromium binary)" >&2
exit 1
