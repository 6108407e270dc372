"""Mapping a Report onto a framework: findings, evidence, untested; crosswalk; rendering (md, html, json)."""

from __future__ import annotations

import json
import re

import pytest

from nbsec.compliance import COMPLIANCE_FRAMEWORKS, UnknownFrameworkError, catalogue, map_report
from nbsec.compliance.render import CSP, SCRIPT, SCRIPT_HASH, render, table_html, to_html, to_markdown
from nbsec.model import Check, Confidence, Finding, Location, Report, Rule, Severity, Suppressed, reference

SUPPLY = Rule(
    id="NBSEC-XX-001",
    title="Model from outside",
    severity=Severity.HIGH,
    category="test",
    description="d",
    remediation="r",
    references=(reference("OWASP ML Top 10", "ML06:2023"), reference("MITRE ATLAS", "AML.T0010.003")),
    scanner="model-scan",
)
SECRETS = Rule(
    id="NBSEC-XX-002",
    title="Secret in notebook",
    severity=Severity.HIGH,
    category="test",
    description="d",
    remediation="r",
    references=(reference("NIST AI RMF", "MEASURE 2.10"), reference("EU AI Act", "Art. 10")),
    scanner="notebook-scan",
)
QUIET = Rule(  # its scanner never runs in these reports
    id="NBSEC-XX-003",
    title="Prompt injection",
    severity=Severity.MEDIUM,
    category="test",
    description="d",
    remediation="r",
    references=(reference("OWASP LLM Top 10", "LLM01:2025"),),
    scanner="llm-scan",
)
ODD = Rule(  # cites a category (not a row) and an id that does not exist
    id="NBSEC-XX-004",
    title="Odd references",
    severity=Severity.LOW,
    category="test",
    description="d",
    remediation="r",
    references=(reference("NIST AI RMF", "MEASURE 2"), reference("MITRE ATLAS", "AML.T9999")),
    scanner="notebook-scan",
)
RULES = (SUPPLY, SECRETS, QUIET, ODD)


def finding(rule: Rule, path: str = "model.pt", title: str | None = None, **extra: object) -> Finding:
    return Finding(
        rule_id=rule.id,
        title=title or rule.title,
        severity=rule.severity,
        confidence=Confidence.HIGH,
        location=Location(path),
        **extra,  # type: ignore[arg-type]
    )


def report(*findings: Finding, suppressed: tuple[Suppressed, ...] = ()) -> Report:
    return Report(
        findings=list(findings),
        suppressed=list(suppressed),
        checks=[
            Check("model-scan", "model.pt", "failed" if findings else "passed"),
            Check("notebook-scan", "a.ipynb", "passed"),
            Check("notebook-scan", "b.ipynb", "passed"),
            Check("llm-scan", "endpoint", "error"),  # could not run: proves nothing
        ],
        tool_version="0.test",
    )


def test_a_finding_reaches_items_through_its_rule_and_the_crosswalk() -> None:
    result = map_report(report(finding(SUPPLY)), "nist-ai-rmf", rules=RULES)
    # ML06:2023 -> GOVERN 6.1, MAP 4.1, MANAGE 3.1, MANAGE 3.2 through nbsec's crosswalk.
    for ident in ("GOVERN 6.1", "MAP 4.1", "MANAGE 3.1", "MANAGE 3.2"):
        row = result.row(ident)
        assert row is not None and row.status == "findings"
        assert [h.rule_id for h in row.findings] == ["NBSEC-XX-001"]
        assert row.findings[0].via == {"crosswalk ML06:2023"}
    atlas = map_report(report(finding(SUPPLY)), "atlas", rules=RULES)
    direct = atlas.row("AML.T0010.003")
    assert direct is not None and direct.findings[0].via == {"rule"}  # the rule cites it
    assert atlas.row("AML.T0010").findings[0].via == {"crosswalk ML06:2023"}  # type: ignore[union-attr]


@pytest.mark.invalid_reports  # a hand-made report with a plugin's non-NBSEC rule id, which the schema refuses
def test_a_findings_own_references_count_even_without_a_known_rule() -> None:
    stray = Finding(
        rule_id="PLUGIN-001",
        title="From a plugin",
        severity=Severity.LOW,
        confidence=Confidence.LOW,
        location=Location("x.py"),
        references=(reference("ISO/IEC 42001", "A.7.5"),),
    )
    row = map_report(report(stray), "iso42001", rules=RULES).row("A.7.5")
    assert row is not None and row.status == "findings" and row.findings[0].via == {"finding"}


def test_evidence_is_a_rule_whose_scanner_ran_and_found_nothing() -> None:
    result = map_report(report(), "nist-ai-rmf", rules=RULES)
    privacy = result.row("MEASURE 2.10")
    assert privacy is not None and privacy.status == "evidence"
    assert [(h.rule_id, h.targets) for h in privacy.evidence] == [("NBSEC-XX-002", 2)]
    supply = result.row("GOVERN 6.1")
    assert supply is not None and supply.status == "evidence"  # model-scan passed on model.pt


def test_a_rule_whose_scanner_did_not_run_tests_nothing() -> None:
    result = map_report(report(), "owasp-llm", rules=RULES)
    row = result.row("LLM01:2025")
    assert row is not None and row.status == "untested"  # llm-scan's check is an error, not a run


def test_a_suppressed_finding_is_neither_a_finding_nor_evidence() -> None:
    hidden = Suppressed(finding(SECRETS, "a.ipynb"), "inline")
    row = map_report(report(suppressed=(hidden,)), "eu-ai-act", rules=RULES).row("Art. 10")
    assert row is not None and row.status == "untested"
    assert [h.rule_id for h in row.suppressed] == ["NBSEC-XX-002"]


def test_counts_add_up_and_every_row_is_a_catalogue_item() -> None:
    for key in COMPLIANCE_FRAMEWORKS:
        result = map_report(report(finding(SUPPLY), finding(SECRETS, "a.ipynb")), key, rules=RULES)
        s = result.summary()
        assert s["items"] == len(catalogue(key).assessable()) == len(result.rows)
        assert s["with_findings"] + s["with_evidence"] + s["untested"] == s["items"]
        assert s["tested"] == s["with_findings"] + s["with_evidence"]
        assert all(catalogue(key).get(row.item.id) == row.item for row in result.rows)


def test_ids_above_row_level_and_ids_that_do_not_exist_are_reported() -> None:
    result = map_report(report(finding(ODD, "a.ipynb")), "nist-ai-rmf", rules=RULES)
    assert result.unplaced == {"MEASURE 2": {"NBSEC-XX-004"}}
    atlas = map_report(report(finding(ODD, "a.ipynb")), "atlas", rules=RULES)
    assert atlas.invalid == [{"rule_id": "NBSEC-XX-004", "framework": "MITRE ATLAS", "id": "AML.T9999"}]


def test_rows_come_grouped_in_catalogue_order() -> None:
    nist = map_report(report(), "nist-ai-rmf", rules=RULES)
    groups = [row.group.id for row in nist.rows if row.group is not None]
    assert groups[0] == "GOVERN 1" and groups[-1] == "MANAGE 4"
    assert groups == sorted(groups, key=lambda g: catalogue("nist-ai-rmf").ids().index(g))
    atlas = map_report(report(), "atlas", rules=RULES)
    assert atlas.rows[-1].item.kind == "mitigation" and atlas.rows[0].group.title == "Reconnaissance"  # type: ignore[union-attr]


def test_same_report_same_table() -> None:
    one = map_report(report(finding(SUPPLY)), "iso42001", rules=RULES).to_dict()
    two = map_report(report(finding(SUPPLY)), "iso42001", rules=RULES).to_dict()
    assert one == two


@pytest.mark.parametrize("name", ["cwe", "soc2", ""])
def test_frameworks_without_a_table_are_refused_with_the_choices(name: str) -> None:
    with pytest.raises(UnknownFrameworkError) as err:
        map_report(report(), name, rules=RULES)
    assert all(key in err.value.hint for key in COMPLIANCE_FRAMEWORKS)


HOSTILE = "<script>alert(1)</script> | `x` [a](http://evil)"


def test_markdown_and_html_escape_what_comes_from_the_report() -> None:
    result = map_report(report(finding(SUPPLY, title=HOSTILE)), "owasp-ml", rules=RULES)
    md = to_markdown(result)
    assert "<script>" not in md and "&lt;script&gt;" in md
    row = next(line for line in md.splitlines() if line.startswith("| ML06:2023"))
    assert row.count(" | ") == 4, "a | in a title must not add a table cell"
    html = to_html(result)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert html.count("<script>") == 1 and SCRIPT in html
    assert f"'sha256-{SCRIPT_HASH}'" in CSP and CSP in html
    assert not re.search(r"""(src|href)=["']?https?:""", html), "no external resources"


def test_json_output_is_the_result_dict() -> None:
    result = map_report(report(finding(SUPPLY)), "atlas", rules=RULES)
    data = json.loads(render(result, "json"))
    assert data["format"] == "nbsec-compliance/1"
    assert data["framework"]["key"] == "atlas" and data["framework"]["version"] == "5.6.0"
    assert data["summary"] == result.summary()
    by_id = {item["id"]: item for item in data["items"]}
    assert by_id["AML.T0010.003"]["status"] == "findings"
    assert by_id["AML.T0010.003"]["findings"][0]["locations"] == ["model.pt"]
    assert by_id["AML.T0010.003"]["group"] == {"id": "AML.TA0004", "title": "Initial Access"}


def test_table_fragment_filters_by_status_and_text() -> None:
    result = map_report(report(finding(SUPPLY)), "owasp-ml", rules=RULES)
    only_findings = table_html(result, ("findings",))
    assert "ML06:2023" in only_findings and "ML01:2023" not in only_findings
    assert "ML01:2023" in table_html(result, text="input manipulation")
    assert "No items match" in table_html(result, ("evidence",), text="nothing like this")
    with pytest.raises(ValueError, match="choose one of"):
        render(result, "pdf")
