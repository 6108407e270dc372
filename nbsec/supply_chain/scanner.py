"""The "dependencies" scanner: requirements files, pyproject.toml, and notebooks' imports.

requirements*.txt: pinned versions with advisories (DEP-001), unpinned lines
(DEP-002), missing hashes (DEP-003). pyproject.toml declares ranges on purpose
(pins belong in a lock or requirements file), so there only exact pins with
advisories and VCS/URL references are judged. Notebooks: third-party imports
their project does not declare (DEP-004).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from nbsec.model import Confidence, Finding, Location, Rule, Severity, Suppressed
from nbsec.scanners.base import Note, Scanner, ScanResult, register
from nbsec.supply_chain.rules import REQUIREMENTS_NAME, RULES, SCANNER, UNDECLARED, UNHASHED, UNPINNED
from nbsec.suppress import is_ignored, line_suppression
from nbsec.targets import NOTEBOOK, FileTarget

if TYPE_CHECKING:
    from nbsec.supply_chain.requirements import Dependency

# The parsing and matching modules (packaging, advisories) load on the first dependency file or
# notebook this scanner looks at, not when the scanner registry loads: model scans never pay for them.


def is_dependency_file(path: Path) -> bool:
    return path.name == "pyproject.toml" or bool(REQUIREMENTS_NAME.match(path.name))


@register
class DependencyScanner(Scanner):
    """Vulnerable, unpinned and unhashed requirements; imports a notebook's project does not declare."""

    name = SCANNER
    description = "Requirements files and pyproject.toml (OSV advisories, pins, hashes); notebook imports"
    kinds = frozenset({NOTEBOOK})
    rules = RULES

    def applies_to(self, target: FileTarget) -> bool:
        # Requirements files are sniffed as plain text: recognise them by name. A notebook is only
        # checked when its project declares dependencies somewhere; otherwise there is nothing to compare.
        if target.kind == NOTEBOOK:
            from nbsec.supply_chain.declared import declarations_for

            return declarations_for(target.path) is not None
        return target.kind == "text" and is_dependency_file(target.path)

    def scan(self, target: FileTarget) -> Iterator[ScanResult]:
        from nbsec.supply_chain.requirements import parse_requirements_file
        from nbsec.supply_chain.requirements import pyproject_dependencies as read_pyproject

        if target.kind == NOTEBOOK:
            yield from self._scan_notebook(target)
        elif target.path.name == "pyproject.toml":
            yield from self._judge(target, read_pyproject(target.path), pyproject=True)
        else:
            parsed = parse_requirements_file(target.path)
            for problem in parsed.problems:
                yield Note(problem)
            pinned_by_constraints = parsed.constraint_pins()
            own = [d for d in parsed.dependencies if _reported_here(d, target.path)]
            yield from self._judge(target, own, pinned_by=pinned_by_constraints, hashed=parsed.uses_hashes)

    def _judge(
        self,
        target: FileTarget,
        deps: list[Dependency],
        *,
        pyproject: bool = False,
        pinned_by: set[str] | None = None,
        hashed: bool = False,
    ) -> Iterator[ScanResult]:
        from nbsec.supply_chain.store import load_database
        from nbsec.supply_chain.vulns import vulnerability_finding

        db = load_database()
        for unreadable in db.problems:
            yield Note(unreadable)
        unhashed = 0
        for dep in (d for d in deps if not d.local):
            version = dep.pinned_version
            if dep.name and version and not dep.constraint:
                for match in db.matches(dep.name, version):
                    yield _suppressible(vulnerability_finding(match, self._location(target, dep)), dep.comment)
            problem = _pin_problem(dep, pyproject, pinned_by or set())
            if problem is not None:
                severity, text = problem
                yield self._finding(target, dep, UNPINNED, severity, text)
            if not pyproject and not dep.constraint and not dep.hashes and not dep.url_hash_pinned:
                unhashed += 1
                if hashed:  # pip's hash-checking mode is on: this line fails the install
                    yield self._finding(target, dep, UNHASHED, UNHASHED.severity, f"{dep.raw} (no --hash)")
        if unhashed and not hashed:
            evidence = f"{unhashed} requirement(s), none with --hash"
            yield UNHASHED.finding(Location(target.display), evidence)
        yield Note(f"advisories: {len(db.advisories)} ({', '.join(s.name for s in db.sources)}), dated {db.date}")

    def _location(self, target: FileTarget, dep: Dependency) -> Location:
        if dep.path.resolve() == target.path.resolve():
            return Location(target.display, line=dep.line or None)
        # A line of an included file: point at that file, named like targets name files.
        try:
            shown = dep.path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            shown = dep.path.as_posix()
        return Location(shown, line=dep.line or None)

    def _finding(
        self, target: FileTarget, dep: Dependency, rule: Rule, severity: Severity, evidence: str
    ) -> Finding | Suppressed:
        finding = rule.finding(self._location(target, dep), evidence, severity=severity)
        return _suppressible(finding, dep.comment)

    def _scan_notebook(self, target: FileTarget) -> Iterator[ScanResult]:
        from nbsec.scanners.notebook.reader import NotebookReadError, read_notebook
        from nbsec.supply_chain.declared import declarations_for
        from nbsec.supply_chain.imports import distributions_for, imports_in, is_local_module, pip_installed_in

        declared = declarations_for(target.path)
        if declared is None:  # removed since applies_to() looked
            return
        try:
            _, units = read_notebook(target.path, self.config.max_file_size)
        except (NotebookReadError, OSError):
            return  # the notebook-code scanner reports why it cannot be read
        names = declared.names | pip_installed_in(units)
        folders = [target.path.parent, declared.root]
        reported: set[str] = set()
        for imp in imports_in(units):
            if imp.module in reported or is_local_module(imp.module, folders):
                continue
            candidates, installed = distributions_for(imp.module)
            if names & set(candidates):
                continue
            reported.add(imp.module)
            evidence = f"import {imp.module} (distribution {candidates[0]}) not declared in " + ", ".join(
                sorted(p.relative_to(declared.root).as_posix() for p in declared.files)
            )
            line_text = imp.unit.source.splitlines()[imp.line - 1] if imp.unit.source else ""
            location = Location(
                target.display,
                cell=imp.unit.cell,
                cell_id=imp.unit.cell_id,
                execution_count=imp.unit.execution_count,
                line=imp.line,
                column=imp.column,
            )
            # An import of a module that is not installed may be a local name nbsec cannot see: less sure.
            finding = UNDECLARED.finding(location, evidence, confidence=None if installed else Confidence.LOW)
            why = "" if is_ignored(UNDECLARED.id, imp.unit.ignore) else line_suppression(UNDECLARED.id, line_text)
            yield finding if why is None else Suppressed(finding, "inline", why)


def _reported_here(dep: Dependency, target: Path) -> bool:
    """A file's own lines, plus included files no scan would visit on their own (not requirements*.txt)."""
    return dep.path.resolve() == target.resolve() or not is_dependency_file(dep.path)


def _pin_problem(dep: Dependency, pyproject: bool, pinned_by: set[str]) -> tuple[Severity, str] | None:
    if dep.constraint:
        return None
    if dep.vcs:
        if dep.vcs_commit_pinned:
            return None
        return Severity.HIGH, f"{dep.raw} ({dep.vcs} reference without a full commit hash: a branch or tag can move)"
    if dep.url:
        if dep.url_hash_pinned or dep.hashes or pyproject:
            return None
        return UNPINNED.severity, f"{dep.raw} (a URL without a hash: its content can change)"
    if pyproject or dep.pinned_version or (dep.name and dep.name in pinned_by):
        return None
    return UNPINNED.severity, f"{dep.raw} (any version {dep.specifier or 'at all'} can be installed)"


def _suppressible(finding: Finding, comment: str) -> Finding | Suppressed:
    why = line_suppression(finding.rule_id, comment)
    return finding if why is None else Suppressed(finding, "inline", why)
