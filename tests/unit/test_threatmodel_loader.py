"""Loading threat models: safe YAML, errors that give the line and the fix, lossless save/load."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbsec import threatmodel as tm
from nbsec.errors import NbsecError
from nbsec.threatmodel.loader import ThreatModelError

GOOD = """\
nbsec_threat_model: 1
title: Loan scoring
zones:
  - {id: web, trust: untrusted}
  - {id: core, trust: restricted}
controls: [dependency_pinning]
elements:
  - id: applicant
    kind: user
    zone: web
  - id: scorer
    kind: serving_endpoint
    zone: core
    attributes: {returns_scores: true, automated_decisions: true}
    controls: [rate_limiting]
flows:
  - {from: applicant, to: scorer, data: application}
threats:
  - rule: NBSEC-TM-025
    target: scorer
    status: accepted
    owner: risk-office
    due: 2026-12-31
    note: manual review of declines
"""


def problems_of(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ThreatModelError) as caught:
        tm.loads(text, "m.yaml")
    return [(p.line, p.message, p.hint) for p in caught.value.problems]


def test_a_valid_model_loads_with_lines_and_defaults() -> None:
    model = tm.loads(GOOD)
    scorer = model.element("scorer")
    assert scorer is not None and scorer.line == 11 and scorer.lifecycle_stage == "operation"
    assert model.flows[0].id == "applicant->scorer" and model.flows[0].line == 17
    entry = model.entry("NBSEC-TM-025", "scorer")
    assert entry is not None and (entry.status, entry.owner, entry.due, entry.line) == (
        "accepted", "risk-office", "2026-12-31", 19
    )  # fmt: skip


def test_save_then_load_gives_the_same_model(tmp_path: Path) -> None:
    model = tm.loads(GOOD)
    path = tm.save(model, tmp_path / "m.nbsec.yaml")
    assert tm.load(path) == model
    assert path.read_text().startswith("nbsec_threat_model: 1\n")


@pytest.mark.parametrize(
    ("edit", "line", "message", "hint"),
    [
        (("    kind: serving_endpoint", "    knd: serving_endpoint"), 12, "unknown key 'knd'", "did you mean 'kind'?"),
        (("    kind: user", "    kind: users"), 9, "unknown kind 'users'", "did you mean 'user'?"),
        (("returns_scores: true", "return_scores: true"), 14, "unknown attribute 'return_scores'", "'returns_scores'"),
        (("[rate_limiting]", "[rate_limit]"), 15, "unknown control 'rate_limit'", "did you mean 'rate_limiting'?"),
        (("    zone: web", "    zone: webb"), 10, "zone 'webb' is not declared", "did you mean 'web'?"),
        (("to: scorer,", "to: scorrer,"), 17, "no element has this id", "did you mean 'scorer'?"),
        (("status: accepted", "status: acepted"), 21, "unknown status 'acepted'", "did you mean 'accepted'?"),
        (("due: 2026-12-31", "due: next week"), 23, "is not a date", "YYYY-MM-DD"),
        (("rule: NBSEC-TM-025", "rule: NBSEC-TM-25"), 19, "no threat-library rule", "'NBSEC-TM-025'"),
        (("automated_decisions: true", "automated_decisions: yes please"), 14, "must be true or false", "true"),
        (("returns_scores: true", "format: onnx"), 14, "does not apply to serving_endpoint", "model_artifact"),
    ],
)
def test_errors_give_the_line_and_the_fix(edit: tuple[str, str], line: int, message: str, hint: str) -> None:
    old, new = edit
    assert old in GOOD
    found = problems_of(GOOD.replace(old, new, 1))
    assert any(p_line == line and message in p_msg and hint in p_hint for p_line, p_msg, p_hint in found), found


def test_all_problems_are_reported_at_once_in_line_order() -> None:
    text = GOOD.replace("kind: user", "kind: usr").replace("status: accepted", "status: done")
    found = problems_of(text)
    assert [line for line, _, _ in found] == [9, 21]
    with pytest.raises(ThreatModelError) as caught:
        tm.loads(text, "m.yaml")
    assert "m.yaml, line 9" in caught.value.message and "m.yaml, line 21" in caught.value.message


def test_missing_version_marker_and_empty_files() -> None:
    assert "nbsec_threat_model" in problems_of("title: x\nelements: []\n")[0][1]
    assert "empty" in problems_of("")[0][1]
    assert "must be a mapping" in problems_of("- a\n- b\n")[0][1]


def test_yaml_syntax_errors_name_the_line() -> None:
    [(line, message, _)] = problems_of("nbsec_threat_model: 1\nelements:\n  - {id: a, kind: llm\n")
    assert line is not None and line >= 3 and "invalid YAML" in message


YAML_HINT = "fix the YAML syntax at that line"
APPLY = "!!python/object/apply:os.system"
APPLY_TAG = "'tag:yaml.org,2002:python/object/apply:os.system'"


def refused(tag: str) -> str:
    return f"invalid YAML: could not determine a constructor for the tag {tag}"


@pytest.mark.parametrize(
    ("text", "line", "tag"),
    [
        # on a list, a mapping and a scalar: the three YAML node kinds
        ("elements: {apply} ['touch {marker}']\n", 2, APPLY_TAG),
        ("elements: [{apply} {{id: a, kind: llm, name: 'touch {marker}'}}]\n", 2, APPLY_TAG),
        ("elements: [{{id: a, kind: llm, name: {apply} 'touch {marker}'}}]\n", 2, APPLY_TAG),
        # on a mapping key, on the whole document, and a tag of the writer's own
        ("elements: [{{{apply} 'touch {marker}': x, id: a, kind: llm}}]\n", 2, APPLY_TAG),
        ("elements: [!mine {{id: a, kind: llm}}]\n", 2, "'!mine'"),
        # in every section a model has: zones, controls, flows, threats, attributes
        ("zones: [{apply} {{id: z, trust: untrusted}}]\nelements: [{{id: a, kind: llm, zone: z}}]\n", 2, APPLY_TAG),
        ("controls: {apply} ['touch {marker}']\nelements: [{{id: a, kind: llm}}]\n", 2, APPLY_TAG),
        (
            "elements: [{{id: a, kind: llm}}, {{id: b, kind: user}}]\nflows: [{apply} {{from: b, to: a}}]\n",
            3,
            APPLY_TAG,
        ),
        ("elements: [{{id: a, kind: llm}}]\nthreats:\n  - {apply} {{rule: NBSEC-TM-001, target: a}}\n", 4, APPLY_TAG),
        ("elements:\n  - id: a\n    kind: llm\n    attributes: {apply} {{public: true}}\n", 5, APPLY_TAG),
    ],
    ids=["list", "mapping", "scalar", "key", "own-tag", "zone", "controls", "flow", "threat", "attributes"],
)
def test_tags_are_refused_on_every_node_kind_and_section(tmp_path: Path, text: str, line: int, tag: str) -> None:
    marker = tmp_path / "pwned"
    model = "nbsec_threat_model: 1\n" + text.format(apply=APPLY, marker=marker)
    assert problems_of(model) == [(line, refused(tag), YAML_HINT)]
    assert not marker.exists()


def test_a_tagged_document_is_refused() -> None:
    text = f"--- {APPLY}\nnbsec_threat_model: 1\nelements: [{{id: a, kind: llm}}]\n"
    assert problems_of(text) == [(1, refused(APPLY_TAG), YAML_HINT)]


def test_the_standard_collection_tags_still_load() -> None:
    # safe_load's own tags are not refused: only tags it has no constructor for.
    model = tm.loads("nbsec_threat_model: 1\nelements: !!seq [!!map {id: a, kind: llm}]\n")
    assert [e.id for e in model.elements] == ["a"]


def test_alias_bombs_are_bounded() -> None:
    lines = ["nbsec_threat_model: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    found = problems_of("\n".join(lines) + "\n")
    assert any("YAML nodes" in message for _, message, _ in found)


def test_duplicate_ids_and_flow_element_clashes() -> None:
    text = (
        "nbsec_threat_model: 1\nelements: [{id: a, kind: llm}, {id: a, kind: tool}]\nflows: [{id: a, from: a, to: a}]\n"
    )
    messages = " ".join(m for _, m, _ in problems_of(text))
    assert "used twice" in messages and "also an element id" in messages


def test_load_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(NbsecError) as caught:
        tm.load(tmp_path / "nope.yaml")
    assert "no such file" in caught.value.message and "threatmodel new" in caught.value.hint


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("nbsec_threat_model: 1\n# " + "x" * (5 * 1024 * 1024) + "\n")
    with pytest.raises(ThreatModelError) as caught:
        tm.load(path)
    assert "at most" in caught.value.message
