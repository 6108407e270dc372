"""Write a ThreatModel as Threat Dragon v2 JSON, with nbsec's evaluated threats on the cells.

Cells kept from an import are written back as they were, with the fields nbsec
manages refreshed; elements, flows and zones made in nbsec get a generated
cell (positions from nbsec's layout). nbsec's kind, zone, attributes and
controls ride along in `nbsec*` data fields so a re-import restores them.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from nbsec.threatmodel.document import Element, Flow, ThreatEntry, ThreatModel
from nbsec.threatmodel.engine import Assessment, Threat, evaluate
from nbsec.threatmodel.layout import layout
from nbsec.threatmodel.threat_dragon import KEY, NAMESPACE, SEVERITY_OUT, STATUS_IN, STATUS_OUT, TD_VERSION
from nbsec.threatmodel.vocabulary import ACTOR_KINDS, STORE_KINDS

THUMBNAIL = "./public/content/images/thumbnail.stride.jpg"
STROKE = {"stroke": "#333333", "strokeWidth": 1.5, "strokeDasharray": ""}


def export_threat_dragon(model: ThreatModel, assessment: Assessment | None = None) -> dict[str, Any]:
    assessment = assessment if assessment is not None else evaluate(model)
    kept: dict[str, Any] = model.extra.get(KEY, {}) if isinstance(model.extra.get(KEY), dict) else {}
    diagrams = [dict(d) for d in kept.get("diagrams", [])] or [_new_diagram(model)]
    cells: list[list[dict[str, Any]]] = [[] for _ in diagrams]
    for item in kept.get("cells", []):
        cells[_index(item.get("diagram"), diagrams)].append(copy.deepcopy(item["cell"]))
    boxed = {c.get("data", {}).get("nbsecZone") or c.get("id") for row in cells for c in row}
    places = layout(model)
    boxes = [
        _zone_cell(zone.id, zone.name, zone.trust, zone.description, places.zones.get(zone.id))
        for zone in model.zones
        if zone.id not in boxed
    ]
    cells[0][:0] = boxes  # drawn first: behind the elements
    by_target = _threats_by_target(model, assessment)
    cell_ids: dict[str, str] = {}
    loose: dict[str, Any] = {}
    for element in model.elements:
        kept_cell = element.extra.get(KEY)
        if isinstance(kept_cell, dict) and "loose_end" in kept_cell:
            loose[element.id] = kept_cell["loose_end"]  # drawn as the flow's free end, not as a cell
            continue
        index, cell = _element_cell(element, places.elements.get(element.id), diagrams)
        cell_ids[element.id] = cell["id"]
        _set_threats(cell, by_target.get(element.id, []))
        cells[index].append(cell)
    for flow in model.flows:
        index, cell = _flow_cell(flow, cell_ids, loose, diagrams)
        _set_threats(cell, by_target.get(flow.id, []))
        cells[index].append(cell)
    for diagram, row in zip(diagrams, cells, strict=True):
        diagram["cells"] = row
    detail: dict[str, Any] = {"contributors": [], "reviewer": "", "diagramTop": len(diagrams), "threatTop": 0}
    detail.update(kept.get("detail", {}))
    detail["diagrams"] = diagrams
    system = [t.to_dict() for t in model.threats if t.is_custom and not t.target]
    if system:
        detail["nbsecSystemThreats"] = system
    summary = {"title": model.title, "owner": model.owner, "description": model.description, "id": 0}
    summary.update(kept.get("summary", {}))
    return {"version": str(kept.get("version", TD_VERSION)), "summary": summary, "detail": detail}


def _index(value: Any, diagrams: list[dict[str, Any]]) -> int:
    return value if isinstance(value, int) and 0 <= value < len(diagrams) else 0


def _new_diagram(model: ThreatModel) -> dict[str, Any]:
    return {"id": 0, "title": model.title, "diagramType": "STRIDE", "version": TD_VERSION, "thumbnail": THUMBNAIL}


def _cell_id(ident: str) -> str:
    return ident if len(ident) >= 2 else f"nbsec:{ident}"  # the schema wants ids of 2+ characters


def _zone_cell(ident: str, name: str, trust: str, description: str, box: Any) -> dict[str, Any]:
    x, y, w, h = (box.x, box.y, box.width, box.height) if box is not None else (0.0, 0.0, 400.0, 300.0)
    return {
        "id": _cell_id(f"zone:{ident}"),
        "shape": "trust-boundary-box",
        "zIndex": -1,
        "visible": True,
        "position": {"x": x, "y": y},
        "size": {"width": w, "height": h},
        "attrs": {"label": {"text": name or ident}},
        "data": {
            "type": "tm.BoundaryBox",
            "name": name,
            "description": description,
            "isTrustBoundary": True,
            "hasOpenThreats": False,
            "nbsecZone": ident,
            "nbsecTrust": trust,
        },
    }


def _element_cell(element: Element, box: Any, diagrams: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    kept = element.extra.get(KEY)
    if isinstance(kept, dict) and isinstance(kept.get("cell"), dict):
        index, cell = _index(kept.get("diagram"), diagrams), copy.deepcopy(kept["cell"])
    else:
        shape, kind = (
            ("actor", "tm.Actor") if element.kind in ACTOR_KINDS else
            ("store", "tm.Store") if element.kind in STORE_KINDS else ("process", "tm.Process")
        )  # fmt: skip
        x, y, w, h = (box.x, box.y, box.width, box.height) if box is not None else (0.0, 0.0, 160.0, 70.0)
        index, cell = (
            0,
            {
                "id": _cell_id(element.id),
                "shape": shape,
                "zIndex": 1,
                "visible": True,
                "position": {"x": x, "y": y},
                "size": {"width": w, "height": h},
                "attrs": {"text": {"text": element.label}, "body": dict(STROKE)},
                "data": {"type": kind, "outOfScope": False, "reasonOutOfScope": ""},
            },
        )
    data = cell.setdefault("data", {})
    data.update({"name": element.name, "description": element.description})
    if data.get("type") == "tm.Store":
        data["isEncrypted"] = "encryption_at_rest" in element.controls
    data.update(_nbsec_fields(element.id, cell["id"], element.attributes, element.controls))
    data.update({"nbsecKind": element.kind, "nbsecZone": element.zone})
    if element.stage:
        data["nbsecStage"] = element.stage
    return index, cell


def _flow_cell(
    flow: Flow, cell_ids: dict[str, str], loose: dict[str, Any], diagrams: list[dict[str, Any]]
) -> tuple[int, dict[str, Any]]:
    kept = flow.extra.get(KEY)
    if isinstance(kept, dict) and isinstance(kept.get("cell"), dict):
        index, cell = _index(kept.get("diagram"), diagrams), copy.deepcopy(kept["cell"])
    else:
        index, cell = (
            0,
            {
                "id": _cell_id(flow.id),
                "shape": "flow",
                "zIndex": 10,
                "width": 200,
                "height": 100,
                "connector": "smooth",
                "vertices": [],
                "attrs": {"line": {**STROKE, "targetMarker": {"name": "block"}, "sourceMarker": {"name": ""}}},
                "labels": [{"position": 0.5, "attrs": {"labelText": {"text": flow.label}}}],
                "data": {"type": "tm.Flow", "outOfScope": False, "reasonOutOfScope": ""},
            },
        )
    for end, ident in (("source", flow.source), ("target", flow.target)):
        if ident in loose:
            cell[end] = copy.deepcopy(loose[ident])
        else:
            cell.setdefault(end, {})["cell"] = cell_ids.get(ident, ident)
    data = cell.setdefault("data", {})
    data.update(
        {
            "name": flow.name,
            "description": flow.data,
            "isEncrypted": "encryption_in_transit" in flow.controls,
            "isPublicNetwork": bool(flow.attributes.get("public_network", False)),
            "isBidirectional": bool(flow.attributes.get("bidirectional", False)),
            "protocol": str(flow.attributes.get("protocol", "")),
        }
    )
    data.update(_nbsec_fields(flow.id, cell["id"], flow.attributes, flow.controls))
    return index, cell


def _nbsec_fields(ident: str, cell_id: str, attributes: dict[str, Any], controls: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ident != cell_id:
        out["nbsecId"] = ident
    if attributes:
        out["nbsecAttributes"] = dict(sorted(attributes.items()))
    if controls:
        out["nbsecControls"] = list(controls)
    return out


def _threats_by_target(model: ThreatModel, assessment: Assessment) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for threat in assessment.threats:
        if threat.custom_id:
            continue
        out.setdefault(threat.target, []).append(_library_threat(threat))
    for entry in model.threats:
        if entry.is_custom and entry.target:
            out.setdefault(entry.target, []).append(_custom_threat(entry, assessment))
    return out


def _review(threat: Threat | ThreatEntry) -> dict[str, Any]:
    fields: dict[str, Any] = {"nbsecOwner": threat.owner, "nbsecDue": threat.due, "nbsecNote": threat.note}
    if isinstance(threat, ThreatEntry):
        fields.update({"nbsecLikelihood": threat.likelihood, "nbsecImpact": threat.impact})
    return {k: v for k, v in fields.items() if v not in ("", None)}


def _library_threat(threat: Threat) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(NAMESPACE, f"{threat.rule_id}|{threat.target}")),
        "title": f"{threat.rule_id} {threat.title}",
        "type": threat.stride[0] if threat.stride else "",
        "status": STATUS_OUT[threat.status],
        "severity": SEVERITY_OUT[threat.residual.severity.value],
        "score": str(threat.residual.score),
        "description": "; ".join(threat.reasons),
        "mitigation": threat.remediation,
        "modelType": "nbsec",
        "nbsecRule": threat.rule_id,
        **_review(threat),
    }


def _custom_threat(entry: ThreatEntry, assessment: Assessment) -> dict[str, Any]:
    kept = dict(entry.extra)
    original = str(kept.pop("status", ""))
    status = original if STATUS_IN.get(original.lower()) == entry.status else STATUS_OUT[entry.status]
    evaluated = next((t for t in assessment.threats if t.custom_id == entry.id), None)
    severity = SEVERITY_OUT[evaluated.residual.severity.value] if evaluated is not None else "Medium"
    out: dict[str, Any] = {"type": entry.stride, "modelType": "STRIDE", "severity": severity}
    out.update(kept)
    out.update(
        {
            "id": entry.id,
            "title": entry.title,
            "status": status,
            "description": entry.description,
            "mitigation": entry.mitigation,
            **_review(entry),
        }
    )
    return out


def _set_threats(cell: dict[str, Any], threats: list[dict[str, Any]]) -> None:
    data = cell.setdefault("data", {})
    data["threats"] = threats
    data["hasOpenThreats"] = any(t.get("status") == "Open" for t in threats)
