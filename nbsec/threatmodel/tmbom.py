"""Import the OWASP Threat Model Library format (TM-BOM, v1.0.x) into a ThreatModel.

Trust zones become zones (a zone named only in trust boundaries, such as
"public", is added as untrusted); actors, components and data stores become
elements; data sets become attributes of the stores that hold them; flows
resolve their ends by symbolic name (TM-BOM files often give the wrong end
type, so the type is not trusted); threats become custom threat entries whose
risk comes from the `risks` that name them and whose note lists the controls
recorded for them. What cannot be placed is reported in `warnings`, never
silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbsec.errors import NbsecError
from nbsec.threatmodel.document import Element, Flow, ThreatEntry, ThreatModel, Zone
from nbsec.threatmodel.loader import ID_PATTERN

LIKELIHOOD = {"rare": 1, "unlikely": 2, "possible": 3, "likely": 4, "almost_certain": 5, "certain": 5}
IMPACT = {"negligible": 1, "insignificant": 1, "minor": 2, "moderate": 3, "major": 4, "severe": 5, "catastrophic": 5}
ACTOR_KINDS = {"third_party": "external_service", "service": "external_service"}
SENSITIVE = ("pii", "personal", "phi", "pci", "gdpr")
KEY = "tmbom"
# TM-BOM has no ML element types: infer nbsec kinds from words in the symbolic name and title
# (first match wins; the element's extra records it so a reviewer can correct a wrong guess).
INFERRED_KINDS = (
    (("jupyter", "notebook"), "notebook", None),
    (("vector", "embedding"), "vector_store", None),
    (("llm", "gpt", "language model"), "llm", None),
    (("agent",), "agent", "components"),
    (("training", "train"), "training_job", "components"),
    (("model",), "model_registry", "data_stores"),
    (("training", "dataset", "data set", "images"), "dataset", "data_stores"),
)


@dataclass(frozen=True)
class TmbomImport:
    model: ThreatModel
    warnings: list[str] = field(default_factory=list)


def import_tmbom(data: Any, source: str = "<tm-bom>") -> TmbomImport:
    if not isinstance(data, dict) or not isinstance(data.get("scope"), dict):
        raise NbsecError(f"{source}: not a TM-BOM threat model (no `scope`)", "check the file is TM-BOM JSON (v1.0.x)")
    warnings: list[str] = []
    zones = _zones(data)
    elements = _elements(data, {z.id for z in zones}, warnings)
    known = {e.id for e in elements}
    flows = _flows(data, known, warnings)
    scope = data["scope"]
    return TmbomImport(
        ThreatModel(
            title=str(scope.get("title") or "TM-BOM model"),
            description=str(scope.get("description") or data.get("description") or ""),
            zones=tuple(zones),
            elements=tuple(elements),
            flows=tuple(flows),
            threats=tuple(_threats(data, warnings)),
            extra={
                KEY: {
                    k: data[k] for k in ("$schema", "version", "scope", "assumptions", "threat_personas") if k in data
                }
            },
        ),
        warnings,
    )


def _ident(raw: Any) -> str:
    text = str(raw or "").strip()
    return text if ID_PATTERN.match(text) else "-".join(text.split()) or "unnamed"


def _zones(data: dict[str, Any]) -> list[Zone]:
    zones = [
        Zone(_ident(z.get("symbolic_name")), str(z.get("title", "")), "internal", str(z.get("description", "")))
        for z in data.get("trust_zones", [])
        if isinstance(z, dict)
    ]
    named = {z.id for z in zones}
    for boundary in data.get("trust_boundaries", []):
        for key in ("trust_zone_a", "trust_zone_b"):
            ident = _ident(boundary.get(key)) if isinstance(boundary, dict) else ""
            if ident and ident not in named:
                zones.append(Zone(ident, ident, "untrusted", "named in trust_boundaries only (assumed untrusted)"))
                named.add(ident)
    if not any(z.id == "unzoned" for z in zones):
        zones.append(Zone("unzoned", "no trust zone given", "internal"))
    return zones


def _elements(data: dict[str, Any], zones: set[str], warnings: list[str]) -> list[Element]:
    out: list[Element] = []
    holdings = _datasets_by_store(data)
    groups = (("actors", None), ("components", "process"), ("data_stores", "data_store"))
    for section, kind in groups:
        for raw in data.get(section, []):
            if not isinstance(raw, dict):
                continue
            ident = _ident(raw.get("symbolic_name"))
            element_kind = kind or ACTOR_KINDS.get(str(raw.get("type", "")), "user")
            inferred = _infer_kind(section, f"{raw.get('symbolic_name', '')} {raw.get('title', '')}")
            zone = _ident(raw.get("trust_zone")) if raw.get("trust_zone") else "unzoned"
            if zone not in zones:
                warnings.append(f"{section} {ident}: unknown trust zone {zone!r}; placed in 'unzoned'")
                zone = "unzoned"
            attributes: dict[str, Any] = {}
            if section == "actors" and element_kind == "user" and str(raw.get("type")) in ("engineer", "administrator"):
                attributes["trusted"] = True
            held = holdings.get(ident, [])
            if any(_sensitive(d) for d in held):
                attributes["personal_data"] = True
            extra = {k: v for k, v in raw.items() if k not in ("symbolic_name", "title", "description", "trust_zone")}
            if held:
                extra["data_sets"] = [d.get("symbolic_name") for d in held]
            if inferred:
                extra["kind_inferred_from_name"] = element_kind
            out.append(
                Element(
                    id=ident,
                    kind=inferred or element_kind,
                    name=str(raw.get("title", "")),
                    zone=zone,
                    description=str(raw.get("description", "")),
                    attributes=attributes,
                    controls=("encryption_at_rest",) if held and all(_encrypted(d, ident) for d in held) else (),
                    extra={KEY: {"section": section, **extra}},
                )
            )
    stores = {e.id for e in out}
    for store, sets in holdings.items():
        if store not in stores:
            names = ", ".join(str(d.get("symbolic_name")) for d in sets)
            warnings.append(f"data_sets {names}: data store {store!r} does not exist; not placed")
    return out


def _infer_kind(section: str, words: str) -> str | None:
    text = words.lower().replace("-", " ").replace("_", " ")
    for needles, kind, only in INFERRED_KINDS:
        if (only is None or only == section) and section != "actors" and any(n in text for n in needles):
            return kind
    return None


def _datasets_by_store(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for dataset in data.get("data_sets", []):
        if isinstance(dataset, dict):
            for placement in dataset.get("placements", []):
                if isinstance(placement, dict):
                    out.setdefault(_ident(placement.get("data_store")), []).append(dataset)
    return out


def _sensitive(dataset: dict[str, Any]) -> bool:
    labels = " ".join(str(s).lower() for s in dataset.get("data_sensitivity", []))
    return any(word in labels for word in SENSITIVE)


def _encrypted(dataset: dict[str, Any], store: str) -> bool:
    return any(
        isinstance(p, dict) and _ident(p.get("data_store")) == store and p.get("encrypted")
        for p in dataset.get("placements", [])
    )


def _flows(data: dict[str, Any], known: set[str], warnings: list[str]) -> list[Flow]:
    out: list[Flow] = []
    for raw in data.get("data_flows", []):
        if not isinstance(raw, dict):
            continue
        ident = _ident(raw.get("symbolic_name"))
        ends = [_ident((raw.get(key) or {}).get("object")) for key in ("source", "destination")]
        missing = [end for end in ends if end not in known]
        if missing:
            warnings.append(
                f"data_flows {ident}: no actor, component or store named {', '.join(missing)}; not imported"
            )
            continue
        attributes: dict[str, Any] = {"personal_data": True} if raw.get("has_sensitive_data") else {}
        out.append(
            Flow(
                id=ident,
                source=ends[0],
                target=ends[1],
                name=str(raw.get("title", "")),
                data=str(raw.get("description", "")),
                attributes=attributes,
                controls=("encryption_in_transit",) if raw.get("encrypted") else (),
                extra={KEY: {k: v for k, v in raw.items() if k in ("source", "destination")}},
            )
        )
    return out


def _threats(data: dict[str, Any], warnings: list[str]) -> list[ThreatEntry]:
    risks: dict[str, dict[str, Any]] = {}
    for risk in data.get("risks", []):
        if isinstance(risk, dict):
            for name in risk.get("threats", []):
                risks.setdefault(str(name), risk)
    controls: dict[str, list[str]] = {}
    for control in data.get("controls", []):
        if isinstance(control, dict):
            label = f"{control.get('title', control.get('symbolic_name'))} ({control.get('status', 'unknown')})"
            for name in control.get("threats", []):
                controls.setdefault(str(name), []).append(label)
    out = []
    for raw in data.get("threats", []):
        if not isinstance(raw, dict):
            continue
        ident = _ident(raw.get("symbolic_name"))
        risk = risks.get(str(raw.get("symbolic_name")), {})
        likelihood = LIKELIHOOD.get(str(risk.get("likelihood", "")).lower())
        impact = IMPACT.get(str(risk.get("impact", "")).lower())
        if risk and (likelihood is None or impact is None):
            warnings.append(f"risk {risk.get('symbolic_name')}: likelihood/impact words not recognised; default used")
        mechanisms = ", ".join(
            f"CAPEC-{m.get('capec_id')}" for m in raw.get("attack_mechanisms", []) if isinstance(m, dict)
        )
        weaknesses = ", ".join(f"CWE-{w.get('cwe_id')}" for w in raw.get("weaknesses", []) if isinstance(w, dict))
        out.append(
            ThreatEntry(
                id=ident,
                title=str(raw.get("title", ident)),
                description=str(raw.get("description", "")),
                mitigation="; ".join(controls.get(str(raw.get("symbolic_name")), [])),
                likelihood=likelihood,
                impact=impact,
                note=" ".join(p for p in (mechanisms, weaknesses) if p),
                extra={KEY: {k: raw[k] for k in ("threat_persona", "event", "sources") if k in raw}},
            )
        )
    return out
