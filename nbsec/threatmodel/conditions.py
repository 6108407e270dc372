"""Declarative threat conditions and the small matcher that evaluates them (no eval, no strings run).

A rule's condition is data: the element kinds it applies to, attribute values,
and graph facts (a neighbour of some kind, something untrusted upstream, a flow
that crosses into a more trusted zone). `Graph` indexes one model for one
evaluation; it is built fresh each time, so nothing is cached between calls.
A match returns the reasons it matched, which become the finding's evidence.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from nbsec.threatmodel.document import Element, Flow, ThreatModel
from nbsec.threatmodel.vocabulary import ATTRIBUTES, TRUST_LEVELS, UNTRUSTED_BY_DEFAULT


@dataclass(frozen=True)
class Is:
    """A test on one element: kind, attribute values, untrusted-ness."""

    kinds: tuple[str, ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict)  # value, or a tuple of accepted values
    untrusted: bool | None = None


@dataclass(frozen=True)
class When:
    """A rule's condition on an element; every given field must hold, and one of `any_of` if given."""

    kinds: tuple[str, ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict)
    inbound: Is | None = None  # a direct predecessor (flow into this element) satisfies
    outbound: Is | None = None  # a direct successor satisfies
    upstream: Is | None = None  # an element with a path of flows to this one satisfies
    downstream: Is | None = None  # an element this one reaches satisfies
    exposed: bool | None = None  # public, or something untrusted is upstream
    enters_from_lower_trust: bool | None = None  # an inbound flow comes from a less trusted zone
    any_of: tuple[When, ...] = ()


@dataclass(frozen=True)
class FlowWhen:
    """A rule's condition on a flow."""

    source: Is | None = None
    target: Is | None = None
    crosses_boundary: bool | None = None
    into_higher_trust: bool | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


def describe(element: Element) -> str:
    return f"{element.kind} '{element.id}'"


class Graph:
    """One model's elements and flows, indexed for matching."""

    def __init__(self, model: ThreatModel) -> None:
        self.model = model
        self.by_id = {e.id: e for e in model.elements}
        self.order = {e.id: i for i, e in enumerate(model.elements)}
        self.inbound: dict[str, list[Flow]] = {e.id: [] for e in model.elements}
        self.outbound: dict[str, list[Flow]] = {e.id: [] for e in model.elements}
        for flow in model.flows:
            if flow.source in self.by_id and flow.target in self.by_id:
                self.outbound[flow.source].append(flow)
                self.inbound[flow.target].append(flow)
        self._upstream: dict[str, list[str]] = {}
        self._downstream: dict[str, list[str]] = {}

    # -- facts -------------------------------------------------------------------------

    def attr(self, element: Element | Flow, name: str) -> Any:
        if name in element.attributes:
            return element.attributes[name]
        spec = ATTRIBUTES.get(name)
        return spec.default if spec is not None else None

    def trust_rank(self, element: Element) -> int:
        trust = self.model.zone_trust(element.zone)
        return TRUST_LEVELS.index(trust) if trust in TRUST_LEVELS else 1

    def untrusted(self, element: Element) -> bool:
        declared = element.attributes.get("trusted")
        if declared is not None:
            return not declared
        return element.kind in UNTRUSTED_BY_DEFAULT or self.model.zone_trust(element.zone) == "untrusted"

    def crosses(self, flow: Flow) -> bool:
        declared = flow.attributes.get("crosses_boundary")
        if declared is not None:
            return bool(declared)
        source, target = self.by_id.get(flow.source), self.by_id.get(flow.target)
        return source is not None and target is not None and source.zone != target.zone

    def upstream(self, ident: str) -> list[str]:
        """Ids of every element with a path of flows to `ident`, in model order."""
        if ident not in self._upstream:
            self._upstream[ident] = self._reach(ident, self.inbound, "source")
        return self._upstream[ident]

    def downstream(self, ident: str) -> list[str]:
        if ident not in self._downstream:
            self._downstream[ident] = self._reach(ident, self.outbound, "target")
        return self._downstream[ident]

    def _reach(self, start: str, edges: dict[str, list[Flow]], end: str) -> list[str]:
        seen: set[str] = set()
        queue = deque([start])
        while queue:
            for flow in edges.get(queue.popleft(), []):
                nxt = getattr(flow, end)
                if nxt not in seen and nxt != start:
                    seen.add(nxt)
                    queue.append(nxt)
        return sorted(seen, key=lambda i: self.order[i])

    # -- matching ------------------------------------------------------------------------

    def is_(self, element: Element, test: Is) -> list[str] | None:
        if test.kinds and element.kind not in test.kinds:
            return None
        reasons = self._attrs(element, test.attrs)
        if reasons is None:
            return None
        if test.untrusted is not None and self.untrusted(element) != test.untrusted:
            return None
        return reasons

    def _attrs(self, item: Element | Flow, wanted: dict[str, Any]) -> list[str] | None:
        reasons: list[str] = []
        for name, expected in wanted.items():
            value = self.attr(item, name)
            accepted = expected if isinstance(expected, tuple) else (expected,)
            if value not in accepted:
                return None
            if value is True:
                reasons.append(name.replace("_", " "))
            elif value not in (False, None, ""):
                reasons.append(f"{name.replace('_', ' ')} {value}")
        return reasons

    def _first(self, ids: list[str], test: Is, template: str) -> list[str] | None:
        for ident in ids:
            element = self.by_id[ident]
            found = self.is_(element, test)
            if found is not None:
                return [template.format(describe(element))]
        return None

    def match(self, element: Element, when: When) -> list[str] | None:
        """The reasons `element` satisfies `when`, or None when it does not."""
        if when.kinds and element.kind not in when.kinds:
            return None
        reasons = self._attrs(element, when.attrs)
        if reasons is None:
            return None
        neighbours = (
            (when.inbound, [f.source for f in self.inbound[element.id]], "receives data from {}"),
            (when.outbound, [f.target for f in self.outbound[element.id]], "sends data to {}"),
            (when.upstream, self.upstream(element.id), "downstream of {}"),
            (when.downstream, self.downstream(element.id), "feeds {}"),
        )
        for test, ids, template in neighbours:
            if test is not None:
                found = self._first(list(dict.fromkeys(ids)), test, template)
                if found is None:
                    return None
                reasons += found
        if when.exposed is not None:
            exposure = self.exposure(element)
            if (exposure is not None) != when.exposed:
                return None
            if exposure:
                reasons.append(exposure)
        if when.enters_from_lower_trust is not None:
            entry = self._lower_trust_entry(element)
            if (entry is not None) != when.enters_from_lower_trust:
                return None
            if entry:
                reasons.append(entry)
        if when.any_of:
            alternative = next((r for r in (self.match(element, w) for w in when.any_of) if r is not None), None)
            if alternative is None:
                return None
            reasons += alternative
        return list(dict.fromkeys(reasons))

    def exposure(self, element: Element) -> str | None:
        """Why untrusted parties can reach `element`, or None."""
        if self.attr(element, "public"):
            return "public"
        if self.untrusted(element):
            return "untrusted itself"
        for ident in self.upstream(element.id):
            if self.untrusted(self.by_id[ident]):
                return f"reachable from untrusted {describe(self.by_id[ident])}"
        return None

    def _lower_trust_entry(self, element: Element) -> str | None:
        for flow in self.inbound[element.id]:
            source = self.by_id[flow.source]
            if self.trust_rank(source) < self.trust_rank(element) or (self.crosses(flow) and self.untrusted(source)):
                return f"enters from zone '{source.zone}' ({describe(source)}) across a trust boundary"
        return None

    def match_flow(self, flow: Flow, when: FlowWhen) -> list[str] | None:
        source, target = self.by_id.get(flow.source), self.by_id.get(flow.target)
        if source is None or target is None:
            return None
        reasons = self._attrs(flow, when.attrs)
        if reasons is None:
            return None
        for test, end, label in ((when.source, source, "from"), (when.target, target, "to")):
            if test is not None:
                found = self.is_(end, test)
                if found is None:
                    return None
                reasons.append(f"{label} {describe(end)}")
        if when.crosses_boundary is not None:
            if self.crosses(flow) != when.crosses_boundary:
                return None
            if when.crosses_boundary:
                reasons.append(f"crosses a trust boundary ({source.zone} -> {target.zone})")
        if when.into_higher_trust is not None:
            higher = self.trust_rank(source) < self.trust_rank(target)
            if higher != when.into_higher_trust:
                return None
        return list(dict.fromkeys(reasons))
