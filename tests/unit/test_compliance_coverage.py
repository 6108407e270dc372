"""A control is evidenced only by a rule that ran in *that* Report: what checks cover, against the real producers.

The bug this guards: a robustness run (scanner "adversarial") listed the poisoning scan, the trigger test
and membership inference as "evidence (ran, nothing found)" although none of them ran.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbsec.compliance import map_report
from nbsec.compliance.coverage import describe_run, rules_run, when_text
from nbsec.compliance.render import input_html, table_html, to_html, to_markdown
from nbsec.escaping import md_cell as escape_cell
from nbsec.model import Check, Location, Report, Rule, Severity, Target, reference
from nbsec.rule_catalogue import load_catalogue

RULES = load_catalogue().rules
BY_ID = {rule.id: rule for rule in RULES}
MODEL = "model"

# What a robustness run writes (test_the_adversarial_producers_name_the_rules_they_ran checks the real ones).
ROBUSTNESS_CHECKS = [
    Check("adversarial", MODEL, "passed", "pgd: linf attack at 2 epsilon(s) on 13 samples", ("NBSEC-ADV-001",)),
    Check("adversarial", MODEL, "passed", "worst-case robust accuracy >= floor 0.5", ("NBSEC-ADV-001",)),
    Check("adversarial", MODEL, "passed", "outputs identical on repeated calls in eval mode", ("NBSEC-ADV-003",)),
    Check("adversarial", MODEL, "passed", "the loss gradient is not exactly zero", ("NBSEC-ADV-002",)),
]
PRIVACY = ("NBSEC-PRIV-002",)


def robustness_run(*extra: Check) -> Report:
    return Report(
        targets=[Target(MODEL, "torch-model", "scanned", "40 samples")],
        checks=[*ROBUSTNESS_CHECKS, *extra],
        tool_version="0.test",
        started_at="2025-06-01T14:01:00.000Z",
        finished_at="2025-06-01T14:02:05.123Z",
    )


def test_a_rule_missing_from_the_reports_checks_is_not_tested_even_if_its_scanner_ran() -> None:
    result = map_report(robustness_run(), "owasp-ml", rules=RULES)
    poisoning = result.row("ML02:2023")  # NBSEC-ADV-004 (poisoning scan) and ADV-005 (trigger test) map here
    assert poisoning is not None and poisoning.status == "untested"
    assert poisoning.evidence == []
    assert {"NBSEC-ADV-004", "NBSEC-ADV-005"} <= set(poisoning.not_run)
    membership = result.row("ML04:2023")  # NBSEC-PRIV-002
    assert membership is not None and membership.status == "untested" and "NBSEC-PRIV-002" in membership.not_run
    evasion = result.row("ML01:2023")  # the robustness tests did run and found nothing
    assert evasion is not None and evasion.status == "evidence"
    assert [h.rule_id for h in evasion.evidence] == ["NBSEC-ADV-001", "NBSEC-ADV-002", "NBSEC-ADV-003"]
    every_evidence = {h.rule_id for row in result.rows for h in row.evidence}
    assert not every_evidence & {"NBSEC-ADV-004", "NBSEC-ADV-005", "NBSEC-PRIV-002"}
    # Every rendering says so: not tested, and which mapped rules did not run.
    md_row = next(line for line in to_markdown(result).splitlines() if line.startswith("| ML04:2023"))
    assert "| not tested |" in md_row and "not run: NBSEC-PRIV-002" in md_row
    assert "NBSEC-PRIV-002" not in table_html(result, ("evidence",))
    data = json.loads(json.dumps(result.to_dict()))
    item = next(i for i in data["items"] if i["id"] == "ML04:2023")
    assert item["status"] == "untested" and "NBSEC-PRIV-002" in item["not_run"] and item["evidence"] == []


def test_a_check_that_ran_and_passed_is_evidence_and_one_that_found_something_is_findings() -> None:
    passed = robustness_run(Check("adversarial", MODEL, "passed", "membership inference below AUC >= 0.6", PRIVACY))
    row = map_report(passed, "owasp-ml", rules=RULES).row("ML04:2023")
    assert row is not None and row.status == "evidence"
    assert [(h.rule_id, h.targets) for h in row.evidence] == [("NBSEC-PRIV-002", 1)]
    leak = BY_ID["NBSEC-PRIV-002"].finding(Location(MODEL, element="membership"), "AUC 0.9")
    failed = robustness_run(Check("adversarial", MODEL, "failed", "membership inference: AUC >= 0.6", PRIVACY))
    failed.findings.append(leak)
    row = map_report(failed, "owasp-ml", rules=RULES).row("ML04:2023")
    assert row is not None and row.status == "findings" and [h.rule_id for h in row.findings] == ["NBSEC-PRIV-002"]


@pytest.mark.parametrize("status", ["skipped", "error"])
def test_a_check_that_did_not_run_proves_nothing(status: str) -> None:
    report = robustness_run(Check("adversarial", MODEL, status, "membership inference: could not run", PRIVACY))
    row = map_report(report, "owasp-ml", rules=RULES).row("ML04:2023")
    assert row is not None and row.status == "untested"


def test_a_runner_check_that_names_no_rule_counts_for_no_rule() -> None:
    """A runner's check must say which rules it ran; one that does not makes no control "evidenced"."""
    report = Report(checks=[Check("adversarial", MODEL, "passed", "a test nbsec has never heard of")])
    assert rules_run(report, RULES) == {}
    lineage = Report(checks=[Check("lineage", "store.db: something new", "passed")])
    assert rules_run(lineage, RULES) == {}


def test_a_file_scanners_check_covers_each_of_its_rules() -> None:
    report = Report(checks=[Check("notebook-code", "a.ipynb", "passed"), Check("dependencies", "req.txt", "error")])
    ran = rules_run(report, RULES)
    assert set(ran) == {rule.id for rule in RULES if rule.scanner == "notebook-code"}
    assert ran["NBSEC-NB-001"] == {"a.ipynb"}


# -- the real producers ----------------------------------------------------------------------------------


def test_the_adversarial_producers_name_the_rules_they_ran() -> None:
    import torch
    from torch import nn

    from nbsec import api

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 4))
    x, y = torch.rand(40, 16), torch.randint(0, 4, (40,))
    options: dict[str, Any] = {
        "epsilons": (0.05, 0.1),
        "steps": 3,
        "queries": 20,
        "progress": False,
        "sanity_samples": 16,
    }
    runs = {
        "robustness evaluation": (api.evaluate_robustness(model, x, y, **options), {"ADV-001", "ADV-002", "ADV-003"}),
        "poisoning scan": (api.detect_backdoor(model, x, y), {"ADV-004"}),
        "trigger test": (api.trigger_test(model, x, y), {"ADV-005"}),
        "membership inference": (api.membership_inference(model, (x[:20], y[:20]), (x[20:], y[20:])), {"PRIV-002"}),
    }
    named: set[str] = set()
    for kind, (report, expected) in runs.items():
        assert set(rules_run(report, RULES)) == {f"NBSEC-{i}" for i in expected}, kind
        named |= {rule_id for check in report.checks for rule_id in check.rules}
        for check in report.checks:  # the rules a check names exist and belong to its scanner
            assert all(BY_ID[rule_id].scanner == check.scanner for rule_id in check.rules), check
        assert describe_run(report).startswith(f"{kind} of Sequential, finished "), describe_run(report)
    assert named == {rule.id for rule in RULES if rule.scanner == "adversarial"}, "a rule no producer ever runs"


def test_the_lineage_verifier_names_the_rules_it_ran() -> None:
    from nbsec import lineage
    from nbsec.integrity import generate_keypair
    from nbsec.lineage.verifier import verify_store

    Path("data").mkdir()
    Path("data/train.csv").write_text("x,y\n1,0\n", encoding="utf-8")
    private, public = generate_keypair("k", "k.pub")
    lineage.record("prepare", ["data/train.csv"], key=private)
    chain_and_artifacts = {
        "NBSEC-LIN-001",
        "NBSEC-LIN-002",
        "NBSEC-LIN-004",
        *(f"NBSEC-LIN-00{n}" for n in range(5, 9)),
    }
    assert set(rules_run(verify_store(), RULES)) == chain_and_artifacts  # signatures present but not checked
    assert set(rules_run(verify_store(public_key=public), RULES)) == chain_and_artifacts | {"NBSEC-LIN-003"}
    assert set(rules_run(verify_store(artifacts=False), RULES)) == chain_and_artifacts - {
        "NBSEC-LIN-001",
        "NBSEC-LIN-004",
    }


# -- naming the report ------------------------------------------------------------------------------------


def test_every_rendering_names_the_report_it_maps() -> None:
    result = map_report(robustness_run(), "nist-ai-rmf", rules=RULES, source="the last report in this kernel (#2)")
    line = "the last report in this kernel (#2): robustness evaluation of model, finished 2025-06-01 14:02:05 UTC"
    assert result.input_line() == line
    md = to_markdown(result).splitlines()
    assert md[2] == f"**Report mapped:** {escape_cell(line)}; 0 findings in 1 scanned target."  # under the title
    assert line in to_html(result) and line in input_html(result)
    info = result.to_dict()["report"]
    assert info["source"] == "the last report in this kernel (#2)"
    assert info["run"] == "robustness evaluation of model, finished 2025-06-01 14:02:05 UTC"
    assert map_report(robustness_run(), "atlas", rules=RULES).input_line().startswith("robustness evaluation of model")


def test_a_scan_of_many_targets_is_named_by_kind_count_and_the_first_ones() -> None:
    report = Report(
        targets=[Target(f"nb/{n}.ipynb", "notebook") for n in range(5)],
        checks=[Check("notebook-code", f"nb/{n}.ipynb", "passed") for n in range(5)],
        finished_at="2025-06-01T09:00:00.000Z",
    )
    assert describe_run(report) == "scan of 5 targets (nb/0.ipynb, nb/1.ipynb, ...), finished 2025-06-01 09:00:00 UTC"
    assert describe_run(Report()) == "report"
    assert when_text("yesterday") == "yesterday"


def test_a_hostile_target_name_is_escaped_where_the_report_is_named() -> None:
    hostile = "<img src=x onerror=alert(1)>.ipynb"
    report = Report(targets=[Target(hostile, "notebook")], checks=[Check("notebook-code", hostile, "passed")])
    result = map_report(report, "owasp-ml", rules=RULES, source="<b>file</b>")
    for html in (input_html(result), to_html(result)):
        assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html and "<b>file" not in html


def test_rules_that_did_not_run_add_nothing_to_the_notes_about_cited_ids() -> None:
    """ "Also cited" and "ids not in the catalogue" speak of the rules this report ran, not of every rule."""
    odd = Rule(  # cites a category (not a row) and an id that does not exist; its scanner never runs here
        id="NBSEC-XX-004",
        title="Odd references",
        severity=Severity.LOW,
        category="test",
        description="d",
        remediation="r",
        references=(reference("NIST AI RMF", "MEASURE 2"), reference("NIST AI RMF", "MEASURE 9.9")),
        scanner="llm-scan",
    )
    result = map_report(robustness_run(), "nist-ai-rmf", rules=(*RULES, odd))
    assert result.unplaced == {} and result.invalid == []
    ran = robustness_run(Check("llm-scan", "endpoint", "passed"))
    noted = map_report(ran, "nist-ai-rmf", rules=(*RULES, odd))
    assert noted.unplaced == {"MEASURE 2": {"NBSEC-XX-004"}}
    assert noted.invalid == [{"rule_id": "NBSEC-XX-004", "framework": "NIST AI RMF", "id": "MEASURE 9.9"}]
