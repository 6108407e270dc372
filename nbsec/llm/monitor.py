"""What the guard's log (nbsec.llm.guard_log) shows: block rates over time, attack families, extraction-like clients.

`analyze_log` reads a log into a Report:

- NBSEC-LLM-011 per client whose prompts come as a cluster of similar texts within a time window: near
  duplicates (a prompt re-sent with tiny changes) or the same template varied systematically (one word or
  number changed each time), the pattern of system-prompt extraction and automated jailbreak search. Similar
  means a simhash Hamming distance of at most `near_bits` of 64; a client asking different questions lands far
  apart (unrelated texts differ in about 32 bits).
- NBSEC-LLM-012 when the guard blocked inputs or filtered outputs: block rate and the families seen.
- metrics (verdicts, block rate overall and per time bucket, clients, families) and two figures: a line chart
  of the block rate over time and a bar chart of the families.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nbsec.errors import UsageError
from nbsec.llm.guard_log import FORMAT, GuardLog, _check_format, _not_a_log, _unsigned, simhash
from nbsec.llm.rules import ATTACK_TRAFFIC, EXTRACTION_PATTERN, SCANNER
from nbsec.model import Check, Figure, Location, Metric, Report, Severity, Target, utc_now_iso

__all__ = ["FORMAT", "GuardLog", "analyze_log", "simhash"]  # GuardLog and simhash re-exported from guard_log

_MAX_BUCKETS = 1000
_NICE_BUCKETS = (1, 5, 10, 30, 60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800)

# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class _Row:
    at: float
    client: str
    direction: str
    blocked: bool
    families: tuple[str, ...]
    reasons: tuple[str, ...]
    fingerprint: str
    simhash: int


def _read(path: Path) -> list[_Row]:
    if not path.is_file():
        raise UsageError(f"{path}: no such guard log", "give the path the guard writes to (Guard(log=PATH))")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _not_a_log(path, str(exc)) from None
    try:
        _check_format(conn, path)
        rows = conn.execute(
            "SELECT at, client, direction, blocked, families, reasons, fingerprint, simhash FROM verdicts ORDER BY at"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise _not_a_log(path, str(exc)) from None
    finally:
        conn.close()
    return [
        _Row(
            float(at),
            client or "(no client id)",
            direction,
            bool(blocked),
            tuple(json.loads(families)),
            tuple(json.loads(reasons)),
            fingerprint,
            _unsigned(int(sh)),
        )  # fmt: skip
        for at, client, direction, blocked, families, reasons, fingerprint, sh in rows
    ]


def _iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _clusters(rows: Sequence[_Row], window: float, near_bits: int) -> list[list[int]]:
    """Groups of prompts (indices into rows, sorted by time) linked by a small simhash distance within `window`."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, row in enumerate(rows):
        for j in range(i + 1, min(len(rows), i + 400)):  # bounded: a flood of prompts stays linear
            if rows[j].at - row.at > window:
                break
            if (row.simhash ^ rows[j].simhash).bit_count() <= near_bits:
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(rows)):
        groups[find(i)].append(i)
    return list(groups.values())


def _median_distance(rows: Sequence[_Row], members: Sequence[int]) -> int:
    sample = list(members[:40])
    distances = sorted(
        (rows[a].simhash ^ rows[b].simhash).bit_count() for k, a in enumerate(sample) for b in sample[k + 1 :]
    )
    return distances[len(distances) // 2] if distances else 0


def _extraction_findings(
    report: Report, rows: Sequence[_Row], where: str, window: float, near_bits: int, min_cluster: int
) -> list[str]:
    by_client: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.direction == "input":
            by_client[row.client].append(row)
    flagged = []
    for client, prompts in sorted(by_client.items()):
        big = [c for c in _clusters(prompts, window, near_bits) if len(c) >= min_cluster]
        if not big:
            continue
        members = max(big, key=len)
        span = prompts[members[-1]].at - prompts[members[0]].at
        median = _median_distance(prompts, members)
        shape = "near-duplicate prompts" if median <= 3 else "systematically varied prompts"
        blocked = sum(prompts[i].blocked for i in members)
        families = Counter(f for i in members for f in prompts[i].families)
        seen = ", ".join(f"{f} {n}" for f, n in families.most_common(4)) or "none flagged"
        first = _iso(prompts[members[0]].at)
        evidence = (
            f"client {client!r}: {len(members)} similar prompts within {_duration(span)} from {first}"
            f" (median simhash distance {median} of 64 bits): {shape}; {blocked} blocked by the guard; families {seen}"
        )
        confident = len(members) >= 3 * min_cluster or blocked >= len(members) // 2
        report.findings.append(
            EXTRACTION_PATTERN.finding(
                Location(path=where, endpoint=f"client {client}"), evidence, confidence="high" if confident else None
            )
        )
        flagged.append(client)
    return flagged


def _attack_finding(report: Report, rows: Sequence[_Row], where: str) -> str:
    inputs = [r for r in rows if r.direction == "input"]
    outputs = [r for r in rows if r.direction == "output"]
    blocked = [r for r in inputs if r.blocked]
    filtered = [r for r in outputs if r.blocked or r.reasons]
    if not blocked and not filtered:
        return f"{len(inputs)} inputs and {len(outputs)} outputs, none blocked or filtered"
    rate = len(blocked) / len(inputs) if inputs else 0.0
    families = Counter(f for r in blocked + filtered for f in r.families)
    clients = Counter(r.client for r in blocked)
    severity = Severity.HIGH if rate >= 0.25 else Severity.MEDIUM if rate >= 0.05 or filtered else Severity.LOW
    top = ", ".join(f"{c!r} ({n})" for c, n in clients.most_common(3)) or "none"
    evidence = (
        f"{len(blocked)} of {len(inputs)} inputs blocked ({rate:.1%}) from {len(clients)} of "
        f"{len({r.client for r in inputs})} clients; {len(filtered)} of {len(outputs)} outputs filtered or blocked; "
        f"families: {', '.join(f'{f} {n}' for f, n in families.most_common()) or 'none named'}; most blocked: {top}"
    )
    confidence = "high" if len(blocked) + len(filtered) >= 5 else None
    report.findings.append(
        ATTACK_TRAFFIC.finding(Location(path=where), evidence, severity=severity, confidence=confidence)
    )
    return evidence


def _bucket(rows: Sequence[_Row], bucket_seconds: float | None) -> float:
    span = rows[-1].at - rows[0].at if rows else 0.0
    if bucket_seconds is None:
        return float(next((b for b in _NICE_BUCKETS if b >= span / 24), _NICE_BUCKETS[-1]))
    if bucket_seconds <= 0:
        raise UsageError(f"bucket of {bucket_seconds} s", "give a bucket length in seconds above 0")
    if span / bucket_seconds > _MAX_BUCKETS:
        raise UsageError(
            f"a {bucket_seconds:g} s bucket cuts this log ({_duration(span)}) into more than {_MAX_BUCKETS} buckets",
            f"use at least {span / _MAX_BUCKETS:.0f} s, or leave the bucket out to pick one",
        )
    return float(bucket_seconds)


def _timeline(report: Report, rows: Sequence[_Row], bucket: float) -> None:
    start = rows[0].at
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # inputs, blocked, outputs, filtered
    for row in rows:
        slot = counts[int((row.at - start) // bucket)]
        if row.direction == "input":
            slot[0] += 1
            slot[1] += row.blocked
        else:
            slot[2] += 1
            slot[3] += row.blocked or bool(row.reasons)
    total = bucket * (max(counts) + 1)
    unit, scale = (
        ("seconds", 1.0) if total <= 120 else ("minutes", 60.0) if total <= 7200
        else ("hours", 3600.0) if total <= 172800 else ("days", 86400.0)
    )  # fmt: skip
    inputs: dict[str, list[float]] = {"x": [], "y": []}
    outputs: dict[str, list[float]] = {"x": [], "y": []}
    for index in sorted(counts):
        n_in, n_blocked, n_out, n_filtered = counts[index]
        x = round(index * bucket / scale, 4)
        if n_in:
            inputs["x"].append(x)
            inputs["y"].append(n_blocked / n_in)
            labels = {"bucket_start": _iso(start + index * bucket), "bucket_seconds": f"{bucket:g}"}
            report.metrics.append(Metric("llm_guard_block_rate", n_blocked / n_in, "fraction", labels))
        if n_out:
            outputs["x"].append(x)
            outputs["y"].append(n_filtered / n_out)
    series = [{"name": "inputs blocked", **inputs}]
    if outputs["x"]:
        series.append({"name": "outputs filtered", **outputs})
    report.figures.append(
        Figure(
            "llm-guard-block-rate",
            "Guard block rate over time",
            "line",
            {"x_label": f"{unit} since {_iso(start)}", "y_label": "fraction", "series": series},
        )  # fmt: skip
    )


def _families_figure(report: Report, rows: Sequence[_Row]) -> None:
    seen = Counter(f for r in rows for f in r.families)
    if not seen:
        return
    names = [f for f, _ in seen.most_common()]
    blocked = Counter(f for r in rows if r.blocked for f in r.families)
    for name in names:
        report.metrics.append(Metric("llm_guard_family", float(seen[name]), "count", {"family": name}))
    report.figures.append(
        Figure(
            "llm-guard-families",
            "Attack families the guard saw",
            "bar",
            {
                "x_label": "family",
                "y_label": "verdicts",
                "categories": names,
                "series": [
                    {"name": "flagged", "values": [seen[n] for n in names]},
                    {"name": "blocked", "values": [blocked[n] for n in names]},
                ],
            },
        )  # fmt: skip
    )


def analyze_log(
    path: str | os.PathLike[str],
    *,
    bucket_seconds: float | None = None,
    window_seconds: float = 900.0,
    near_bits: int = 16,
    min_cluster: int = 8,
) -> Report:
    """A Report on a guard log: extraction-like clients (NBSEC-LLM-011), attack traffic (NBSEC-LLM-012),
    block rates per time bucket (picked from the log's span when None), families; UsageError for a missing or
    foreign file."""
    from nbsec._version import __version__

    started = time.perf_counter()
    report = Report(tool_version=__version__, started_at=utc_now_iso())
    where = str(path)
    rows = _read(Path(path))
    bucket = _bucket(rows, bucket_seconds)
    clients = {r.client for r in rows}
    inputs = [r for r in rows if r.direction == "input"]
    outputs = [r for r in rows if r.direction == "output"]
    detail = f"{len(rows)} verdicts from {len(clients)} clients"
    if rows:
        detail += f", {_iso(rows[0].at)} to {_iso(rows[-1].at)}"
    report.targets.append(Target(where, "guard-log", "scanned", detail))
    report.metrics += [
        Metric("llm_guard_verdicts", float(len(inputs)), "count", {"direction": "input"}),
        Metric("llm_guard_verdicts", float(len(outputs)), "count", {"direction": "output"}),
        Metric("llm_guard_blocked", float(sum(r.blocked for r in inputs)), "count", {"direction": "input"}),
        Metric(
            "llm_guard_filtered",
            float(sum(r.blocked or bool(r.reasons) for r in outputs)),
            "count",
            {"direction": "output"},
        ),  # fmt: skip
        Metric("llm_guard_block_rate", sum(r.blocked for r in inputs) / len(inputs) if inputs else 0.0, "fraction"),
        Metric("llm_guard_clients", float(len(clients)), "count"),
    ]
    flagged = _extraction_findings(report, rows, where, window_seconds, near_bits, min_cluster)
    report.metrics.append(Metric("llm_guard_extraction_clients", float(len(flagged)), "count"))
    report.checks.append(
        Check(
            SCANNER,
            where,
            "failed" if flagged else "passed",
            f"extraction patterns: {len(flagged)} of {len(clients)} clients "
            f"(clusters of >= {min_cluster} prompts within {window_seconds:g} s, simhash distance <= {near_bits})",
            (EXTRACTION_PATTERN.id,),
        )  # fmt: skip
    )
    traffic = _attack_finding(report, rows, where)
    attacked = any(f.rule_id == ATTACK_TRAFFIC.id for f in report.findings)
    report.checks.append(
        Check(SCANNER, where, "failed" if attacked else "passed", f"attack traffic: {traffic}", (ATTACK_TRAFFIC.id,))
    )
    if rows:
        _timeline(report, rows, bucket)
        _families_figure(report, rows)
    report.timings["llm-monitor"] = time.perf_counter() - started
    report.finished_at = utc_now_iso()
    return report
