"""Debian's Chromium for the real-browser tests: never a browser a test tool downloads (docs/development.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("NBSEC_CHROMIUM", "/usr/bin/chromium")
# Headless, and nothing that phones home: a page that tries to reach the network shows it in the tests.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


def launch_chromium(playwright: Any) -> Any:
    """A Playwright browser on Debian's Chromium; fails (never skips) when it is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/ensure-chromium.sh (make test does) or set NBSEC_CHROMIUM")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
