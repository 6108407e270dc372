"""Findings: what a scanner saw, where, and what to do about it.

Stdlib only: this module is the single source of truth every surface renders.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(str, enum.Enum):
    """How bad it is if the finding is real (one axis; confidence is the other)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical=4 ... info=0."""
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        """Accept 'HIGH', 'high', Severity.HIGH; raise ValueError naming the choices."""
        if isinstance(value, Severity):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {value!r}; choose one of: {choices}") from None

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Confidence(str, enum.Enum):
    """How sure the scanner is that the finding is real."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"high": 2, "medium": 1, "low": 0}[self.value]

    @classmethod
    def parse(cls, value: str | Confidence) -> Confidence:
        if isinstance(value, Confidence):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(c.value for c in cls)
            raise ValueError(f"unknown confidence {value!r}; choose one of: {choices}") from None

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Reference:
    """A pointer into a framework: MITRE ATLAS, OWASP (year-suffixed), CWE, NIST AI RMF, ..."""

    framework: str
    id: str
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"framework": self.framework, "id": self.id}
        if self.url is not None:
            out["url"] = self.url
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reference:
        return cls(framework=data["framework"], id=data["id"], url=data.get("url"))


# Location keys other than `path`, in the order they are rendered.
LOCATION_FIELDS = (
    "cell",
    "cell_id",
    "execution_count",
    "line",
    "column",
    "end_line",
    "end_column",
    "member",
    "offset",
    "output",
    "element",
    "endpoint",
)


@dataclass(frozen=True)
class Location:
    """Where a finding applies. Only `path` is required; the rest narrow it down.

    `cell` is the 0-based cell index in the notebook file; renderers show it
    1-based as "cell N" like JupyterLab's cell count. `cell_id` is the nbformat
    4.5 cell id, which survives inserting cells. `line`/`column` are 1-based
    within the cell source (or the file when there is no cell); columns count
    Unicode code points (SARIF's "unicodeCodePoints").
    """

    path: str
    cell: int | None = None
    cell_id: str | None = None
    execution_count: int | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    member: str | None = None
    offset: int | None = None
    output: int | None = None
    element: str | None = None
    endpoint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path}
        for name in LOCATION_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Location:
        known = {k: data[k] for k in ("path", *LOCATION_FIELDS) if k in data}
        return cls(**known)

    def describe(self) -> str:
        """Human form: 'demo.ipynb, cell 3 [5], line 2, col 8'."""
        parts = [self.path]
        if self.member is not None:
            parts[0] = f"{self.path}!{self.member}"
        if self.cell is not None:
            label = f"cell {self.cell + 1}"
            if self.execution_count is not None:
                label += f" [{self.execution_count}]"
            parts.append(label)
        if self.output is not None:
            parts.append(f"output {self.output + 1}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"col {self.column}")
        if self.offset is not None:
            parts.append(f"byte {self.offset}")
        if self.element is not None:
            parts.append(f"element {self.element}")
        if self.endpoint is not None and self.endpoint != self.path:  # an LLM app's findings: both are its name
            parts.append(f"endpoint {self.endpoint}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Finding:
    """One problem found in one place.

    `evidence` must already be redacted by the scanner that made it: no surface
    ever sees a full secret. `fingerprint` is stable across runs and line shifts
    (rule, path, cell/member and the normalised evidence), used by baselines.
    """

    rule_id: str
    title: str
    severity: Severity
    confidence: Confidence
    location: Location
    evidence: str = ""
    remediation: str = ""
    references: tuple[Reference, ...] = ()
    fingerprint: str = ""
    tags: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # Accept plain strings for the enums so scanners and from_dict stay simple.
        object.__setattr__(self, "severity", Severity.parse(self.severity))
        object.__setattr__(self, "confidence", Confidence.parse(self.confidence))
        object.__setattr__(self, "references", tuple(self.references))
        object.__setattr__(self, "tags", tuple(self.tags))
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", compute_fingerprint(self))

    def rewritten(self, rewrite: Callable[[str], str]) -> Finding:
        """This finding with `rewrite` applied to every text that may quote what was scanned (title, evidence,
        remediation), e.g. to redact a secret another finding found on the same line. The fingerprint follows
        the new evidence; `self` comes back when nothing changed."""
        title, evidence, remediation = rewrite(self.title), rewrite(self.evidence), rewrite(self.remediation)
        if (title, evidence, remediation) == (self.title, self.evidence, self.remediation):
            return self
        return replace(self, title=title, evidence=evidence, remediation=remediation, fingerprint="")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "location": self.location.to_dict(),
            "evidence": self.evidence,
            "remediation": self.remediation,
            "references": [r.to_dict() for r in self.references],
            "fingerprint": self.fingerprint,
        }
        if self.tags:
            out["tags"] = list(self.tags)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule_id=data["rule_id"],
            title=data["title"],
            severity=Severity.parse(data["severity"]),
            confidence=Confidence.parse(data["confidence"]),
            location=Location.from_dict(data["location"]),
            evidence=data.get("evidence", ""),
            remediation=data.get("remediation", ""),
            references=tuple(Reference.from_dict(r) for r in data.get("references", [])),
            fingerprint=data.get("fingerprint", ""),
            tags=tuple(data.get("tags", ())),
        )


def compute_fingerprint(finding: Finding) -> str:
    """Hash what identifies a finding but not where its line moved to.

    Line and column are left out on purpose: inserting a cell above must not
    turn every old finding into a "new" one in a baseline comparison.
    """
    loc = finding.location
    parts = [
        finding.rule_id,
        loc.path.replace("\\", "/"),
        "" if loc.member is None else loc.member,
        "" if loc.element is None else loc.element,
        "" if loc.endpoint is None else loc.endpoint,
        " ".join(finding.evidence.split()),
    ]
    import hashlib  # ~3 ms to import (OpenSSL): paid on the first finding, not by every `nbsec` start

    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:32]
