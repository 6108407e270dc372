"""The "threat-model" scanner: `nbsec scan threatmodel.nbsec.yaml` evaluates the model through the engine.

Files are recognised by content (a top-level `nbsec_threat_model:` key, see
nbsec.targets). An invalid model yields one ScanError per problem, each with
its line and the fix; a valid one yields the open threats as findings and the
decided ones as inline-suppressed findings.

A notebook is read too, but only when its metadata holds a saved model
(metadata.nbsec.threat_model, written by the JupyterLab extension's "Save
the threat model into the notebook" command): `applies_to` says no to every other
notebook, so it gets no threat-model check at all rather than a "passed" one
that would claim a model was reviewed. The notebook is parsed with the
notebook scanners' bounded reader (`load_notebook`, max_file_size), whose
one-entry cache they share, so deciding costs no second parse. Output
snapshots (`%aisec threatmodel`) stay import-only: see nbsec.threatmodel.notebook.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nbsec.model import ScanError
from nbsec.scanners.base import Note, Scanner, ScanResult, register
from nbsec.targets import NOTEBOOK, THREAT_MODEL, FileTarget
from nbsec.threatmodel.library import RULES
from nbsec.threatmodel.threatrule import SCANNER


@register
class ThreatModelScanner(Scanner):
    """AI threat library (NBSEC-TM-*) over threat models written as YAML or saved in a notebook's metadata."""

    name = SCANNER
    description = "Threat models (nbsec YAML, or saved in a notebook's metadata): AI threat library, risk and review"
    kinds = frozenset({THREAT_MODEL, NOTEBOOK})
    rules = RULES

    def applies_to(self, target: FileTarget) -> bool:
        if target.kind == NOTEBOOK:
            return self._saved_in_notebook(target) is not None
        return target.kind == THREAT_MODEL

    def _saved_in_notebook(self, target: FileTarget) -> Any | None:
        """The unvalidated model in the notebook's metadata, or None (none saved, or the notebook is unreadable:
        notebook-code reports that once)."""
        from nbsec.scanners.notebook.reader import load_notebook
        from nbsec.threatmodel.notebook import saved_model_data

        try:
            _, notebook = load_notebook(target.path, self.config.max_file_size)
        except Exception:  # noqa: BLE001 - NotebookReadError, OSError, ...: applies_to runs outside the engine's guard
            return None
        return saved_model_data(notebook)

    def scan(self, target: FileTarget) -> Iterator[ScanResult]:
        from nbsec.errors import NbsecError
        from nbsec.threatmodel.engine import evaluate, report_items
        from nbsec.threatmodel.loader import ThreatModelError, load
        from nbsec.threatmodel.notebook import METADATA_PATH, model_from_metadata

        in_notebook = target.kind == NOTEBOOK
        try:
            if in_notebook:
                saved = self._saved_in_notebook(target)
                if saved is None:  # changed since applies_to() looked: not a "passed" check
                    yield ScanError(
                        self.name, target.display, "the notebook changed while it was scanned", "scan it again"
                    )
                    return
                model = model_from_metadata(saved, target.display)
            else:
                model = load(target.path, target.display)
        except ThreatModelError as exc:
            for problem in exc.problems:
                if in_notebook:
                    yield ScanError(
                        self.name, target.display, f"{METADATA_PATH}: {problem.message}", _metadata_hint(problem.hint)
                    )
                    continue
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
            (f"threat model saved in the notebook's {METADATA_PATH}: " if in_notebook else "")
            + f"{len(model.elements)} elements, {len(model.flows)} flows: {len(assessment.threats)} threats, "
            f"{len(assessment.threats) - decided} open, {decided} decided"
        )
        if assessment.stale_entries:
            stale = ", ".join(f"{t.rule} on {t.target}" for t in assessment.stale_entries)
            yield Note(f"threat entries that no longer apply (remove or review them): {stale}")


def _metadata_hint(problem_hint: str) -> str:
    from nbsec.threatmodel.notebook import METADATA_HINT

    return f"{problem_hint}; {METADATA_HINT}" if problem_hint else METADATA_HINT
