"""notebooks/lineage_audit.ipynb in a real kernel (papermill) on the demo workspace, read back as a Report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbsec.demo import build_demo
from nbsec.model import REPORT_MIME_TYPE, Report

pytestmark = pytest.mark.integration

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "lineage_audit.ipynb"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def test_lineage_audit_notebook_reports_the_poisoned_file_and_paints_it_red(tmp_path: Path) -> None:
    import papermill

    workspace = tmp_path / "demo"
    build_demo(workspace)
    executed = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(executed),
        parameters={"workspace": str(workspace), "focus": "data/features.csv"},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
    [last] = [o for o in cells[-1]["outputs"] if o["output_type"] == "execute_result"]
    report = Report.from_dict(last["data"][REPORT_MIME_TYPE])
    assert {(f.rule_id, f.location.path) for f in report.findings} == {
        ("NBSEC-LIN-001", "data/features.csv"),
        ("NBSEC-LIN-006", "http://data.example.com/exports/sensors.csv"),
    }
    figures = [o["data"][PLOTLY_MIME] for o in outputs if PLOTLY_MIME in o.get("data", {})]
    assert len(figures) == 2
    datasets = next(t for t in figures[1]["data"] if t.get("name") == "dataset")
    colour = dict(zip(datasets["customdata"], datasets["marker"]["color"], strict=True))
    assert colour["path:data/features.csv"] == "#d62728" and colour["path:data/raw.csv"] != "#d62728"
    faded = dict(zip(datasets["customdata"], datasets["marker"]["opacity"], strict=True))
    assert faded["path:data/raw.csv"] == 1.0  # upstream of the focus stays lit


def test_lineage_show_in_a_kernel_leaves_the_widget_then_a_light_twin(tmp_path: Path) -> None:
    """`%aisec lineage show` in a real kernel: the live widget (not a `VBox(...)` repr), then its static twin."""
    import nbformat
    from nbclient import NotebookClient

    build_demo(tmp_path / "demo")
    sources = ["%load_ext nbsec", "%aisec lineage show --store demo/.nbsec/lineage.db"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    live, twin = nb.cells[1].outputs
    assert "application/vnd.jupyter.widget-view+json" in live["data"]
    assert not live["data"]["text/plain"].startswith("VBox(")
    html = twin["data"]["text/html"]
    assert 'class="nbsec-twin"' in html and 'aria-label="lineage graph"' in html and "data/features.csv" in html
    assert "<script" not in html.lower() and PLOTLY_MIME not in twin["data"]
    assert len(json.dumps(twin)) < 16_000  # the measured twin of the demo is about 8 KB


def test_lineage_twin_in_a_browser_shows_every_label_whole_and_the_legend(tmp_path: Path) -> None:
    """Drawn by Chromium: every node label lies inside its SVG (the first, a long URL's tail, included)."""
    from browser import launch_chromium
    from playwright.sync_api import sync_playwright

    from nbsec.lineage.verifier import verify_detailed
    from nbsec.widgets.lineage import load_graph, snapshot_html

    build_demo(tmp_path / "demo")
    graph, _ = load_graph(verification=verify_detailed(tmp_path / "demo" / ".nbsec" / "lineage.db"))
    page_path = tmp_path / "twin.html"
    page_path.write_text(f"<!DOCTYPE html><html><body>{snapshot_html(graph)}</body></html>", encoding="utf-8")
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_context(offline=True).new_page()
        page.goto(page_path.resolve().as_uri())
        outside = page.evaluate(
            """Array.from(document.querySelectorAll('svg[aria-label="lineage graph"] text')).filter(t => {
                 const b = t.getBBox(), svg = t.ownerSVGElement.viewBox.baseVal;
                 return b.x < 0 || b.y < 0 || b.x + b.width > svg.width || b.y + b.height > svg.height;
               }).map(t => t.textContent)"""
        )
        labels = page.evaluate("""Array.from(document.querySelectorAll('svg[aria-label="lineage graph"] text'))
                                  .map(t => t.textContent)""")
        legend = page.evaluate("document.querySelector('svg[aria-label=\"legend\"]').textContent")
        browser.close()
    assert len(labels) == len(graph.nodes) and outside == []
    assert any(label.endswith("exports/sensors.csv") for label in labels)
    assert "tampered: red" in legend and "missing: red outline" in legend and "dataset" in legend
