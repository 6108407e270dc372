"""`nbsec lineage ...` and `%aisec lineage ...`: the issue's judging scenario end to end, and every subcommand."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli import invoke
from IPython.core.interactiveshell import InteractiveShell

from nbsec import lineage
from nbsec.model import Report

STORE = Path(".nbsec") / "lineage.db"


def three_steps() -> None:
    """prepare (train.csv -> clean.csv), featurize (clean.csv -> features.csv), train (features.csv -> model.pt)."""
    Path("data").mkdir()
    Path("data/train.csv").write_text("x,y\n1,0\n2,1\n3,0\n", encoding="utf-8")
    with lineage.step("prepare", inputs=["data/train.csv"], outputs=["data/clean.csv"], params={"dropna": True}):
        Path("data/clean.csv").write_text("x,y\n1,0\n2,1\n", encoding="utf-8")
    with lineage.step("featurize", inputs=["data/clean.csv"], outputs=["data/features.csv"]):
        Path("data/features.csv").write_text("f,y\n0.5,0\n1.0,1\n", encoding="utf-8")
    with lineage.step("train", inputs=["data/features.csv"], outputs=["model.pt"], params={"epochs": 3}):
        Path("model.pt").write_bytes(b"weights")


def test_judging_scenario_changed_file_edited_row_deleted_event(tmp_path: Path, report_schema: dict[str, Any]) -> None:
    three_steps()
    clean = invoke("lineage", "verify", "--format", "json")
    assert clean.exit_code == 0, clean.output
    clean_report = json.loads(clean.stdout)
    jsonschema.validate(clean_report, report_schema)
    assert clean_report["findings"] == [] and clean_report["errors"] == []

    Path("data/train.csv").write_text("x,y\n1,0\n2,1\n3,1\n", encoding="utf-8")  # a training file changes
    with sqlite3.connect(STORE) as db:
        db.execute("UPDATE events SET body = replace(body, '\"dropna\":true', '\"dropna\":false') WHERE seq = 1")
        db.execute("DELETE FROM events WHERE seq = 2")
    tampered = invoke("lineage", "verify", "--format", "json")
    assert tampered.exit_code == 1
    report = json.loads(tampered.stdout)
    jsonschema.validate(report, report_schema)
    found = {
        (f["rule_id"], f["location"]["path"], f["location"].get("element", "").split(",")[0])
        for f in report["findings"]
    }
    assert found == {
        ("NBSEC-LIN-001", "data/train.csv", "event #1 (prepare)"),  # the artifact
        ("NBSEC-LIN-002", str(STORE), "event #1 (prepare)"),  # the edited row
        ("NBSEC-LIN-002", str(STORE), "event #2"),  # the deleted event
    }
    [first] = [f for f in report["findings"] if f["evidence"].startswith("first broken link")]
    assert first["location"]["element"].startswith("event #1 (prepare)") and "edited" in first["evidence"]
    assert "deleted" in next(f["evidence"] for f in report["findings"] if f["location"].get("element") == "event #2")


def test_installed_command_exit_codes(tmp_path: Path) -> None:
    three_steps()
    run = [str(Path(sys.executable).with_name("nbsec"))]
    assert subprocess.run([*run, "lineage", "verify", "-q"], capture_output=True, check=False).returncode == 0
    Path("model.pt").write_bytes(b"other weights")
    done = subprocess.run([*run, "lineage", "verify", "-q"], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "1 finding (1 high)" in done.stdout
    missing = subprocess.run([*run, "lineage", "verify", "--store", "nope.db"], capture_output=True, text=True)
    assert missing.returncode == 2 and "error: nope.db: no lineage store here" in missing.stderr
    assert "hint:" in missing.stderr


def test_record_log_show_head_export_and_import(tmp_path: Path) -> None:
    Path("raw.csv").write_text("a\n1\n", encoding="utf-8")
    result = invoke(
        "lineage",
        "record",
        "clean",
        "-i",
        "raw.csv",
        "-i",
        "http://example.com/x.csv",
        "-o",
        "raw.csv",
        "-p",
        "seed=1",
        "-p",
        "name=demo",
    )
    assert result.exit_code == 0 and result.output.startswith("recorded event #1 (clean): ")
    [row] = lineage.open_store().rows()
    assert json.loads(row.body)["params"] == {"seed": 1, "name": "demo"}
    assert "#1" in invoke("lineage", "log").output and "clean [COMPLETE]" in invoke("lineage", "log").output
    shown = invoke("lineage", "show", "raw.csv")
    assert shown.exit_code == 0 and "upstream:" in shown.output and "step     clean" in shown.output
    assert "1 step" in invoke("lineage", "show").output
    head = invoke("lineage", "head").output.split()
    assert head[0] == "1" and len(head[1]) == 64
    verified = invoke("lineage", "verify", "-q", "--expect-head", head[1], "--fail-on", "high")
    assert verified.exit_code == 0  # the HTTP input is medium: below --fail-on high
    assert invoke("lineage", "verify", "-q").exit_code == 1
    exported = invoke("lineage", "export", "--openlineage", "ol.jsonl")
    assert exported.exit_code == 0 and len(Path("ol.jsonl").read_text().splitlines()) == 2
    Path("dvc.lock").write_text("stages:\n  s:\n    cmd: c\n    outs:\n    - path: raw.csv\n      md5: abc\n")
    assert invoke("lineage", "import-dvc", "dvc.lock").output.strip() == "imported 1 stage from dvc.lock"
    assert invoke("lineage", "record", "x", "-p", "novalue").exit_code == 2
    assert invoke("lineage", "show", "nothing-like-it").exit_code == 2


# -- magics -------------------------------------------------------------------------------


def test_magics_record_cells_and_variables_then_verify_and_show(
    ip: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("in.csv").write_text("a\n1\n2\n", encoding="utf-8")
    ip.run_cell("import pandas as pd\ndf = pd.read_csv('in.csv')")
    ip.run_cell_magic("aisec", "lineage record double -i df -o doubled -p factor=2", "doubled = df * 2\n")
    assert "recorded event #1 (double)" in capsys.readouterr().out
    [row] = lineage.open_store().rows()
    body = json.loads(row.body)
    assert body["inputs"][0]["name"] == "df" and body["outputs"][0]["name"] == "doubled"
    assert body["outputs"][0]["kind"] == "dataframe" and body["params"] == {"factor": 2}
    assert len(body["code"]["cell_sha256"]) == 64
    ip.run_cell_magic("aisec", "lineage record broken -i in.csv", "1 / 0\n")
    assert "status FAIL" in capsys.readouterr().err
    report = ip.run_line_magic("aisec", "lineage verify")
    assert isinstance(report, Report) and report.findings == [] and ip.user_ns["_aisec_report"] is report
    widget = ip.run_line_magic("aisec", "lineage show in.csv")
    assert type(widget).__name__ == "LineageExplorer" and type(widget.widget).__name__ == "VBox"  # + its twin
    ip.run_line_magic("aisec", "lineage log")
    assert "double" in capsys.readouterr().out
    ip.run_line_magic("aisec", "lineage record oops -i missing.csv")
    assert "error: missing.csv: no such file" in capsys.readouterr().err
