"""Save YAML keeps the author's file: an edit changes the lines of that edit, nothing else.

Reviewers diff threat models; a save that rewrites a 65-line hand-written file into 160 lines of
another style hides the one decision that changed. These tests make edits through the builder (the
buttons' Python API), save, and read the diff; and check that a hostile file is still stopped by the
bounded reader before ruamel.yaml sees it.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest

from nbsec import threatmodel as tm
from nbsec.demo.threatmodel import DEMO_MODEL
from nbsec.threatmodel import yamlio
from nbsec.threatmodel.roundtrip import NotRoundTrippable, guess_indent, save_keeping_format, update_text
from nbsec.widgets.threatmodel import ThreatModelBuilder

HAND_WRITTEN = """\
# Fraud scoring: reviewed 2026-03-01 by the risk team.
nbsec_threat_model: 1
title: "Fraud scoring"   # the product name
owner: 'risk-team'

zones:
- id: internet
  trust: untrusted
- id: prod
  trust: restricted   # PCI scope

# What the system is made of.
elements:
- id: merchant
  kind: user
  zone: internet
- id: assistant        # the LLM behind the API
  kind: llm
  zone: prod
  attributes:
    output_rendered: true

- id: scorer
  kind: serving_endpoint
  zone: prod
  controls: [authentication]  # gateway

# Who talks to whom.
flows:
- {from: merchant, to: scorer}
- from: scorer
  to: assistant
  data: "prompt"

threats:
- rule: nbsec-tm-017
  target: scorer
  status: Open     # reviewed
  note: 'nothing yet'

# end of file
"""


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    body = [line for line in diff if not line.startswith(("---", "+++", "@@"))]
    return [line[1:] for line in body if line.startswith("-")], [line[1:] for line in body if line.startswith("+")]


def test_a_control_and_a_decision_on_the_demo_change_only_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "threatmodel.nbsec.yaml"
    path.write_text(DEMO_MODEL, encoding="utf-8")
    builder = ThreatModelBuilder.open(str(path))
    builder.add_control("assistant", "output_guard")
    builder.record("NBSEC-TM-006", "finetuned-checkpoint", "mitigated", "ml-platform", "2026-11-30", "now safetensors")
    message = builder.save()
    saved = path.read_text(encoding="utf-8")
    removed, added = changed_lines(DEMO_MODEL, saved)
    assert removed == [
        "     attributes: {fine_tuned: true, output_rendered: true}}",
        "    status: open",
        "    note: convert to safetensors; nbsec scan flags checkpoints/finetuned.pt today",
    ]
    assert added == [
        "     attributes: {fine_tuned: true, output_rendered: true}, controls: [output_guard]}",
        "    status: mitigated",
        "    note: now safetensors",
    ]
    assert "3 lines added, 3 removed; comments and formatting kept" in message
    assert tm.load(path) == builder.model


def test_a_hand_written_file_keeps_comments_quotes_blank_lines_and_styles(tmp_path: Path) -> None:
    path = tmp_path / "fraud.nbsec.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    builder = ThreatModelBuilder.open(str(path))
    builder.add_element("weights", "model_artifact", "prod")
    builder.set_attribute("weights", "format", "safetensors")
    builder.add_flow("weights", "scorer")
    builder.add_control("scorer", "rate_limiting")
    builder.record("NBSEC-TM-017", "scorer", "accepted", "risk", "2026-12-01", "")
    builder.record("NBSEC-TM-026", "assistant", "mitigated")
    builder.save()
    saved = path.read_text(encoding="utf-8")
    removed, added = changed_lines(HAND_WRITTEN, saved)
    assert removed == [
        "  controls: [authentication]  # gateway",
        "  status: Open     # reviewed",
        "  note: 'nothing yet'",
    ]
    assert added == [
        "  controls: [authentication, rate_limiting] # gateway",  # the list stays a flow list, the comment stays
        "- id: weights",
        "  kind: model_artifact",
        "  zone: prod",
        "  attributes:",
        "    format: safetensors",
        "- from: weights",  # block style like the entry above it; no id: the loader gives it this one
        "  to: scorer",
        "  status: accepted # reviewed",
        "  owner: risk",
        "  due: 2026-12-01",
        "- rule: NBSEC-TM-026",
        "  target: assistant",
        "  status: mitigated",
    ]
    lines = saved.splitlines()
    # new entries join their lists, before the blank line and the comment that opens the next section
    assert lines[lines.index("    format: safetensors") + 1 : lines.index("flows:")] == ["", "# Who talks to whom."]
    assert lines[-2:] == ["", "# end of file"]
    assert tm.load(path) == builder.model


def test_a_file_in_nbsecs_own_block_style_stays_block_style(tmp_path: Path) -> None:
    path = tmp_path / "clean.yaml"
    clean = tm.dump(tm.loads(DEMO_MODEL))
    path.write_text(clean.replace("\n", "\r\n"), encoding="utf-8", newline="")  # and Windows line ends
    builder = ThreatModelBuilder.open(str(path))
    builder.add_control("assistant", "output_guard")
    builder.add_control("chat-api", "rate_limiting")
    builder.save()
    saved = path.read_bytes().decode("utf-8")
    assert saved.count("\r\n") == saved.count("\n")
    removed, added = changed_lines(clean, saved.replace("\r\n", "\n"))
    assert removed == []
    assert added == ["  controls:", "  - output_guard", "  - rate_limiting"]  # like `controls:` of other entries
    assert tm.load(path) == builder.model


def test_saving_an_unchanged_model_leaves_the_file_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "fraud.nbsec.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    builder = ThreatModelBuilder.open(str(path))
    assert "nothing changed" in builder.save()
    assert path.read_text(encoding="utf-8") == HAND_WRITTEN


def test_a_new_file_is_written_in_the_clean_block_style(tmp_path: Path) -> None:
    model = tm.loads(HAND_WRITTEN)
    path = tmp_path / "new" / "model.yaml"
    saved = save_keeping_format(model, path)
    assert saved.how == "new"
    assert path.read_text(encoding="utf-8") == tm.dump(model)
    assert "{" not in path.read_text(encoding="utf-8") and "[" not in path.read_text(encoding="utf-8")
    assert tm.load(path) == model


@pytest.mark.parametrize(
    "hostile",
    [
        "nbsec_threat_model: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdef", "bcdefg", strict=True)
        ),
        "nbsec_threat_model: 1\nelements: " + "[" * 200 + "]" * 200 + "\n",
        "nbsec_threat_model: 1\ntitle: !!python/object/apply:os.system [echo owned]\n",
        "nbsec_threat_model: 1\nextra: !custom {a: 1}\n",
        "nbsec_threat_model: 1\ntitle: " + "x" * (yamlio.MAX_BYTES + 10) + "\n",
    ],
    ids=["alias-bomb", "deep-nesting", "python-tag", "custom-tag", "too-large"],
)
def test_a_hostile_file_is_stopped_by_the_bounded_reader_before_ruamel(
    tmp_path: Path, hostile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ruamel.yaml import YAML

    path = tmp_path / "model.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    builder = ThreatModelBuilder.open(str(path))
    path.write_text(hostile, encoding="utf-8")  # replaced on disk after the builder opened it
    touched: list[str] = []
    monkeypatch.setattr(YAML, "load", lambda self, stream: touched.append("load"))
    message = builder.save()
    assert touched == []
    assert "rewritten in nbsec's block style" in message
    assert path.read_text(encoding="utf-8") == tm.dump(builder.model)


@pytest.mark.parametrize(
    "tagged",
    ["extra: !foo {a: 1}\n", "extra: {a: !bar 3}\n", "extra: {a: !!set {x}}\n", "extra: {a: !!binary aGVsbG8=}\n"],
)
def test_tags_are_refused_by_both_readers(tagged: str) -> None:
    from ruamel.yaml import YAML

    from nbsec.threatmodel.roundtrip import _refuse_odd_nodes

    text = "nbsec_threat_model: 1\ntitle: t\n" + tagged
    model = tm.loads("nbsec_threat_model: 1\ntitle: t\n")
    with pytest.raises(NotRoundTrippable, match="tag|bytes"):
        update_text(text, model, model.with_control("", "sbom"))
    with pytest.raises(NotRoundTrippable, match="tag|bytes|CommentedSet"):  # ruamel's own load, on its own
        _refuse_odd_nodes(YAML(typ="rt").load(text))


def test_a_key_written_twice_is_saved_in_block_style_not_half_edited(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text(HAND_WRITTEN.replace("owner: 'risk-team'", "owner: a\nowner: 'risk-team'"), encoding="utf-8")
    builder = ThreatModelBuilder.open(str(path))
    builder.add_control("scorer", "sbom")
    assert "ruamel.yaml cannot edit it" in builder.save()
    assert tm.load(path) == builder.model


def test_indentation_is_read_from_the_file() -> None:
    assert guess_indent(DEMO_MODEL) == (2, 4, 2)
    assert guess_indent(HAND_WRITTEN) == (2, 2, 0)
    assert guess_indent("a:\n    b:\n        c: 1\n    d:\n        - x\n") == (4, 6, 4)


def test_ruamel_is_imported_on_save_only(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    probe = (
        "import sys, nbsec, nbsec.threatmodel\n"
        "from nbsec.widgets.threatmodel import ThreatModelBuilder\n"
        f"b = ThreatModelBuilder.open({str(path)!r}); b.add_control('scorer', 'sbom')\n"
        "print('ruamel.yaml' in sys.modules)\n"
        "b.save(); print('ruamel.yaml' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_the_python_api_saves_in_place_on_request(tmp_path: Path) -> None:
    path = tmp_path / "fraud.nbsec.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    model = tm.load(path).with_control("scorer", "sbom")
    tm.save(model, path, keep_format=True)
    assert changed_lines(HAND_WRITTEN, path.read_text(encoding="utf-8")) == (
        ["  controls: [authentication]  # gateway"],
        ["  controls: [authentication, sbom] # gateway"],
    )
    tm.save(model, path)  # the default: nbsec's block style, as `nbsec threatmodel import` writes
    assert path.read_text(encoding="utf-8") == tm.dump(model)
