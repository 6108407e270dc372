"""`%aisec scan --kernel` and `--env` in a real kernel honour the config and the baseline as `nbsec scan` does.

Both go through `nbsec.api.scan`, so `min_severity`, `exclude_rules` (from `.nbsec.toml`) and a
baseline file apply to a live kernel's findings and to the installed packages exactly as to files;
a finding they drop is kept in `suppressed` with the reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from nbsec.demo import FAKE_OPENAI_KEY
from nbsec.model import REPORT_MIME_TYPE, Report

pytestmark = pytest.mark.integration

SETUP = f"""
import os
leaked_key = "{FAKE_OPENAI_KEY}"
os.environ["SERVICE_API_TOKEN"] = "tok_live_6f1c0b9e4d2a7f35"
"""


def run_cells(folder: Path, sources: list[str]) -> list[Any]:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute()
    return list(nb.cells)


def report_of(cell: Any) -> Report:
    [result] = [o for o in cell.outputs if o["output_type"] == "execute_result"]
    return Report.from_dict(result["data"][REPORT_MIME_TYPE])


def kept_and_dropped(report: Report) -> tuple[set[str], dict[str, str]]:
    return {f.rule_id for f in report.findings}, {s.finding.fingerprint: s.reason for s in report.suppressed}


def test_kernel_scan_applies_config_and_baseline(tmp_path: Path) -> None:
    cells = run_cells(
        tmp_path,
        [
            "%load_ext nbsec",
            SETUP,
            "eval(input_text) if False else None",  # typed into the history: NBSEC-NB-005
            "%aisec scan --kernel",
            # A config in the kernel's folder: leave out eval findings, and anything below medium.
            "open('.nbsec.toml', 'w').write('exclude_rules = [\"NBSEC-NB-005\"]\\nmin_severity = \"medium\"\\n')",
            "%aisec scan --kernel",
            "from nbsec.baseline import write_baseline\nwrite_baseline(_aisec_report, 'base.json')",
            "%aisec scan --kernel --baseline base.json",
        ],
    )
    plain = report_of(cells[3])
    assert {"NBSEC-NB-005", "NBSEC-NB-010"} <= {f.rule_id for f in plain.findings}
    env_finding = next(f for f in plain.findings if f.location.element == "environment variable SERVICE_API_TOKEN")
    assert env_finding.severity.value == "low"
    assert "tok_live_6f1c0b9e4d2a7f35" not in json.dumps(plain.to_dict())

    configured = report_of(cells[5])
    kept, dropped = kept_and_dropped(configured)
    assert "NBSEC-NB-005" not in kept and env_finding.fingerprint not in {f.fingerprint for f in configured.findings}
    eval_finding = next(f for f in plain.findings if f.rule_id == "NBSEC-NB-005")
    assert dropped[eval_finding.fingerprint] == "config"
    assert dropped[env_finding.fingerprint] == "severity-threshold"
    assert configured.findings, "the leaked key in a variable is high: still reported"

    baselined = report_of(cells[7])
    assert baselined.findings == []
    assert {s.reason for s in baselined.suppressed} >= {"baseline"}
    assert baselined.baseline is not None and baselined.baseline["unchanged"] == len(configured.findings)


def test_env_scan_in_a_kernel_matches_nbsec_scan_env(tmp_path: Path) -> None:
    (tmp_path / ".nbsec.toml").write_text('exclude_rules = ["NBSEC-DEP-005"]\n', encoding="utf-8")
    cells = run_cells(tmp_path, ["%load_ext nbsec", "%aisec scan --env"])
    in_kernel = report_of(cells[1])
    cli = subprocess.run(
        [sys.executable, "-m", "nbsec.cli", "scan", "--env", "-f", "json", "--fail-on", "never"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    on_cli = Report.from_dict(json.loads(cli.stdout))
    # The stale-advisory finding (the bundled data is older than 90 days) is excluded by the config, in both.
    assert "NBSEC-DEP-005" not in {f.rule_id for f in in_kernel.findings}
    assert [(s.finding.rule_id, s.reason) for s in in_kernel.suppressed] == [("NBSEC-DEP-005", "config")]
    assert kept_and_dropped(in_kernel) == kept_and_dropped(on_cli)
    assert [c.to_dict() for c in in_kernel.checks] == [c.to_dict() for c in on_cli.checks]
