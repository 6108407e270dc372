"""The threat model as data: zones, elements, flows, system-wide controls and threat entries.

Immutable dataclasses: editing (the widget, an importer) builds a new model with
`with_element`, `with_flow`, ... so evaluating a model is a pure function of it.
`to_dict()` is the one plain-data form; the YAML file and the notebook snapshot
are written from it and `loader.model_from_data` reads it back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nbsec.threatmodel.vocabulary import DEFAULT_ZONE, default_stage

FORMAT_KEY = "nbsec_threat_model"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Zone:
    """A trust zone; a flow between two zones crosses a trust boundary."""

    id: str
    name: str = ""
    trust: str = "internal"
    description: str = ""
    line: int | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        if self.name:
            out["name"] = self.name
        out["trust"] = self.trust
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class Element:
    """A part of the AI system: a dataset, a training job, an LLM, a user, ..."""

    id: str
    kind: str
    name: str = ""
    zone: str = DEFAULT_ZONE
    stage: str = ""
    description: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    controls: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # importer pass-through, written back on export
    line: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def lifecycle_stage(self) -> str:
        return self.stage or default_stage(self.kind)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind}
        if self.name:
            out["name"] = self.name
        out["zone"] = self.zone
        if self.stage:
            out["stage"] = self.stage
        if self.description:
            out["description"] = self.description
        if self.attributes:
            out["attributes"] = dict(sorted(self.attributes.items()))
        if self.controls:
            out["controls"] = list(self.controls)
        if self.extra:
            out["extra"] = self.extra
        return out


@dataclass(frozen=True)
class Flow:
    """Data moving from one element to another."""

    id: str
    source: str
    target: str
    name: str = ""
    data: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    controls: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    line: int | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return self.name or self.data or self.id

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "from": self.source, "to": self.target}
        if self.name:
            out["name"] = self.name
        if self.data:
            out["data"] = self.data
        if self.attributes:
            out["attributes"] = dict(sorted(self.attributes.items()))
        if self.controls:
            out["controls"] = list(self.controls)
        if self.extra:
            out["extra"] = self.extra
        return out


@dataclass(frozen=True)
class ThreatEntry:
    """A reviewer's record about one threat: a library threat's status, or a threat they added.

    A library threat is named by `rule` (NBSEC-TM-NNN) and `target` (element or
    flow id). A custom threat (typed by hand or imported) has an `id` and a
    `title` and no rule. Either way it carries the status, owner, due date and
    note that let remediation be tracked across reviews, and optional
    likelihood/impact that override the library's estimate.
    """

    rule: str = ""
    target: str = ""
    id: str = ""
    title: str = ""
    stride: str = ""
    description: str = ""
    mitigation: str = ""
    status: str = "open"
    owner: str = ""
    due: str = ""
    note: str = ""
    likelihood: int | None = None
    impact: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    line: int | None = field(default=None, compare=False)

    @property
    def is_custom(self) -> bool:
        return not self.rule

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule or f"custom:{self.id}", self.target)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("rule", "id", "target", "title", "stride", "description", "mitigation", "status"):
            value = getattr(self, name)
            if value or name == "status":
                out[name] = value
        for name in ("owner", "due", "note", "likelihood", "impact"):
            value = getattr(self, name)
            if value not in ("", None):
                out[name] = value
        if self.extra:
            out["extra"] = self.extra
        return out


@dataclass(frozen=True)
class ThreatModel:
    """A whole system: what it is made of, how data moves, what protects it, and the review state."""

    title: str = "Untitled AI system"
    owner: str = ""
    description: str = ""
    zones: tuple[Zone, ...] = ()
    elements: tuple[Element, ...] = ()
    flows: tuple[Flow, ...] = ()
    controls: tuple[str, ...] = ()  # in place for every element (e.g. dependency_pinning in CI)
    threats: tuple[ThreatEntry, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    # -- lookups ---------------------------------------------------------------

    def element(self, ident: str) -> Element | None:
        return next((e for e in self.elements if e.id == ident), None)

    def flow(self, ident: str) -> Flow | None:
        return next((f for f in self.flows if f.id == ident), None)

    def zone(self, ident: str) -> Zone | None:
        return next((z for z in self.zones if z.id == ident), None)

    def zone_trust(self, ident: str) -> str:
        zone = self.zone(ident)
        if zone is not None:
            return zone.trust
        return "untrusted" if ident in ("internet", "public", "untrusted") else "internal"

    def entry(self, rule: str, target: str) -> ThreatEntry | None:
        return next((t for t in self.threats if t.rule == rule and t.target == target), None)

    def zone_ids(self) -> list[str]:
        """Declared zones first, then zones elements name without declaring them, in order of appearance."""
        seen = [z.id for z in self.zones]
        for element in self.elements:
            if element.zone not in seen:
                seen.append(element.zone)
        return seen

    # -- edits (each returns a new model) ----------------------------------------

    def with_element(self, element: Element) -> ThreatModel:
        return dataclasses.replace(self, elements=_upsert(self.elements, element))

    def with_flow(self, flow: Flow) -> ThreatModel:
        return dataclasses.replace(self, flows=_upsert(self.flows, flow))

    def with_zone(self, zone: Zone) -> ThreatModel:
        return dataclasses.replace(self, zones=_upsert(self.zones, zone))

    def without_element(self, ident: str) -> ThreatModel:
        """Drop an element and the flows that touch it."""
        return dataclasses.replace(
            self,
            elements=tuple(e for e in self.elements if e.id != ident),
            flows=tuple(f for f in self.flows if ident not in (f.source, f.target)),
        )

    def with_control(self, target: str, control: str) -> ThreatModel:
        """Declare `control` on an element or flow (or system-wide when target is empty)."""
        if not target:
            return dataclasses.replace(self, controls=_added(self.controls, control))
        element = self.element(target)
        if element is not None:
            return self.with_element(dataclasses.replace(element, controls=_added(element.controls, control)))
        flow = self.flow(target)
        if flow is not None:
            return self.with_flow(dataclasses.replace(flow, controls=_added(flow.controls, control)))
        raise KeyError(target)

    def with_entry(self, entry: ThreatEntry) -> ThreatModel:
        """Replace the entry for the same threat (rule + target, or custom id) where it is, or append it.

        In place, so recording a decision never moves an entry in the file (a save then changes its lines only).
        """
        threats = list(self.threats)
        for index, existing in enumerate(threats):
            if existing.key == entry.key:
                threats[index] = entry
                return dataclasses.replace(self, threats=tuple(threats))
        return dataclasses.replace(self, threats=(*threats, entry))

    # -- serialization -----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {FORMAT_KEY: FORMAT_VERSION, "title": self.title}
        if self.owner:
            out["owner"] = self.owner
        if self.description:
            out["description"] = self.description
        if self.zones:
            out["zones"] = [z.to_dict() for z in self.zones]
        if self.controls:
            out["controls"] = list(self.controls)
        out["elements"] = [e.to_dict() for e in self.elements]
        out["flows"] = [f.to_dict() for f in self.flows]
        if self.threats:
            out["threats"] = [t.to_dict() for t in self.threats]
        if self.extra:
            out["extra"] = self.extra
        return out


def _upsert(items: Iterable[Any], item: Any) -> tuple[Any, ...]:
    """Replace the item with the same id in place, or append it."""
    out = list(items)
    for index, existing in enumerate(out):
        if existing.id == item.id:
            out[index] = item
            return tuple(out)
    return (*out, item)


def _added(names: tuple[str, ...], name: str) -> tuple[str, ...]:
    return names if name in names else (*names, name)
