"""nbsec's JupyterLab extension in Debian's Chromium, as a user meets it after `make lab`.

One JupyterLab (this venv, where `make test` built and linked the extension) serves a folder laid out as
`make lab` lays it out: the demo workspace in demo/ and the tour notebook START_HERE.ipynb. The tests run
the tour's cells and use the extension as a person would: the Report renderer (not the HTML fallback),
severity filters, the AI Security panel (click a finding, land on its cell; suppress it), "Scan with nbsec"
from the file browser's context menu, a threat model saved into the notebook's metadata surviving a
reload, and the dark theme. Screenshots go to tests/integration/artifacts/lab-*.png.

A hostile file is scanned too: a pickle whose module name and file name carry markup. It is built here as
bytes and never loaded; the page must show the markup as text and never run it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_lab import KERNEL_IDLE, running_lab

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PAYLOAD = "<img src=x onerror=window.__pwned=1>"
HOSTILE_PICKLE = "x<b onmouseover=window.__pwned=2>.pkl"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
EXTENSION_READY = "window.jupyterapp && window.jupyterapp.commands.hasCommand('nbsec:scan-notebook')"


def hostile_pickle() -> bytes:
    """GLOBAL '<payload> system', EMPTY_TUPLE, REDUCE, STOP: a call nbsec must report, never make."""
    return b"\x80\x02c" + PAYLOAD.encode() + b"\nsystem\n)R."


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    from nbsec.demo import build_demo

    root = tmp_path_factory.mktemp("lab-root")
    logs = tmp_path_factory.mktemp("lab-logs")
    build_demo(root / "demo")
    (root / "demo" / HOSTILE_PICKLE).write_bytes(hostile_pickle())
    (root / "finetuned.pt").write_bytes((root / "demo" / "checkpoints" / "finetuned.pt").read_bytes())
    subprocess.run([sys.executable, str(ROOT / "scripts" / "lab_tour.py"), str(root)], check=True, capture_output=True)
    with running_lab(root, logs) as (url, token):
        yield url, token, root


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.page_errors = errors
    yield page
    page.close()
    assert not [e for e in errors if "nbsec" in e.lower()], errors


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"lab-{name}.png"))


def open_in_lab(page: Any, url: str, token: str, path: str, *, kernel: bool = True) -> None:
    page.goto(f"{url}/lab/tree/{path}?reset&token={token}")
    page.wait_for_function(EXTENSION_READY, timeout=60000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
    if kernel:
        page.wait_for_function(KERNEL_IDLE, timeout=60000)


def run_cell(page: Any, index: int) -> None:
    page.evaluate(
        f"(() => {{ const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = {index};"
        " return window.jupyterapp.commands.execute('notebook:run-cell'); })()"
    )
    page.wait_for_function(
        f"window.jupyterapp.shell.currentWidget.content.widgets[{index}].model.executionCount !== null", timeout=120000
    )
    page.wait_for_function(KERNEL_IDLE, timeout=120000)


def command(page: Any, name: str, args: dict[str, Any] | None = None) -> Any:
    return page.evaluate(f"window.jupyterapp.commands.execute({json.dumps(name)}, {json.dumps(args or {})})")


def test_the_wheel_parts_are_enabled_in_this_jupyter() -> None:
    jupyter = str(Path(sys.executable).with_name("jupyter"))
    for kind, enabled in (("labextension", r"^\s*nbsec v\S+ enabled OK"), ("server", r"^\s*nbsec enabled$")):
        args = [jupyter, kind, "list"] if kind == "labextension" else [jupyter, "server", "extension", "list"]
        done = subprocess.run(args, capture_output=True, text=True, check=True)
        listing = ANSI.sub("", done.stdout + done.stderr)
        assert re.search(enabled, listing, re.MULTILINE), listing
    assert re.search(r"^\s*nbsec\s+\S*\s*OK$", listing, re.MULTILINE), listing  # the server extension loads


def test_aisec_scan_output_uses_the_extensions_renderer_and_filters_by_severity(
    lab: tuple[str, str, Path], page: Any
) -> None:
    url, token, _root = lab
    open_in_lab(page, url, token, "START_HERE.ipynb")
    run_cell(page, 1)  # %load_ext nbsec
    run_cell(page, 3)  # %aisec scan demo/demo.ipynb
    output = page.locator(".jp-Cell").nth(3).locator(".jp-OutputArea-output")
    report = output.locator(".nbsec-report")
    report.wait_for(timeout=30000)
    # The extension's renderer, not the text/html fallback the same bundle carries.
    assert output.locator(".jp-RenderedHTMLCommon").count() == 0
    rows = report.locator("tr.nbsec-finding")
    total = rows.count()
    severities = set(report.locator("tr.nbsec-finding .nbsec-badge").all_inner_texts())
    assert total >= 10 and {"High", "Medium"} <= {s.strip().title() for s in severities}, severities
    shot(page, "renderer")

    # Hide high findings with its chip: only the others stay, and the chip says it is off.
    high = report.locator(".nbsec-chip.nbsec-sev-high")
    high.click()
    assert high.get_attribute("aria-pressed") == "false"
    remaining = report.locator("tr.nbsec-finding .nbsec-badge").all_inner_texts()
    assert remaining and all(s.strip().lower() != "high" for s in remaining)
    assert len(remaining) < total
    shot(page, "renderer-filtered")

    # Expanding a row shows its evidence (redacted) and references as links.
    high.click()
    report.locator("tr.nbsec-finding").first.click()
    detail = report.locator("tr.nbsec-finding-detail").first
    detail.wait_for()
    assert detail.locator(".nbsec-evidence").count() == 1


def test_panel_lists_the_notebooks_findings_and_a_click_lands_on_the_cell(
    lab: tuple[str, str, Path], page: Any
) -> None:
    url, token, root = lab
    open_in_lab(page, url, token, "demo/demo.ipynb", kernel=False)
    command(page, "nbsec:scan-notebook")
    panel = page.locator("#nbsec-security-panel")
    panel.locator(".nbsec-panel-item").first.wait_for(timeout=60000)
    assert panel.is_visible()
    status = page.locator(".nbsec-statusbar-count")
    assert "finding" in status.inner_text()

    # Markers on the cells with findings (the scan's cells: demo.ipynb has findings in cell 3, index 2).
    marked = page.evaluate(
        "[...window.jupyterapp.shell.currentWidget.content.widgets.entries()]"
        ".filter(([i, c]) => c.node.classList.contains('nbsec-cell-has-finding')).map(([i]) => i)"
    )
    assert marked, "no cell marked"

    item = panel.locator(".nbsec-panel-item").filter(has_text="cell 5").first
    item.click()
    page.wait_for_function("window.jupyterapp.shell.currentWidget.content.activeCellIndex === 4", timeout=10000)
    page.wait_for_selector(".jp-Cell.jp-mod-active .nbsec-line-highlight", timeout=10000)
    shot(page, "panel")


def test_suppress_from_the_panel_writes_what_the_cli_reads(lab: tuple[str, str, Path], page: Any) -> None:
    url, token, root = lab
    open_in_lab(page, url, token, "demo/demo.ipynb", kernel=False)
    command(page, "nbsec:scan-notebook")
    panel = page.locator("#nbsec-security-panel")
    panel.locator(".nbsec-panel-item").first.wait_for(timeout=60000)
    before = panel.locator(".nbsec-panel-item").count()
    row = panel.locator("li").filter(has=page.locator(".nbsec-panel-item[data-rule='NBSEC-NB-002']")).first
    row.hover()  # the button shows on hover, as in a file list
    row.locator(".nbsec-panel-suppress").click()
    page.locator(".jp-Dialog button.jp-mod-warn").click()
    page.wait_for_function(
        f"document.querySelectorAll('#nbsec-security-panel .nbsec-panel-item').length === {before - 1}", timeout=60000
    )
    notebook = json.loads((root / "demo" / "demo.ipynb").read_text())
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in notebook["cells"]]
    # The finding's own line (cell 6, `features = pickle.load(f)`) now carries the comment; the demo's other
    # NB-002 line (cell 9) had one already.
    lines = [line for source in sources for line in source.splitlines() if "features = pickle.load(f)" in line]
    assert lines and all(line.endswith("# nbsec: ignore[NBSEC-NB-002]") for line in lines), lines
    # The CLI agrees: the finding is now in the Report's suppressed list, with the inline reason.
    scan = subprocess.run(
        [str(Path(sys.executable).with_name("nbsec")), "scan", str(root / "demo" / "demo.ipynb"), "-f", "json"],
        capture_output=True, text=True,
    )  # fmt: skip
    report = json.loads(scan.stdout)
    assert "NBSEC-NB-002" not in {f["rule_id"] for f in report["findings"]}
    assert {(s["finding"]["rule_id"], s["reason"]) for s in report["suppressed"]} >= {("NBSEC-NB-002", "inline")}


def test_scan_a_model_file_from_the_file_browser(lab: tuple[str, str, Path], page: Any) -> None:
    url, token, _root = lab
    page.goto(f"{url}/lab?reset&token={token}")
    page.wait_for_function(EXTENSION_READY, timeout=60000)
    # A model file (the demo's checkpoint, copied to the root by the fixture), then a folder.
    for name, expected in (("finetuned.pt", {"NBSEC-ART-001"}), ("demo", {"NBSEC-ART-001", "NBSEC-NB-002"})):
        item = page.locator(".jp-DirListing-item").filter(has_text=name).first
        item.wait_for(timeout=30000)
        item.click(button="right")
        page.locator(".lm-Menu-item").filter(has_text="Scan with nbsec").click()
        tab = page.locator(".lm-Widget.jp-MainAreaWidget:not(.lm-mod-hidden) .nbsec-scan-tab .nbsec-report")
        tab.wait_for(timeout=60000)
        rules = set(tab.locator("tr.nbsec-finding td.nbsec-col-rule").all_inner_texts())
        assert expected <= rules, rules
        assert page.evaluate("window.jupyterapp.shell.currentWidget.title.label") == f"nbsec: {name}"
        shot(page, f"file-browser-scan-{name.replace('.', '-')}")


def test_hostile_names_and_evidence_stay_text(lab: tuple[str, str, Path], page: Any) -> None:
    url, token, _root = lab
    page.goto(f"{url}/lab?reset&token={token}")
    page.wait_for_function(EXTENSION_READY, timeout=60000)
    command(page, "nbsec:scan-path", {"path": f"demo/{HOSTILE_PICKLE}"})
    report = page.locator(".nbsec-scan-tab .nbsec-report")
    report.wait_for(timeout=60000)
    report.locator("tr.nbsec-finding").first.click()
    report.locator("tr.nbsec-finding").first.hover()
    text = report.inner_text()
    assert PAYLOAD in text and HOSTILE_PICKLE in text
    assert report.locator("img, b, script").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_threat_model_saved_into_the_notebook_survives_a_reload(lab: tuple[str, str, Path], page: Any) -> None:
    url, token, root = lab
    open_in_lab(page, url, token, "START_HERE.ipynb")
    run_cell(page, 1)
    run_cell(page, 7)  # %aisec threatmodel demo/threatmodel.nbsec.yaml
    command(page, "nbsec:save-threat-model")
    page.wait_for_function(
        "window.jupyterapp.shell.currentWidget.content.model.getMetadata('nbsec')?.threat_model?.title !== undefined",
        timeout=30000,
    )
    page.wait_for_function("!window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30000)
    saved = json.loads((root / "START_HERE.ipynb").read_text())["metadata"]["nbsec"]["threat_model"]
    assert saved["title"] == "Support assistant (nbsec demo)"

    page.reload()
    page.wait_for_function(EXTENSION_READY, timeout=60000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
    command(page, "nbsec:open-panel")
    line = page.locator(".nbsec-panel-threatmodel")
    line.wait_for(timeout=30000)
    assert "Support assistant (nbsec demo)" in line.inner_text()
    line.locator("button").click()
    page.locator(".nbsec-threatmodel-tab").wait_for(timeout=30000)
    shot(page, "threatmodel")
    # The CLI reads it from the metadata.
    imported = subprocess.run(
        [str(Path(sys.executable).with_name("nbsec")), "threatmodel", "import", str(root / "START_HERE.ipynb"),
         "-o", str(root / "imported.nbsec.yaml")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert "Support assistant (nbsec demo)" in (root / "imported.nbsec.yaml").read_text()


def test_dark_theme(lab: tuple[str, str, Path], page: Any) -> None:
    url, token, _root = lab
    open_in_lab(page, url, token, "START_HERE.ipynb")
    run_cell(page, 1)
    run_cell(page, 3)
    command(page, "apputils:change-theme", {"theme": "JupyterLab Dark"})
    page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30000)
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=30000)
    report = page.locator(".nbsec-report").first
    report.wait_for()
    rgb = page.evaluate(
        "getComputedStyle(document.querySelector('.nbsec-report td') || document.querySelector('.nbsec-report')).color"
    )
    channels = [int(c) for c in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    assert sum(channels) / 3 > 150, f"text colour {rgb} is not light on the dark theme"
    shot(page, "dark")
    command(page, "apputils:change-theme", {"theme": "JupyterLab Light"})


def test_notebook_7_shows_the_renderer_and_the_panel(lab: tuple[str, str, Path], page: Any) -> None:
    _url, _token, root = lab
    logs = root.parent / f"{root.name}-nb7-logs"
    logs.mkdir(exist_ok=True)
    with running_lab(root, logs, app="notebook") as (url, token):
        page.goto(f"{url}/notebooks/START_HERE.ipynb?token={token}")
        page.wait_for_function(EXTENSION_READY, timeout=60000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
        page.wait_for_function(KERNEL_IDLE, timeout=60000)
        run_cell(page, 1)
        run_cell(page, 3)
        output = page.locator(".jp-Cell").nth(3).locator(".jp-OutputArea-output")
        output.locator(".nbsec-report").wait_for(timeout=30000)
        assert output.locator(".jp-RenderedHTMLCommon").count() == 0
        command(page, "nbsec:scan-notebook")
        panel = page.locator("#nbsec-security-panel")
        panel.locator(".nbsec-panel-header").wait_for(timeout=30000)
        assert panel.is_visible()
        shot(page, "notebook7")


def test_without_the_server_extension_the_panel_says_what_to_install(
    tmp_path_factory: pytest.TempPathFactory, page: Any
) -> None:
    root = tmp_path_factory.mktemp("lab-no-server-ext")
    logs = tmp_path_factory.mktemp("lab-no-server-ext-logs")
    (root / "leaky.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": "code", "id": "a", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": "import pickle"}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }))  # fmt: skip
    # As `jupyter server extension disable nbsec` would leave it: the user's config turns it off.
    config = root / ".jupyter" / "jupyter_server_config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"ServerApp": {"jpserver_extensions": {"nbsec": False}}}))
    with running_lab(root, logs) as (url, token):
        open_in_lab(page, url, token, "leaky.ipynb", kernel=False)
        command(page, "nbsec:scan-notebook")
        error = page.locator("#nbsec-security-panel .nbsec-panel-error")
        error.wait_for(timeout=30000)
        text = error.inner_text()
        assert "server extension is not running" in text and "pip install nbsec" in text, text
        assert "failed" in page.locator(".nbsec-statusbar-count").inner_text()
        shot(page, "no-server-extension")
