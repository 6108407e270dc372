"""The notebook-outputs fixer: secrets and personal data in outputs, tracebacks, widget state and metadata.

What a user relies on: after the fix is written, a re-scan no longer reports those findings; every other
cell and output is byte-for-byte what it was; the notebook is still valid JSON and nbformat; the value is
gone from the file (replaced by the same redaction the reports show) and never shown by the diff; what
cannot be fixed comes back as a refusal with a reason. Key-shaped samples are built at run time from a
seeded generator, so this file holds no credential another scanner would flag.
"""

from __future__ import annotations

import base64
import difflib
import json
import random
import re
import string
from pathlib import Path
from typing import Any

import nbformat
import pytest
from fix_helpers import shown_diff, write_changes

from nbsec import api
from nbsec.demo import demo_notebook
from nbsec.fix.base import Change, FixContext
from nbsec.fix.notebook_outputs import FIXERS, fix_outputs
from nbsec.model import Finding
from nbsec.redact import redact

OUTPUT_RULES = ("NBSEC-NB-011", "NBSEC-PRIV-001")
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    rng = random.Random(f"fix-outputs-{seed}-{n}")
    return "".join(rng.choice(alphabet) for _ in range(n))


GITHUB = "gh" + "p_" + rand(36, seed=1)
AWS = "AK" + "IA" + rand(16, string.ascii_uppercase + string.digits, seed=2)
EMAIL = "jane.marlow@" + "fjordmail.io"


def code_cell(source: str | list[str], index: int, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": index,
        "id": f"cell-{index}",
        "metadata": {},
        "outputs": outputs or [],
        "source": source,
    }


def stream(text: str | list[str]) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}


def display(data: dict[str, Any], kind: str = "display_data") -> dict[str, Any]:
    out: dict[str, Any] = {"output_type": kind, "data": data, "metadata": {}}
    if kind == "execute_result":
        out["execution_count"] = 1
    return out


def write_notebook(path: Path, cells: list[dict[str, Any]], metadata: dict[str, Any] | None = None) -> Path:
    nb = {"cells": cells, "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def findings_of(path: Path, rules: tuple[str, ...] = OUTPUT_RULES) -> tuple[Finding, ...]:
    return tuple(f for f in api.scan([path]).findings if f.rule_id in rules)


def run_fix(path: Path, mode: str = "redact", rules: tuple[str, ...] = OUTPUT_RULES) -> tuple[list[Change], list[Any]]:
    ctx = FixContext(path.parent, path, path.read_bytes(), findings_of(path, rules), {"outputs": mode})
    return fix_outputs(ctx)


def cells_of(content: bytes) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads(content)["cells"]
    return cells


def assert_valid(content: bytes) -> None:
    nbformat.validate(nbformat.reads(content.decode("utf-8"), as_version=nbformat.NO_CONVERT))


# -- the demo notebook ---------------------------------------------------------------------------------


def demo(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    nb = demo_notebook()
    path = tmp_path / "demo.ipynb"
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")  # as `nbsec demo` writes it
    return path, nb


def demo_values(nb: dict[str, Any]) -> list[str]:
    """The values the demo plants in outputs: the database password and the customers' e-mails and phones."""
    source = "".join(nb["cells"][2]["source"])
    password = re.search(r"admin:([^@]+)@", source)
    assert password is not None
    html = json.dumps(nb["cells"][13]["outputs"])
    emails = re.findall(r"<td>([^<@]+@[^<]+)</td>", json.loads(html)[0]["data"]["text/html"])
    phones = re.findall(r"<td>(\+[\d ]+)</td>", json.loads(html)[0]["data"]["text/html"])
    assert len(emails) == 3 and len(phones) == 3
    return [password.group(1), *emails, *phones]


def test_demo_outputs_redacted_in_place_and_nothing_else_changes(tmp_path: Path) -> None:
    path, nb = demo(tmp_path)
    before = path.read_bytes()
    found = findings_of(path)
    assert {f.rule_id for f in found} == set(OUTPUT_RULES)
    changes, refusals = run_fix(path)
    assert refusals == []
    (change,) = changes
    assert change.kind == "notebook" and change.before == before
    assert set(change.fixes) == {f.fingerprint for f in found}
    assert change.summary == (
        "cell 14 [11], output 1: 6 personal data values redacted; cell 15 [10], output 1: 1 credential redacted"
    )
    write_changes(change)
    after = path.read_bytes()
    assert_valid(after)
    assert findings_of(path) == ()  # the re-scan no longer reports them
    text = after.decode("utf-8")
    outputs = json.dumps([cell.get("outputs") for cell in cells_of(after)], ensure_ascii=False)
    for value in demo_values(nb):
        assert value not in outputs  # (the password is still in cell 3's code: NBSEC-NB-010, the credentials fixer's)
        assert redact(value) in outputs  # the same redaction the reports show
        assert value not in shown_diff(change)
    # Only the three lines holding values changed (the HTML table, the error's evalue and its traceback line).
    changed = [line for line in difflib.ndiff(before.decode().splitlines(), text.splitlines()) if line[:1] in "+-"]
    assert len(changed) == 6
    old, new = cells_of(before), cells_of(after)
    assert [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b] == [13, 14]
    assert new[13]["outputs"][0]["data"]["text/plain"] == old[13]["outputs"][0]["data"]["text/plain"]
    assert new[14]["execution_count"] == old[14]["execution_count"]


def test_clear_removes_only_the_outputs_holding_findings(tmp_path: Path) -> None:
    clean = display({"text/plain": "accuracy 0.93"})
    cells = [
        code_cell("print(cfg)\nshow(acc)", 1, [stream(f"aws_access_key_id = {AWS}\n"), clean]),
        code_cell("df.head()", 2, [display({"text/plain": f"0  {EMAIL}"}, "execute_result")]),
        code_cell("print('ok')", 3, [stream("ok\n")]),
    ]
    path = write_notebook(tmp_path / "nb.ipynb", cells)
    before = path.read_bytes()
    (change,), refusals = run_fix(path, "clear")
    assert refusals == []
    assert "cleared" in change.summary
    write_changes(change)
    new = cells_of(path.read_bytes())
    assert new[0]["outputs"] == [clean] and new[0]["execution_count"] == 1  # one output kept: the count stays
    assert new[1]["outputs"] == [] and new[1]["execution_count"] is None  # all gone: as Jupyter's Clear Output
    assert new[2] == cells_of(before)[2]
    assert findings_of(path) == ()
    assert_valid(path.read_bytes())
    assert AWS not in path.read_text(encoding="utf-8") and AWS not in shown_diff(change)


def test_strip_removes_outputs_and_execution_metadata_of_the_cells_involved_only(tmp_path: Path) -> None:
    involved = code_cell("print(token)", 1, [stream(f"token={GITHUB}\n"), stream("done\n")])
    involved["metadata"] = {
        "collapsed": False,
        "scrolled": True,
        "execution": {"iopub.status.idle": "x"},
        "tags": ["a"],
    }
    other = code_cell("print(1)", 2, [stream("1\n")])
    other["metadata"] = {"scrolled": True}
    path = write_notebook(tmp_path / "nb.ipynb", [involved, other])
    (change,), _ = run_fix(path, "strip")
    write_changes(change)
    new = cells_of(path.read_bytes())
    assert new[0]["outputs"] == [] and new[0]["execution_count"] is None
    assert new[0]["metadata"] == {"tags": ["a"]}  # what nbstripout removes, and nothing else
    assert new[0]["source"] == "print(token)"
    assert new[1] == other
    assert findings_of(path) == ()


def test_traceback_keeps_its_ansi_codes_and_loses_the_value(tmp_path: Path) -> None:
    # The token is coloured half-way through: it is found on the visible text, the codes around it stay.
    line = f"\x1b[0;31mAuthError\x1b[0m: bad token {GITHUB[:12]}\x1b[1;32m{GITHUB[12:]}\x1b[0m (401)"
    error = {"output_type": "error", "ename": "AuthError", "evalue": f"bad token {GITHUB}", "traceback": [line]}
    path = write_notebook(tmp_path / "nb.ipynb", [code_cell("login()", 1, [error])])
    (change,), refusals = run_fix(path)
    assert refusals == []
    write_changes(change)
    out = cells_of(path.read_bytes())[0]["outputs"][0]
    assert GITHUB not in json.dumps(out)
    assert out["evalue"] == f"bad token {redact(GITHUB)}"
    assert re.findall(r"\x1b\[[0-9;]*m", out["traceback"][0]) == re.findall(r"\x1b\[[0-9;]*m", line)
    assert out["traceback"][0].startswith("\x1b[0;31mAuthError\x1b[0m: bad token ")
    assert findings_of(path) == ()


def test_hostile_outputs_script_huge_unicode_and_line_lists(tmp_path: Path) -> None:
    script = f'<script>alert("x")</script><p>Zürich 東京 — key: aws_access_key_id={AWS}</p>'
    huge = [f"row {i}: ok\n" for i in range(60_000)] + [f"leaked: github_token={GITHUB}\n", "end ü\n"]
    cells = [
        code_cell(["show()\n", "# ünïcödé\n"], 1, [display({"text/html": script, "text/plain": "<HTML>"})]),
        code_cell("dump()", 2, [stream(huge)]),
        code_cell("x = 1", 3, [stream(["a\n", "b\n"])]),
    ]
    path = write_notebook(tmp_path / "nb.ipynb", cells)
    before = cells_of(path.read_bytes())
    (change,), refusals = run_fix(path)
    assert refusals == []
    assert "<script" not in change.summary and AWS not in change.summary
    write_changes(change)
    raw = path.read_bytes()
    assert_valid(raw)
    new = cells_of(raw)
    assert new[0]["source"] == ["show()\n", "# ünïcödé\n"]  # a list stays a list
    assert new[0]["outputs"][0]["data"]["text/html"] == script.replace(AWS, redact(AWS))  # markup untouched
    assert new[1]["outputs"][0]["text"][:60_000] == huge[:60_000]  # the lines around the value are the same lines
    assert new[1]["outputs"][0]["text"][-2:] == [f"leaked: github_token={redact(GITHUB)}\n", "end ü\n"]
    assert new[2] == before[2]
    assert "東京" in raw.decode("utf-8")  # non-ASCII kept as it was written (not \\u-escaped)
    assert AWS not in raw.decode() and GITHUB not in raw.decode()
    assert findings_of(path) == ()


def test_widget_state_metadata_and_attachments(tmp_path: Path) -> None:
    state = {"state": {"m1": {"model_name": "TextModel", "state": {"value": f"contact {EMAIL}"}}}, "version_major": 2}
    widgets = {"application/vnd.jupyter.widget-state+json": state}
    note = f"reviewer: {EMAIL}\n"
    markdown = {
        "cell_type": "markdown",
        "id": "md",
        "metadata": {"owner": EMAIL},
        "source": "See ![x](attachment:note.txt)",
        "attachments": {"note.txt": {"text/plain": base64.b64encode(note.encode()).decode()}},
    }
    path = write_notebook(tmp_path / "nb.ipynb", [markdown, code_cell("w", 1)], {"widgets": widgets})
    found = findings_of(path, ("NBSEC-PRIV-001",))
    assert {f.location.element for f in found} >= {"widget state", "cell metadata", "attachment note.txt"}
    (change,), refusals = run_fix(path, "redact", ("NBSEC-PRIV-001",))
    assert refusals == []
    write_changes(change)
    data = json.loads(path.read_bytes())
    assert EMAIL not in json.dumps(data)
    assert data["cells"][0]["metadata"] == {"owner": redact(EMAIL)}
    assert base64.b64decode(data["cells"][0]["attachments"]["note.txt"]["text/plain"]).decode() == (
        f"reviewer: {redact(EMAIL)}\n"
    )
    assert findings_of(path, ("NBSEC-PRIV-001",)) == ()
    # "clear" cannot clear metadata (redacted) but drops the widget state whole, as nbstripout does.
    path = write_notebook(tmp_path / "nb2.ipynb", [code_cell("w", 1)], {"widgets": widgets, "kernelspec": {}})
    (change,), _ = run_fix(path, "clear", ("NBSEC-PRIV-001",))
    assert json.loads(change.after)["metadata"] == {"kernelspec": {}}


def test_an_image_beside_a_redacted_text_gets_a_note_and_is_left_as_is(tmp_path: Path) -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4).decode()
    output = display({"image/png": png, "text/plain": f"aws_access_key_id={AWS}"})
    path = write_notebook(tmp_path / "nb.ipynb", [code_cell("plot()", 1, [output])])
    (change,), _ = run_fix(path)
    data = json.loads(change.after)["cells"][0]["outputs"][0]["data"]
    assert data["image/png"] == png
    assert any("image" in note and "--outputs clear" in note for note in change.notes)
    (cleared,), _ = run_fix(path, "clear")
    assert json.loads(cleared.after)["cells"][0]["outputs"] == []


def test_refusals_carry_a_reason(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", [code_cell(f'owner = "{EMAIL}"\n', 1)])
    changes, refusals = run_fix(path, "redact", ("NBSEC-PRIV-001",))
    assert changes == []
    assert [r.reason for r in refusals] == ["personal data in code: edit it by hand"]
    # A finding whose value is gone since the scan (the file changed) is refused, not guessed at.
    path = write_notebook(tmp_path / "nb2.ipynb", [code_cell("p()", 1, [stream(f"token={GITHUB}\n")])])
    found = findings_of(path)
    write_notebook(path, [code_cell("p()", 1, [stream("token=<hidden>\n")])])
    changes, refusals = fix_outputs(FixContext(tmp_path, path, path.read_bytes(), found, {}))
    assert changes == [] and "scan again" in refusals[0].reason
    # An unknown mode refuses everything, naming the choices.
    changes, refusals = fix_outputs(FixContext(tmp_path, path, path.read_bytes(), found, {"outputs": "burn"}))
    assert changes == [] and "redact, clear, strip" in refusals[0].reason


def test_registered_for_its_rules() -> None:
    (spec,) = FIXERS
    assert spec.rule_ids == OUTPUT_RULES and spec.fix is fix_outputs


@pytest.mark.parametrize("mode", ["redact", "clear", "strip"])
def test_every_mode_keeps_the_demo_valid_and_clean(tmp_path: Path, mode: str) -> None:
    path, _ = demo(tmp_path)
    (change,), _ = run_fix(path, mode)
    write_changes(change)
    assert_valid(path.read_bytes())
    assert findings_of(path) == ()
