"""Notebook-source hygiene: unsafe code in notebook code cells and Python files."""

from __future__ import annotations

from collections.abc import Iterator

from nbsec.model import Finding, Location, ScanError, Suppressed
from nbsec.scanners.base import Note, Scanner, ScanResult, register
from nbsec.scanners.notebook.analysis import Analyzer, ParseFailure, UnitHit
from nbsec.scanners.notebook.reader import NotebookReadError, read_notebook, read_python
from nbsec.scanners.notebook.rules import RULES, SCANNER
from nbsec.suppress import is_ignored, lines_suppression
from nbsec.targets import NOTEBOOK, PYTHON, FileTarget


@register
class NotebookCodeScanner(Scanner):
    """Finds unsafe deserialization, unsafe YAML, remote code and eval/exec in code."""

    name = SCANNER
    description = "Unsafe code in notebook code cells and .py files (AST, after IPython's transforms)"
    kinds = frozenset({NOTEBOOK, PYTHON})
    rules = RULES

    def scan(self, target: FileTarget) -> Iterator[ScanResult]:
        try:
            if target.kind == NOTEBOOK:
                major, units = read_notebook(target.path, self.config.max_file_size)
            else:
                major, units = 0, read_python(target.path, self.config.max_file_size)
        except NotebookReadError as exc:
            yield ScanError(self.name, target.display, exc.message, exc.hint)
            return
        except OSError as exc:
            yield ScanError(self.name, target.display, f"cannot read file ({exc.strerror})", "check permissions")
            return
        if major == 3:
            # Not an error: it was scanned, after an in-memory upgrade. Say so where it is seen.
            # Scanned, not an error: say so in the coverage record where a reviewer sees it.
            yield Note("nbformat 3 notebook upgraded to nbformat 4 in memory; cell numbers follow the upgrade")
        analyzer = Analyzer()
        for unit in units:
            for item in analyzer.analyze(unit):
                if isinstance(item, ParseFailure):
                    where = f"cell {unit.cell + 1}, " if unit.cell is not None else ""
                    yield ScanError(
                        self.name,
                        target.display,
                        f"{where}line {item.line}: {item.message}; this code was not checked",
                        "fix the syntax error (or mark the cell as raw) so it can be analysed",
                    )
                else:
                    yield code_finding(target.display, item)


def code_finding(display: str, item: UnitHit) -> Finding | Suppressed:
    """A Finding for an unsafe-code hit (Suppressed when the cell or the line says so)."""
    hit, unit = item.hit, item.unit
    rule = hit.rule
    location = Location(
        path=display,
        cell=unit.cell,
        cell_id=unit.cell_id,
        execution_count=unit.execution_count,
        line=item.line,
        column=item.column,
        end_line=item.end_line,
        end_column=item.end_column,
    )
    finding = rule.finding(
        location, f"{item.snippet}  # {hit.message}", severity=hit.severity, confidence=hit.confidence
    )
    if is_ignored(rule.id, unit.ignore):
        return Suppressed(finding, "cell-metadata")
    # `# nbsec: ignore`, bandit's `# nosec`, detect-secrets' pragma (for secret rules) on the statement's lines.
    why = lines_suppression(
        rule.id, unit.source.splitlines(), item.line, item.end_line, secret=rule.category == "secrets"
    )
    return finding if why is None else Suppressed(finding, "inline", why)


# Registers the content scanner (secrets, PII) beside the code scanner.
from nbsec.scanners.notebook import content as _content  # noqa: E402,F401
