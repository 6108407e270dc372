"""`nbsec compliance` on the demo Report: every id in the table is in the catalogue, counts add up,
what the demo's findings cite is listed as findings; errors exit 2 with a hint; the EU AI Act tier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli import invoke

from nbsec.compliance import COMPLIANCE_FRAMEWORKS, catalogue, crosswalk
from nbsec.demo import build_demo
from nbsec.rule_catalogue import load_catalogue


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace scanned to JSON through the CLI, as a user would."""
    root = tmp_path_factory.mktemp("compliance-demo")
    files = build_demo(root / "demo")
    out = root / "report.json"
    result = invoke("scan", *files, "-f", "json", "-o", out, "--fail-on", "never")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["findings"], "the demo has findings"
    return out


def table(report_file: Path, framework: str) -> dict[str, Any]:
    result = invoke("compliance", report_file, "--framework", framework, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def rows_reached(framework: str, rule_id: str, refs: set[tuple[str, str]]) -> set[str]:
    """The table rows a set of (framework, id) references reaches, directly or through the crosswalk."""
    cat = catalogue(framework)
    walk = crosswalk()
    targets = {ident for fw, ident in refs if fw == cat.framework}
    targets |= {t for ref in refs for t in walk.get(ref, {}).get(cat.framework, ())}
    out = set()
    for ident in targets:
        item = cat.resolve(ident)
        assert item is not None, f"{rule_id} cites {ident}, not in {cat.title}"
        if item.kind in cat.assessable_kinds:
            out.add(item.id)
    return out


def expected_rows(report: dict[str, Any], framework: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(row id -> rule ids with findings, row id -> rule ids that ran clean), from the report JSON alone."""
    rules = {rule.id: rule for rule in load_catalogue().rules}
    findings: dict[str, set[str]] = {}
    for finding in report["findings"]:
        refs = {(r["framework"], r["id"]) for r in finding["references"]}
        rule = rules.get(finding["rule_id"])
        if rule is not None:
            refs |= {(r.framework, r.id) for r in rule.references}
        for row in rows_reached(framework, finding["rule_id"], refs):
            findings.setdefault(row, set()).add(finding["rule_id"])
    ran = {c["scanner"] for c in report["checks"] if c["status"] in ("passed", "failed")}
    reported = {f["rule_id"] for f in report["findings"]} | {s["finding"]["rule_id"] for s in report["suppressed"]}
    evidence: dict[str, set[str]] = {}
    for rule in rules.values():
        if rule.scanner in ran and rule.id not in reported:
            for row in rows_reached(framework, rule.id, {(r.framework, r.id) for r in rule.references}):
                evidence.setdefault(row, set()).add(rule.id)
    return findings, evidence


@pytest.mark.parametrize("framework", COMPLIANCE_FRAMEWORKS)
def test_compliance_table_of_the_demo_report(demo_report: Path, framework: str) -> None:
    data = table(demo_report, framework)
    cat = catalogue(framework)
    items = data["items"]
    # Every id in the output exists in the catalogue, every row of the catalogue is there once.
    assert [i["id"] for i in items] == sorted((i.id for i in cat.assessable()), key=[i["id"] for i in items].index)
    assert {i["id"] for i in items} == {i.id for i in cat.assessable()}
    for item in items:
        assert cat.get(item["id"]) is not None and cat.get(item["id"]).title == item["title"]  # type: ignore[union-attr]
    # The counts add up, and agree with the rows.
    s = data["summary"]
    assert s["items"] == len(items) == s["with_findings"] + s["with_evidence"] + s["untested"]
    assert s["with_findings"] == sum(1 for i in items if i["status"] == "findings")
    assert s["with_evidence"] == sum(1 for i in items if i["status"] == "evidence")
    assert all((i["status"] == "findings") == bool(i["findings"]) for i in items)
    assert all(i["status"] != "untested" or not (i["findings"] or i["evidence"]) for i in items)
    # Items the demo's findings point at are listed as findings, with those rules.
    report = json.loads(demo_report.read_text())
    expected, clean = expected_rows(report, framework)
    assert expected, f"the demo's findings reach no {framework} item"
    by_id = {i["id"]: i for i in items}
    for ident, rule_ids in expected.items():
        assert by_id[ident]["status"] == "findings"
        assert {h["rule_id"] for h in by_id[ident]["findings"]} == rule_ids
    assert {i for i, row in by_id.items() if row["status"] == "findings"} == set(expected)
    # Evidence: the rules that ran clean, listed on every row they reach (beside findings, where there are some).
    assert {i: {h["rule_id"] for h in row["evidence"]} for i, row in by_id.items() if row["evidence"]} == clean
    assert {i for i, row in by_id.items() if row["status"] == "evidence"} == set(clean) - set(expected)
    assert data["invalid_references"] == [] and data["rule_load_failures"] == []


def test_the_demo_hits_the_items_a_reviewer_expects(demo_report: Path) -> None:
    atlas = {i["id"]: i["status"] for i in table(demo_report, "atlas")["items"]}
    assert atlas["AML.T0011.000"] == "findings"  # unsafe AI artifacts: pickle in the checkpoint and notebook
    assert atlas["AML.T0055"] == "findings"  # unsecured credentials: the notebook's keys
    assert atlas["AML.T0051"] != "untested"
    eu = {i["id"]: i["status"] for i in table(demo_report, "eu-ai-act")["items"]}
    assert eu["Art. 15"] == "findings" and eu["Art. 10"] == "findings"
    nist = {i["id"]: i["status"] for i in table(demo_report, "nist-ai-rmf")["items"]}
    assert nist["GOVERN 6.1"] == nist["MANAGE 3.2"] == "findings"  # third-party and pre-trained model risks


def test_markdown_and_html_files(demo_report: Path, tmp_path: Path) -> None:
    md = tmp_path / "nist.md"
    result = invoke("compliance", demo_report, "--framework", "nist-ai-rmf", "-o", md)
    assert result.exit_code == 0
    assert "MEASURE 2.7" in md.read_text() and "items tested" in result.stderr
    html = tmp_path / "iso.html"
    assert invoke("compliance", "map", demo_report, "--framework", "ISO42001", "-o", html).exit_code == 0
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "A.10.3" in page and "Content-Security-Policy" in page


def test_report_from_stdin(demo_report: Path) -> None:
    result = invoke("compliance", "-", "--framework", "owasp-llm", "-f", "json", input=demo_report.read_text())
    assert result.exit_code == 0 and json.loads(result.stdout)["framework"]["key"] == "owasp-llm"
    assert json.loads(result.stdout)["report"]["source"] == "standard input"


def test_the_output_names_the_report_file_it_maps(demo_report: Path, tmp_path: Path) -> None:
    result = invoke("compliance", demo_report, "--framework", "atlas")
    assert result.exit_code == 0
    named = f"nbsec: mapped {demo_report}: scan + threat-model check of 15 targets ("  # the demo has a threat model
    assert named in result.stderr
    header = result.stdout.splitlines()[2]
    assert header.startswith("**Report mapped:**") and demo_report.name in header and "check of 15 targets" in header
    data = table(demo_report, "atlas")["report"]
    assert data["source"] == str(demo_report) and data["run"].startswith("scan + threat-model check of ")
    page = tmp_path / "atlas.html"
    assert invoke("compliance", demo_report, "--framework", "atlas", "-o", page).exit_code == 0
    assert f"<strong>Report mapped:</strong> {demo_report}: scan + threat-model check of " in page.read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "invalid JSON"),
        ('{"a": 1}', "not an nbsec JSON report"),
        ('{"schema_version": "9.0", "findings": []}', "not a valid nbsec report"),
        ('{"schema_version": "1.0", "findings": [{"rule_id": "X"}]}', "not a valid nbsec report"),
    ],
)
def test_bad_input_exits_2_with_a_hint(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "input.json"
    path.write_text(content)
    result = invoke("compliance", path, "--framework", "atlas")
    assert result.exit_code == 2
    assert message in result.stderr and "hint: give the JSON report of a scan" in result.stderr


def test_missing_file_and_unknown_framework_exit_2(demo_report: Path, tmp_path: Path) -> None:
    missing = invoke("compliance", tmp_path / "nope.json", "--framework", "atlas")
    assert missing.exit_code == 2 and "cannot read the report" in missing.stderr
    unknown = invoke("compliance", demo_report, "--framework", "soc2")
    assert unknown.exit_code == 2
    assert all(key in unknown.stderr for key in COMPLIANCE_FRAMEWORKS)
    no_framework = invoke("compliance", demo_report)
    assert no_framework.exit_code == 2 and "--framework" in no_framework.stderr


def test_frameworks_lists_the_catalogues() -> None:
    result = invoke("compliance", "frameworks", "-f", "json")
    data = {d["key"]: d for d in json.loads(result.stdout)}
    assert data["atlas"]["version"] == "5.6.0" and data["nist-ai-rmf"]["ids"]["subcategory"] == 72
    assert "iso42001" in invoke("compliance", "frameworks").stdout


# -- eu-ai-act-tier ---------------------------------------------------------------------------------


def test_tier_from_an_answers_file(tmp_path: Path) -> None:
    template = invoke("compliance", "eu-ai-act-tier", "--template").stdout
    filled = template.replace("role:   #", "role: provider   #")
    for line in filled.splitlines():
        if line.endswith("# yes | no"):
            ident = line.split(":")[0]
            filled = filled.replace(line, f"{ident}: {'yes' if ident in ('a3_employment', 't_interacts') else 'no'}")
    answers = tmp_path / "answers.yaml"
    answers.write_text(filled)
    result = invoke("compliance", "eu-ai-act-tier", "--answers", answers)
    assert result.exit_code == 0, result.output
    assert "# EU AI Act: High-risk AI system (Art. 6)" in result.stdout and "| Art. 50 |" in result.stdout
    out = tmp_path / "tier.json"
    assert invoke("compliance", "eu-ai-act-tier", "--answers", answers, "-o", out).exit_code == 0
    assert json.loads(out.read_text())["tier"] == "high-risk"


def test_tier_with_incomplete_or_broken_answers_exits_2(tmp_path: Path) -> None:
    partial = tmp_path / "partial.yaml"
    partial.write_text("role: deployer\np_manipulation: no\n")
    result = invoke("compliance", "eu-ai-act-tier", "--answers", partial)
    assert result.exit_code == 2 and "no answer for" in result.stderr and "--template" in result.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("role: [provider\n")
    result = invoke("compliance", "eu-ai-act-tier", "--answers", broken)
    assert result.exit_code == 2 and "line" in result.stderr


def test_tier_interactive_prompts_only_what_applies() -> None:
    # provider; outside EU no; 8 x Art. 5 no; Annex I no; Annex III: only education yes; not profiling;
    # narrow task yes; Art. 50: chatbot yes, rest no; not a GPAI provider.
    lines = ["provider", "n", *["n"] * 8, "n", "n", "n", "y", *["n"] * 5, "n", "y", "y", "n", "n", "n", "n", "n"]
    result = invoke("compliance", "eu-ai-act-tier", "-f", "json", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tier"] == "limited-risk"
    assert data["answers"]["a3_education"] == "yes" and data["answers"]["a6_derogation"] == "yes"
    assert "deployer_public_service" not in data["answers"]  # a provider is not asked the deployer question
    assert {o["id"] for o in data["obligations"]} >= {"derogation-documentation", "t-interaction"}


def test_tier_interactive_enter_alone_is_not_an_answer() -> None:
    # The same answers as above, each yes/no preceded by an empty line: asked again, never taken as "no".
    lines = ["provider", "n", *["n"] * 8, "n", "n", "n", "y", *["n"] * 5, "n", "y", "y", "n", "n", "n", "n", "n"]
    padded = [lines[0], *(item for answer in lines[1:] for item in ("", answer))]
    result = invoke("compliance", "eu-ai-act-tier", "-f", "json", input="\n".join(padded) + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tier"] == "limited-risk"
    assert result.stderr.count("outside the EU") == 2  # the question was asked again after the empty answer
