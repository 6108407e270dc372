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
