"""`%aisec threatmodel` in JupyterLab in a real Chromium: the widget renders, plots draw, decisions land on the
threat they are recorded for, re-runs do not double.

Starts `jupyter lab` (this venv, 127.0.0.1, a free port, token auth, a fresh root
folder), opens a notebook that runs `%load_ext nbsec` and `%aisec threatmodel FILE` on
the demo's threat model, records two decisions through the form, and saves a screenshot
to tests/integration/artifacts/threatmodel-widget.png. The cell also holds the builder's
static twin (hidden while the widget is live), so every selector is scoped to the live
widget (`.nbsec-live`) or to the twin (`.nbsec-twin`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import launch_chromium
from jupyter_lab import running_lab, write_notebook

from nbsec.demo.threatmodel import DEMO_MODEL

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
MODEL = DEMO_MODEL
LIVE_LIST = ".nbsec-live .nbsec-threat-list"
SELECTED_STATUS = (
    "(() => { const s = [...document.querySelectorAll('.nbsec-live .widget-dropdown')]"
    ".find(d => d.querySelector('label')?.innerText.trim() === 'Status')?.querySelector('select');"
    " return s ? s.options[s.selectedIndex].text : null; })()"
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    root = tmp_path_factory.mktemp("lab-root")
    logs = tmp_path_factory.mktemp("lab-logs")
    (root / "tm.nbsec.yaml").write_text(MODEL)
    write_notebook(root / "review.ipynb", ["%load_ext nbsec", "%aisec threatmodel tm.nbsec.yaml"])
    with running_lab(root, logs) as (url, token):
        yield url, token, root


def run_all(page: Any) -> None:
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def dropdown(page: Any, label: str) -> Any:
    return page.locator(f".nbsec-live .widget-dropdown:has(label:text-is('{label}')) select")


def row_status(page: Any, scope: str, rule: str, where: str) -> str:
    """The status cell of the threat list row for `rule` on the element whose description contains `where`."""
    script = f"""(() => {{
        const rows = [...document.querySelectorAll("{scope} .nbsec-threat-list tbody tr")];
        const row = rows.find(
            r => r.cells[1].innerText.trim() === "{rule}" && r.cells[3].innerText.includes("{where}"));
        return row ? row.cells[5].innerText.trim() : "no such row";
    }})()"""
    status: str = page.evaluate(script)
    return status


def test_threat_model_widget_renders_in_jupyterlab(lab: tuple[str, str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    url, token, _root = lab
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 4600})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/lab/tree/review.ipynb?reset&token={token}")
        page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=30000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=30000)
        page.wait_for_function(
            "window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'", timeout=30000
        )
        run_all(page)
        threat_list = page.locator(LIVE_LIST)
        threat_list.wait_for(timeout=30000)
        page.locator(".nbsec-live svg.nbsec-dfd").wait_for(timeout=30000)  # the diagram
        page.locator(".nbsec-live .js-plotly-plot").wait_for(timeout=30000)  # the risk matrix
        # the diagram fits the output area: drawn at its layout size or smaller, never cut off
        fits = "(() => { const s = document.querySelector('.nbsec-live svg.nbsec-dfd');"
        fits += " const r = s.getBoundingClientRect();"
        fits += " const box = s.closest('.jp-OutputArea-output').getBoundingClientRect();"
        fits += " return r.width > 300 && r.right <= box.right + 4 && r.left >= box.left - 4; })()"
        assert page.evaluate(fits)
        text = threat_list.inner_text()
        assert "Direct prompt injection" in text and "Vector store without per-user access control" in text
        assert "11 elements, 12 flows" in page.locator(".nbsec-live .nbsec-threat-summary").inner_text()
        rows = page.locator(f"{LIVE_LIST} tbody tr").count()
        # the model's data output, drawn by nbsec's lab extension (its renderer for the threat-model MIME type)
        assert page.locator(".jp-OutputArea-output .nbsec-tm .nbsec-tm-title").count() >= 1
        assert page.locator(".nbsec-twin").count() == 1 and not page.locator(".nbsec-twin").is_visible()

        # Two decisions through the form: the second threat keeps its own status, not the one recorded before.
        message = page.locator(".nbsec-live .nbsec-message")
        dropdown(page, "Threat").select_option(label="NBSEC-TM-026 Direct prompt injection @ assistant [open]")
        dropdown(page, "Status").select_option("mitigated")
        page.locator(".nbsec-live button", has_text="Record decision").click()
        page.wait_for_function(
            "document.querySelector('.nbsec-live .nbsec-message')?.innerText.includes('open \u2192 mitigated')",
            timeout=30000,
        )
        assert message.inner_text().startswith("NBSEC-TM-026 on assistant: open \u2192 mitigated")
        second = "NBSEC-TM-040 Vector store without per-user access control @ help-index [open]"
        dropdown(page, "Threat").select_option(label=second)
        page.wait_for_function(f"{SELECTED_STATUS} === 'open'", timeout=10000)  # the threat's own status
        page.locator(".nbsec-live button", has_text="Record decision").click()
        page.wait_for_function(
            "document.querySelector('.nbsec-live .nbsec-message')?.innerText.includes('NBSEC-TM-040')", timeout=30000
        )
        assert "nothing changed" in message.inner_text()
        assert row_status(page, ".nbsec-live", "NBSEC-TM-026", "assistant") == "mitigated"
        assert row_status(page, ".nbsec-live", "NBSEC-TM-040", "help-index") == "open"
        assert row_status(page, ".nbsec-twin", "NBSEC-TM-026", "assistant") == "mitigated"  # the twin followed

        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "threatmodel-widget.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")

        # Re-running the cell replaces the widget: same list, not a second one. Wait for the re-run itself: the
        # cell's execution count goes up and the list shown before it (marked here) is gone, replaced.
        count_js = "window.jupyterapp.shell.currentWidget.content.widgets[1].model.executionCount"
        before = page.evaluate(count_js)
        assert isinstance(before, int), before
        page.evaluate(f"document.querySelector('{LIVE_LIST}').dataset.nbsecBeforeRerun = '1'")
        run_all(page)
        page.wait_for_function(f"({count_js}) > {before}", timeout=30000)
        page.wait_for_function(
            f"(() => {{ const lists = [...document.querySelectorAll('{LIVE_LIST}')];"
            " return lists.length > 0 && !lists.some(l => l.dataset.nbsecBeforeRerun); })()",
            timeout=30000,
        )
        page.wait_for_function(
            "window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'", timeout=30000
        )
        assert page.locator(LIVE_LIST).count() == 1 and page.locator(".nbsec-twin").count() == 1
        assert page.locator(f"{LIVE_LIST} tbody tr").count() == rows
        assert row_status(page, ".nbsec-live", "NBSEC-TM-026", "assistant") == "open"  # not saved: the file's state
        assert errors == []
        browser.close()
