"""Threat modeling as code for AI systems.

    from nbsec import threatmodel as tm
    model = tm.load("threatmodel.nbsec.yaml")     # validated, errors give the line and the fix
    report = tm.assess(model, "threatmodel.nbsec.yaml")   # an nbsec Report (NBSEC-TM-* findings)
    tm.save(model.with_control("bot", "input_guard"), "threatmodel.nbsec.yaml", keep_format=True)

The YAML format, the AI threat library (NBSEC-TM-*), risk scoring, Threat
Dragon v2 / TM-BOM interchange and Markdown export live in this package; the
widget is nbsec.widgets.threatmodel. Everything here is a pure function of
the model: evaluating the same model twice gives the same threats.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from nbsec.model import Report, Target, utc_now_iso
from nbsec.threatmodel.document import Element, Flow, ThreatEntry, ThreatModel, Zone
from nbsec.threatmodel.engine import Assessment, Threat, evaluate, to_report
from nbsec.threatmodel.loader import ThreatModelError, load, loads, model_from_data
from nbsec.threatmodel.threatrule import SCANNER

__all__ = [
    "Assessment",
    "Element",
    "Flow",
    "Threat",
    "ThreatEntry",
    "ThreatModel",
    "ThreatModelError",
    "Zone",
    "assess",
    "check",
    "dump",
    "evaluate",
    "load",
    "loads",
    "model_from_data",
    "save",
]


def dump(model: ThreatModel) -> str:
    """The model as YAML text (what `save` writes)."""
    from nbsec.threatmodel.yamlio import dump as dump_yaml

    return dump_yaml(model.to_dict())


def save(model: ThreatModel, path: str | os.PathLike[str], keep_format: bool = False) -> Path:
    """Write the model as YAML (atomically) and return the path.

    With `keep_format`, an existing file is edited in place: only the lines of what changed are rewritten,
    its comments and layout stay (nbsec.threatmodel.roundtrip). Otherwise the file is written afresh in
    nbsec's block style (`dump`).
    """
    if keep_format:
        from nbsec.threatmodel.roundtrip import save_keeping_format

        return save_keeping_format(model, path).path
    from nbsec.threatmodel.yamlio import write_atomic

    return write_atomic(path, dump(model))


def assess(model: ThreatModel, path: str = "<threat model>") -> Report:
    """Evaluate `model` and return a complete Report (findings, decided threats, coverage, metrics)."""
    from nbsec._version import __version__

    started = time.perf_counter()
    report = to_report(model, evaluate(model), path)
    report.tool_version = __version__
    report.started_at = report.finished_at = utc_now_iso()
    report.targets.append(Target(path, "threat-model"))
    report.timings[SCANNER] = time.perf_counter() - started
    report.timings["total"] = report.timings[SCANNER]
    return report


def check(path: str | os.PathLike[str], display: str | None = None) -> Report:
    """Load and assess a threat-model file. Raises ThreatModelError when it is invalid."""
    shown = display or Path(path).as_posix()
    return assess(load(path, shown), shown)
