"""The Report: the one object every scanner fills and every surface renders.

`Report.to_dict()` is the only serialization; `Report.from_dict()` reverses it
exactly; `schema/report.v1.json` validates it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from nbsec.model.finding import Finding, Severity
from nbsec.model.fixes import FixSection

SCHEMA_VERSION = "1.3"  # 1.1: Check.rules; 1.2: fixes (`nbsec fix`); 1.3: Suppressed.detail
REPORT_MIME_TYPE = "application/vnd.nbsec.report.v1+json"


def utc_now_iso() -> str:
    """ISO-8601 UTC timestamp with a trailing Z, to the millisecond."""
    now = time.time()  # `time`, not `datetime`: every nbsec start stamps a Report, datetime costs ~1 ms to import
    return time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(now)) + f"{int(now * 1000) % 1000:03d}Z"


@dataclass(frozen=True)
class Metric:
    """A measured number: robust accuracy at an epsilon, files per second, ..."""

    name: str
    value: float
    unit: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "unit": self.unit, "labels": dict(self.labels)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metric:
        return cls(data["name"], data["value"], data.get("unit", ""), dict(data.get("labels", {})))


@dataclass(frozen=True)
class Check:
    """One thing that was checked on one target, and how it came out.

    Coverage, not only failures: a clean report says what was looked at.
    `status` is "passed" (ran, nothing found), "failed" (ran, findings),
    "error" (could not run) or "skipped" (did not apply).
    `rules` names the rules a runner's check tested (an evasion run, a trigger test, a chain check):
    compliance counts a control as evidenced only by checks that ran its rules. A file scanner's check
    leaves it empty: it ran every rule of its scanner on that target.
    """

    scanner: str
    target: str
    status: str
    detail: str = ""
    rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scanner": self.scanner, "target": self.target, "status": self.status}
        if self.detail:
            out["detail"] = self.detail
        if self.rules:
            out["rules"] = list(self.rules)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Check:
        return cls(
            data["scanner"], data["target"], data["status"], data.get("detail", ""), tuple(data.get("rules", ()))
        )


@dataclass(frozen=True)
class ScanError:
    """Something that could not be scanned. Data in the Report, never a crash."""

    scanner: str
    target: str
    message: str
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"scanner": self.scanner, "target": self.target, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanError:
        return cls(data["scanner"], data["target"], data["message"], data.get("hint", ""))


@dataclass(frozen=True)
class Target:
    """A thing that was looked at: a file, a folder, an environment, an endpoint."""

    path: str
    kind: str
    status: str = "scanned"  # scanned | skipped | error
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {"path": self.path, "kind": self.kind, "status": self.status}
        if self.detail:
            out["detail"] = self.detail
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        return cls(data["path"], data["kind"], data.get("status", "scanned"), data.get("detail", ""))


@dataclass(frozen=True)
class Suppressed:
    """A finding left out of `findings`, and why (nothing is silently lost)."""

    finding: Finding
    reason: str  # inline | cell-metadata | config | baseline | severity-threshold
    # Which form said so, when the reason alone does not: "nosec (bandit)", "pragma: allowlist secret
    # (detect-secrets)", "detect-secrets baseline: audited, not a secret". Optional (schema 1.3).
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"reason": self.reason, "finding": self.finding.to_dict()}
        if self.detail:
            out["detail"] = self.detail
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suppressed:
        return cls(Finding.from_dict(data["finding"]), data["reason"], data.get("detail", ""))


FIGURE_KINDS = ("line", "bar", "image-grid")


@dataclass(frozen=True)
class Figure:
    """A chart as data, drawn by each surface its own way (inline SVG in HTML, plotly in notebooks, tables in Markdown).

    `kind` says how to read `data` (JSON-safe values only):

    - "line": {"x_label", "y_label", "series": [{"name", "x": [numbers], "y": [numbers]}]}
    - "bar": {"x_label", "y_label", "categories": [str], "series": [{"name", "values": [numbers]}]}
    - "image-grid": {"columns": [str], "rows": [{"label", "images": [{"src": "data:image/png;base64,...",
      "caption"}]}]}: small images inline, never a URL.
    """

    id: str
    title: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in FIGURE_KINDS:
            raise ValueError(
                f"figure {self.id!r}: unknown kind {self.kind!r}; choose one of: {', '.join(FIGURE_KINDS)}"
            )

    def to_dict(self) -> dict[str, Any]:
        import json

        return {"id": self.id, "title": self.title, "kind": self.kind, "data": json.loads(json.dumps(self.data))}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figure:
        return cls(data["id"], data["title"], data["kind"], dict(data.get("data", {})))


@dataclass
class Report:
    """Findings, metrics, coverage, errors and timings of one run."""

    findings: list[Finding] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    tool_name: str = "nbsec"
    tool_version: str = ""
    started_at: str = ""
    finished_at: str = ""
    baseline: dict[str, Any] | None = None
    schema_version: str = SCHEMA_VERSION
    figures: list[Figure] = field(default_factory=list)
    fixes: FixSection | None = None  # `nbsec fix`: the changes planned or applied, and each finding's outcome
    # In memory only, never serialized: SHA-1 digests of the secret value each secret finding reports (by the
    # finding's fingerprint), filled by the scanning loop when a baseline is in use, so a baseline imported
    # from detect-secrets (which stores SHA-1s of secrets) can recognise them. Not part of the schema.
    secret_sha1: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    # Set by nbsec.display on import: keeps this module free of rendering code.
    mimebundle_renderer: ClassVar[Callable[[Report], dict[str, Any]] | None] = None

    # -- queries ---------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Findings per severity, every severity present (zeros included)."""
        tally = Counter(f.severity for f in self.findings)
        return {s.value: tally.get(s, 0) for s in Severity}

    def worst_severity(self) -> Severity | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: s.rank)

    def at_or_above(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank >= threshold.rank]

    def sorted_findings(self) -> list[Finding]:
        """Worst first, then by place. Surfaces list findings grouped on top of this order
        (`nbsec.rule_catalogue.report_order`, the order `nbsec.api.finish` leaves in `findings`)."""
        return sorted(
            self.findings,
            key=lambda f: (
                -f.severity.rank,
                -f.confidence.rank,
                f.location.path,
                f.location.cell if f.location.cell is not None else -1,
                f.location.line or 0,
                f.rule_id,
            ),
        )

    def summary_line(self) -> str:
        """'3 findings (1 high, 2 medium) in 2 targets; 1 error' style one-liner."""
        counts = self.counts()
        n = len(self.findings)
        scanned = sum(1 for t in self.targets if t.status == "scanned")
        parts = [f"{n} finding{'s' if n != 1 else ''}"]
        detail = ", ".join(f"{c} {s}" for s, c in counts.items() if c)
        if detail:
            parts[0] += f" ({detail})"
        parts[0] += f" in {scanned} scanned target{'s' if scanned != 1 else ''}"
        if self.errors:
            parts.append(f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}")
        if self.suppressed:
            parts.append(f"{len(self.suppressed)} suppressed")
        return "; ".join(parts)

    def extend(self, other: Report) -> None:
        """Merge another report's content into this one (used by runners)."""
        self.findings.extend(other.findings)
        self.metrics.extend(other.metrics)
        self.targets.extend(other.targets)
        self.checks.extend(other.checks)
        self.errors.extend(other.errors)
        self.suppressed.extend(other.suppressed)
        self.figures.extend(other.figures)
        for fingerprint, digests in other.secret_sha1.items():
            self.secret_sha1[fingerprint] = self.secret_sha1.get(fingerprint, frozenset()) | digests
        for key, seconds in other.timings.items():
            self.timings[key] = self.timings.get(key, 0.0) + seconds
        if other.fixes is not None:
            if self.fixes is None:
                self.fixes = FixSection(other.fixes.mode)
            self.fixes.changes.extend(other.fixes.changes)
            self.fixes.outcomes.extend(other.fixes.outcomes)
            self.fixes.backups.extend(other.fixes.backups)

    # -- serialization -----------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema_version": self.schema_version,
            "tool": {"name": self.tool_name, "version": self.tool_version},
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "targets": [t.to_dict() for t in self.targets],
            "findings": [f.to_dict() for f in self.findings],
            "metrics": [m.to_dict() for m in self.metrics],
            "checks": [c.to_dict() for c in self.checks],
            "errors": [e.to_dict() for e in self.errors],
            "suppressed": [s.to_dict() for s in self.suppressed],
            "timings": dict(self.timings),
            "summary": {"counts": self.counts(), "total": len(self.findings)},
        }
        if self.baseline is not None:
            out["baseline"] = dict(self.baseline)
        if self.figures:  # optional: reports without figures keep their old shape
            out["figures"] = [f.to_dict() for f in self.figures]
        if self.fixes is not None:
            out["fixes"] = self.fixes.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        major = str(data.get("schema_version", "")).split(".")[0]
        if major != SCHEMA_VERSION.split(".")[0]:
            raise ValueError(
                f"report schema_version {data.get('schema_version')!r} is not supported "
                f"(this nbsec reads {SCHEMA_VERSION}); re-run the scan with this version"
            )
        tool = data.get("tool", {})
        return cls(
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            metrics=[Metric.from_dict(m) for m in data.get("metrics", [])],
            targets=[Target.from_dict(t) for t in data.get("targets", [])],
            checks=[Check.from_dict(c) for c in data.get("checks", [])],
            errors=[ScanError.from_dict(e) for e in data.get("errors", [])],
            suppressed=[Suppressed.from_dict(s) for s in data.get("suppressed", [])],
            timings=dict(data.get("timings", {})),
            tool_name=tool.get("name", "nbsec"),
            tool_version=tool.get("version", ""),
            started_at=data.get("started_at", ""),
            finished_at=data.get("finished_at", ""),
            baseline=data.get("baseline"),
            schema_version=data["schema_version"],
            figures=[Figure.from_dict(f) for f in data.get("figures", [])],
            fixes=FixSection.from_dict(data["fixes"]) if data.get("fixes") is not None else None,
        )

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, sort_keys=False, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Report:
        import json

        return cls.from_dict(json.loads(text))

    @classmethod
    def merge(cls, reports: Iterable[Report]) -> Report:
        merged = cls()
        for report in reports:
            if not merged.started_at or (report.started_at and report.started_at < merged.started_at):
                merged.started_at = report.started_at
            merged.finished_at = max(merged.finished_at, report.finished_at)
            merged.tool_version = merged.tool_version or report.tool_version
            merged.extend(report)
        return merged

    # -- display -------------------------------------------------------------

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
    ) -> dict[str, Any]:
        renderer = type(self).mimebundle_renderer
        if renderer is None:  # nbsec.display not imported: still show something useful
            return {"text/plain": self.summary_line(), REPORT_MIME_TYPE: self.to_dict()}
        bundle = renderer(self)
        if include is not None:
            bundle = {k: v for k, v in bundle.items() if k in set(include)}
        if exclude is not None:
            bundle = {k: v for k, v in bundle.items() if k not in set(exclude)}
        return bundle

    def __repr__(self) -> str:
        return f"<nbsec Report: {self.summary_line()}>"
