"""Verify a lineage store: walk the hash chain, re-hash the artifacts that still exist, apply the lineage rules.

The result is a Report like any scan's, so every reporter and surface renders
it. Chain problems (NBSEC-LIN-002) name the event (sequence number, step name,
id) and say what broke; the first one is marked "first broken link". A changed
artifact (NBSEC-LIN-001) names the file and the event that last recorded it.
Each path is re-hashed once, against the latest hash recorded for it, so a file
that a later step rewrote on purpose is not a finding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec._version import __version__
from nbsec.lineage import rules
from nbsec.lineage.artifacts import hash_path
from nbsec.lineage.events import GENESIS, event_hash, short
from nbsec.lineage.store import EventRow, Store, open_store
from nbsec.model import Check, Location, Metric, Report, Rule, ScanError, Target, utc_now_iso

SCANNER = rules.SCANNER
# The rules each kind of check tests (Check.rules: what compliance counts as evidence). The policy rules run over
# the recorded events on every verification, so they ride on the chain check.
POLICY_RULES = tuple(r.id for r in (rules.MODEL_WITHOUT_DATA, rules.PLAIN_HTTP_INPUT, rules.OUTSIDE_PROJECT_INPUT,
                                    rules.WEAK_HASH))  # fmt: skip
CHAIN_RULES = (rules.CHAIN_BROKEN.id, *POLICY_RULES)
HEAD_RULES = (rules.CHAIN_BROKEN.id,)
SIGNATURE_RULES = (rules.SIGNATURE_INVALID.id,)
ARTIFACT_RULES = (rules.ARTIFACT_CHANGED.id, rules.ARTIFACT_MISSING.id)


@dataclass
class Verification:
    """The Report plus what the graph needs to paint nodes: parsed events and what is broken."""

    report: Report
    events: list[dict[str, Any]] = field(default_factory=list)
    broken_events: set[int] = field(default_factory=set)  # sequence numbers
    changed_paths: set[str] = field(default_factory=set)
    missing_paths: set[str] = field(default_factory=set)


def _element(seq: int, name: str, event_id: str = "") -> str:
    label = f"event #{seq} ({name})" if name else f"event #{seq}"
    return f"{label}, id {event_id[:12]}" if event_id else label


class _Verifier:
    def __init__(self, store: Store, display: str) -> None:
        self.store = store
        self.display = display
        self.result = Verification(Report(tool_version=__version__, started_at=utc_now_iso()))
        self.report = self.result.report
        self.first_broken: int | None = None
        self.rows: list[tuple[EventRow, dict[str, Any] | None]] = []
        self.writers: dict[str, str] = {}  # path -> the last event that wrote it

    def finding(self, rule: Rule, path: str, element: str | None, evidence: str, *tags: str) -> None:
        self.report.findings.append(
            rule.finding(Location(path=path, element=element), evidence, tags=("lineage", *tags))
        )

    # -- the chain -----------------------------------------------------------------------------

    def chain_problem(self, row_seq: int, element: str, problems: list[str]) -> None:
        first = self.first_broken is None
        if first:
            self.first_broken = row_seq
        prefix = "first broken link: " if first else ""
        self.finding(rules.CHAIN_BROKEN, self.display, element, prefix + "; ".join(problems), "chain")
        self.result.broken_events.add(row_seq)

    def check_chain(self) -> None:
        expected_seq, expected_prev = 1, GENESIS
        for row in self.store.rows():
            problems: list[str] = []
            body: dict[str, Any] | None
            try:
                parsed = json.loads(row.body)
                body = parsed if isinstance(parsed, dict) else None
            except ValueError:
                body = None
            if body is None:
                problems.append("its stored content is not a JSON event (edited)")
            if event_hash(row.body.encode("utf-8", "surrogatepass")) != row.hash:
                problems.append("its content no longer matches its recorded hash (the event was edited)")
            if row.seq > expected_seq:  # a gap: its own finding, named by the missing sequence numbers
                missing = f"#{expected_seq}" if row.seq == expected_seq + 1 else f"#{expected_seq}..#{row.seq - 1}"
                following = _element(row.seq, row.name, row.event_id)
                self.chain_problem(
                    expected_seq, f"event {missing}", [f"event {missing} is missing before {following} (deleted)"]
                )
            if body is not None:
                if body.get("seq") != row.seq:
                    problems.append(f"it was recorded as event #{body.get('seq')} but sits at #{row.seq} (reordered)")
                if body.get("prev") != row.prev_hash:
                    problems.append("its stored link differs from the link inside its content (edited)")
                if body.get("id") != row.event_id:
                    problems.append("its stored id differs from the id inside its content (edited)")
            if row.prev_hash != expected_prev and row.seq == expected_seq:
                problems.append(
                    f"it links to {short(row.prev_hash)} but the event before it hashes to {short(expected_prev)} "
                    "(the previous event was rewritten, or this one was inserted)"
                )
            name = str(body.get("name", row.name)) if body is not None else row.name
            if problems:
                self.chain_problem(row.seq, _element(row.seq, name, row.event_id), problems)
            if body is not None:
                body.setdefault("seq", row.seq)
                self.result.events.append(body)
            self.rows.append((row, body))
            expected_seq, expected_prev = row.seq + 1, row.hash
        self.check_head(expected_seq - 1, expected_prev)

    def check_head(self, last_seq: int, last_hash: str) -> None:
        head_seq, head_hash = self.store.head()
        if head_seq > last_seq:
            gone = f"#{head_seq}" if head_seq == last_seq + 1 else f"#{last_seq + 1}..#{head_seq}"
            problem = f"event {gone} at the end of the chain is missing (deleted): the head records {head_seq} events"
            self.chain_problem(head_seq, f"event {gone}", [problem])
        elif head_seq == last_seq and head_hash != last_hash and last_seq > 0:
            problem = "the last event differs from the head the store recorded (rewritten)"
            self.chain_problem(last_seq, _element(last_seq, ""), [problem])
        status = "failed" if self.first_broken is not None else "passed"
        detail = f"{len(self.rows)} events; head #{last_seq} {short(last_hash)}"
        if self.first_broken is not None:
            detail += f"; first broken link at event #{self.first_broken}"
        self.report.checks.append(Check(SCANNER, f"{self.display}: hash chain", status, detail, CHAIN_RULES))

    def check_anchor(self, expected_head: str) -> None:
        hashes = {row.hash for row, _ in self.rows}
        if expected_head.strip().lower() in hashes:
            self.report.checks.append(
                Check(SCANNER, f"{self.display}: anchored head", "passed", short(expected_head), HEAD_RULES)
            )
            return
        problem = f"the anchored head {short(expected_head)} is not in the chain (events were removed or rewritten)"
        self.chain_problem(0, "chain head", [problem])
        self.report.checks.append(
            Check(SCANNER, f"{self.display}: anchored head", "failed", short(expected_head), HEAD_RULES)
        )

    # -- signatures ----------------------------------------------------------------------------

    def check_signatures(self, public_key: str | os.PathLike[str]) -> None:
        from cryptography.exceptions import InvalidSignature

        from nbsec.integrity.signing import key_fingerprint, load_public_key

        key = load_public_key(public_key)
        fingerprint = key_fingerprint(public_key)
        bad = 0
        for row, body in self.rows:
            name = str(body.get("name", row.name)) if body else row.name
            problem = ""
            if not row.signature:
                problem = "the event is not signed"
            elif body is not None and body.get("key") not in (None, fingerprint):
                problem = f"signed by key {body.get('key')}, not by {fingerprint}"
            else:
                try:
                    raw = base64.b64decode(row.signature, validate=True)
                    key.verify(raw, event_hash(row.body.encode("utf-8", "surrogatepass")).encode("ascii"))
                except (InvalidSignature, binascii.Error, ValueError):
                    problem = "the signature does not match the event's content"
            if problem:
                bad += 1
                self.finding(rules.SIGNATURE_INVALID, self.display, _element(row.seq, name, row.event_id), problem)
                self.result.broken_events.add(row.seq)
        status = "failed" if bad else "passed"
        detail = f"{len(self.rows) - bad} of {len(self.rows)} events signed by {fingerprint}"
        self.report.checks.append(Check(SCANNER, f"{self.display}: signatures", status, detail, SIGNATURE_RULES))

    # -- artifacts -----------------------------------------------------------------------------

    def latest_records(self) -> dict[str, tuple[int, str, dict[str, Any]]]:
        """Per path: the last event that recorded a hash for it, and that record."""
        latest: dict[str, tuple[int, str, dict[str, Any]]] = {}
        for body in self.result.events:
            for item in _artifacts(body):
                path = item.get("path")
                if isinstance(path, str) and (item.get("sha256") or _md5(item)):
                    latest[path] = (int(body.get("seq", 0)), str(body.get("name", "")), item)
                    if item in body.get("outputs", []):
                        self.writers[path] = _element(int(body.get("seq", 0)), str(body.get("name", "")))
        return latest

    def check_artifacts(self) -> tuple[int, float]:
        started = time.perf_counter()
        verified = 0
        root = self.store.project_root
        for path, (seq, name, item) in sorted(self.latest_records().items()):
            where = _element(seq, name)
            target = Path(path) if item.get("outside") or os.path.isabs(path) else root / path
            if not target.exists():
                self.finding(
                    rules.ARTIFACT_MISSING, path, where, f"recorded by {where}; no longer exists at {target}", "missing"
                )
                self.result.missing_paths.add(path)
                self.report.checks.append(Check(SCANNER, path, "failed", "missing", ARTIFACT_RULES))
                continue
            try:
                now, recorded, algorithm = _rehash(target, item)
            except OSError as exc:
                message = f"cannot re-hash it ({exc.strerror or exc})"
                self.report.errors.append(ScanError(SCANNER, path, message, "check the permissions; not verified"))
                self.report.checks.append(Check(SCANNER, path, "error", message, ARTIFACT_RULES))
                continue
            if now is None:
                self.report.checks.append(
                    Check(SCANNER, path, "skipped", "a DVC folder hash cannot be recomputed", ARTIFACT_RULES)
                )
                continue
            verified += 1
            if now != recorded:
                self.finding(
                    rules.ARTIFACT_CHANGED,
                    path,
                    where,
                    _changed_evidence(algorithm, where, self.writers.get(path), recorded, now),
                    "changed",
                )
                self.result.changed_paths.add(path)
                self.report.checks.append(Check(SCANNER, path, "failed", f"{algorithm} differs", ARTIFACT_RULES))
            else:
                self.report.checks.append(Check(SCANNER, path, "passed", f"{algorithm} {short(now)}", ARTIFACT_RULES))
        return verified, time.perf_counter() - started

    # -- policy rules over the recorded events ------------------------------------------------------

    def check_policies(self) -> None:
        seen: set[tuple[str, str]] = set()

        def once(rule: Rule, place: str, where: str, evidence: str) -> None:
            if (rule.id, place) not in seen:
                seen.add((rule.id, place))
                self.finding(rule, place, where, evidence)

        for body in self.result.events:
            where = _element(int(body.get("seq", 0)), str(body.get("name", "")))
            inputs = [i for i in body.get("inputs", []) if isinstance(i, dict)]
            # Only explicitly recorded steps count: a hook's torch.save or an import says nothing about training.
            trains = body.get("type") == "step" and body.get("status") != "FAIL" and not inputs
            for item in body.get("outputs", []):
                if trains and isinstance(item, dict) and item.get("role") == "model":
                    place = str(item.get("path") or item.get("name"))
                    once(rules.MODEL_WITHOUT_DATA, place, where, f"{where} produced model {place} with no inputs")
            for item in inputs:
                uri = str(item.get("uri") or "")
                if uri.lower().startswith("http://"):
                    once(rules.PLAIN_HTTP_INPUT, uri, where, f"{where} read {uri} over plain HTTP")
                if item.get("outside"):
                    place = str(item.get("path"))
                    once(rules.OUTSIDE_PROJECT_INPUT, place, where, f"{where} read {place}, outside the project")
            for item in _artifacts(body):
                if _md5(item) and not item.get("sha256"):
                    place = str(item.get("path") or item.get("name"))
                    once(rules.WEAK_HASH, place, where, f"{place} is identified only by MD5 {short(_md5(item))}")


def _changed_evidence(algorithm: str, where: str, writer: str | None, recorded: str, now: str) -> str:
    origin = f"written by {writer}, " if writer and writer != where else ""
    return f"{origin}{algorithm} as recorded by {where}: {short(recorded, 16)}; on disk now: {short(now, 16)}"


def _artifacts(body: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for key in ("inputs", "outputs"):
        for item in body.get(key, []) or []:
            if isinstance(item, dict):
                yield item


def _md5(item: dict[str, Any]) -> str:
    meta = item.get("meta")
    return str(meta.get("md5", "")) if isinstance(meta, dict) else ""


def _rehash(target: Path, item: dict[str, Any]) -> tuple[str | None, str, str]:
    """(hash now or None when it cannot be recomputed, hash recorded, algorithm name)."""
    if item.get("sha256"):
        _, digest, _, _ = hash_path(target)
        return digest, str(item["sha256"]), "sha256"
    recorded = _md5(item)
    if recorded.endswith(".dir") or target.is_dir():
        return None, recorded, "md5"
    md5 = hashlib.md5(usedforsecurity=False)
    with target.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            md5.update(chunk)
    return md5.hexdigest(), recorded, "md5"


def verify_detailed(
    store: str | os.PathLike[str] | Store | None = None,
    *,
    public_key: str | os.PathLike[str] | None = None,
    expect_head: str | None = None,
    artifacts: bool = True,
) -> Verification:
    """Verify and keep what the graph needs (parsed events, broken events, changed and missing paths)."""
    target = store if isinstance(store, Store) else open_store(store, create=False)
    display = str(target.path)
    verifier = _Verifier(target, display)
    report = verifier.report
    report.targets.append(Target(display, "lineage-store"))
    started = time.perf_counter()
    verifier.check_chain()
    chain_seconds = time.perf_counter() - started
    if expect_head:
        verifier.check_anchor(expect_head)
    if public_key is not None:
        verifier.check_signatures(public_key)
    elif any(row.signature for row, _ in verifier.rows):
        report.checks.append(
            Check(
                SCANNER,
                f"{display}: signatures",
                "skipped",
                "events are signed; pass --public-key to check them",
                SIGNATURE_RULES,
            )
        )
    verified, hash_seconds = verifier.check_artifacts() if artifacts else (0, 0.0)
    verifier.check_policies()
    count = str(len(verifier.rows))
    report.metrics += [
        Metric("lineage.events", float(len(verifier.rows)), "events", {"store": display}),
        Metric("lineage.artifacts_verified", float(verified), "artifacts", {"store": display}),
        Metric("lineage.chain_verify_seconds", round(chain_seconds, 6), "s", {"events": count}),
        Metric("lineage.artifact_hash_seconds", round(hash_seconds, 6), "s", {"artifacts": str(verified)}),
    ]
    report.timings["lineage"] = round(time.perf_counter() - started, 6)
    report.finished_at = utc_now_iso()
    return verifier.result


def verify_store(
    store: str | os.PathLike[str] | Store | None = None,
    *,
    public_key: str | os.PathLike[str] | None = None,
    expect_head: str | None = None,
    artifacts: bool = True,
) -> Report:
    """Check the chain (and signatures with `public_key`), re-hash recorded artifacts; return the Report."""
    return verify_detailed(store, public_key=public_key, expect_head=expect_head, artifacts=artifacts).report
