"""The `nbsec fix` core, with a small fixer of the test's own (tests/fix_helpers.py): plan, show, apply, confirm.

What a user relies on: a dry run writes nothing; a diff never shows a removed value in full; --apply writes only
files that did not change since the plan, keeps a git-ignored backup, keeps permissions, and re-scans; a change
outside the target path, through a symlink, that keeps the secret, or that breaks the file is refused; two fixes
of one file build on each other; suppressed findings are not touched.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path

import pytest
from fix_helpers import APP, ENV_FIXER, SECRETS, env_fix, use_fixers, write_app
from hypothesis import given, settings
from hypothesis import strategies as st

from nbsec import api
from nbsec.fix.base import Change, FixContext, FixerSpec, FixResult, Refusal
from nbsec.fix.diff import apply_edits, show, text_edits
from nbsec.fix.merge import merge3
from nbsec.fix.plan import rule_selected
from nbsec.model import Report
from nbsec.redact import redact
from nbsec.reporters.sarif import render as render_sarif


@pytest.fixture(autouse=True)
def _test_fixer(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fixers(monkeypatch, ENV_FIXER)


def _no_secret_in(text: str) -> None:
    for value in SECRETS:
        assert value not in text


# -- dry run -----------------------------------------------------------------------------------------------------


def test_a_dry_run_plans_a_redacted_diff_and_writes_nothing(tmp_path: Path) -> None:
    app = write_app(tmp_path / "proj")
    report = api.fix("proj")
    assert app.read_text() == APP
    assert not (tmp_path / "proj" / ".nbsec").exists()
    assert report.fixes is not None and report.fixes.mode == "dry-run"
    [change] = report.fixes.changes
    assert change.status == "planned" and change.path == "proj/app.py"
    assert '+OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]' in change.diff
    assert f'-OPENAI_API_KEY = "[hidden: {redact(SECRETS[0])}]"' in change.diff  # the old side, redacted
    assert [o.status for o in report.fixes.outcomes] == ["fixable", "fixable"]
    _no_secret_in(report.to_json())
    back = Report.from_json(report.to_json())  # the section survives the round trip (and the schema: conftest)
    assert back.fixes is not None and back.fixes.to_dict() == report.fixes.to_dict()


def test_rule_scope_takes_ids_prefixes_and_globs() -> None:
    assert rule_selected("NBSEC-NB-010", None)
    assert rule_selected("NBSEC-NB-010", ["nbsec-nb-010"]) and rule_selected("NBSEC-NB-010", ["NBSEC-NB"])
    assert rule_selected("NBSEC-NB-010", ["NBSEC-NB-01*"]) and not rule_selected("NBSEC-NB-010", ["NBSEC-NB-01"])
    assert not rule_selected("NBSEC-NB-010", ["NBSEC-PRIV"])


def test_findings_outside_the_rule_scope_are_left_alone(tmp_path: Path) -> None:
    write_app(tmp_path / "proj")
    report = api.fix("proj", rules=["NBSEC-NB-001"])
    assert report.fixes is not None and report.fixes.changes == [] and report.fixes.outcomes == []


def test_a_suppressed_finding_is_not_fixed(tmp_path: Path) -> None:
    text = APP.replace(f'"{SECRETS[1]}"', f'"{SECRETS[1]}"  # nbsec: ignore[NBSEC-NB-010] rotated test key')
    app = write_app(tmp_path / "proj", text=text)
    report = api.fix("proj", apply=True)
    after = app.read_text()
    assert SECRETS[1] in after and SECRETS[0] not in after
    assert report.fixes is not None and [o.status for o in report.fixes.outcomes] == ["fixed"]
    assert [s.reason for s in report.suppressed] == ["inline"]


def test_a_finding_without_a_fixer_remains_with_why(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "load.py").write_text("import yaml\nyaml.load(open('c.yaml'), Loader=yaml.Loader)\n")
    report = api.fix("proj")
    assert report.fixes is not None
    [outcome] = report.fixes.outcomes
    assert outcome.status == "remains" and outcome.reason == "no automatic fix for NBSEC-NB-003"


# -- apply ---------------------------------------------------------------------------------------------------------


def test_apply_writes_backs_up_keeps_permissions_and_confirms(tmp_path: Path) -> None:
    app = write_app(tmp_path / "proj")
    app.chmod(0o640)
    report = api.fix("proj", apply=True)
    assert 'OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]' in app.read_text()
    _no_secret_in(app.read_text())
    assert stat.S_IMODE(app.stat().st_mode) == 0o640
    assert report.fixes is not None and report.fixes.mode == "apply"
    assert [o.status for o in report.fixes.outcomes] == ["fixed", "fixed"]
    assert [f.rule_id for f in report.findings] == []
    [backup] = report.fixes.backups
    saved = tmp_path / backup
    assert saved.read_text() == APP and stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert saved.parent.parent == tmp_path / "proj" / ".nbsec" / "backups" and saved.name == "app.py"
    assert (tmp_path / "proj/.nbsec/backups/.gitignore").read_text().splitlines()[-1] == "*"
    manifest = json.loads((saved.parent / "MANIFEST.json").read_text())
    assert [entry["path"] for entry in manifest] == ["app.py"]
    assert report.fixes.changes[0].backup == backup
    _no_secret_in(report.to_json())
    assert api.scan("proj").findings == []  # the backups folder is not scanned again


def test_apply_without_backup_writes_no_backup(tmp_path: Path) -> None:
    write_app(tmp_path / "proj")
    report = api.fix("proj", apply=True, backup=False)
    assert report.fixes is not None and report.fixes.backups == [] and not (tmp_path / "proj" / ".nbsec").exists()


def test_a_file_changed_since_the_plan_is_not_written(tmp_path: Path) -> None:
    app = write_app(tmp_path / "proj")
    pending = api.plan_fix("proj")
    edited = APP + "# edited after the plan\n"
    app.write_text(edited)
    report = pending.apply()
    assert app.read_text() == edited
    assert report.fixes is not None
    [change] = report.fixes.changes
    assert change.status == "refused" and "changed since the fix was planned" in change.reason
    assert all(o.status == "remains" and "not applied" in o.reason for o in report.fixes.outcomes)
    assert pending.apply() is report  # applying twice does not write twice


def test_a_change_that_does_not_remove_the_finding_is_reported_as_still_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def comment_only(ctx: FixContext) -> FixResult:  # claims the findings, changes something else
        after = ctx.content + b"# reviewed\n"
        fixes = tuple(f.fingerprint for f in ctx.findings)
        return [Change(ctx.path, "text", after, ctx.content, "comment", fixes, ("NBSEC-NB-010",))], []

    use_fixers(monkeypatch, FixerSpec("test-comment", ("NBSEC-NB-010",), "test", comment_only))
    write_app(tmp_path / "proj")
    report = api.fix("proj", apply=True)
    assert report.fixes is not None and [c.status for c in report.fixes.changes] == ["applied"]
    assert [(o.status, o.reason) for o in report.fixes.outcomes] == [("remains", "still found after the change")] * 2
    assert [f.rule_id for f in report.findings] == ["NBSEC-NB-010", "NBSEC-NB-010"]


@pytest.mark.parametrize("fixed_line", [2, 3])
def test_identical_findings_one_fixed_one_refused_are_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixed_line: int
) -> None:
    """Two identical lines share one fingerprint (it leaves the line out); the fixer fixes one and refuses the other.

    `import os` goes on top, so after --apply the line still found has moved: the report must still say which
    one was fixed, and give the refused one its own reason (not "still found after the change").
    """

    def one_of_two(ctx: FixContext) -> FixResult:
        chosen = tuple(f for f in ctx.findings if f.location.line == fixed_line)
        others = [f for f in ctx.findings if f.location.line != fixed_line]
        changes, refusals = env_fix(dataclasses.replace(ctx, findings=chosen))
        return changes, refusals + [Refusal(f, "test: this one is left for a person") for f in others]

    use_fixers(monkeypatch, FixerSpec("test-one-of-two", ("NBSEC-NB-010",), "test", one_of_two))
    line = f'OPENAI_API_KEY = "{SECRETS[0]}"\n'
    app = write_app(tmp_path / "proj", text=f'"""Twice the same key."""\n{line}{line}print("hi")\n')
    found = api.scan("proj").findings
    assert [f.location.line for f in found] == [2, 3] and found[0].fingerprint == found[1].fingerprint

    def by_line(report: Report) -> dict[int | None, tuple[str, str]]:
        assert report.fixes is not None
        return {o.finding.location.line: (o.status, o.reason) for o in report.fixes.outcomes}

    refused_line = 5 - fixed_line
    refused = ("remains", "refused: test: this one is left for a person")
    dry = api.fix("proj")
    assert by_line(dry) == {fixed_line: ("fixable", "1 credential(s) read from the environment"), refused_line: refused}
    sarif = json.loads(render_sarif(dry))
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif["runs"][0]["results"]
            if "fixes" in r] == [fixed_line]  # fmt: skip
    done = api.fix("proj", apply=True, backup=False)
    assert by_line(done) == {fixed_line: ("fixed", "1 credential(s) read from the environment"), refused_line: refused}
    assert done.fixes is not None and done.fixes.summary_line().endswith("1 finding fixed; 1 remains")
    assert app.read_text().count(SECRETS[0]) == 1
    [left] = done.findings
    assert left.location.line == refused_line + 1  # moved down by `import os`


def test_a_second_run_after_apply_has_nothing_to_fix(tmp_path: Path) -> None:
    write_app(tmp_path / "proj")
    api.fix("proj", apply=True)
    again = api.fix("proj")
    assert again.fixes is not None and again.fixes.changes == [] and again.fixes.outcomes == []


# -- refusals ------------------------------------------------------------------------------------------------------


def _fixer(rewrite: object) -> FixerSpec:
    """A fixer for NB-010 that returns `rewrite(ctx) -> Change` (to try what the core accepts)."""

    def fix(ctx: FixContext) -> FixResult:
        return [rewrite(ctx)], []  # type: ignore[operator]

    return FixerSpec("test-rewrite", ("NBSEC-NB-010",), "test", fix)


def _change(ctx: FixContext, after: bytes, path: Path | None = None, before: bytes | None = b"same") -> Change:
    return Change(
        path or ctx.path,
        "text",
        after,
        ctx.content if before == b"same" else before,
        "test change",
        tuple(f.fingerprint for f in ctx.findings),
        ("NBSEC-NB-010",),
        secrets=SECRETS,
    )


@pytest.mark.parametrize(
    ("rewrite", "reason"),
    [
        (lambda ctx: _change(ctx, b"x = 1\n", ctx.root.parent / "outside.py", None), "outside the target path"),
        (lambda ctx: _change(ctx, b"x = 1\n", Path("../outside.py"), None), "outside the target path"),
        (lambda ctx: _change(ctx, ctx.content + b"\n# more\n"), "still holds the value"),
        (lambda ctx: _change(ctx, b"def broken(:\n"), "not valid Python"),
        (lambda ctx: _change(ctx, ctx.content), "no change"),
        (lambda ctx: _change(ctx, b"x = 1\n", ctx.root / "README.md", None), "already exists"),
    ],
)
def test_the_core_refuses_a_bad_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rewrite: object, reason: str
) -> None:
    use_fixers(monkeypatch, _fixer(rewrite))
    app = write_app(tmp_path / "proj")
    (tmp_path / "proj" / "README.md").write_text("hello\n")
    report = api.fix("proj", apply=True)
    assert report.fixes is not None
    [change] = report.fixes.changes
    assert change.status == "refused" and reason in change.reason
    assert app.read_text() == APP and not (tmp_path / "outside.py").exists()
    assert (tmp_path / "proj" / "README.md").read_text() == "hello\n"
    assert all(o.status == "remains" and reason in o.reason for o in report.fixes.outcomes)
    _no_secret_in(report.to_json())


def test_a_change_through_a_symlink_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    write_app(tmp_path / "proj")
    (tmp_path / "proj" / "linked").symlink_to(outside, target_is_directory=True)
    use_fixers(monkeypatch, _fixer(lambda ctx: _change(ctx, b"x = 1\n", ctx.root / "linked" / "new.py", None)))
    report = api.fix("proj", apply=True)
    assert report.fixes is not None and "symbolic link" in report.fixes.changes[0].reason
    assert list(outside.iterdir()) == []


def test_a_file_given_as_a_symlink_is_not_written(tmp_path: Path) -> None:
    real = write_app(tmp_path / "real")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "app.py").symlink_to(real)
    report = api.fix("proj/app.py", apply=True)
    assert real.read_text() == APP and (tmp_path / "proj" / "app.py").is_symlink()
    assert report.fixes is not None and report.fixes.changes == []
    # The scan names the file by its target (real/app.py), which is not under the path given: refused either way.
    assert report.fixes.outcomes and all(o.reason.startswith("refused: ") for o in report.fixes.outcomes)


def test_a_fixer_that_crashes_refuses_its_findings_and_the_others_still_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(ctx: FixContext) -> FixResult:
        raise RuntimeError("boom")

    use_fixers(monkeypatch, ENV_FIXER, FixerSpec("test-crash", ("NBSEC-NB-003",), "test", crash))
    write_app(tmp_path / "proj")
    (tmp_path / "proj" / "load.py").write_text("import yaml\nyaml.load(open('c.yaml'), Loader=yaml.Loader)\n")
    report = api.fix("proj")
    assert report.fixes is not None
    by_rule = {o.finding.rule_id: o for o in report.fixes.outcomes}
    assert "test-crash fixer failed (RuntimeError: boom)" in by_rule["NBSEC-NB-003"].reason
    assert by_rule["NBSEC-NB-010"].status == "fixable"


# -- two fixes of one file -------------------------------------------------------------------------------------


def _print_fixer(ctx: FixContext) -> FixResult:
    """NB-003 on the same file: appends a line (it sees the env fixer's edit: the plan's overlay)."""
    after = ctx.content + b"# yaml fixed\n"
    return [Change(ctx.path, "text", after, ctx.content, "yaml", tuple(f.fingerprint for f in ctx.findings), ())], []


def test_two_fixers_of_one_file_build_on_each_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_fixers(monkeypatch, ENV_FIXER, FixerSpec("test-yaml", ("NBSEC-NB-003",), "test", _print_fixer))
    app = write_app(tmp_path / "proj", text=APP + "import yaml\nyaml.load(open('c.yaml'), Loader=yaml.Loader)\n")
    report = api.fix("proj", apply=True)
    text = app.read_text()
    assert 'os.environ["AWS_KEY"]' in text and text.endswith("# yaml fixed\n")
    assert report.fixes is not None and [c.status for c in report.fixes.changes] == ["applied", "applied"]
    assert len(report.fixes.backups) == 1  # one file, one backup of its original bytes
    assert (tmp_path / report.fixes.backups[0]).read_text().startswith(APP)


def _env_example_fixer(read_disk: bool, edit: str = "append") -> FixerSpec:
    """NB-010 plus a shared `.env.example` edit, read from disk (the wrong way) or through ctx.read."""

    def fix(ctx: FixContext) -> FixResult:
        changes, refusals = env_fix(ctx)
        target = ctx.root / ".env.example"
        before = (target.read_bytes() if target.exists() else None) if read_disk else ctx.read(target)
        name = ctx.path.stem.upper().encode()
        if edit == "append":
            after = (before or b"# names only\n") + name + b"=\n"
        else:
            after = name + b"=\n"  # rewrites the whole file: overlaps any other edit
        changes.append(Change(target, "text", after, before, "env example", (), ()))
        return changes, refusals

    return FixerSpec("test-env-example", ("NBSEC-NB-010",), "test", fix)


@pytest.mark.parametrize("read_disk", [False, True], ids=["ctx.read", "disk+merge"])
def test_edits_of_a_shared_file_by_two_fixes_are_both_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_disk: bool
) -> None:
    use_fixers(monkeypatch, _env_example_fixer(read_disk))
    write_app(tmp_path / "proj", "a.py")
    write_app(tmp_path / "proj", "b.py")
    (tmp_path / "proj" / ".env.example").write_text("# names only\n")
    report = api.fix("proj", apply=True)
    assert (tmp_path / "proj" / ".env.example").read_text() == "# names only\nA=\nB=\n"
    assert report.fixes is not None and all(c.status == "applied" for c in report.fixes.changes)


def test_overlapping_edits_of_a_shared_file_are_refused_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fixers(monkeypatch, _env_example_fixer(read_disk=True, edit="rewrite"))
    write_app(tmp_path / "proj", "a.py")
    write_app(tmp_path / "proj", "b.py")
    (tmp_path / "proj" / ".env.example").write_text("OLD=\n")
    report = api.fix("proj", apply=True)
    assert (tmp_path / "proj" / ".env.example").read_text() == "A=\n"
    assert report.fixes is not None
    refused = [c for c in report.fixes.changes if c.status == "refused"]
    assert len(refused) == 1 and "overlaps another fix" in refused[0].reason


def test_merge3_keeps_both_sides_or_says_none() -> None:
    base = b"a\nb\nc\nd\n"
    assert merge3(base, b"A\nb\nc\nd\n", b"a\nb\nc\nD\n") == b"A\nb\nc\nD\n"
    assert merge3(base, base + b"x\n", base + b"y\n") == base + b"x\ny\n"
    assert merge3(base, b"a\nB\nc\nd\n", b"a\nB2\nc\nd\n") is None
    assert merge3(base, b"a\nB\nc\nd\n", b"a\nB\nc\nd\n") == b"a\nB\nc\nd\n"


# -- diffs and SARIF edits --------------------------------------------------------------------------------------


def test_a_secret_the_change_does_not_list_is_still_redacted_in_the_diff(tmp_path: Path) -> None:
    path = tmp_path / "x.py"
    before = f'KEY = "{SECRETS[0]}"\nx = 1\n'.encode()
    after = f'KEY = "{SECRETS[0]}"\nx = 2\n'.encode()  # a context line holds a key nobody told the diff about
    diff = show(Change(path, "text", after, before, "x", (), ()), "x.py")
    assert "+x = 2" in diff and SECRETS[0] not in diff and redact(SECRETS[0]) in diff


def test_a_notebook_diff_reads_by_cell_and_output_and_redacts(tmp_path: Path) -> None:
    def notebook(output: dict[str, object] | None, code: str) -> bytes:
        cell = {"cell_type": "code", "execution_count": 3, "id": "a", "metadata": {}, "source": code}
        cell["outputs"] = [output] if output else []
        data = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        return json.dumps(data, indent=1).encode()

    leak = {"output_type": "stream", "name": "stdout", "text": [f"key={SECRETS[0]}\n"]}
    image = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo" * 500}}
    before = notebook(leak, f'k = "{SECRETS[0]}"')
    after = notebook(None, 'k = os.environ["K"]')
    diff = show(Change(tmp_path / "n.ipynb", "notebook", after, before, "x", (), (), secrets=SECRETS), "n.ipynb")
    assert "@@ -1 +1 @@ cell 1 [3], source" in diff
    assert "@@ cell 1 [3], output 1 (stream stdout) removed (" in diff
    assert SECRETS[0] not in diff
    removed_image = show(
        Change(tmp_path / "n.ipynb", "notebook", notebook(None, "x"), notebook(image, "x"), "x", (), ()), "n.ipynb"
    )
    assert "output 1 (display_data: image/png) removed" in removed_image and "iVBOR" not in removed_image


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["a\n", "b\n", "c", "\n", "é\n", "x\r\n", "key = 1\n"]), max_size=8),
    st.lists(st.sampled_from(["a\n", "b\n", "c", "\n", "é\n", "x\r\n", "new\n"]), max_size=8),
)
def test_sarif_edits_turn_the_old_text_into_the_new(old_lines: list[str], new_lines: list[str]) -> None:
    old, new = "".join(old_lines), "".join(new_lines)
    edits = text_edits(old.encode(), new.encode())
    if edits is None:  # only what regions cannot say: the old text's final line ending is not the new one's
        last = old.splitlines(keepends=True)[-1]
        ending = last[len(last.rstrip("\r\n")) :]
        assert ending and not new.endswith(ending)
        return
    lines = old.splitlines(keepends=True)
    for edit in edits:  # every region starts and ends on a line the old text has
        assert 1 <= edit.start_line <= max(1, len(lines)) and 1 <= edit.end_line <= max(1, len(lines))
    assert apply_edits(old, edits) == new


def test_write_atomic_leaves_no_temporary_file(tmp_path: Path) -> None:
    from nbsec.fix.apply import write_atomic

    target = tmp_path / "f.txt"
    target.write_text("old")
    write_atomic(target, b"new", 0o644)
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["f.txt"]


def test_a_new_binary_file_is_shown_by_name_size_and_summary(tmp_path: Path) -> None:
    change = Change(
        tmp_path / "model.safetensors",
        "new-file",
        b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + bytes(range(256)),
        None,
        "model.pt converted to model.safetensors",
        (),
        ("NBSEC-ART-002",),
        source=tmp_path / "model.pt",
    )
    diff = show(change, "model.safetensors", "model.pt")
    assert "+++ b/model.safetensors" in diff
    assert "@@ new binary file (from model.pt): 272 bytes, sha256 " in diff
    assert diff.endswith("model.pt converted to model.safetensors")
