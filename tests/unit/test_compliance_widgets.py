"""The compliance and EU-tier widgets in plain Python: their static twins follow the state; no tier is guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("ipywidgets")

from nbsec.compliance import questionnaire as q  # noqa: E402
from nbsec.compliance.inputs import ReportSource  # noqa: E402
from nbsec.display.twin import TWIN_CLASS  # noqa: E402
from nbsec.model import Check, Location, Report, Target  # noqa: E402
from nbsec.rule_catalogue import get_rule  # noqa: E402
from nbsec.widgets.compliance import ComplianceWidget, TierQuestionnaire  # noqa: E402

HOSTILE = "<img src=x onerror=alert(1)>"


def scan_report(path: str = "load.py") -> Report:
    rule = get_rule("NBSEC-NB-002")
    assert rule is not None
    return Report(
        findings=[rule.finding(Location(path, line=3), "pickle.load(f)")],
        targets=[Target(path, "python")],
        checks=[Check("notebook-code", path, "failed")],
        finished_at="2025-06-01T14:00:00.000Z",
    )


def robustness_report() -> Report:
    return Report(
        targets=[Target("model", "torch-model")],
        checks=[Check("adversarial", "model", "passed", "worst-case robust accuracy >= floor 0.5 at every epsilon")],
        finished_at="2025-06-01T14:05:00.000Z",
    )


def twin_html(view: ComplianceWidget | TierQuestionnaire) -> str:
    return view.twin.bundle()["text/html"]


# -- compliance ---------------------------------------------------------------------------------------


def test_the_compliance_twin_shows_the_report_framework_filter_and_table_and_follows_edits() -> None:
    choices = [
        ReportSource(scan_report(), "report #1 in this kernel"),
        ReportSource(robustness_report(), "the last report in this kernel (#2)"),
    ]
    widget = ComplianceWidget(framework="owasp-ml", choices=choices)
    html = twin_html(widget)
    assert f'class="{TWIN_CLASS}"' in html
    assert "the last report in this kernel (#2): robustness evaluation of model" in html  # the default: the last
    assert "OWASP Machine Learning Security Top 10" in html and "ML01:2023" in html
    assert "NBSEC-NB-002" not in html
    widget.pick.value = 0  # the scan
    html = twin_html(widget)
    assert "report #1 in this kernel: scan of load.py" in html and "NBSEC-NB-002" in html
    assert "robustness evaluation" not in html
    widget.status.value = "findings"
    html = twin_html(widget)
    assert "findings only" in html and "ML06:2023" in html and "ML01:2023" not in html
    widget.framework.value = "atlas"
    html = twin_html(widget)
    assert "MITRE ATLAS" in html and "<code>ML06:2023</code>" not in html and "<code>AML.T0011.000</code>" in html
    assert widget.twin.bundle()["text/plain"].startswith("nbsec compliance: MITRE ATLAS")


def test_the_twin_shows_one_framework_table_not_all() -> None:
    widget = ComplianceWidget(scan_report(), "owasp-ml")
    html = twin_html(widget)
    assert "<code>ML06:2023</code>" in html and "<code>AML.T" not in html and "GOVERN 1.1" not in html
    assert html.count("<table>") == 1  # one OWASP ML table (no headings: a single group)


def test_hostile_text_from_the_report_is_escaped_in_the_twin() -> None:
    widget = ComplianceWidget(scan_report(f"{HOSTILE}.py"), "owasp-ml", source=f"{HOSTILE}.json")
    html = twin_html(widget)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in widget.source.value


def test_the_report_picker_is_hidden_with_a_single_report() -> None:
    assert ComplianceWidget(scan_report()).pick.layout.display == "none"
    two = ComplianceWidget(choices=[ReportSource(scan_report(), "a"), ReportSource(robustness_report(), "b")])
    assert two.pick.layout.display == "" and two.report is two.sources[1].report


# -- the EU AI Act tier -------------------------------------------------------------------------------


def chatbot(widget: TierQuestionnaire) -> None:
    """Answer as the demo's customer chatbot: a provider, no prohibited or high-risk use, talks to people."""
    widget.controls["role"].value = "provider"
    while widget.still_open:  # answering one question can make others apply
        question = widget.still_open[0]
        widget.controls[question.id].value = "yes" if question.id in ("t_interacts", "t_synthetic") else "no"


def test_the_questionnaire_starts_unanswered_and_shows_no_tier() -> None:
    widget = TierQuestionnaire()
    assert all(control.value is None for control in widget.controls.values())
    assert widget.answers == {} and widget.result is None
    n = len(q.open_questions({}))
    assert f"answer {n} more questions to see the tier" in widget.output.value
    assert "Minimal" not in widget.output.value and "Minimal" not in twin_html(widget)
    assert "No question answered yet" in twin_html(widget)
    assert widget.twin.bundle()["text/plain"].startswith("nbsec EU AI Act tier: not answered yet")


def test_the_tier_appears_once_every_question_that_applies_is_answered() -> None:
    widget = TierQuestionnaire()
    widget.controls["role"].value = "provider"
    assert widget.result is None and "1 answered" in widget.output.value
    assert "<strong>provider</strong>" in twin_html(widget)  # the answers so far are in the twin
    chatbot(widget)
    result = widget.result
    assert result is not None and result.tier == "limited-risk"
    assert "Limited risk" in widget.output.value and "Limited risk" in twin_html(widget)
    widget.controls["a3_employment"].value = "yes"  # a follow-up question now applies, unanswered
    assert widget.result is None and widget.boxes["a6_profiling"].layout.display == ""
    assert [question.id for question in widget.still_open] == ["a6_profiling", "a6_derogation"]
    assert "answer 2 more questions" in twin_html(widget)


def test_given_answers_are_shown_and_only_those() -> None:
    widget = TierQuestionnaire({"role": "Deployer", "p_manipulation": "no"})
    assert widget.controls["role"].value == "deployer" and widget.controls["p_vulnerabilities"].value is None
    assert widget.answers == {"role": "deployer", "p_manipulation": "no"}


def test_save_answers_writes_a_file_the_cli_reads_and_says_so(tmp_path: Path) -> None:
    widget = TierQuestionnaire()
    widget.controls["role"].value = "provider"
    partial = tmp_path / "partial.yaml"
    widget.save_path.value = str(partial)
    widget.save_button.click()
    assert "Saved 1 answers to" in widget.saved.value and "still open" in widget.saved.value
    from nbsec.compliance.inputs import read_answers

    with pytest.raises(q.AnswersError, match="no answer for: established_outside_eu"):
        q.normalize_answers(read_answers(str(partial)))  # open questions stay open in the file
    chatbot(widget)
    done = tmp_path / "done.yaml"
    widget.save_path.value = str(done)
    widget.save_button.click()
    assert "--answers" in widget.saved.value and str(done) in widget.saved.value
    assert q.assess(q.normalize_answers(read_answers(str(done)))) == widget.result
    widget.save_path.value = str(tmp_path / "no-such-folder" / "a.yaml")
    widget.save_button.click()
    assert "Not saved" in widget.saved.value
