"""The threat-model diagram page in a real browser: plotly draws under its CSP, and hostile labels stay text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import launch_chromium

from nbsec.threatmodel import loads
from nbsec.threatmodel.diagram import diagram_page

pytestmark = pytest.mark.integration

HOSTILE = "<img src=x onerror=alert(1)><a href='https://evil.example'>x</a>"
MODEL = f"""nbsec_threat_model: 1
title: "{HOSTILE}"
elements:
  - {{id: u, kind: user, name: "{HOSTILE}"}}
  - {{id: bot, kind: llm}}
flows:
  - {{from: u, to: bot, name: "{HOSTILE}"}}
"""


def test_diagram_page_draws_under_its_csp_and_shows_labels_as_text(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_path = tmp_path / "diagram.html"
    page_path.write_text(diagram_page(loads(MODEL, "m.yaml")), encoding="utf-8")
    problems: list[str] = []
    with sync_playwright() as pw:
        browser: Any = launch_chromium(pw)
        page = browser.new_context(offline=True).new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))
        page.goto(page_path.resolve().as_uri())
        page.wait_for_selector("svg.main-svg")
        texts = page.locator("svg text").all_text_contents()
        links, images = page.locator("svg a").count(), page.locator("img").count()
        browser.close()
    assert problems == []  # no CSP violation (plotly's inline scripts are hashed), no script error, no alert
    assert any(HOSTILE[:20] in t for t in texts), texts  # the label is shown as the text it is
    assert (links, images) == (0, 0)
