"""Turn MITRE ATLAS's `ATLAS.yaml` (already parsed) into nbsec's trimmed catalogue.

Kept: ids, names, kinds, the tactic of each technique (sub-techniques inherit
their parent's), maturity, the mitigation -> technique relation, and the case
studies' ids and names. Dropped: descriptions, dates, the mitigations' "use"
text and the case-study procedures (the catalogue is for ids and titles; the
full text stays at atlas.mitre.org). Pure function of its input, so
`scripts/build_frameworks.py` re-creates the shipped file byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

CATALOGUE_FORMAT = "nbsec-framework-catalogue/1"
UPSTREAM_REPOSITORY = "https://github.com/mitre-atlas/atlas-data"
UPSTREAM_PATH = "dist/ATLAS.yaml"


class AtlasFormatError(ValueError):
    """The input does not look like ATLAS.yaml (names what is missing)."""


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise AtlasFormatError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise AtlasFormatError(f"{where}: missing {key!r}")
    return " ".join(value.split())


def atlas_catalogue(
    data: Mapping[str, Any], *, source_sha256: str, source_commit: str, release: str, date: str
) -> dict[str, Any]:
    """The catalogue dict (see nbsec.compliance.frameworks) built from a parsed ATLAS.yaml."""
    matrices = _list(data.get("matrices"), "matrices")
    if not matrices or not isinstance(matrices[0], Mapping):
        raise AtlasFormatError("matrices: no ATLAS matrix")
    matrix = matrices[0]
    items: list[dict[str, Any]] = []
    for tactic in _list(matrix.get("tactics"), "tactics"):
        items.append({"id": _text(tactic, "id", "tactic"), "title": _text(tactic, "name", "tactic"), "kind": "tactic"})

    techniques = _list(matrix.get("techniques"), "techniques")
    tactics_of: dict[str, list[str]] = {}
    for tech in techniques:
        if "subtechnique-of" not in tech:
            tactics_of[_text(tech, "id", "technique")] = [str(t) for t in tech.get("tactics") or []]
    mitigations = _list(matrix.get("mitigations"), "mitigations")
    mitigated_by: dict[str, list[str]] = {}
    for mitigation in mitigations:
        for use in mitigation.get("techniques") or []:
            if isinstance(use, Mapping) and isinstance(use.get("id"), str):
                mitigated_by.setdefault(use["id"], []).append(_text(mitigation, "id", "mitigation"))

    for tech in techniques:
        ident = _text(tech, "id", "technique")
        parent = tech.get("subtechnique-of")
        item: dict[str, Any] = {
            "id": ident,
            "title": _text(tech, "name", ident),
            "kind": "sub-technique" if parent else "technique",
        }
        if parent:
            item["parent"] = str(parent)
        # Only top-level techniques list tactics; a sub-technique inherits its parent's.
        item["tactics"] = tactics_of.get(str(parent) if parent else ident, [])
        if isinstance(tech.get("maturity"), str):
            item["maturity"] = tech["maturity"]
        if ident in mitigated_by:
            item["mitigations"] = sorted(set(mitigated_by[ident]))
        items.append(item)

    for mitigation in mitigations:
        ident = _text(mitigation, "id", "mitigation")
        used = [u["id"] for u in mitigation.get("techniques") or [] if isinstance(u, Mapping) and "id" in u]
        item = {"id": ident, "title": _text(mitigation, "name", ident), "kind": "mitigation", "techniques": used}
        # AML.M0018 and AML.M0034 carry {id, use} mappings inside ml-lifecycle (an upstream data bug): keep strings.
        item["ml_lifecycle"] = _strings(mitigation.get("ml-lifecycle"))
        item["category"] = _strings(mitigation.get("category"))
        items.append(item)

    for study in data.get("case-studies") or []:
        if isinstance(study, Mapping):
            ident = _text(study, "id", "case study")
            items.append({"id": ident, "title": _text(study, "name", ident), "kind": "case-study"})

    return {
        "format": CATALOGUE_FORMAT,
        "key": "atlas",
        "framework": "MITRE ATLAS",
        "title": "MITRE ATLAS (Adversarial Threat Landscape for AI Systems)",
        "version": str(data.get("version", "")),
        "date": date,
        "source": {
            "repository": UPSTREAM_REPOSITORY,
            "commit": source_commit,
            "release": release,
            "path": UPSTREAM_PATH,
            "sha256": source_sha256,
            "url": "https://atlas.mitre.org/",
        },
        "license": "Apache-2.0, Copyright 2021-2025 MITRE (LICENSE-ATLAS and NOTICE-ATLAS beside this file). "
        "Modified by nbsec: trimmed to ids, names, tactics, maturity and the mitigation relation.",
        "notes": "Generated by scripts/build_frameworks.py; do not edit by hand.",
        "assessable_kinds": ["technique", "sub-technique", "mitigation"],
        "id_pattern": r"^AML\.(TA\d{4}|T\d{4}(\.\d{3})?|M\d{4}|CS\d{4})$",
        "items": items,
    }


def _strings(value: Any) -> list[str]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [v for v in value if isinstance(v, str)]
