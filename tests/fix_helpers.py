"""A small fixer for testing the `nbsec fix` core on its own (the real fixers are tested in their own files).

`env_fixer` handles NBSEC-NB-010 in `.py` files the simplest honest way: `NAME = "value"` on the finding's
line becomes `NAME = os.environ["NAME"]`, `import os` goes on top, and the value is listed in
`Change.secrets` (so the core must redact it in every diff). `use_fixers(monkeypatch, *specs)` makes
`nbsec.fix.load_fixers()` return exactly these fixers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from nbsec.demo import FAKE_AWS_KEY_ID, FAKE_OPENAI_KEY
from nbsec.fix.base import Change, FixContext, FixerSpec, FixResult, Refusal, fixer_table

ASSIGNMENT = re.compile(r'^(\s*)([A-Za-z_]\w*)\s*=\s*"([^"]+)"\s*$')
APP = (
    f'"""A script with two keys."""\nOPENAI_API_KEY = "{FAKE_OPENAI_KEY}"\nAWS_KEY = "{FAKE_AWS_KEY_ID}"\n'
    + 'print("hi")\n'
)
SECRETS = (FAKE_OPENAI_KEY, FAKE_AWS_KEY_ID)


def env_fix(ctx: FixContext) -> FixResult:
    lines = ctx.content.decode("utf-8").splitlines(keepends=True)
    fixed: list[str] = []
    secrets: list[str] = []
    refusals: list[Refusal] = []
    for finding in ctx.findings:
        index = (finding.location.line or 0) - 1
        match = ASSIGNMENT.match(lines[index].rstrip("\n")) if 0 <= index < len(lines) else None
        if match is None:
            refusals.append(Refusal(finding, 'not a NAME = "value" line'))
            continue
        lines[index] = f'{match[1]}{match[2]} = os.environ["{match[2]}"]\n'
        secrets.append(match[3])
        fixed.append(finding.fingerprint)
    if not fixed:
        return [], refusals
    if "import os\n" not in lines:
        lines.insert(1 if lines and lines[0].startswith('"""') else 0, "import os\n")
    after = "".join(lines).encode("utf-8")
    change = Change(
        ctx.path,
        "text",
        after,
        ctx.content,
        f"{len(fixed)} credential(s) read from the environment",
        tuple(fixed),
        ("NBSEC-NB-010",),
        secrets=tuple(secrets),
        notes=("set the variables in your environment",),
    )
    return [change], refusals


ENV_FIXER = FixerSpec("test-env", ("NBSEC-NB-010",), "test: read the credential from the environment", env_fix)


def use_fixers(monkeypatch: pytest.MonkeyPatch, *specs: FixerSpec) -> None:
    """Make nbsec.fix.load_fixers() (what the plan, the reports and `nbsec rules` read) return these fixers."""
    import nbsec.fix

    table = fixer_table(specs)
    monkeypatch.setattr(nbsec.fix, "load_fixers", lambda: table)


def write_app(folder: Path, name: str = "app.py", text: str = APP) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_changes(changes: Change | Iterable[Change]) -> None:
    """Write what a fixer returned, as --apply would (the fixers' unit tests apply by hand)."""
    for change in [changes] if isinstance(changes, Change) else changes:
        change.path.write_bytes(change.after)


def shown_diff(change: Change) -> str:
    """The unified diff a surface would show: every value in Change.secrets hidden first."""
    before = (change.before or b"").decode("utf-8")
    after = change.after.decode("utf-8")
    for secret in sorted(change.secrets, key=len, reverse=True):
        before, after = before.replace(secret, "[hidden]"), after.replace(secret, "[hidden]")
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True)))
