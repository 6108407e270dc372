"""The `nbsec` command line: exit codes, formats, baselines, rules, help.

Most tests drive the click app in-process (CliRunner); a few run the real
`python -m nbsec.cli` process to check what a shell or CI sees.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli import invoke

SAFE_CODE = "import json\n\nwith open('config.json') as f:\n    config = json.load(f)\n"
HIGH_CODE = "import pickle\n\nwith open('model.pkl', 'rb') as f:\n    model = pickle.load(f)\n"
NEW_UNSAFE_LINE = "import yaml\nsettings = yaml.load(open('s.yaml'), Loader=yaml.Loader)\n"


def run_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbsec.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def clean_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "clean"
    folder.mkdir()
    (folder / "ok.py").write_text(SAFE_CODE, encoding="utf-8")
    return folder


@pytest.fixture
def high_dir(tmp_path: Path) -> Path:
    """A folder whose only finding is high (NBSEC-NB-002), none critical."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "load.py").write_text(HIGH_CODE, encoding="utf-8")
    (folder / "ok.py").write_text(SAFE_CODE, encoding="utf-8")
    return folder


# -- exit codes ------------------------------------------------------------------------


def test_clean_folder_exits_0(clean_dir: Path) -> None:
    result = invoke("scan", clean_dir)
    assert result.exit_code == 0, result.output
    assert "0 findings" in result.stdout


def test_high_finding_exits_1_by_default(high_dir: Path) -> None:
    result = invoke("scan", high_dir)
    assert result.exit_code == 1, result.output
    assert "NBSEC-NB-002" in result.stdout


@pytest.mark.parametrize(("fail_on", "expected"), [("never", 0), ("critical", 0), ("high", 1), ("low", 1)])
def test_fail_on_threshold(high_dir: Path, fail_on: str, expected: int) -> None:
    assert invoke("scan", high_dir, "--fail-on", fail_on).exit_code == expected


def test_fail_on_from_environment_and_flag_wins(high_dir: Path) -> None:
    assert invoke("scan", high_dir, env={"NBSEC_FAIL_ON": "never"}).exit_code == 0
    assert invoke("scan", high_dir, "--fail-on", "high", env={"NBSEC_FAIL_ON": "never"}).exit_code == 1


def test_fail_on_from_config_file(high_dir: Path) -> None:
    (high_dir / ".nbsec.toml").write_text('fail_on = "critical"\n', encoding="utf-8")
    assert invoke("scan", high_dir).exit_code == 0


@pytest.mark.parametrize(
    "options",
    [("--exclude-rule", "NBSEC-NB-002"), ("--only", "NBSEC-NB-001"), ("--min-severity", "critical")],
)
def test_filters_leave_nothing_to_fail_on(high_dir: Path, options: tuple[str, str]) -> None:
    result = invoke("scan", high_dir, *options)
    assert result.exit_code == 0, result.output
    assert "NBSEC-NB-002" not in result.stdout


def test_exclude_rule_adds_to_config_file_excludes(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(HIGH_CODE + NEW_UNSAFE_LINE, encoding="utf-8")
    (tmp_path / ".nbsec.toml").write_text('exclude_rules = ["NBSEC-NB-003"]\n', encoding="utf-8")
    result = invoke("scan", tmp_path, "--exclude-rule", "NBSEC-NB-002")
    assert result.exit_code == 0, result.output


def test_missing_path_exits_2_with_hint(tmp_path: Path) -> None:
    result = invoke("scan", tmp_path / "nope")
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.output


def test_bad_fail_on_value_exits_2(clean_dir: Path) -> None:
    result = invoke("scan", clean_dir, "--fail-on", "severe")
    assert result.exit_code == 2
    assert "--fail-on" in result.stderr and "hint:" in result.stderr


def test_unknown_format_exits_2(clean_dir: Path) -> None:
    result = invoke("scan", clean_dir, "--format", "xml")
    assert result.exit_code == 2
    assert "sarif" in result.stderr  # the hint lists the formats


@pytest.mark.parametrize(
    ("options", "message"), [(["--only", "bogus"], "unknown scanner"), (["-v", "-q"], "cannot be used together")]
)
def test_bad_option_combinations_exit_2(clean_dir: Path, options: list[str], message: str) -> None:
    result = invoke("scan", clean_dir, *options)
    assert result.exit_code == 2
    assert message in result.stderr


def test_several_formats_without_output_exits_2(clean_dir: Path) -> None:
    result = invoke("scan", clean_dir, "-f", "json,sarif")
    assert result.exit_code == 2
    assert "--output" in result.stderr


@pytest.mark.parametrize("how", ["--config", "discovered"])
def test_config_with_unknown_key_exits_2_naming_the_file(clean_dir: Path, tmp_path: Path, how: str) -> None:
    if how == "--config":
        config = tmp_path / "strict settings.toml"
        args: list[object] = ["scan", clean_dir, "--config", config]
    else:
        config = clean_dir / ".nbsec.toml"
        args = ["scan", clean_dir]
    config.write_text('fail_onn = "high"\n', encoding="utf-8")
    result = invoke(*args)
    assert result.exit_code == 2
    assert str(config) in result.stderr
    assert "fail_on" in result.stderr  # did-you-mean hint


def test_notebook_that_is_not_json_is_not_clean(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (tmp_path / "ok.py").write_text(SAFE_CODE, encoding="utf-8")
    result = invoke("scan", tmp_path)
    assert result.exit_code == 1, result.output
    assert "could not be scanned" in result.stderr
    assert "broken.ipynb" in result.stdout


def test_folder_of_binary_junk_is_not_clean(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    rng = random.Random(1234)
    for name in ("blob.bin", "weights.dat", "fake.ipynb"):
        (junk / name).write_bytes(rng.randbytes(4096))
    result = invoke("scan", junk, "--format", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["errors"], "a folder with nothing readable must report an error"
    assert "could not be scanned" in result.stderr


def test_unexpected_error_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch, clean_dir: Path) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr("nbsec.api.scan", boom)
    result = invoke("scan", clean_dir)
    assert result.exit_code == 2
    assert "engine exploded" in result.stderr and "NBSEC_DEBUG=1" in result.stderr
    assert "Traceback" not in result.stderr
    debug = invoke("scan", clean_dir, env={"NBSEC_DEBUG": "1"})
    assert debug.exit_code == 2
    assert "Traceback" in debug.stderr


# -- baseline ---------------------------------------------------------------------------


def test_baseline_create_then_only_new_findings_fail(high_dir: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "base line.json"
    created = invoke("baseline", "create", high_dir, "-o", baseline)
    assert created.exit_code == 0, created.output
    assert "recorded 1 finding" in created.stdout
    assert baseline.is_file()

    again = invoke("scan", high_dir, "--baseline", baseline, "-f", "json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert report["findings"] == []
    assert report["baseline"]["new"] == 0

    with (high_dir / "load.py").open("a", encoding="utf-8") as handle:
        handle.write(NEW_UNSAFE_LINE)
    after = invoke("scan", high_dir, "--baseline", baseline, "-f", "json")
    assert after.exit_code == 1, after.output
    report = json.loads(after.stdout)
    assert [f["rule_id"] for f in report["findings"]] == ["NBSEC-NB-003"]
    assert report["baseline"]["new"] == 1
    assert "1 new" in after.stderr


def test_baseline_create_ignores_the_configured_baseline(high_dir: Path, tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    assert invoke("baseline", "create", high_dir, "-o", first).exit_code == 0
    (high_dir / ".nbsec.toml").write_text(f"baseline = {json.dumps(str(first))}\n", encoding="utf-8")
    second = tmp_path / "second.json"
    result = invoke("baseline", "create", high_dir, "-o", second)
    assert "recorded 1 finding" in result.stdout  # not 0: the old baseline must not hide findings


def test_missing_baseline_file_exits_2(high_dir: Path, tmp_path: Path) -> None:
    result = invoke("scan", high_dir, "--baseline", tmp_path / "nope.json")
    assert result.exit_code == 2
    assert "baseline" in result.stderr and "hint:" in result.stderr


# -- formats and output ---------------------------------------------------------------------


def test_json_output_validates_against_schema(high_dir: Path, tmp_path: Path, report_schema: dict[str, Any]) -> None:
    out = tmp_path / "out.json"
    result = invoke("scan", high_dir, "--format", "json", "-o", out)
    assert result.exit_code == 1
    report = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(report, report_schema)
    assert report["summary"]["total"] == 1
    # stdout stays empty; a human-readable summary goes to stderr for the logs
    assert result.stdout == ""
    assert "1 finding" in result.stderr and str(out) in result.stderr


def test_output_format_guessed_from_extension(high_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan.sarif"
    invoke("scan", high_dir, "-o", out)
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"


@pytest.mark.parametrize("layout", ["existing-dir", "trailing-slash", "stem"])
def test_several_formats_write_each_file(high_dir: Path, tmp_path: Path, layout: str) -> None:
    if layout == "existing-dir":
        (tmp_path / "reports").mkdir()
        output, expected = str(tmp_path / "reports"), tmp_path / "reports" / "nbsec-report"
    elif layout == "trailing-slash":
        output, expected = str(tmp_path / "new-reports") + "/", tmp_path / "new-reports" / "nbsec-report"
    else:
        (tmp_path / "ci").mkdir()
        output, expected = str(tmp_path / "ci" / "scan"), tmp_path / "ci" / "scan"
    result = invoke("scan", high_dir, "--format", "sarif,json", "-o", output)
    assert result.exit_code == 1, result.output
    sarif = json.loads(expected.with_name(expected.name + ".sarif").read_text(encoding="utf-8"))
    report = json.loads(expected.with_name(expected.name + ".json").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"][0]["ruleId"] == "NBSEC-NB-002"
    assert report["findings"][0]["rule_id"] == "NBSEC-NB-002"


def test_repeated_format_option_and_console(high_dir: Path, tmp_path: Path) -> None:
    result = invoke("scan", high_dir, "-f", "console", "-f", "json", "-o", tmp_path / "r")
    assert (tmp_path / "r.json").is_file()
    assert not (tmp_path / "r.txt").exists()  # console stays on the terminal
    assert "NBSEC-NB-002" in result.stdout


def test_quiet_console_prints_only_the_summary(high_dir: Path) -> None:
    result = invoke("scan", high_dir, "-q")
    assert result.exit_code == 1
    assert result.stdout.strip().splitlines() == [result.stdout.strip()]
    assert "1 finding" in result.stdout


def test_quoted_path_with_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "My Notebooks"
    folder.mkdir()
    (folder / "train model.py").write_text(HIGH_CODE, encoding="utf-8")
    result = invoke("scan", folder, "-f", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["findings"][0]["location"]["path"].endswith("My Notebooks/train model.py")


# -- rules, explain, schema -------------------------------------------------------------------


def test_rules_lists_the_notebook_rules() -> None:
    result = invoke("rules")
    assert result.exit_code == 0
    for number in range(1, 6):
        assert f"NBSEC-NB-00{number}" in result.stdout
    assert "high" in result.stdout


def test_rules_as_json() -> None:
    rules = json.loads(invoke("rules", "--format", "json").stdout)
    assert {"NBSEC-NB-001", "NBSEC-NB-005"} <= {r["id"] for r in rules}
    assert all(r["remediation"] for r in rules)


def test_explain_shows_remediation_references_and_samples() -> None:
    result = invoke("explain", "nbsec-nb-001")
    assert result.exit_code == 0
    assert "weights_only=True" in result.stdout  # remediation and the clean sample
    assert "Remediation" in result.stdout
    assert "https://cwe.mitre.org/data/definitions/502.html" in result.stdout
    assert "weights_only=False" in result.stdout  # the triggering sample


def test_explain_unknown_rule_exits_2_and_suggests() -> None:
    result = invoke("explain", "NBSEC-XX-999")
    assert result.exit_code == 2
    assert "NBSEC-XX-999" in result.stderr and "nbsec rules" in result.stderr
    close = invoke("explain", "NBSEC-NB001")  # a typo ("NBSEC-NB-01" is a prefix of seven ids now)
    assert close.exit_code == 2
    assert "did you mean" in close.stderr and "NBSEC-NB-001" in close.stderr


def test_schema_prints_the_schema_and_its_path(report_schema: dict[str, Any]) -> None:
    assert json.loads(invoke("schema").stdout) == report_schema
    path = Path(invoke("schema", "--path").stdout.strip())
    assert json.loads(path.read_text(encoding="utf-8")) == report_schema


# -- help and version --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [[], ["scan"], ["rules"], ["explain"], ["baseline"], ["baseline", "create"], ["schema"], ["demo"]]
)
def test_help_has_examples(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Examples" in result.stdout


def test_top_level_help_lists_exit_codes_and_precedence() -> None:
    text = invoke("--help").stdout
    assert "Exit codes" in text and "NBSEC_" in text and "[tool.nbsec]" in text
    # \b paragraphs keep one example per line
    assert any(line.strip().startswith("nbsec explain NBSEC-NB-001") for line in text.splitlines())


def test_version() -> None:
    from nbsec import __version__

    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


# -- demo ---------------------------------------------------------------------------------------


def test_demo_builds_scans_and_writes_reports(tmp_path: Path) -> None:
    target = tmp_path / "the demo"
    result = invoke("demo", target)
    assert result.exit_code == 0, result.output
    assert (target / "demo.ipynb").is_file()
    for ext in ("html", "json", "sarif"):
        assert (target / "reports" / f"nbsec-report.{ext}").is_file()
    html_line = [line for line in result.stdout.splitlines() if line.startswith("HTML report: ")]
    assert html_line, result.stdout
    html = Path(html_line[0].removeprefix("HTML report: "))
    assert html.is_absolute() and html.is_file()
    assert "NBSEC-NB-001" in result.stdout  # the console report was printed


def test_demo_no_scan_only_writes_files(tmp_path: Path) -> None:
    result = invoke("demo", tmp_path / "d", "--no-scan")
    assert result.exit_code == 0
    assert (tmp_path / "d" / "demo.ipynb").is_file()
    assert not (tmp_path / "d" / "reports").exists()


# -- the real process ---------------------------------------------------------------------------


def test_process_exit_codes_and_path_with_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "dir with space"
    folder.mkdir()
    (folder / "load.py").write_text(HIGH_CODE, encoding="utf-8")
    found = run_process("scan", "dir with space", "--no-progress", cwd=tmp_path)
    assert found.returncode == 1, found.stderr
    assert "dir with space/load.py" in found.stdout
    missing = run_process("scan", "no such dir", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no such file" in missing.stderr and "hint:" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_process_usage_error_exits_2(tmp_path: Path) -> None:
    result = run_process("scan", ".", "--fail-on", "bogus", cwd=tmp_path)
    assert result.returncode == 2
    assert "error:" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
