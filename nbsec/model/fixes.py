"""What `nbsec fix` planned or did, as data in the Report (`Report.fixes`), so every surface shows the same.

Stdlib only, like the rest of the model. A `FixChange` is a change as it is *shown*: its diff is
already redacted (nbsec.fix.diff), and nothing here holds a found secret: the raw values a fix
removes stay in memory in `nbsec.fix.base.Change.secrets` and never reach the Report.
`TextEdit`s are the same change in SARIF's terms (a region of the old text and the text put there),
for code-scanning UIs that offer the fix; the text put there is the fixed text, never a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbsec.model.finding import Finding

FIX_MODES = ("dry-run", "apply")
# planned: shown, not written (dry run); applied: written; refused: not written, `reason` says why;
# failed: the write itself failed (the file is unchanged: writes are atomic).
CHANGE_STATUSES = ("planned", "applied", "refused", "failed")
# fixable: a planned change removes it (dry run); fixed: gone after the change (re-scanned); remains: `reason`.
OUTCOME_STATUSES = ("fixable", "fixed", "remains")
NO_FIX = "no automatic fix"  # how the reason of a finding whose rule has no fixer starts ("no automatic fix for RULE")


@dataclass(frozen=True)
class TextEdit:
    """Replace the old text from (start_line, start_column) up to, not including, (end_line, end_column) by `text`.

    Lines and columns are 1-based; columns count code points (the Report's convention, and SARIF's
    `unicodeCodePoints`). An insertion has start == end.
    """

    start_line: int
    start_column: int
    end_line: int
    end_column: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_line": self.start_line,
            "start_column": self.start_column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextEdit:
        return cls(data["start_line"], data["start_column"], data["end_line"], data["end_column"], data["text"])


@dataclass(frozen=True)
class FixChange:
    """One change to one file: what it does, the findings it fixes (fingerprints), its redacted diff, its fate.

    `edits` take the file as it was on disk when the fix was planned to its content after this change (and after
    the earlier changes of the same plan to the same file), so each can be applied to the file as it is.
    """

    path: str
    kind: str  # text | notebook | new-file
    summary: str
    rule_ids: tuple[str, ...]
    findings: tuple[str, ...]
    status: str
    diff: str = ""
    reason: str = ""
    source: str | None = None
    backup: str | None = None
    notes: tuple[str, ...] = ()
    size: int | None = None  # bytes of the new content
    edits: tuple[TextEdit, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind,
            "summary": self.summary,
            "rule_ids": list(self.rule_ids),
            "findings": list(self.findings),
            "status": self.status,
            "diff": self.diff,
        }
        for key in ("reason", "source", "backup", "size"):
            value = getattr(self, key)
            if value not in (None, ""):
                out[key] = value
        if self.notes:
            out["notes"] = list(self.notes)
        if self.edits:
            out["edits"] = [e.to_dict() for e in self.edits]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FixChange:
        return cls(
            path=data["path"],
            kind=data["kind"],
            summary=data["summary"],
            rule_ids=tuple(data.get("rule_ids", ())),
            findings=tuple(data.get("findings", ())),
            status=data["status"],
            diff=data.get("diff", ""),
            reason=data.get("reason", ""),
            source=data.get("source"),
            backup=data.get("backup"),
            notes=tuple(data.get("notes", ())),
            size=data.get("size"),
            edits=tuple(TextEdit.from_dict(e) for e in data.get("edits", ())),
        )


@dataclass(frozen=True)
class FixOutcome:
    """What became of one finding: fixable (dry run), fixed (gone on re-scan) or remains, and why."""

    finding: Finding
    status: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "finding": self.finding.to_dict()}
        if self.reason:
            out["reason"] = self.reason
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FixOutcome:
        return cls(Finding.from_dict(data["finding"]), data["status"], data.get("reason", ""))


@dataclass
class FixSection:
    """`nbsec fix`'s part of a Report: the changes, each in-scope finding's outcome, the backups written."""

    mode: str = "dry-run"
    changes: list[FixChange] = field(default_factory=list)
    outcomes: list[FixOutcome] = field(default_factory=list)
    backups: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def summary_line(self) -> str:
        """'3 changes to 2 files applied; 9 findings fixed, 2 remain' style one-liner."""
        done = [c for c in self.changes if c.status in ("planned", "applied")]
        files = len({c.path for c in done})
        verb = "applied" if self.mode == "apply" else "planned"
        head = f"{len(done)} change{'s' if len(done) != 1 else ''} to {files} file{'s' if files != 1 else ''} {verb}"
        parts = [head]
        if self.mode == "apply":
            parts.append(f"{self.count('fixed')} finding{'s' if self.count('fixed') != 1 else ''} fixed")
        else:
            parts.append(f"{self.count('fixable')} finding{'s' if self.count('fixable') != 1 else ''} fixable")
        unfixable = sum(1 for o in self.outcomes if o.status == "remains" and o.reason.startswith(NO_FIX))
        remain = self.count("remains") - unfixable
        parts.append(f"{remain} remain{'s' if remain == 1 else ''}")
        if unfixable:
            parts.append(f"{unfixable} without an automatic fix")
        refused = sum(1 for c in self.changes if c.status in ("refused", "failed"))
        if refused:
            parts.append(f"{refused} change{'s' if refused != 1 else ''} refused")
        return "; ".join(parts)

    def outcome_of(self, finding: Finding) -> FixOutcome | None:
        """The outcome of this finding: same fingerprint and same place (identical findings of one file share a
        fingerprint, and one may be fixed while the other is refused)."""
        key = (finding.fingerprint, finding.location)
        return next((o for o in self.outcomes if (o.finding.fingerprint, o.finding.location) == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "summary": self.summary_line(),
            "changes": [c.to_dict() for c in self.changes],
            "outcomes": [o.to_dict() for o in self.outcomes],
            "backups": list(self.backups),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FixSection:
        return cls(
            mode=data.get("mode", "dry-run"),
            changes=[FixChange.from_dict(c) for c in data.get("changes", [])],
            outcomes=[FixOutcome.from_dict(o) for o in data.get("outcomes", [])],
            backups=list(data.get("backups", [])),
        )
