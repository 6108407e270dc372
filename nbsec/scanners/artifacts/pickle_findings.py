"""Turn one pickle analysis into findings: denied, computed and unknown globals, and anomalies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbsec.model import Finding, ScanError, Severity
from nbsec.scanners.artifacts import rules
from nbsec.scanners.artifacts.base import Issue
from nbsec.scanners.artifacts.pickle_vm import CallRef, PickleAnalysis
from nbsec.scanners.artifacts.policy import Verdict, classify

if TYPE_CHECKING:
    from nbsec.scanners.artifacts.walker import Walk

MAX_UNKNOWN_LISTED = 12


def pickle_findings(
    walk: Walk, analysis: PickleAnalysis, member: str | None, *, quiet: bool = False
) -> Iterator[Finding | ScanError]:
    """`quiet` (torch storage blobs that merely look like pickles): report only what could run code."""
    denied: dict[str, list[int]] = defaultdict(list)
    unknown: dict[str, list[int]] = defaultdict(list)
    reasons: dict[str, str] = {}
    for ref in analysis.globals:
        verdict = classify(ref.module, ref.name, walk.allow)
        if verdict.verdict is Verdict.DENY:
            denied[verdict.qualified].append(ref.offset)
            reasons[verdict.qualified] = verdict.reason
        elif verdict.verdict is Verdict.UNKNOWN:
            unknown[verdict.qualified].append(ref.offset)
            reasons[verdict.qualified] = verdict.reason
    calls = {call.func: call for call in analysis.calls}
    for qualified, offsets in denied.items():
        call = calls.get(qualified) or _call_by_raw_name(analysis, qualified)
        called = f"; called with {call.args}" if call else "; imported (a later opcode can call it)"
        chain = f" ({reasons[qualified]})" if reasons.get(qualified) else ""
        evidence = f"{qualified}{chain} at byte {offsets[0]}{called}"
        if len(offsets) > 1:
            evidence += f"; {len(offsets)} references"
        yield walk.finding(Issue(rules.DANGEROUS_GLOBAL, evidence, offset=offsets[0]), member)
    for computed in analysis.computed[:20]:
        evidence = f"{computed.opcode} at byte {computed.offset}: {computed.detail}"
        yield walk.finding(Issue(rules.COMPUTED_GLOBAL, evidence, offset=computed.offset), member)
    if quiet:
        return
    if unknown:
        names = sorted(unknown, key=lambda q: unknown[q][0])
        listed = ", ".join(names[:MAX_UNKNOWN_LISTED])
        more = f" and {len(names) - MAX_UNKNOWN_LISTED} more" if len(names) > MAX_UNKNOWN_LISTED else ""
        first = min(offsets[0] for offsets in unknown.values())
        severity = Severity.HIGH if any("dotted" in reasons.get(n, "") for n in names) else None
        yield walk.finding(
            Issue(
                rules.UNKNOWN_GLOBAL,
                f"{len(names)} global(s) outside the allowlist: {listed}{more}",
                first,
                severity=severity,
            ),
            member,
        )
    anomalies = analysis.anomalies
    if anomalies:
        first_anomaly = anomalies[0]
        more = f" (+{len(anomalies) - 1} more)" if len(anomalies) > 1 else ""
        yield walk.finding(
            Issue(
                rules.MALFORMED_PICKLE,
                f"{first_anomaly.kind}: {first_anomaly.message} at byte {first_anomaly.offset}{more}",
                first_anomaly.offset,
            ),
            member,
        )
    for anomaly in analysis.anomalies:
        if anomaly.kind == "limit":
            yield walk.error(member, f"pickle not fully analysed: {anomaly.message}", "inspect the file by hand")


def _call_by_raw_name(analysis: PickleAnalysis, qualified: str) -> CallRef | None:
    tail = qualified.rsplit(".", 1)[-1]
    for call in analysis.calls:
        if call.func.rsplit(".", 1)[-1] == tail:
            return call
    return None
