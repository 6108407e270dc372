"""`%load_ext nbsec` and `%aisec` in a real IPython shell (no kernel needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from nbsec.model import Report

HIGH_CODE = "import pickle\n\nwith open('model.pkl', 'rb') as f:\n    model = pickle.load(f)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "dir with space"
    folder.mkdir()
    (folder / "load.py").write_text(HIGH_CODE, encoding="utf-8")
    return folder


def aisec(ip: InteractiveShell, line: str) -> Any:
    return ip.run_line_magic("aisec", line)


def test_scan_quoted_path_with_spaces_returns_report(ip: InteractiveShell, project: Path) -> None:
    report = aisec(ip, f'scan "{project}"')
    assert isinstance(report, Report)
    assert [f.rule_id for f in report.findings] == ["NBSEC-NB-002"]
    assert ip.user_ns["_aisec_report"] is report


def test_assignment_form_and_report_returns_the_same_object(ip: InteractiveShell, project: Path) -> None:
    result = ip.run_cell(f"r = %aisec scan '{project.name}' --min-severity high")
    assert result.success, result.error_in_exec
    report = ip.user_ns["r"]
    assert isinstance(report, Report) and report.findings
    assert aisec(ip, "report") is report


def test_bare_scan_displays_the_report(ip: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = ip.run_cell(f'%aisec scan "{project}"')
    assert result.success
    assert isinstance(result.result, Report)
    assert "NBSEC-NB-002" in capsys.readouterr().out  # text/plain of the mime bundle, via the displayhook


def test_report_written_to_file(
    ip: InteractiveShell, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    aisec(ip, f'scan "{project}"')
    html = tmp_path / "out dir" / "report.html"
    assert aisec(ip, f'report --format html -o "{html}"') is None
    assert "NBSEC-NB-002" in html.read_text(encoding="utf-8")
    assert str(html) in capsys.readouterr().out
    sarif = tmp_path / "scan.sarif"
    aisec(ip, f"report -o {sarif}")  # format from the extension
    assert json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]


def test_report_rendered_inline(ip: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from IPython.display import HTML

    aisec(ip, f'scan "{project}"')
    shown = aisec(ip, "report --format html")
    assert isinstance(shown, HTML) and "NBSEC-NB-002" in shown.data
    assert aisec(ip, "report --format json") is None
    assert json.loads(capsys.readouterr().out)["findings"][0]["rule_id"] == "NBSEC-NB-002"


def test_report_before_any_scan_says_so(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    assert aisec(ip, "report") is None
    assert "no report yet: run %aisec scan PATH first" in capsys.readouterr().out


@pytest.mark.parametrize("line", ["", "bogus", "help", "   "])
def test_help_for_empty_unknown_and_help(ip: InteractiveShell, line: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert aisec(ip, line) is None
    out = capsys.readouterr().out
    assert "scan" in out and "report" in out and "%aisec scan notebooks/" in out


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("scan", "error: nothing to scan"),  # no path
        ("scan --fail-on severe x", "invalid choice"),
        ("scan --bogus x", "unrecognized arguments"),
        ('scan "unclosed', "No closing quotation"),
    ],
)
def test_bad_input_prints_usage_and_returns_none(
    ip: InteractiveShell, line: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert aisec(ip, line) is None
    captured = capsys.readouterr()
    assert expected in captured.err
    assert "Traceback" not in captured.out + captured.err


def test_missing_path_prints_error_and_hint(
    ip: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert aisec(ip, f'scan "{tmp_path / "no such dir"}"') is None
    err = capsys.readouterr().err
    assert "error:" in err and "no such file" in err and "hint:" in err


def test_fail_on_warns_but_still_returns_the_report(
    ip: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = aisec(ip, f'scan "{project}" --fail-on HIGH')
    assert isinstance(report, Report)
    assert "1 finding(s) at or above high" in capsys.readouterr().err


def test_cell_body_is_refused_where_not_supported(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    assert ip.run_cell_magic("aisec", "scan .", "x = 1\n") is None
    assert "does not take a cell body" in capsys.readouterr().err


def test_ipython_magic_in_cell_is_scanned(ip: InteractiveShell, write_notebook: Callable[..., Path]) -> None:
    notebook = write_notebook("timed.ipynb", ["import torch\n%time m = torch.load('x')\n"])
    report = aisec(ip, f'scan "{notebook}"')
    assert [(f.rule_id, f.location.cell, f.location.line) for f in report.findings] == [("NBSEC-NB-001", 0, 2)]
    assert not report.errors


def test_unload_removes_the_magic(ip: InteractiveShell) -> None:
    ip.run_line_magic("unload_ext", "nbsec")
    assert "aisec" not in ip.magics_manager.magics["line"]
    assert "aisec" not in ip.magics_manager.magics["cell"]
    ip.run_line_magic("load_ext", "nbsec")  # for the fixture's teardown
    assert "aisec" in ip.magics_manager.magics["line"]


def test_load_ext_does_not_import_the_engine(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance().run_line_magic('load_ext', 'nbsec')\n"
        "print(sorted(m for m in ('nbsec.api', 'nbsec.reporters', 'rich', 'torch') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_report_that_cannot_be_written_is_an_error_line_not_a_traceback(
    ip: InteractiveShell, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    result = aisec(ip, f'scan "{project}" -f json -o "{blocker / "report.json"}"')
    err = capsys.readouterr().err
    assert result is None
    assert f"error: {blocker / 'report.json'}: cannot write the json report" in err
    assert "hint: check that the folder exists and is writable" in err


def test_f_alone_shows_that_format_instead_of_the_report(
    ip: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert aisec(ip, f'scan "{project}" -f md') is None  # printed as Markdown, not shown twice
    assert "NBSEC-NB-002" in capsys.readouterr().out
