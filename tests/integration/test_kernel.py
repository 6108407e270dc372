"""`%load_ext nbsec` and `%aisec scan` in a real Jupyter kernel, as JupyterLab runs them.

The kernel is started by nbclient (no server, no network beyond loopback ZMQ);
the test reads the outputs a front end would render.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from nbsec.demo import FAKE_OPENAI_KEY, build_demo
from nbsec.model import REPORT_MIME_TYPE, Report

pytestmark = pytest.mark.integration


def test_magics_in_a_real_kernel(tmp_path: Path) -> None:
    build_demo(tmp_path / "my demo")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext nbsec"),
        nbformat.v4.new_code_cell('%aisec scan "my demo"'),
        nbformat.v4.new_code_cell('r = %aisec scan "my demo"\nprint(type(r).__name__, len(r.findings))'),
        nbformat.v4.new_code_cell("%aisec bogus"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    [result] = [o for o in nb.cells[1].outputs if o["output_type"] == "execute_result"]
    data = result["data"]
    assert {"text/plain", "text/html", REPORT_MIME_TYPE} <= set(data)
    report = Report.from_dict(data[REPORT_MIME_TYPE])
    assert {f.rule_id for f in report.findings} >= {"NBSEC-NB-001", "NBSEC-NB-002", "NBSEC-NB-004"}
    assert "NBSEC-NB-001" in data["text/html"]
    assert FAKE_OPENAI_KEY not in json.dumps(nb.cells[1].outputs)

    stdout = "".join(o.get("text", "") for o in nb.cells[2].outputs if o["output_type"] == "stream")
    assert stdout.strip() == f"Report {len(report.findings)}"

    bogus = nb.cells[3].outputs
    assert not [o for o in bogus if o["output_type"] == "error"], "a typo must not raise a traceback"
    assert "scan" in "".join(o.get("text", "") for o in bogus)


def test_aisec_llm_in_a_real_kernel_shows_progress_chart_and_report(tmp_path: Path) -> None:
    from nbsec.llm.demo_app import DEMO_CANARY

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext nbsec"),
        nbformat.v4.new_code_cell("%aisec llm demo --probes system-prompt-extraction --probes rag-access"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    outputs = nb.cells[1].outputs
    assert not [o for o in outputs if o["output_type"] == "error"]
    shown = [o for o in outputs if o["output_type"] in ("display_data", "update_display_data")]
    assert any("nbsec llm" in o["data"].get("text/plain", "") for o in shown), "a progress bar while probing"
    assert any("application/vnd.plotly.v1+json" in o["data"] for o in shown), "the success-rate chart"
    [result] = [o for o in outputs if o["output_type"] == "execute_result"]
    report = Report.from_dict(result["data"][REPORT_MIME_TYPE])
    assert {"NBSEC-LLM-002", "NBSEC-LLM-010"} <= {f.rule_id for f in report.findings}
    assert DEMO_CANARY not in json.dumps(outputs)
