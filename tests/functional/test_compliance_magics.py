"""`%aisec compliance` in a real IPython shell: widget over the last report, rendered tables, the tier widget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

HIGH_CODE = "import pickle\n\nwith open('model.pkl', 'rb') as f:\n    model = pickle.load(f)\n"


@pytest.fixture
def scanned(ip: InteractiveShell, tmp_path: Path) -> InteractiveShell:
    (tmp_path / "load.py").write_text(HIGH_CODE, encoding="utf-8")
    ip.run_line_magic("aisec", f'scan "{tmp_path}"')
    return ip


def aisec(ip: InteractiveShell, line: str) -> Any:
    return ip.run_line_magic("aisec", line)


def test_without_a_report_it_says_what_to_do(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    assert aisec(ip, "compliance") is None
    assert "run %aisec scan PATH first" in capsys.readouterr().out


def test_widget_over_the_last_report(scanned: InteractiveShell) -> None:
    from nbsec.widgets.compliance import ComplianceWidget

    widget = aisec(scanned, "compliance --framework owasp-ml")
    assert isinstance(widget, ComplianceWidget)
    row = widget.result.row("ML06:2023")
    assert row is not None and row.status == "findings"  # NBSEC-NB-002 cites ML06:2023
    assert "NBSEC-NB-002" in widget.table.value
    widget.status.value = "untested"
    assert "ML06:2023" not in widget.table.value and "ML01:2023" in widget.table.value
    widget.framework.value = "atlas"
    assert widget.result.framework == "MITRE ATLAS" and "AML.T0011.000" not in widget.table.value  # still untested only
    widget.status.value = "findings"
    assert "AML.T0011.000" in widget.table.value and "AML.T0000" not in widget.table.value
    assert scanned.user_ns["_aisec_compliance"].framework == "OWASP ML Top 10"


def test_rendered_and_written_tables(scanned: InteractiveShell, tmp_path: Path) -> None:
    from IPython.display import HTML, Markdown

    shown = aisec(scanned, "compliance --framework eu-ai-act --format md")
    assert isinstance(shown, Markdown) and "| Art. 15 |" in shown.data
    page = aisec(scanned, "compliance --framework iso42001 -f html")
    assert isinstance(page, HTML) and "A.10.3" in page.data
    out = tmp_path / "out" / "nist.json"
    out.parent.mkdir()
    assert aisec(scanned, f'compliance --framework nist-ai-rmf -o "{out}"') is None
    assert '"nist-ai-rmf"' in out.read_text()


def test_bad_framework_prints_usage(scanned: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    assert aisec(scanned, "compliance --framework soc2") is None
    assert "invalid choice" in capsys.readouterr().err


def test_eu_ai_act_tier_widget_and_answers_file(ip: InteractiveShell, tmp_path: Path) -> None:
    from IPython.display import Markdown

    from nbsec.compliance import questionnaire
    from nbsec.widgets.compliance import TierQuestionnaire

    widget = aisec(ip, "compliance --eu-ai-act-tier")
    assert isinstance(widget, TierQuestionnaire) and widget.result is None  # nothing answered, no tier
    assert "No tier yet" in widget.output.value
    assert widget.boxes["a6_profiling"].layout.display == "none"
    while widget.still_open:  # a provider, nothing regulated: everything "no", now on purpose
        question = widget.still_open[0]
        widget.controls[question.id].value = "provider" if question.id == "role" else "no"
    assert widget.still_open == [] and widget.result is not None and widget.result.tier == "minimal"
    widget.controls["a3_employment"].value = "yes"
    assert widget.boxes["a6_profiling"].layout.display == ""  # asked now
    assert widget.result is None  # ... and open: the tier waits for it
    widget.controls["a6_profiling"].value = "no"
    widget.controls["a6_derogation"].value = "no"
    assert (
        widget.result is not None and widget.result.tier == "high-risk" and "High-risk AI system" in widget.output.value
    )
    widget.controls["a6_derogation"].value = "yes"
    assert widget.result is not None and widget.result.tier == "minimal"
    answers = tmp_path / "answers.yaml"
    answers.write_text("".join(f"{k}: {v}\n" for k, v in widget.answers.items()))
    shown = aisec(ip, f'compliance --eu-ai-act-tier --answers "{answers}"')
    assert isinstance(shown, Markdown) and "Minimal risk" in shown.data
    assert ip.user_ns["_aisec_compliance"] == questionnaire.assess(widget.answers)


def test_an_answers_file_with_gaps_names_them(
    ip: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("role: provider\np_manipulation: no\n")
    assert aisec(ip, f'compliance --eu-ai-act-tier --answers "{answers}"') is None
    err = capsys.readouterr().err
    assert "error: no answer for: established_outside_eu, p_vulnerabilities" in err and "not taken as no" in err


# -- which report: the kernel's history -------------------------------------------------------------------


def robustness_like(ip: InteractiveShell) -> Any:
    """A second Report kept the way %aisec robustness keeps one (through `remember`), without torch."""
    from nbsec.magics import AisecMagics
    from nbsec.model import Check, Report, Target

    report = Report(
        targets=[Target("model", "torch-model")],
        checks=[
            Check("adversarial", "model", "passed", "pgd: linf attack at 3 epsilon(s) on 90 correctly classified"),
            Check("adversarial", "model", "passed", "worst-case robust accuracy >= floor 0.5 at every epsilon"),
        ],
        finished_at="2025-06-01T14:05:00.000Z",
    )
    magics = ip.magics_manager.registry[AisecMagics.__name__]
    magics._command = "%aisec robustness model xy"
    magics.remember(report)
    return report


def test_the_table_names_the_last_report_and_offers_the_others(scanned: InteractiveShell) -> None:
    robustness = robustness_like(scanned)
    widget = aisec(scanned, "compliance --framework owasp-ml")
    assert widget.report is robustness  # the last one, and it says so
    assert "the last report in this kernel (#2, from `%aisec robustness model xy`): robustness evaluation of model" in (
        widget.source.value
    )
    poisoning = widget.result.row("ML02:2023")
    assert poisoning is not None and poisoning.status == "untested"  # NBSEC-ADV-004/005 never ran
    [scan_label, last_label] = [label for label, _ in widget.pick.options]
    assert (
        scan_label.startswith("scan of load.py, finished ") and "report #1 in this kernel (from `%aisec" in scan_label
    )
    assert last_label.startswith("robustness evaluation of model, finished 2025-06-01 14:05:00 UTC")
    widget.pick.value = 0
    row = widget.result.row("ML06:2023")
    assert row is not None and row.status == "findings" and "report #1 in this kernel" in widget.source.value
    md = aisec(scanned, "compliance --framework owasp-ml --report 1 -f md")
    from nbsec.escaping import md_cell

    assert md_cell("report #1 in this kernel (from `%aisec scan ") in md.data.splitlines()[2]  # named, escaped


def test_list_and_report_by_number_file_or_variable(
    scanned: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scan = scanned.user_ns["_aisec_report"]
    robustness_like(scanned)
    capsys.readouterr()
    assert aisec(scanned, "compliance --list") is None
    out = capsys.readouterr().out
    assert "#1  scan of load.py" in out and "#2  robustness evaluation of model" in out and "(last)" in out
    assert "from `%aisec robustness model xy`" in out
    report_file = tmp_path / "report.json"
    report_file.write_text(scan.to_json())
    data = aisec(scanned, f'compliance --report "{report_file}" -f json')
    assert data is None
    mapped = json.loads(capsys.readouterr().out)
    assert mapped["report"]["source"] == str(report_file)
    widget = aisec(scanned, f'compliance --report "{report_file}"')
    assert widget.pick.value == 2 and len(widget.pick.options) == 3  # the file, offered with the kernel's two
    assert f"{report_file}: scan of load.py" in widget.source.value
    scanned.user_ns["mine"] = scan
    shown = aisec(scanned, "compliance --report mine -f md")
    assert "the Report in the variable mine: scan of load.py" in shown.data
    assert aisec(scanned, "compliance --report 7") is None
    err = capsys.readouterr().err
    assert "no report #7 in this kernel (kept: #1, #2)" in err and "--list" in err


def test_the_history_is_bounded_and_keeps_a_report_once(ip: InteractiveShell) -> None:
    from nbsec.magics import HISTORY_SIZE, AisecMagics
    from nbsec.model import Report

    magics = ip.magics_manager.registry[AisecMagics.__name__]
    first = Report()
    magics.remember(first)
    magics.remember(first)  # shown again (%aisec report): not a new entry
    assert [entry.number for entry in magics.history] == [1]
    for _ in range(HISTORY_SIZE + 4):
        magics.remember(Report())
    assert len(magics.history) == HISTORY_SIZE and magics.history[0].number == 6
    assert magics.history[-1].report is magics.last_report


# -- the static twin --------------------------------------------------------------------------------------


def test_a_bare_magic_shows_the_live_widget_then_its_twin_which_follows_edits(scanned: InteractiveShell) -> None:
    from IPython.utils.capture import capture_output

    with capture_output() as shown:
        scanned.run_cell("w = %aisec compliance --framework owasp-ml\nw", store_history=False)
    live, twin = shown.outputs
    assert "application/vnd.jupyter.widget-view+json" in live.data
    assert not live.data["text/plain"].startswith("VBox(") and "interactive" in live.data["text/plain"]
    assert 'class="nbsec-twin"' in twin.data["text/html"] and "ML06:2023" in twin.data["text/html"]
    assert "the last report in this kernel (#1, from `%aisec scan " in twin.data["text/html"]
    with capture_output() as updated:
        scanned.run_cell('w.status.value = "evidence"', store_history=False)
    [update] = updated.outputs
    assert update.update and update.transient == twin.transient  # the twin's display id: replaced, not added
    assert "evidence only" in update.data["text/html"] and "<code>ML06:2023</code>" not in update.data["text/html"]


def test_the_tier_questionnaire_shows_its_twin_too(ip: InteractiveShell) -> None:
    from IPython.utils.capture import capture_output

    with capture_output() as shown:
        ip.run_cell("t = %aisec compliance --eu-ai-act-tier\nt", store_history=False)
    live, twin = shown.outputs
    assert not live.data["text/plain"].startswith("VBox(")
    assert 'class="nbsec-twin"' in twin.data["text/html"] and "No tier yet" in twin.data["text/html"]
    with capture_output() as updated:
        ip.run_cell('t.controls["role"].value = "deployer"', store_history=False)
    [update] = updated.outputs
    assert update.update and "<strong>deployer</strong>" in update.data["text/html"]
