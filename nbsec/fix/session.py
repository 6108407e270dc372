"""A planned fix waiting for the user's yes: the dry run's Report, and the plan it shows, ready to apply.

`nbsec.api.plan_fix` returns one; `%aisec fix`'s Apply button calls `apply()` on exactly the plan the user
read (a file changed since is refused, not re-planned behind their back). `apply()` writes, re-scans the
files it wrote with the same config (suppressions and baseline included) and returns a new Report whose
findings are what remains, and whose `fixes` say per finding: fixed, or remains and why.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbsec.fix.apply import applied_section, apply_plan
from nbsec.fix.plan import Plan, file_of
from nbsec.model import Report

Rescan = Callable[[Sequence[str]], Report]  # report paths -> their Report, with the same config
Finish = Callable[[Report], Report]


@dataclass
class PendingFix:
    """The dry run (`report`, with `report.fixes`) and the plan behind it."""

    report: Report
    plan: Plan
    rescan: Rescan = field(repr=False)
    finish: Finish = field(repr=False)
    applied: Report | None = None

    @property
    def changes(self) -> int:
        return len(self.plan.planned())

    def apply(self, *, backup: bool = True) -> Report:
        """Write the planned changes (nbsec.fix.apply), re-scan what was written, and return the new Report."""
        if self.applied is not None:
            return self.applied
        started = time.perf_counter()
        done = apply_plan(self.plan, backup=backup)
        report = copy.copy(self.report)
        report.timings = dict(self.report.timings)
        report.timings["fix_apply"] = time.perf_counter() - started
        written = [p for p in done.written if p.exists()]
        labels = sorted({self.plan.label(p) for p in written})
        after = Report()
        if labels:
            t0 = time.perf_counter()
            after = self.rescan(labels)
            report.timings["fix_rescan"] = time.perf_counter() - t0
        rescanned = {Path(os.path.abspath(label)) for label in labels}
        report.findings = [f for f in self.report.findings if file_of(f) not in rescanned] + after.findings
        report.suppressed = [s for s in self.report.suppressed if file_of(s.finding) not in rescanned]
        report.suppressed += after.suppressed
        report.errors = [*self.report.errors, *after.errors]
        report.fixes = applied_section(self.plan, done, after.findings)
        self.applied = self.finish(report)
        return self.applied
