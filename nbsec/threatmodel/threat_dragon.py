"""OWASP Threat Dragon v2 JSON: import into a ThreatModel and export back, without losing anything.

Import keeps each cell's drawing (geometry, style, ports, Threat Dragon flags)
in the element's `extra.threat_dragon` and the cells nbsec does not model
(boundary curves, text) in the model's `extra`, so export redraws the same
diagram. Only the fields nbsec manages are taken out of the kept cell: name,
description, threats and the flags that map to nbsec controls and attributes.
Boundary boxes become zones; flows that cross a boundary curve get
`crosses_boundary: true`. Threats on cells become custom threat entries;
library threats nbsec exports are marked (`modelType: nbsec`) and come back
as review entries for their rule, so nothing is doubled on re-import.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from typing import Any

from nbsec.errors import NbsecError
from nbsec.threatmodel.document import Element, Flow, ThreatEntry, ThreatModel, Zone
from nbsec.threatmodel.loader import STRIDE
from nbsec.threatmodel.vocabulary import DEFAULT_ZONE

TD_VERSION = "2.3.0"
KEY = "threat_dragon"
NODE_TYPES = {"tm.Actor": "user", "tm.Process": "process", "tm.Store": "data_store"}
STATUS_IN = {
    "na": "not-applicable",
    "open": "open",
    "mitigated": "mitigated",
    "accepted": "accepted",
    "transferred": "transferred",
    "avoided": "mitigated",
    "eliminated": "mitigated",
}
STATUS_OUT = {
    "open": "Open",
    "mitigated": "Mitigated",
    "accepted": "Accepted",
    "transferred": "Transferred",
    "not-applicable": "NA",
}
SEVERITY_OUT = {"critical": "High", "high": "High", "medium": "Medium", "low": "Low", "info": "Low"}
# cell.data fields that nbsec manages itself (everything else in a cell is kept verbatim)
MANAGED = (
    "name",
    "description",
    "threats",
    "hasOpenThreats",
    "isEncrypted",
    "isPublicNetwork",
    "protocol",
    "isBidirectional",
)
NBSEC_FIELDS = ("nbsecId", "nbsecKind", "nbsecStage", "nbsecZone", "nbsecAttributes", "nbsecControls")
THREAT_NBSEC = ("nbsecRule", "nbsecOwner", "nbsecDue", "nbsecNote", "nbsecLikelihood", "nbsecImpact")
NAMESPACE = uuid.UUID("5c0e6c3e-8f1a-4f4b-9c59-7b5a1d0e2f10")


def _require(condition: bool, source: str, message: str) -> None:
    if not condition:
        raise NbsecError(f"{source}: {message}", "export the model from Threat Dragon 2.x as JSON (File > Save)")


# -- import -----------------------------------------------------------------------------


def import_threat_dragon(data: Any, source: str = "<threat dragon>") -> ThreatModel:
    _require(isinstance(data, dict), source, "not a Threat Dragon model (expected a JSON object)")
    detail, summary = data.get("detail"), data.get("summary")
    _require(isinstance(detail, dict) and isinstance(summary, dict), source, "no `summary` / `detail` (not v2 format)")
    diagrams = detail.get("diagrams")
    _require(isinstance(diagrams, list), source, "`detail.diagrams` is missing")
    elements: list[Element] = []
    flows: list[Flow] = []
    zones: list[Zone] = []
    entries: list[ThreatEntry] = []
    kept_diagrams: list[dict[str, Any]] = []
    for index, diagram in enumerate(diagrams):
        cells = [c for c in diagram.get("cells", []) if isinstance(c, dict)]
        kept_diagrams.append({k: v for k, v in diagram.items() if k != "cells"})
        boxes = [c for c in cells if c.get("shape") == "trust-boundary-box"]
        curves = [c for c in cells if c.get("shape") == "trust-boundary-curve"]
        zones += [_zone(box, index) for box in boxes]
        nodes = [c for c in cells if c.get("data", {}).get("type") in NODE_TYPES]
        ids = {c["id"]: str(c["data"].get("nbsecId") or c["id"]) for c in nodes}
        geometry = {ids[c["id"]]: _center(c) for c in nodes}
        outside = False
        for cell in nodes:
            zone = _zone_of(cell, boxes)
            outside |= zone is None and bool(boxes) and not cell["data"].get("nbsecZone")
            element = _element(cell, index, zone or ("outside" if boxes else DEFAULT_ZONE))
            elements.append(element)
            entries += _entries(cell, element.id)
        for cell in (c for c in cells if c.get("data", {}).get("type") == "tm.Flow"):
            loose = _loose_ends(cell, boxes)
            elements += loose
            for end in loose:
                ids[end.extra[KEY]["cell_end"]] = end.id
                point = end.extra[KEY]["loose_end"]
                geometry[end.id] = (float(point.get("x", 0)), float(point.get("y", 0)))
            flow = _flow(cell, index, curves, geometry, ids)
            flows.append(flow)
            entries += _entries(cell, flow.id)
        if outside and not any(z.id == "outside" for z in zones):
            zones.append(Zone("outside", "outside any boundary box", "internal"))
    other = [
        {"diagram": i, "cell": c}
        for i, d in enumerate(diagrams)
        for c in d.get("cells", [])
        if isinstance(c, dict) and c.get("data", {}).get("type") not in (*NODE_TYPES, "tm.Flow")
    ]
    fields = {f.name for f in dataclasses.fields(ThreatEntry)} - {"line"}
    system = [
        ThreatEntry(**{k: v for k, v in e.items() if k in fields})
        for e in detail.get("nbsecSystemThreats", [])
        if isinstance(e, dict)
    ]
    kept_detail = {k: v for k, v in detail.items() if k not in ("diagrams", "nbsecSystemThreats")}
    return ThreatModel(
        title=str(summary.get("title") or "Threat Dragon model"),
        owner=str(summary.get("owner") or ""),
        description=str(summary.get("description") or ""),
        zones=tuple(zones),
        elements=tuple(elements),
        flows=tuple(flows),
        threats=tuple(_unique_entries([*entries, *system])),
        extra={
            KEY: {
                "version": data.get("version", TD_VERSION),
                "summary": {k: v for k, v in summary.items() if k not in ("title", "owner", "description")},
                "detail": kept_detail,
                "diagrams": kept_diagrams,
                "cells": other,
            }
        },
    )


def _zone(box: dict[str, Any], diagram: int) -> Zone:
    data = box.get("data", {})
    label = box.get("attrs", {}).get("label", {}).get("text") or data.get("name") or ""
    if data.get("nbsecZone"):  # a zone nbsec exported as a box: restore it as it was
        return Zone(
            str(data["nbsecZone"]),
            str(data.get("name", "")),
            str(data.get("nbsecTrust", "internal")),
            str(data.get("description", "")),
        )
    return Zone(
        id=box["id"], name=str(label), trust="internal", description=f"Threat Dragon boundary box (diagram {diagram})"
    )


def _box_rect(cell: dict[str, Any]) -> tuple[float, float, float, float] | None:
    pos, size = cell.get("position"), cell.get("size")
    if not isinstance(pos, dict) or not isinstance(size, dict):
        return None
    return (float(pos["x"]), float(pos["y"]), float(size["width"]), float(size["height"]))


def _center(cell: dict[str, Any]) -> tuple[float, float]:
    rect = _box_rect(cell)
    if rect is None:
        return (0.0, 0.0)
    x, y, w, h = rect
    return (x + w / 2, y + h / 2)


def _zone_of(cell: dict[str, Any], boxes: list[dict[str, Any]]) -> str | None:
    cx, cy = _center(cell)
    inside = []
    for box in boxes:
        rect = _box_rect(box)
        if rect is not None and rect[0] <= cx <= rect[0] + rect[2] and rect[1] <= cy <= rect[1] + rect[3]:
            inside.append((rect[2] * rect[3], box["id"]))
    return min(inside)[1] if inside else None


def _kept(cell: dict[str, Any], diagram: int) -> dict[str, Any]:
    kept = copy.deepcopy(cell)
    data = kept.get("data", {})
    for name in (*MANAGED, *NBSEC_FIELDS):
        data.pop(name, None)
    return {"diagram": diagram, "cell": kept}


def _element(cell: dict[str, Any], diagram: int, zone: str) -> Element:
    data = cell.get("data", {})
    kind = str(data.get("nbsecKind") or NODE_TYPES[data["type"]])
    controls = list(data.get("nbsecControls", []))
    if data.get("isEncrypted") and "encryption_at_rest" not in controls:
        controls.append("encryption_at_rest")
    return Element(
        id=str(data.get("nbsecId") or cell["id"]),
        kind=kind,
        name=str(data.get("name", "")),
        zone=str(data.get("nbsecZone") or zone),
        stage=str(data.get("nbsecStage", "")),
        description=str(data.get("description", "")),
        attributes=dict(data.get("nbsecAttributes", {})),
        controls=tuple(controls),
        extra={KEY: _kept(cell, diagram)},
    )


def _flow(
    cell: dict[str, Any],
    diagram: int,
    curves: list[dict[str, Any]],
    geometry: dict[str, tuple[float, float]],
    ids: dict[str, str],
) -> Flow:
    data = cell.get("data", {})
    attributes = dict(data.get("nbsecAttributes", {}))
    for td_name, name in (("isPublicNetwork", "public_network"), ("isBidirectional", "bidirectional")):
        if data.get(td_name):
            attributes[name] = True
    if data.get("protocol"):
        attributes["protocol"] = str(data["protocol"])
    ends = []
    for end in ("source", "target"):
        attached = cell.get(end, {}).get("cell", "")
        ends.append(ids.get(attached, attached) if attached else ids.get(f"{cell['id']}.{end}", ""))
    source, target = ends
    if "crosses_boundary" not in attributes and source in geometry and target in geometry:
        path = [geometry[source], *[(float(v["x"]), float(v["y"])) for v in cell.get("vertices", [])], geometry[target]]
        if any(_polylines_cross(path, _curve_points(curve)) for curve in curves):
            attributes["crosses_boundary"] = True
    controls = list(data.get("nbsecControls", []))
    if data.get("isEncrypted") and "encryption_in_transit" not in controls:
        controls.append("encryption_in_transit")
    return Flow(
        id=str(data.get("nbsecId") or cell["id"]),
        source=source,
        target=target,
        name=str(data.get("name", "")),
        attributes=attributes,
        controls=tuple(controls),
        extra={KEY: _kept(cell, diagram)},
    )


def _loose_ends(cell: dict[str, Any], boxes: list[dict[str, Any]]) -> list[Element]:
    """A flow end drawn to an empty point becomes a placeholder element (kept out of the export's cells)."""
    out = []
    for end in ("source", "target"):
        point = cell.get(end, {})
        if isinstance(point, dict) and not point.get("cell"):
            ident = f"{cell['id']}.{end}"
            name = str(cell.get("data", {}).get("name", "")).replace("\n", " ")
            out.append(
                Element(
                    id=ident,
                    kind="external_service",
                    name=f"unattached {end} of flow '{name}'",
                    zone="outside" if boxes else DEFAULT_ZONE,
                    extra={KEY: {"loose_end": copy.deepcopy(point), "cell_end": ident}},
                )
            )
    return out


def _curve_points(curve: dict[str, Any]) -> list[tuple[float, float]]:
    ends = [curve.get("source", {}), *curve.get("vertices", []), curve.get("target", {})]
    return [(float(p.get("x", 0)), float(p.get("y", 0))) for p in ends if isinstance(p, dict)]


def _polylines_cross(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    return any(_segments_cross(a[i], a[i + 1], b[j], b[j + 1]) for i in range(len(a) - 1) for j in range(len(b) - 1))


def _segments_cross(
    p1: tuple[float, float], p2: tuple[float, float], q1: tuple[float, float], q2: tuple[float, float]
) -> bool:
    def orient(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
    d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def _review_in(threat: dict[str, Any]) -> dict[str, Any]:
    """The review fields nbsec exported on a threat (owner, due, note, likelihood, impact), checked."""
    out: dict[str, Any] = {}
    for name in ("owner", "due", "note"):
        value = threat.get(f"nbsec{name.title()}")
        if value not in (None, ""):
            out[name] = str(value)
    for name in ("likelihood", "impact"):
        value = threat.get(f"nbsec{name.title()}")
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
            out[name] = value
    return out


def _entries(cell: dict[str, Any], target: str) -> list[ThreatEntry]:
    out = []
    for number, threat in enumerate(cell.get("data", {}).get("threats", []) or []):
        if not isinstance(threat, dict):
            continue
        status_td = str(threat.get("status", "Open"))
        status = STATUS_IN.get(status_td.strip().lower(), "open")
        review = _review_in(threat)
        if threat.get("modelType") == "nbsec" and threat.get("nbsecRule"):
            if status != "open" or review:  # an untouched open library threat carries no review state
                out.append(ThreatEntry(rule=str(threat["nbsecRule"]), target=target, status=status, **review))
            continue
        kind = str(threat.get("type", ""))
        extra = {
            k: v
            for k, v in threat.items()
            if k not in ("id", "title", "description", "mitigation", "status", *THREAT_NBSEC)
        }
        extra["status"] = status_td
        out.append(
            ThreatEntry(
                id=str(threat.get("id") or threat.get("threatId") or f"{cell['id']}-{number + 1}"),
                target=target,
                title=str(threat.get("title", "")) or "(untitled threat)",
                stride=next((s for s in STRIDE if s.lower() == kind.lower()), ""),
                description=str(threat.get("description", "")),
                mitigation=str(threat.get("mitigation", "")),
                status=status,
                extra=extra,
                **review,
            )
        )
    return out


def _unique_entries(entries: list[ThreatEntry]) -> list[ThreatEntry]:
    """Threat Dragon reuses ids across copied cells; keep the first and renumber the rest."""
    seen: set[tuple[str, str]] = set()
    out = []
    for entry in entries:
        if entry.key in seen and entry.is_custom:
            entry = dataclasses.replace(entry, id=f"{entry.id}-{entry.target[:8]}")
        if entry.key not in seen:
            seen.add(entry.key)
            out.append(entry)
    return out
