"""Run history: every `nbsec run` appends its findings to a SQLite file, so a run can say what changed.

Per target (a matrix entry's name, or the notebook and its parameters), the
findings of a run are compared by fingerprint with the last *completed* run of
that target: new, fixed (gone since), unchanged. A run that did not complete
never claims anything was fixed: what it did not check is unknown, not clean.

Default location: `.nbsec/runs.db` in the working directory (`--history PATH`
chooses another, `--no-history` writes none). Only the process that started
the runs writes to it (workers return their results), so there is one writer.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.model import Finding, Report, utc_now_iso

DEFAULT_HISTORY = Path(".nbsec") / "runs.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch TEXT NOT NULL,
    target TEXT NOT NULL,
    notebook TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER NOT NULL,
    counts TEXT NOT NULL,
    total INTEGER NOT NULL,
    report_path TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS findings (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    fingerprint TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    title TEXT NOT NULL,
    location TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_target ON runs(target, id);
CREATE INDEX IF NOT EXISTS findings_by_run ON findings(run_id);
"""


@dataclass(frozen=True)
class Seen:
    """A finding as the history keeps it."""

    fingerprint: str
    rule_id: str
    severity: str
    title: str
    location: str

    def to_dict(self) -> dict[str, str]:
        return {
            "fingerprint": self.fingerprint,
            "rule_id": self.rule_id,
            "severity": self.severity,
            "title": self.title,
            "location": self.location,
        }


@dataclass
class Change:
    """What changed for one target since its last completed run."""

    target: str
    run_id: int
    previous_run_id: int | None
    new: list[Seen] = field(default_factory=list)
    unchanged: list[Seen] = field(default_factory=list)
    fixed: list[Seen] | None = None  # None: this run did not complete, so "fixed" is unknown

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "run_id": self.run_id,
            "previous_run_id": self.previous_run_id,
            "new": len(self.new),
            "unchanged": len(self.unchanged),
            "fixed": None if self.fixed is None else len(self.fixed),
            "new_findings": [s.to_dict() for s in self.new],
            "fixed_findings": [s.to_dict() for s in self.fixed or []],
        }

    def describe(self) -> str:
        if self.previous_run_id is None:
            return f"first recorded run: {len(self.new)} finding(s)"
        fixed = "unknown (run did not complete)" if self.fixed is None else str(len(self.fixed))
        return f"since run {self.previous_run_id}: {len(self.new)} new, {fixed} fixed, {len(self.unchanged)} unchanged"


@dataclass(frozen=True)
class RunRow:
    id: int
    batch: str
    target: str
    notebook: str
    recorded_at: str
    status: str
    exit_code: int
    counts: dict[str, int]
    total: int
    report_path: str


def _seen(finding: Finding) -> Seen:
    return Seen(
        finding.fingerprint, finding.rule_id, finding.severity.value, finding.title, finding.location.describe()
    )


def _keyed_seen(items: list[Seen]) -> dict[str, Seen]:
    """Key each finding by fingerprint and occurrence: two identical findings in one place count twice."""
    keyed: dict[str, Seen] = {}
    for item in sorted(items, key=lambda s: (s.fingerprint, s.location)):
        number = 0
        while f"{item.fingerprint}#{number}" in keyed:
            number += 1
        keyed[f"{item.fingerprint}#{number}"] = item
    return keyed


def _keyed(findings: list[Finding]) -> dict[str, Seen]:
    return _keyed_seen([_seen(f) for f in findings])


class RunHistory:
    """The SQLite run history at `path` (created on first use)."""

    def __init__(self, path: Path | str = DEFAULT_HISTORY) -> None:
        self.path = Path(path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30)) as conn:
            conn.executescript(_SCHEMA)
            with conn:  # one transaction per call
                yield conn

    def record(
        self,
        target: str,
        notebook: str,
        report: Report,
        *,
        completed: bool,
        exit_code: int,
        report_path: str = "",
        batch: str = "",
    ) -> Change:
        """Append one run and return what changed since the target's last completed run."""
        with self._connect() as conn:
            previous = conn.execute(
                "SELECT id FROM runs WHERE target = ? AND status = 'completed' ORDER BY id DESC LIMIT 1", (target,)
            ).fetchone()
            cursor = conn.execute(
                "INSERT INTO runs (batch, target, notebook, recorded_at, status, exit_code, counts, total, report_path)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    batch or utc_now_iso(),
                    target,
                    notebook,
                    utc_now_iso(),
                    "completed" if completed else "failed",
                    exit_code,
                    json.dumps(report.counts()),
                    len(report.findings),
                    report_path,
                ),
            )
            run_id = int(cursor.lastrowid or 0)
            current = _keyed(report.findings)
            conn.executemany(
                "INSERT INTO findings (run_id, fingerprint, rule_id, severity, title, location)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, s.fingerprint, s.rule_id, s.severity, s.title, s.location) for s in current.values()],
            )
            if previous is None:
                return Change(target, run_id, None, new=list(current.values()), fixed=[] if completed else None)
            rows = conn.execute(
                "SELECT fingerprint, rule_id, severity, title, location FROM findings WHERE run_id = ? ORDER BY rowid",
                (previous[0],),
            ).fetchall()
            before = _keyed_seen([Seen(*row) for row in rows])
        change = Change(target, run_id, int(previous[0]))
        change.new = [s for fp, s in current.items() if fp not in before]
        change.unchanged = [s for fp, s in current.items() if fp in before]
        change.fixed = [s for fp, s in before.items() if fp not in current] if completed else None
        return change

    def runs(self, target: str | None = None, limit: int = 1000) -> list[RunRow]:
        """Recorded runs, oldest first (all targets, or one)."""
        if not self.path.exists():
            return []
        query = "SELECT id, batch, target, notebook, recorded_at, status, exit_code, counts, total, report_path"
        query += " FROM runs"
        args: tuple[Any, ...] = ()
        if target is not None:
            query += " WHERE target = ?"
            args = (target,)
        query += " ORDER BY id DESC LIMIT ?"
        with self._connect() as conn:
            rows = conn.execute(query, (*args, limit)).fetchall()
        return [RunRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8], r[9]) for r in reversed(rows)]


def trend_figure(rows: list[RunRow]) -> Any:
    """A plotly figure: findings per target over the recorded runs (failed runs marked with an x)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for target in sorted({r.target for r in rows}):
        mine = [r for r in rows if r.target == target]
        fig.add_trace(
            go.Scatter(
                x=[r.recorded_at for r in mine],
                y=[r.total for r in mine],
                mode="lines+markers",
                name=target,
                marker={"symbol": ["x" if r.status != "completed" else "circle" for r in mine], "size": 9},
                customdata=[[r.id, r.status, r.counts.get("critical", 0), r.counts.get("high", 0)] for r in mine],
                hovertemplate="run %{customdata[0]} (%{customdata[1]})<br>%{y} findings, "
                "%{customdata[2]} critical, %{customdata[3]} high<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(
        title="Findings per target over recorded runs (x: run did not complete)",
        xaxis_title="run recorded at (UTC)",
        yaxis_title="findings",
        yaxis_rangemode="tozero",
        template="plotly_white",
        height=380,
    )
    return fig
