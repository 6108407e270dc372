"""Planning fixes: the findings of a scan, grouped by file and fixer, turned into checked, shown Changes.

    plan = make_plan(report.findings, roots=[Path("notebooks")], rules=["NBSEC-NB-011"])
    plan.changes        # PlannedChange: the Change, its redacted diff, planned or refused (and why)
    plan.section()      # what the Report carries (nbsec.model.FixSection)

One file at a time, fixers in a fixed order (`FIXER_MODULES`, then each module's `FIXERS`): each fixer
sees the file as the fixers before it left it (the plan's overlay), so two fixes of one file build on each
other instead of overwriting each other; a Change to another file that started from older bytes is merged
(nbsec.fix.merge) or refused. Every Change is checked by the core (nbsec.fix.checks) whatever its fixer
checked: inside the target path and not through a symlink, the secrets it removes really gone, the file
still a notebook / still Python. Nothing here writes a file (nbsec.fix.apply does).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbsec.fix.base import Change, FixContext, FixerSpec, Refusal
from nbsec.model import Finding, FixChange, FixOutcome, FixSection, Location, TextEdit
from nbsec.model.fixes import NO_FIX

PLANNED, REFUSED = "planned", "refused"


@dataclass
class PlannedChange:
    """A fixer's Change as the plan holds it: where it goes, how it is shown, and whether it may be applied."""

    change: Change
    root: Path
    label: str  # the path as the user sees it (the Report's paths)
    diff: str = ""
    status: str = PLANNED
    reason: str = ""
    fixer: str = ""
    edits: tuple[TextEdit, ...] = ()

    @property
    def path(self) -> Path:
        return Path(os.path.abspath(self.change.path))

    def record(self, status: str | None = None, reason: str | None = None, backup: str | None = None) -> FixChange:
        """This change as the Report shows it (no bytes, no secrets: the diff is already redacted)."""
        change = self.change
        return FixChange(
            path=self.label,
            kind=change.kind,
            summary=change.summary,
            rule_ids=change.rule_ids,
            findings=change.fixes,
            status=status or self.status,
            diff=self.diff,
            reason=self.reason if reason is None else reason,
            source=label_of(change.source) if change.source is not None else None,
            backup=backup,
            notes=change.notes,
            size=len(change.after),
            edits=self.edits,
        )


@dataclass
class Plan:
    """Every Change planned for the findings in scope, the refusals, and the bytes each touched file had."""

    findings: list[Finding]  # every finding of the scan (after config, suppressions, baseline)
    scope: list[Finding]  # those the plan was asked to fix (--rule), whether or not a fixer exists
    changes: list[PlannedChange] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    originals: dict[Path, bytes | None] = field(default_factory=dict)  # disk content when the plan read it
    overlay: dict[Path, bytes | None] = field(default_factory=dict)  # content once the planned changes apply
    fixers: dict[str, FixerSpec] = field(default_factory=dict)
    labels: dict[Path, str] = field(default_factory=dict)  # file -> its path as the scan named it
    secrets: dict[Path, set[str]] = field(default_factory=dict, repr=False)  # file -> values its fixes remove

    def label(self, path: Path) -> str:
        """How the scan named this file (so a re-scan's findings compare), else relative to the working folder."""
        return self.labels.get(Path(os.path.abspath(path))) or label_of(path)

    def planned(self) -> list[PlannedChange]:
        return [c for c in self.changes if c.status == PLANNED]

    def section(self) -> FixSection:
        """The dry run as the Report carries it: every change, and what each finding in scope would become."""
        return FixSection("dry-run", [c.record() for c in self.changes], dry_outcomes(self))


# -- scope ---------------------------------------------------------------------------------------------------


def rule_selected(rule_id: str, patterns: Sequence[str] | None) -> bool:
    """--rule takes ids, prefixes (NBSEC-NB) or globs (NBSEC-NB-00*), as the config's rule lists do."""
    from nbsec.config import rule_matches

    return not patterns or rule_matches(rule_id, patterns)


def file_of(finding: Finding) -> Path:
    """The file a finding's report path names (report paths are relative to the working directory)."""
    return Path(os.path.abspath(finding.location.path))


def label_of(path: Path) -> str:
    """How a path is shown: relative to the working directory when under it, as the scan names files."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def root_for(path: Path, roots: Sequence[Path]) -> Path | None:
    """The deepest root the file is under (the folder given, or a given file's folder)."""
    best: Path | None = None
    for root in roots:
        try:
            path.relative_to(root)
        except ValueError:
            continue
        if best is None or len(root.parts) > len(best.parts):
            best = root
    return best


def roots_of(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The root of each path given to `nbsec fix`: a folder itself, a file's folder."""
    out = []
    for raw in paths:
        path = Path(os.path.abspath(raw))
        out.append(path if path.is_dir() else path.parent)
    return out


# -- planning -------------------------------------------------------------------------------------------------


def make_plan(
    findings: Sequence[Finding],
    roots: Sequence[Path],
    *,
    rules: Sequence[str] | None = None,
    options: Mapping[str, str] | None = None,
    fixers: Mapping[str, FixerSpec] | None = None,
) -> Plan:
    """Ask each fixer for its Changes, file by file, and check each one (module docstring)."""
    if fixers is None:
        from nbsec.fix import load_fixers

        fixers = load_fixers()
    scope = [f for f in findings if rule_selected(f.rule_id, rules)]
    plan = Plan(list(findings), scope, fixers=dict(fixers))
    plan.labels = {file_of(f): f.location.path for f in findings if not f.location.path.startswith("<")}
    order = {spec.name: i for i, spec in enumerate(_ordered_specs(fixers))}
    by_file: dict[Path, list[Finding]] = {}
    for finding in scope:
        if finding.rule_id in fixers:
            by_file.setdefault(file_of(finding), []).append(finding)
    for path, found in by_file.items():
        _plan_file(plan, path, found, roots, dict(options or {}), order)
    return plan


def _ordered_specs(fixers: Mapping[str, FixerSpec]) -> list[FixerSpec]:
    return list({id(spec): spec for spec in fixers.values()}.values())


def _plan_file(
    plan: Plan, path: Path, found: list[Finding], roots: Sequence[Path], options: dict[str, str], order: dict[str, int]
) -> None:
    root = root_for(path, roots)
    if root is None:
        plan.refusals += [Refusal(f, "the file is not under a path given to nbsec fix") for f in found]
        return
    from nbsec.fix.checks import outside_root

    problem = outside_root(path, root)
    if problem is not None:
        plan.refusals += [Refusal(f, problem) for f in found]
        return
    groups: dict[str, list[Finding]] = {}
    specs: dict[str, FixerSpec] = {}
    for finding in found:
        spec = plan.fixers[finding.rule_id]
        groups.setdefault(spec.name, []).append(finding)
        specs[spec.name] = spec
    for name in sorted(groups, key=lambda n: order.get(n, len(order))):
        content = _current(plan, path)
        if content is None:
            plan.refusals += [Refusal(f, "the file cannot be read") for f in groups[name]]
            continue
        ctx = FixContext(root, path, content, tuple(groups[name]), dict(options), planned=plan.overlay)
        try:
            changes, refusals = specs[name].fix(ctx)
        except Exception as exc:  # noqa: BLE001 - a fixer bug refuses its findings; the other fixers still run
            reason = f"the {name} fixer failed ({type(exc).__name__}: {exc}); this is a bug, please report it"
            plan.refusals += [Refusal(f, reason) for f in groups[name]]
            continue
        plan.refusals.extend(refusals)
        for change in changes:
            _accept(plan, change, root, name)


def _current(plan: Plan, path: Path) -> bytes | None:
    """The file's content as the plan has it so far (disk content, read once, when not yet changed)."""
    if path in plan.overlay:
        return plan.overlay[path]
    try:
        content: bytes | None = path.read_bytes()
    except FileNotFoundError:
        content = None
    except OSError:
        return None
    plan.originals.setdefault(path, content)
    return content


def _accept(plan: Plan, change: Change, root: Path, fixer: str) -> None:
    """Check one Change; keep it as planned (the overlay updated) or as refused, with why."""
    from nbsec.fix.checks import keeps_secret, outside_root, syntax_problem

    target = change.path if change.path.is_absolute() else root / change.path
    change = dataclasses.replace(change, path=Path(os.path.abspath(target)))
    label = plan.label(change.path)
    planned = PlannedChange(change, root, label, fixer=fixer)
    plan.changes.append(planned)
    problem = outside_root(change.path, root)
    if problem is None:
        change, problem = _sequenced(plan, change)
        planned.change = change
    if problem is None and change.before == change.after:
        problem = "the fixer returned no change"
    if problem is None and keeps_secret(change):
        problem = "the new content still holds the value it should remove"
    if problem is None:
        problem = syntax_problem(change, label)
    planned.diff = _show(change, label)
    if problem is not None:
        planned.status, planned.reason = REFUSED, problem
        return
    plan.overlay[change.path] = change.after
    planned.edits = _edits(plan, change)


def _sequenced(plan: Plan, change: Change) -> tuple[Change, str | None]:
    """The Change made to start from the plan's current content of its file, or why it cannot be."""
    current = _current(plan, change.path)
    if change.path.exists() and current is None and change.path not in plan.overlay:
        return change, "the file cannot be read"
    if change.before == current:
        return change, None
    if change.before is None:
        return change, f"{label_of(change.path)} already exists; nbsec fix does not overwrite a file it did not read"
    if current is None:
        return change, f"{label_of(change.path)} no longer exists"
    from nbsec.fix.merge import merge3

    merged = merge3(change.before, current, change.after)
    if merged is None:
        return change, "it overlaps another fix of the same file in this plan; apply that one, then run nbsec fix again"
    return dataclasses.replace(change, before=current, after=merged), None


def _show(change: Change, label: str) -> str:
    from nbsec.fix.diff import show

    return show(change, label, label_of(change.source) if change.source is not None else None)


def _edits(plan: Plan, change: Change) -> tuple[TextEdit, ...]:
    """SARIF replacements taking the file as it is on disk to the content after this change (so with the earlier
    fixes of the plan to the same file: each SARIF fix applies to the file as it is). None for binary content, and
    none when a replaced line would carry a value one of those fixes removes."""
    from nbsec.fix.diff import secret_forms, text_edits

    secrets = plan.secrets.setdefault(change.path, set())
    secrets.update(change.secrets)
    edits = text_edits(plan.originals.get(change.path) or b"", change.after)
    if not edits:
        return ()
    forms = [form for form, _ in secret_forms(secrets)]
    if any(form in edit.text for edit in edits for form in forms):
        return ()
    return edits


# -- outcomes --------------------------------------------------------------------------------------------------

FindingKey = tuple[str, Location]


def key_of(finding: Finding) -> FindingKey:
    """What tells one finding from another: its fingerprint and its place (cell, line, column, output...).

    The fingerprint alone leaves the place out (so a baseline survives a cell inserted above), and so two
    identical calls of one file (`%time m = torch.load(p)` and `m = torch.load(p)`) share it.
    """
    return finding.fingerprint, finding.location


def changes_for(plan: Plan) -> dict[FindingKey, PlannedChange]:
    """The change meant to remove each finding in scope: a planned one, else one the core refused.

    A Change names what it fixes by fingerprint (`Change.fixes`), which a twin in another place shares; the fixer
    says which of the two it did not fix with a Refusal of that very finding, so a refused finding is never
    counted as fixed by the change that fixed its twin.
    """
    refused = {key_of(r.finding) for r in plan.refusals}
    by_fingerprint: dict[str, PlannedChange] = {}
    for planned in plan.changes:
        for fingerprint in planned.change.fixes:
            known = by_fingerprint.get(fingerprint)
            if known is None or (known.status != PLANNED and planned.status == PLANNED):
                by_fingerprint[fingerprint] = planned
    out: dict[FindingKey, PlannedChange] = {}
    for finding in plan.scope:
        meant = by_fingerprint.get(finding.fingerprint)
        if meant is not None and key_of(finding) not in refused:
            out[key_of(finding)] = meant
    return out


def dry_outcomes(plan: Plan) -> list[FixOutcome]:
    """What each finding in scope would become: fixable (a planned change removes it), or remains and why."""
    changes = changes_for(plan)
    refusals = {key_of(r.finding): r.reason for r in plan.refusals}
    by_fingerprint = {r.finding.fingerprint: r.reason for r in plan.refusals}
    out = []
    for finding in plan.scope:
        planned = changes.get(key_of(finding))
        if planned is not None and planned.status == PLANNED:
            out.append(FixOutcome(finding, "fixable", planned.change.summary))
        else:
            out.append(FixOutcome(finding, "remains", why_not(plan, finding, planned, refusals, by_fingerprint)))
    return out


def why_not(
    plan: Plan,
    finding: Finding,
    change: PlannedChange | None,
    refusals: Mapping[FindingKey, str],
    by_fingerprint: Mapping[str, str],
) -> str:
    """Why no planned change removes this finding, in words for the user.

    In this order: no fixer for its rule; its fixer refused it; the core refused the change meant to fix it
    (`change`); its fixer left it unmentioned but refused a twin (same fingerprint, another place), for that reason.
    """
    if finding.rule_id not in plan.fixers:
        return f"{NO_FIX} for {finding.rule_id}"
    reason = refusals.get(key_of(finding)) or (change.reason if change is not None else None)
    reason = reason or by_fingerprint.get(finding.fingerprint)
    return f"refused: {reason}" if reason else "the fixer made no change for it"
