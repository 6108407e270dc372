"""`nbsec threatmodel ...`, `nbsec scan` on a threat model, and `%aisec threatmodel`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli import invoke
from IPython.core.interactiveshell import InteractiveShell

import nbsec
from nbsec.threatmodel.notebook import MIME_TYPE, Snapshot

DATA = Path(__file__).resolve().parents[1] / "data" / "threatmodel"
SMALL = "nbsec_threat_model: 1\nelements: [{id: u, kind: user}, {id: bot, kind: llm}]\nflows: [{from: u, to: bot}]\n"
CLEAN = "nbsec_threat_model: 1\ntitle: Offline data only\nelements: [{id: d, kind: dataset}]\n"


def test_check_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    (tmp_path / "bot.yaml").write_text(SMALL)
    (tmp_path / "clean.yaml").write_text(CLEAN)
    assert invoke("threatmodel", "check", tmp_path / "bot.yaml", "-q").exit_code == 1  # high threats
    assert invoke("threatmodel", "check", tmp_path / "bot.yaml", "-q", "--fail-on", "critical").exit_code == 0
    assert invoke("threatmodel", "check", tmp_path / "clean.yaml", "-q").exit_code == 0


def test_invalid_model_exits_2_with_line_and_fix(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(SMALL.replace("kind: llm", "kind: lmm"))
    result = invoke("threatmodel", "check", tmp_path / "bad.yaml")
    assert result.exit_code == 2
    assert (
        "line 2" in result.output and "unknown kind 'lmm'" in result.output and "did you mean 'llm'?" in result.output
    )


def test_check_writes_json_and_markdown(tmp_path: Path, report_schema: dict[str, Any]) -> None:
    import jsonschema

    (tmp_path / "bot.yaml").write_text(SMALL)
    result = invoke("threatmodel", "check", tmp_path / "bot.yaml", "-f", "json,md", "-o", f"{tmp_path}/out/")
    assert result.exit_code == 1
    report = json.loads((tmp_path / "out" / "nbsec-report.json").read_text())
    jsonschema.validate(report, report_schema)
    assert "NBSEC-TM-026" in {f["rule_id"] for f in report["findings"]}
    assert "NBSEC-TM-026" in (tmp_path / "out" / "nbsec-report.md").read_text()


def test_new_then_check(tmp_path: Path) -> None:
    path = tmp_path / "tm.yaml"
    assert invoke("threatmodel", "new", path).exit_code == 0
    assert invoke("threatmodel", "new", path).exit_code == 2  # never overwrites without --force
    assert invoke("threatmodel", "check", path, "-q", "--fail-on", "never").exit_code == 0


@pytest.mark.parametrize(("sample", "elements"), [("v2-threat-model.json", 8), ("huskyai.tmbom.json", 17)])
def test_import_detects_the_format(sample: str, elements: int, tmp_path: Path) -> None:
    out = tmp_path / "imported.yaml"
    result = invoke("threatmodel", "import", DATA / sample, "-o", out)
    assert result.exit_code == 0, result.output
    assert f"{elements} elements" in result.output
    assert invoke("threatmodel", "check", out, "-q", "--fail-on", "never").exit_code == 0


def test_export_threat_dragon_and_markdown(tmp_path: Path) -> None:
    (tmp_path / "bot.yaml").write_text(SMALL)
    assert (
        invoke(
            "threatmodel", "export", tmp_path / "bot.yaml", "--to", "threat-dragon", "-o", tmp_path / "td.json"
        ).exit_code
        == 0
    )
    dragon = json.loads((tmp_path / "td.json").read_text())
    titles = [
        t["title"] for d in dragon["detail"]["diagrams"] for c in d["cells"] for t in c["data"].get("threats", [])
    ]
    assert any(t.startswith("NBSEC-TM-026 ") for t in titles)
    markdown = invoke("threatmodel", "export", tmp_path / "bot.yaml", "--to", "markdown")
    assert markdown.exit_code == 0 and "| NBSEC-TM-026 | Direct prompt injection |" in markdown.output


def test_diagram_is_self_contained_html(tmp_path: Path) -> None:
    (tmp_path / "bot.yaml").write_text(SMALL)
    assert invoke("threatmodel", "diagram", tmp_path / "bot.yaml", "-o", tmp_path / "d.html").exit_code == 0
    html = (tmp_path / "d.html").read_text()
    assert "plotly" in html and 'src="http' not in html


def test_nbsec_scan_recognises_threat_models_by_content(tmp_path: Path) -> None:
    (tmp_path / "system.yml").write_text(SMALL)
    (tmp_path / "other.yaml").write_text("name: not a threat model\n")
    report = nbsec.scan(tmp_path)
    kinds = {t.path: t.kind for t in report.targets}
    assert kinds == {"system.yml": "threat-model", "other.yaml": "text"}
    hits = [f for f in report.findings if f.rule_id.startswith("NBSEC-TM-")]
    assert hits and all(f.location.path == "system.yml" and f.location.element for f in hits)
    assert [c.status for c in report.checks if c.scanner == "threat-model"] == ["failed"]


def test_nbsec_scan_reports_invalid_models_as_errors_with_lines(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(SMALL.replace("to: bot", "to: bott"))
    report = nbsec.scan(tmp_path)
    [error] = report.errors
    assert error.scanner == "threat-model" and error.message.startswith("line 3:") and "'bot'" in error.hint


# -- the magic -----------------------------------------------------------------------------


def test_magic_report_and_widget(ip: InteractiveShell, tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(SMALL)
    report = ip.run_line_magic("aisec", f"threatmodel {path} --report")
    assert "NBSEC-TM-026" in {f.rule_id for f in report.findings}
    assert ip.user_ns["_aisec_report"] is report
    builder = ip.run_line_magic("aisec", f"threatmodel {path}")
    assert {t.rule_id for t in builder.assessment.open()} == {f.rule_id for f in report.findings}


def test_magic_rerun_is_identical(ip: InteractiveShell, tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(SMALL)
    runs = [ip.run_line_magic("aisec", f"threatmodel {path}") for _ in range(3)]
    assert len({r.threat_list.value for r in runs}) == 1
    assert len({len(r.assessment.threats) for r in runs}) == 1


def test_magic_missing_file_and_new(ip: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fresh.yaml"
    assert ip.run_line_magic("aisec", f"threatmodel {path}") is None
    assert "--new" in capsys.readouterr().err
    builder = ip.run_line_magic("aisec", f"threatmodel {path} --new")
    assert path.exists() and builder.model.title == "My AI system"


def test_magic_displays_the_notebook_snapshot(
    ip: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[Any] = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append(obj))
    path = tmp_path / "bot.yaml"
    path.write_text(SMALL)
    ip.run_line_magic("aisec", f"threatmodel {path}")
    bundles = [obj._repr_mimebundle_()[0] for obj in shown if isinstance(obj, Snapshot)]
    assert any(MIME_TYPE in b and b[MIME_TYPE]["elements"][1]["id"] == "bot" for b in bundles)
