"""The one model: round trips, schema, severity/confidence axes, fingerprints."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from nbsec.model import (
    Check,
    Confidence,
    Finding,
    Location,
    Metric,
    Report,
    ScanError,
    Severity,
    Suppressed,
    Target,
    reference,
)


def make_finding(**changes: Any) -> Finding:
    base = Finding(
        rule_id="NBSEC-NB-002",
        title="Unsafe deserialization",
        severity=Severity.HIGH,
        confidence=Confidence.MEDIUM,
        location=Location(path="nb/a.ipynb", cell=2, execution_count=7, line=3, column=5),
        evidence="pickle.load(f)",
        remediation="use safetensors",
        references=(reference("CWE", "CWE-502"), reference("MITRE ATLAS", "AML.T0011.000")),
    )
    return replace(base, **changes)


def full_report() -> Report:
    finding = make_finding()
    return Report(
        findings=[finding, make_finding(rule_id="NBSEC-NB-005", severity=Severity.MEDIUM, fingerprint="")],
        metrics=[Metric("robust_accuracy", 0.354, "ratio", {"attack": "worst", "epsilon": "0.03"})],
        targets=[Target("nb/a.ipynb", "notebook"), Target("x.bin", "binary", "skipped", "no scanner")],
        checks=[Check("notebook-code", "nb/a.ipynb", "failed", "2 finding(s)")],
        errors=[ScanError("notebook-code", "b.ipynb", "invalid JSON", "restore it")],
        suppressed=[Suppressed(make_finding(location=Location(path="c.py", line=1)), "inline")],
        timings={"notebook-code": 0.5, "total": 0.75},
        tool_version="0.1.0",
        started_at="2026-11-22T10:00:00.000Z",
        finished_at="2026-11-22T10:00:01.000Z",
        baseline={"path": "b.json", "new": 2, "fixed": 1, "unchanged": 0},
    )


def test_round_trip_is_exact(report_schema: dict[str, Any]) -> None:
    report = full_report()
    data = report.to_dict()
    again = Report.from_dict(data)
    assert again.to_dict() == data
    assert again.findings == report.findings
    assert Report.from_json(report.to_json()).to_dict() == data
    jsonschema.Draft202012Validator(report_schema).validate(data)


def test_required_keys_other_tools_rely_on() -> None:
    data = full_report().to_dict()
    for key in (
        "schema_version",
        "tool",
        "started_at",
        "finished_at",
        "targets",
        "findings",
        "metrics",
        "checks",
        "errors",
        "timings",
    ):
        assert key in data
    assert data["tool"] == {"name": "nbsec", "version": "0.1.0"}
    finding = data["findings"][0]
    assert set(finding) >= {
        "rule_id",
        "title",
        "severity",
        "confidence",
        "location",
        "evidence",
        "remediation",
        "references",
        "fingerprint",
    }
    assert finding["location"] == {"path": "nb/a.ipynb", "cell": 2, "execution_count": 7, "line": 3, "column": 5}
    assert finding["references"][0] == {
        "framework": "CWE",
        "id": "CWE-502",
        "url": "https://cwe.mitre.org/data/definitions/502.html",
    }
    assert data["metrics"][0] == {
        "name": "robust_accuracy",
        "value": 0.354,
        "unit": "ratio",
        "labels": {"attack": "worst", "epsilon": "0.03"},
    }


def test_schema_rejects_a_bad_severity(report_schema: dict[str, Any]) -> None:
    data = full_report().to_dict()
    data["findings"][0]["severity"] = "catastrophic"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(report_schema).validate(data)


def test_from_dict_refuses_another_major_version() -> None:
    data = full_report().to_dict()
    data["schema_version"] = "2.0"
    with pytest.raises(ValueError, match="not supported"):
        Report.from_dict(data)


def test_severity_and_confidence_are_separate_axes() -> None:
    assert Severity.parse("HIGH") is Severity.HIGH
    assert Severity.CRITICAL.rank > Severity.HIGH.rank > Severity.MEDIUM.rank > Severity.LOW.rank > Severity.INFO.rank
    finding = make_finding(severity="critical", confidence="low")
    assert (finding.severity, finding.confidence) == (Severity.CRITICAL, Confidence.LOW)
    with pytest.raises(ValueError, match="choose one of"):
        Severity.parse("severe")


def test_fingerprint_survives_line_shifts_but_not_other_changes() -> None:
    a = make_finding()
    moved = make_finding(location=Location(path="nb/a.ipynb", cell=5, line=9, column=1), fingerprint="")
    other_file = make_finding(location=Location(path="nb/b.ipynb", cell=2, line=3), fingerprint="")
    other_rule = make_finding(rule_id="NBSEC-NB-001", fingerprint="")
    assert a.fingerprint == moved.fingerprint
    assert len({a.fingerprint, other_file.fingerprint, other_rule.fingerprint}) == 3


def test_counts_sorting_and_summary() -> None:
    report = full_report()
    assert report.counts() == {"critical": 0, "high": 1, "medium": 1, "low": 0, "info": 0}
    assert [f.rule_id for f in report.sorted_findings()] == ["NBSEC-NB-002", "NBSEC-NB-005"]
    assert report.worst_severity() is Severity.HIGH
    assert report.summary_line() == "2 findings (1 high, 1 medium) in 1 scanned target; 1 error; 1 suppressed"


def test_location_describe_uses_the_cell_number_people_see() -> None:
    loc = Location(path="a.ipynb", cell=0, execution_count=4, line=2, column=3)
    assert loc.describe() == "a.ipynb, cell 1 [4], line 2, col 3"


def test_mimebundle_has_the_three_types_and_escapes_html() -> None:
    report = full_report()
    report.findings.append(make_finding(evidence="<script>alert(1)</script>", fingerprint=""))
    bundle = report._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "application/vnd.nbsec.report.v1+json"}
    assert "<script>alert(1)" not in bundle["text/html"]
    assert "&lt;script&gt;alert(1)" in bundle["text/html"]
    assert bundle["application/vnd.nbsec.report.v1+json"] == report.to_dict()
    assert "NBSEC-NB-002" in bundle["text/plain"]
    assert set(report._repr_mimebundle_(include=["text/plain"])) == {"text/plain"}


# -- figures: optional charts as data ----------------------------------------------------------


def _figures() -> list[Any]:
    from nbsec.model import Figure

    return [
        Figure("curve", "Robust accuracy", "line", {"series": [{"name": "pgd", "x": [0, 0.1], "y": [1.0, 0.5]}]}),
        Figure(
            "bars", "Per class", "bar", {"categories": ["0", "1"], "series": [{"name": "clean", "values": [1, None]}]}
        ),
        Figure(
            "grid",
            "Examples",
            "image-grid",
            {"rows": [{"label": "a", "images": [{"src": "data:image/png;base64,iVBO"}]}]},
        ),
    ]


def test_figures_round_trip_and_validate(report_schema: dict[str, Any]) -> None:
    report = full_report()
    report.figures = _figures()
    data = report.to_dict()
    jsonschema.validate(data, report_schema)
    again = Report.from_dict(data)
    assert again.figures == report.figures
    assert again.to_dict() == data


def test_reports_without_figures_keep_their_old_shape(report_schema: dict[str, Any]) -> None:
    data = full_report().to_dict()
    assert "figures" not in data
    assert Report.from_dict(data).figures == []
    jsonschema.validate(data, report_schema)


def test_merge_keeps_figures_and_unknown_kinds_are_refused() -> None:
    from nbsec.model import Figure

    first, second = Report(figures=_figures()[:1]), Report(figures=_figures()[1:])
    assert [f.id for f in Report.merge([first, second]).figures] == ["curve", "bars", "grid"]
    with pytest.raises(ValueError, match="unknown kind"):
        Figure("x", "X", "pie")


@pytest.mark.invalid_reports  # builds the reports the schema must refuse
@pytest.mark.parametrize(
    "src", ["https://example.com/a.png", "data:image/svg+xml;base64,PHN2Zz4=", "javascript:alert(1)"]
)
def test_schema_allows_only_inline_png_images(report_schema: dict[str, Any], src: str) -> None:
    from nbsec.model import Figure

    grid = Figure("grid", "Examples", "image-grid", {"rows": [{"images": [{"src": src}]}]})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(Report(figures=[grid]).to_dict(), report_schema)


def test_a_rules_finding_carries_its_text_and_takes_specific_overrides() -> None:
    from nbsec.model import Location, Reference, Rule

    rule = Rule(
        "NBSEC-ADV-900", "Generic title", Severity.HIGH, "adversarial", "d", "fix it", (Reference("CWE", "CWE-1"),)
    )
    plain = rule.finding(Location("m.pt"), "seen")
    assert (plain.rule_id, plain.title, plain.severity, plain.confidence) == (rule.id, rule.title, "high", "high")
    assert (plain.remediation, plain.references, plain.evidence) == ("fix it", rule.references, "seen")
    specific = rule.finding(Location("m.pt"), title="Specific", severity="low", confidence="medium", tags=("t",))
    assert (specific.title, specific.severity, specific.confidence, specific.tags) == (
        "Specific",
        "low",
        "medium",
        ("t",),
    )
