"""notebooks/adversarial_robustness.ipynb headless (papermill, a real kernel) on the demo workspace, and its
Report's HTML (inline SVG charts, data: PNG examples) in a real browser under the report's CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import launch_chromium

from nbsec.demo import build_demo
from nbsec.model import REPORT_MIME_TYPE, Report

pytestmark = pytest.mark.integration

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "adversarial_robustness.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import nbformat
    import papermill

    folder = tmp_path_factory.mktemp("adv-notebook")
    build_demo(folder / "demo")
    output = folder / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(output), parameters={"workspace": str(folder / "demo"), "n_samples": 120},
        kernel_name="python3", progress_bar=False, cwd=str(folder),
    )  # fmt: skip
    return {"folder": folder, "nb": nbformat.read(output, as_version=4)}


def test_notebook_reports_each_planted_problem(executed: dict[str, Any]) -> None:
    last = executed["nb"].cells[-1]
    [bundle] = [o for o in last.outputs if REPORT_MIME_TYPE in o.get("data", {})]
    report = Report.from_dict(bundle["data"][REPORT_MIME_TYPE])
    assert {f.rule_id for f in report.findings} >= {"NBSEC-ADV-004", "NBSEC-ADV-005", "NBSEC-PRIV-002"}
    assert "NBSEC-ADV-002" not in {f.rule_id for f in report.findings}  # the demo CNN does not mask gradients
    assert {f.id for f in report.figures} >= {"robustness", "per-class", "examples", "poisoning", "membership-roc"}
    plots = [o for c in executed["nb"].cells for o in c.get("outputs", []) if "application/vnd.plotly.v1+json" in
             o.get("data", {})]  # fmt: skip
    assert len(plots) == 6


def test_report_html_draws_figures_under_the_csp(executed: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    from nbsec.reporters import write

    last = executed["nb"].cells[-1]
    [bundle] = [o for o in last.outputs if REPORT_MIME_TYPE in o.get("data", {})]
    page_path = write(Report.from_dict(bundle["data"][REPORT_MIME_TYPE]), "html", executed["folder"] / "r.html")
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_context(offline=True).new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(page_path.resolve().as_uri())
        widths = page.evaluate("Array.from(document.querySelectorAll('#figures img')).map(i => i.naturalWidth)")
        boxes = page.evaluate(
            "Array.from(document.querySelectorAll('#figures svg')).map(s => s.getBoundingClientRect().width)"
        )
        browser.close()
    assert problems == []  # no CSP violation: the images are data: PNGs, the charts inline SVG
    assert widths and all(w > 0 for w in widths)  # every example image decoded
    assert len(boxes) >= 5 and all(w > 100 for w in boxes)


def test_robustness_magic_in_a_kernel_is_one_light_report_and_a_progress_line(tmp_path: Path) -> None:
    """No widget (tqdm's or plotly's) that dies with the kernel: an HTML progress line that keeps its last state,
    then the Report with its figures as inline SVG."""
    import json

    import nbformat
    from nbclient import NotebookClient

    build_demo(tmp_path / "demo")
    sources = [
        "%load_ext nbsec",
        "%aisec robustness demo/models/digits_cnn.pt digits --arch nbsec.adversarial.demo_models:DigitsCNN "
        "--n 48 --attacks fgsm pgd --eps 0.05 0.1 --steps 5",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[1].outputs
    assert [o["output_type"] for o in outputs] == ["display_data", "execute_result"], outputs
    progress, result = outputs
    assert progress["data"]["text/plain"].startswith("nbsec robustness: 4/4 done in ")
    assert '<progress value="4" max="4"' in progress["data"]["text/html"]
    html = result["data"]["text/html"]
    assert html.count("<svg") == 2 and "data:image/png;base64," in html and "<script" not in html.lower()
    assert Report.from_dict(result["data"][REPORT_MIME_TYPE]).figures
    kinds = {mime for o in outputs for mime in o.get("data", {})}
    assert not {"application/vnd.jupyter.widget-view+json", "application/vnd.plotly.v1+json"} & kinds
    assert "widgets" not in nb.metadata  # no widget state saved for a bar
    assert len(json.dumps(outputs)) < 60_000  # 66 KB before (three plotly figures and a tqdm widget), ~43 KB now
