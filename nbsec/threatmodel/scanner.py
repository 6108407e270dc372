"""The "threat-model" scanner: `nbsec scan threatmodel.nbsec.yaml` evaluates the model through the engine.

Files are recognised by content (a top-level `nbsec_threat_model:` key, see
nbsec.targets). An invalid model yields one ScanError per problem, each with
its line and the fix; a valid one yields the open threats as findings and the
decided ones as inline-suppressed findings.
"""

from __future__ import annotations

from collections.abc import Iterator

from nbsec.model import ScanError
from nbsec.scanners.base import Note, Scanner, ScanResult, register
from nbsec.targets import THREAT_MODEL, FileTarget
from nbsec.threatmodel.library import RULES
from nbsec.threatmodel.threatrule import SCANNER


@register
class ThreatModelScanner(Scanner):
    """AI threat library (NBSEC-TM-*) over threat models written as YAML."""

    name = SCANNER
    description = "Threat models (nbsec YAML): AI threat library, risk and review status"
    kinds = frozenset({THREAT_MODEL})
    rules = RULES

    def scan(self, target: FileTarget) -> Iterator[ScanResult]:
        from nbsec.errors import NbsecError
        from nbsec.threatmodel.engine import evaluate, report_items
        from nbsec.threatmodel.loader import ThreatModelError, load

        try:
            model = load(target.path, target.display)
        except ThreatModelError as exc:
            for problem in exc.problems:
                where = f"line {problem.line}: " if problem.line else ""
                yield ScanError(
                    self.name, target.display, where + problem.message, problem.hint or "fix the threat model"
                )
            return
        except NbsecError as exc:
            yield ScanError(self.name, target.display, exc.message, exc.hint)
            return
        assessment = evaluate(model)
        yield from report_items(assessment, target.display)
        decided = sum(1 for t in assessment.threats if not t.is_open)
        yield Note(
            f"{len(model.elements)} elements, {len(model.flows)} flows: {len(assessment.threats)} threats, "
            f"{len(assessment.threats) - decided} open, {decided} decided"
        )
        if assessment.stale_entries:
            stale = ", ".join(f"{t.rule} on {t.target}" for t in assessment.stale_entries)
            yield Note(f"threat entries that no longer apply (remove or review them): {stale}")
