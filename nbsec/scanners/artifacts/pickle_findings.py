"""Turn one pickle analysis into findings: denied, computed and unknown globals, shape, and anomalies.

Deserializer calls (`pickle.loads`, `torch.load`, ...) are not judged here: the walker analyses their
embedded bytes as a nested stream and reports them (walker.nested_findings).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbsec.model import Finding, ScanError, Severity
from nbsec.scanners.artifacts import rules
from nbsec.scanners.artifacts.base import Issue
from nbsec.scanners.artifacts.pickle_result import CallRef, PickleAnalysis
from nbsec.scanners.artifacts.policy import NESTED, SCANNER, Verdict, classify, normalise

if TYPE_CHECKING:
    from nbsec.scanners.artifacts.walker import Walk

MAX_UNKNOWN_LISTED = 12
MAX_REACH_CHECKED = 32  # unknown globals whose source is read, per pickle
# Globals of TorchScript's own pickles: torch.jit.load reads them with its C++ unpickler, which resolves
# only TorchScript types, never an arbitrary Python global.
TORCHSCRIPT_PREFIXES = ("__torch__.", "torch.jit._pickle.")
# Past these, a stream is built to expand: Python's pickler never writes DUP, a list rarely holds
# itself more than once, and a tree of 10 million nodes from a few opcodes is a bomb.
SELF_REFS_REPORTED = 16
EXPANSION_REPORTED = 10_000_000
EXPANSION_PER_OP = 1000


def pickle_findings(
    walk: Walk, analysis: PickleAnalysis, member: str | None, *, quiet: bool = False, torchscript: bool = False
) -> Iterator[Finding | ScanError]:
    """`quiet` (torch storage blobs that merely look like pickles): report only what could run code."""
    denied: dict[str, list[int]] = defaultdict(list)
    scanner: dict[str, list[int]] = defaultdict(list)
    unknown: dict[str, list[int]] = defaultdict(list)
    reasons: dict[str, str] = {}
    raw: dict[str, tuple[str, str]] = {}
    for ref in analysis.globals:
        verdict = classify(ref.module, ref.name, walk.allow)
        if torchscript and verdict.qualified.startswith(TORCHSCRIPT_PREFIXES):
            continue
        if verdict.kind == SCANNER:
            scanner[verdict.qualified].append(ref.offset)
        elif verdict.kind == NESTED:
            continue
        elif verdict.verdict is Verdict.DENY:
            denied[verdict.qualified].append(ref.offset)
            reasons[verdict.qualified] = verdict.reason
        elif verdict.verdict is Verdict.UNKNOWN:
            unknown[verdict.qualified].append(ref.offset)
            reasons[verdict.qualified] = verdict.reason
            raw[verdict.qualified] = (ref.module, ref.name)
    calls = {call.func: call for call in analysis.calls}
    for qualified, offsets in scanner.items():
        call = calls.get(qualified)
        called = f"called with {call.args}" if call else "imported (a later opcode can call it)"
        evidence = f"{qualified} at byte {offsets[0]}: {called}; a model file has no use for a scanner's module"
        yield walk.finding(Issue(rules.SCANNER_TAMPERING, evidence, offset=offsets[0]), member)
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
    shape = _shape_issue(analysis)
    if shape is not None:
        yield walk.finding(shape, member)
    if quiet:
        return
    yield from _unknown_findings(walk, unknown, reasons, raw, member)
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


def _unknown_findings(
    walk: Walk,
    unknown: dict[str, list[int]],
    reasons: dict[str, str],
    raw: dict[str, tuple[str, str]],
    member: str | None,
) -> Iterator[Finding]:
    if not unknown:
        return
    from nbsec.scanners.artifacts.code_reach import reaches  # only pickles with unknown globals pay for it

    names = sorted(unknown, key=lambda q: unknown[q][0])
    listed_names: list[str] = []
    for qualified in names:
        reach = None
        if len(listed_names) < MAX_REACH_CHECKED and "dotted" not in reasons.get(qualified, ""):
            module, name = raw[qualified]
            reach = reaches(*normalise(module, name))
        if reach is None:
            listed_names.append(qualified)
            continue
        evidence = f"{reach.path} ({reach.what}; {reach.source})"
        yield walk.finding(Issue(rules.GLOBAL_RUNS_CODE, evidence, offset=unknown[qualified][0]), member)
    if not listed_names:
        return
    listed = ", ".join(listed_names[:MAX_UNKNOWN_LISTED])
    more = f" and {len(listed_names) - MAX_UNKNOWN_LISTED} more" if len(listed_names) > MAX_UNKNOWN_LISTED else ""
    first = min(unknown[n][0] for n in listed_names)
    severity = Severity.HIGH if any("dotted" in reasons.get(n, "") for n in listed_names) else None
    yield walk.finding(
        Issue(
            rules.UNKNOWN_GLOBAL,
            f"{len(listed_names)} global(s) outside the allowlist: {listed}{more}",
            first,
            severity=severity,
        ),
        member,
    )


def _shape_issue(analysis: PickleAnalysis) -> Issue | None:
    """DUP, self-insertion and expansion bombs, with the estimated cost (nothing is built)."""
    parts: list[str] = []
    if analysis.dups:
        parts.append(f"{analysis.dups:,} DUP opcode(s) (Python's pickler never writes DUP)")
    if analysis.self_refs >= SELF_REFS_REPORTED:
        parts.append(f"{analysis.self_refs:,} insertions of a container into itself")
    expands = analysis.expansion >= EXPANSION_REPORTED and analysis.expansion >= EXPANSION_PER_OP * max(analysis.ops, 1)
    if not parts and not expands:
        return None
    cost = "unbounded (it contains itself)" if analysis.cyclic else f"~{analysis.expansion:,} elements"
    estimate = f"result walked as a tree: {cost} from {analysis.ops:,} opcodes" if analysis.expansion else ""
    detail = "; ".join(p for p in (*parts, estimate, f"{analysis.gets:,} memo reads") if p)
    return Issue(rules.RESOURCE_EXHAUSTION, detail)


def _call_by_raw_name(analysis: PickleAnalysis, qualified: str) -> CallRef | None:
    tail = qualified.rsplit(".", 1)[-1]
    for call in analysis.calls:
        if call.func.rsplit(".", 1)[-1] == tail:
            return call
    return None
