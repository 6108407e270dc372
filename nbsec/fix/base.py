"""What a fix is: a reviewable change to one file that makes one or more findings go away.

A fixer belongs to rules: each fixer module exposes `FIXERS` (a tuple of `FixerSpec`), and
`nbsec.fix.load_fixers()` reads the modules listed in `nbsec.fix.FIXER_MODULES` (importing a module
registers nothing, as with rules: `nbsec.rule_catalogue`). Given the findings of one file and the
file's current bytes, a fixer returns `Change`s. A Change holds the whole new content of the file
(or of a new file), never a patch to re-apply, so showing it (a unified diff), writing it
(atomically, with a backup) and checking it (re-scan) all work from the same two byte strings.
Fixers only read and compute: they never write a file, never run or import the code they edit,
and never load a file whose scan says it runs code on load. Everything a fixer returns may be
shown to the user, so it must never hold a found secret in full: `Change.secrets` lists the
values the fix removes, and every surface redacts them (diff.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbsec.model import Finding

# How a change is shown: a unified diff (text, notebook source), a description of what changed in a
# notebook's outputs or metadata (with the diff of its JSON), or a new file beside the original.
KINDS = ("text", "notebook", "new-file")


@dataclass(frozen=True)
class Change:
    """The new content of one file, and what it fixes.

    `path` is the file written (for "new-file", the new file; `source` is the file it was made from).
    `before` is the content the fixer read (None for a new file): the apply step refuses to write when
    the file no longer holds exactly these bytes (it changed since the fix was planned).
    `fixes` are the fingerprints of the findings this change removes; `secrets` the raw values it
    removes (kept in memory only, to redact them wherever the change is shown; never serialized).
    A fingerprint leaves out the cell and line, so identical findings in two places of a file share one:
    a fixer that fixes one and not its twin returns a Refusal of the twin (that Finding object), and the
    core then counts only the first as fixed (nbsec.fix.plan.changes_for).
    """

    path: Path
    kind: str
    after: bytes
    before: bytes | None
    summary: str
    fixes: tuple[str, ...]
    rule_ids: tuple[str, ...]
    source: Path | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()  # what the user should still do ("set OPENAI_API_KEY in your environment")


@dataclass(frozen=True)
class Refusal:
    """A finding a fixer will not fix, and why (shown in the Report: "remains, because ...")."""

    finding: Finding
    reason: str


class Unfixable(Exception):
    """Raised inside a fixer when a finding cannot be fixed safely; the message becomes its Refusal's reason."""


@dataclass(frozen=True)
class FixContext:
    """What a fixer may look at: the scanned root (no change may leave it), the file, its bytes, its findings.

    `options` carries the user's choices (e.g. {"outputs": "redact"|"clear"|"strip"}).
    A fixer that edits another file too (`.env.example`, a manifest) reads it with `read(path)`: the
    content an earlier fix of this plan gave it, else what is on disk. Reading the disk directly would
    make two fixes of one plan overwrite each other's edit of that file.
    """

    root: Path
    path: Path
    content: bytes
    findings: tuple[Finding, ...]
    options: dict[str, str] = field(default_factory=dict)
    planned: Mapping[Path, bytes | None] = field(default_factory=dict, repr=False)

    @property
    def shown(self) -> str:
        """The file as summaries name it: relative to the scanned root, or its name when the root is the file."""
        try:
            return self.path.relative_to(self.root).as_posix() if self.root != self.path else self.path.name
        except ValueError:
            return self.path.name

    def read(self, path: Path) -> bytes | None:
        """The bytes `path` will hold once the fixes planned so far are applied (None: no such file)."""
        key = path if path.is_absolute() else self.root / path
        if key == self.path:
            return self.content
        for candidate in (key, key.resolve()):
            if candidate in self.planned:
                return self.planned[candidate]
        try:
            return key.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None


FixResult = tuple[list[Change], list[Refusal]]
Fixer = Callable[[FixContext], FixResult]


@dataclass(frozen=True)
class FixerSpec:
    """A fixer and the rules it fixes; `describe` is the one line `nbsec rules`/`explain` show ("how it fixes")."""

    name: str
    rule_ids: tuple[str, ...]
    describe: str
    fix: Fixer


def fixer_table(specs: Sequence[FixerSpec]) -> dict[str, FixerSpec]:
    """Rule id -> its fixer (one fixer per rule; a second claim on a rule is a programming error)."""
    table: dict[str, FixerSpec] = {}
    for spec in specs:
        for rule_id in spec.rule_ids:
            other = table.get(rule_id)
            if other is not None:
                raise ValueError(f"{rule_id} already has a fixer ({other.name}); {spec.name} cannot take it")
            table[rule_id] = spec
    return table


def group_by_fixer(table: dict[str, FixerSpec], findings: Sequence[Finding]) -> dict[str, list[Finding]]:
    """Fixer name -> the findings it handles, in report order; findings of rules without a fixer are left out."""
    out: dict[str, list[Finding]] = {}
    for finding in findings:
        spec = table.get(finding.rule_id)
        if spec is not None:
            out.setdefault(spec.name, []).append(finding)
    return out
