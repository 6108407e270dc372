"""The findings view of the demo in Debian's Chromium at a 1,000 px wide window: no sideways scrolling, cells
left-aligned, rule ids on one line, with JupyterLab's table style, with a browser's defaults (nbviewer, an
exported page, VS Code) and with every <style> stripped (GitHub).

Writes tests/integration/artifacts/findings-view.png (the view as JupyterLab would show it, groups in their
default state) and findings-view.json (its measured size).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nbsec
from nbsec.demo import build_demo
from nbsec.display import mimebundle
from nbsec.display.report_view import OPEN_UP_TO
from nbsec.model import Report

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).parent / "artifacts"
WIDTH = 1000

# JupyterLab 4.6's rules for HTML outputs (packages/rendermime/style/base.css, outputarea/style/base.css) and
# the light theme's sizes: tables right-aligned and centred, cells middle-aligned with 0.5em padding, code
# pre-wrapped. The output sits right of the 64 px prompt column, as in a notebook.
JUPYTERLAB_CSS = """
:root { --jp-ui-font-size1: 13px; --jp-content-font-size1: 14px; --jp-code-font-size: 13px;
  --jp-code-line-height: 1.3077; --jp-content-line-height: 1.6; --jp-layout-color0: white; --jp-layout-color2: #eee;
  --jp-content-font-family: system-ui, -apple-system, blinkmacsystemfont, 'Segoe UI', helvetica, arial, sans-serif;
  --jp-code-font-family: menlo, consolas, 'DejaVu Sans Mono', monospace; --jp-border-color1: #bdbdbd;
  --jp-rendermime-table-row-background: #f5f5f5; --jp-rendermime-table-row-hover-background: rgba(3,169,244,.2); }
body { margin: 0; }
.jp-OutputArea-child { display: flex; }
.jp-OutputPrompt { flex: 0 0 64px; }
.jp-OutputArea-output { flex: 1 1 auto; min-width: 0; overflow: auto; }
.jp-OutputArea-output pre { border: none; margin: 0; padding: 0; overflow-x: auto; overflow-y: auto;
  word-break: break-all; word-wrap: break-word; white-space: pre-wrap; }
.jp-RenderedHTMLCommon { font-family: var(--jp-content-font-family); font-size: var(--jp-content-font-size1);
  line-height: var(--jp-content-line-height); padding-right: 20px; }
.jp-RenderedHTMLCommon pre, .jp-RenderedHTMLCommon code { border: 0; background-color: var(--jp-layout-color0);
  font-family: var(--jp-code-font-family); font-size: inherit; line-height: var(--jp-code-line-height);
  padding: 0; white-space: pre-wrap; }
.jp-RenderedHTMLCommon :not(pre) > code { background-color: var(--jp-layout-color2); padding: 1px 5px; }
.jp-RenderedHTMLCommon table { border-collapse: collapse; border-spacing: 0; border: none;
  font-size: var(--jp-ui-font-size1); table-layout: fixed; margin-left: auto; margin-bottom: 1em; margin-right: auto; }
.jp-OutputArea-output.jp-RenderedHTMLCommon table { margin-left: 0; margin-right: 0; }
.jp-RenderedHTMLCommon thead { border-bottom: 1px solid var(--jp-border-color1); vertical-align: bottom; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon tr { vertical-align: middle;
  padding: 0.5em; line-height: normal; white-space: normal; max-width: none; border: none; }
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td, :not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon th,
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon tr { text-align: right; }
.jp-RenderedHTMLCommon th { font-weight: bold; }
.jp-RenderedHTMLCommon tbody tr:nth-child(odd) { background: var(--jp-layout-color0); }
.jp-RenderedHTMLCommon tbody tr:nth-child(even) { background: var(--jp-rendermime-table-row-background); }
.jp-RenderedHTMLCommon tbody tr:hover { background: var(--jp-rendermime-table-row-hover-background); }
.jp-RenderedHTMLCommon p { text-align: left; margin: 0; margin-bottom: 1em; }
"""

FRONT_ENDS = {
    "jupyterlab": lambda view: (
        f"<style>{JUPYTERLAB_CSS}</style><div class='jp-OutputArea-child'><div class='jp-OutputPrompt'></div>"
        f"<div class='jp-OutputArea-output jp-RenderedHTMLCommon jp-RenderedHTML'>{view}</div></div>"
    ),
    "browser-defaults": lambda view: view,
    "style-stripped": lambda view: re.sub(r"<style>.*?</style>", "", view, flags=re.S),
}

MEASURE = """() => {
  const view = document.querySelector('.nbsec-report');
  const cells = [...view.querySelectorAll('td, th')];
  const rules = [...view.querySelectorAll('tr td:nth-child(2) code')];
  const shown = selector => [...view.querySelectorAll(selector)].filter(e => e.checkVisibility()).length;
  const aligned = new Set(cells.map(c => getComputedStyle(c).textAlign));
  return {
    scrollWidth: view.scrollWidth, clientWidth: view.clientWidth,
    pageWidth: document.documentElement.scrollWidth, height: Math.round(view.getBoundingClientRect().height),
    aligned: [...aligned], cells: cells.length,
    wrappedRuleIds: rules.filter(c => c.getClientRects().length !== 1).map(c => c.textContent),
    clippedRuleIds: rules.filter(c => c.getBoundingClientRect().right > c.parentElement.getBoundingClientRect().right)
      .map(c => c.textContent),
    rows: view.querySelectorAll('tr.nbsec-finding').length,
    visibleRows: shown('tr.nbsec-finding'), visibleSuppressed: shown('tr.nbsec-suppressed'),
    visibleDetails: shown('.nbsec-detail-body'),
  };
}"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Report]:
    base = tmp_path_factory.mktemp("view")
    build_demo(base / "demo")
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("NBSEC_")]:
            patch.delenv(name)
        patch.chdir(base)  # `%aisec scan demo` in a notebook next to it: paths "demo/..."
        yield nbsec.scan("demo")


def _open(browser: Any, html: str) -> Any:
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.set_content(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{html}</body></html>")
    return page


@pytest.mark.parametrize("front_end", list(FRONT_ENDS))
def test_the_demo_view_fits_a_1000px_window(browser: Any, demo: Report, front_end: str) -> None:
    page = _open(browser, FRONT_ENDS[front_end](mimebundle(demo)["text/html"]))
    collapsed = page.evaluate(MEASURE)  # groups as they open by default
    if front_end == "jupyterlab":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "findings-view.png"), full_page=True)
    page.evaluate("document.querySelectorAll('.nbsec-report details').forEach(d => { d.open = true; })")
    expanded = page.evaluate(MEASURE)
    page.close()
    for state in (collapsed, expanded):
        assert state["scrollWidth"] <= state["clientWidth"], state  # nothing scrolls sideways, open or closed
        assert state["pageWidth"] <= WIDTH, state
        assert state["aligned"] == ["left"], state  # JupyterLab's right-aligned cells included
        assert state["wrappedRuleIds"] == [] and state["clippedRuleIds"] == [], state
    assert collapsed["rows"] == expanded["visibleRows"] == len(demo.findings)
    # Short groups holding a high finding are open; the 41 threat-model rows start collapsed. Suppressed findings
    # and each row's details start closed.
    threat_model = sum(1 for f in demo.findings if f.rule_id.startswith("NBSEC-TM-"))
    assert threat_model > OPEN_UP_TO and collapsed["visibleRows"] == len(demo.findings) - threat_model
    assert (collapsed["visibleSuppressed"], expanded["visibleSuppressed"]) == (0, len(demo.suppressed))
    assert (collapsed["visibleDetails"], expanded["visibleDetails"]) == (0, len(demo.findings) + len(demo.suppressed))
    print(f"\n{front_end}: {collapsed['height']} px tall by default, {expanded['height']} px all open")
    # Less than a third of the 11,000 px the one-table view took in JupyterLab.
    assert collapsed["height"] < 3500, collapsed
    if front_end == "jupyterlab":
        sizes = {"window_width": WIDTH, "default": collapsed, "all_open": expanded}
        (ARTIFACTS / "findings-view.json").write_text(json.dumps(sizes, indent=2) + "\n")
        print(
            f"\nfindings view at {WIDTH} px (JupyterLab style): {collapsed['height']} px tall, "
            f"{collapsed['scrollWidth']} of {collapsed['clientWidth']} px wide; all open: {expanded['height']} px"
        )
