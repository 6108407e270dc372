"""The framework catalogues shipped in nbsec/data/frameworks: ids, titles, hierarchy.

    >>> from nbsec.compliance import catalogue
    >>> catalogue("NIST AI RMF").get("MEASURE 2.7").title
    'Security and resilience'
    >>> catalogue("atlas").resolve("AML.T0010.003").parent
    'AML.T0010'

A catalogue is found by its key (`atlas`, `nist-ai-rmf`, ...) or by the framework
name findings use in `Reference.framework` ("MITRE ATLAS", "ISO/IEC 42001", ...).
Files are read lazily, once per process (stdlib json only). CWE is an *open*
catalogue: nbsec ships the names of the weaknesses it cites, and any well-formed
`CWE-<n>` is accepted, because CWE's ~1,000 entries are not bundled.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from nbsec.errors import UsageError

CATALOGUE_FORMAT = "nbsec-framework-catalogue/1"


@dataclass(frozen=True)
class FrameworkInfo:
    """How nbsec names one framework: CLI key, Reference.framework name, data file."""

    key: str
    name: str
    filename: str
    summary: str


FRAMEWORKS: dict[str, FrameworkInfo] = {
    info.key: info
    for info in (
        FrameworkInfo("nist-ai-rmf", "NIST AI RMF", "nist-ai-rmf-1.0.json", "NIST AI RMF 1.0 subcategories"),
        FrameworkInfo("iso42001", "ISO/IEC 42001", "iso-iec-42001-2023.json", "ISO/IEC 42001:2023 Annex A controls"),
        FrameworkInfo("eu-ai-act", "EU AI Act", "eu-ai-act-2024-1689.json", "EU AI Act (2024/1689) articles"),
        FrameworkInfo("atlas", "MITRE ATLAS", "atlas.json", "MITRE ATLAS techniques and mitigations"),
        FrameworkInfo("owasp-llm", "OWASP LLM Top 10", "owasp-llm-2025.json", "OWASP Top 10 for LLM Applications 2025"),
        FrameworkInfo("owasp-ml", "OWASP ML Top 10", "owasp-ml-2023.json", "OWASP ML Security Top 10 2023"),
        FrameworkInfo("cwe", "CWE", "cwe.json", "Common Weakness Enumeration (ids; names of those nbsec cites)"),
    )
}
# What `nbsec compliance --framework` accepts: the frameworks a compliance table is made for.
COMPLIANCE_FRAMEWORKS = ("nist-ai-rmf", "iso42001", "eu-ai-act", "atlas", "owasp-llm", "owasp-ml")

# Identifier schemes findings may cite that are not frameworks with a catalogue: advisories.
# Their ids come from data (the advisory database), so only their form can be checked.
EXTERNAL_ID_PATTERNS: dict[str, re.Pattern[str]] = {
    "CVE": re.compile(r"^CVE-\d{4}-\d{4,}$"),
    "GHSA": re.compile(r"^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$"),
    "OSV": re.compile(r"^[A-Z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9._:-]*$"),
}

# `Art. 15(5)(a)` -> `Art. 15`: a reference to a paragraph or point is a reference to the article.
_EU_PARAGRAPH = re.compile(r"^(Art\. \d{1,3}[a-z]?|Annex [IVX]+)((\(\d+\))*(\([a-z]+\))*)$")


class UnknownFrameworkError(UsageError):
    """A framework name or key nbsec has no catalogue for."""

    def __init__(self, name: str, choices: tuple[str, ...] | None = None) -> None:
        keys = choices if choices is not None else tuple(FRAMEWORKS)
        super().__init__(f"unknown framework {name!r}", f"choose one of: {', '.join(keys)}")
        self.name = name


@dataclass(frozen=True)
class Item:
    """One id in a framework: a subcategory, control, article, technique, risk, ..."""

    id: str
    title: str
    kind: str
    parent: str | None = None
    text: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "title": self.title, "kind": self.kind}
        if self.parent is not None:
            out["parent"] = self.parent
        return out


class Catalogue:
    """The ids of one framework, in source order, with their hierarchy."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("format") != CATALOGUE_FORMAT:
            raise ValueError(f"not an nbsec framework catalogue (format {data.get('format')!r})")
        self.key: str = data["key"]
        self.framework: str = data["framework"]
        self.title: str = data["title"]
        self.version: str = str(data.get("version", ""))
        self.date: str = str(data.get("date", ""))
        self.source: dict[str, Any] = dict(data.get("source", {}))
        self.license: str = data.get("license", "")
        self.notes: str = data.get("notes", "")
        self.open: bool = bool(data.get("open", False))
        self.assessable_kinds: tuple[str, ...] = tuple(data.get("assessable_kinds", ()))
        self.id_pattern = re.compile(data["id_pattern"])
        self._items: dict[str, Item] = {}
        for raw in data["items"]:
            known = {"id", "title", "kind", "parent", "text"}
            item = Item(
                id=raw["id"],
                title=raw["title"],
                kind=raw["kind"],
                parent=raw.get("parent"),
                text=raw.get("text", ""),
                extra={k: v for k, v in raw.items() if k not in known},
            )
            if item.id in self._items:
                raise ValueError(f"{self.key}: duplicate id {item.id}")
            self._items[item.id] = item
        self._children: dict[str, list[Item]] = {}
        for item in self._items.values():
            if item.parent is not None:
                self._children.setdefault(item.parent, []).append(item)

    def __repr__(self) -> str:
        return f"<Catalogue {self.framework} {self.version}: {len(self._items)} ids>"

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, ident: object) -> bool:
        return isinstance(ident, str) and self.resolve(ident) is not None

    def get(self, ident: str) -> Item | None:
        """The item with exactly this id (no normalisation)."""
        return self._items.get(ident)

    def normalize(self, ident: str) -> str:
        """The catalogue id a reference means: whitespace collapsed; EU paragraphs and points dropped."""
        text = " ".join(ident.split())
        if self.key == "eu-ai-act":
            match = _EU_PARAGRAPH.match(text)
            if match:
                base = match.group(1)
                # `Annex III(4)` is a point of its own in the catalogue; `Art. 15(5)` is not.
                if base.startswith("Annex") and f"{base}{match.group(2)}" in self._items:
                    return f"{base}{match.group(2)}"
                return base
        return text

    def resolve(self, ident: str) -> Item | None:
        """The item a reference id points at, or None when it is not a real id of this framework."""
        if not isinstance(ident, str) or not self.id_pattern.match(" ".join(ident.split())):
            return None
        key = self.normalize(ident)
        item = self._items.get(key)
        if item is None and self.open:
            return Item(id=key, title="", kind="weakness")
        return item

    def items(self, kind: str | None = None) -> list[Item]:
        return [i for i in self._items.values() if kind is None or i.kind == kind]

    def ids(self) -> list[str]:
        return list(self._items)

    def assessable(self) -> list[Item]:
        """The rows of a compliance table: subcategories, controls, duty-carrying articles, techniques, risks."""
        return [i for i in self._items.values() if i.kind in self.assessable_kinds]

    def children(self, ident: str) -> list[Item]:
        return list(self._children.get(ident, ()))

    def ancestors(self, ident: str) -> list[Item]:
        """Parent, grandparent, ... of an id (nearest first)."""
        out: list[Item] = []
        item = self._items.get(ident)
        while item is not None and item.parent is not None and len(out) < 8:
            item = self._items.get(item.parent)
            if item is not None:
                out.append(item)
        return out

    def group_of(self, item: Item) -> Item | None:
        """The heading a row sits under: its category, objective or chapter; a technique's (first) tactic."""
        if self.key == "atlas":
            tactics = item.extra.get("tactics") or []
            return self._items.get(tactics[0]) if tactics else None
        return self._items.get(item.parent) if item.parent is not None else None

    def describe(self) -> dict[str, Any]:
        """Provenance and size, for `nbsec compliance frameworks` and the JSON output."""
        kinds: dict[str, int] = {}
        for item in self._items.values():
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        return {
            "key": self.key,
            "framework": self.framework,
            "title": self.title,
            "version": self.version,
            "date": self.date,
            "source": dict(self.source),
            "license": self.license,
            "ids": kinds,
        }


def framework_key(name: str) -> str | None:
    """`atlas`, `MITRE ATLAS`, `mitre atlas` -> 'atlas'; None for names nbsec has no catalogue for."""
    wanted = " ".join(name.split()).casefold()
    for info in FRAMEWORKS.values():
        if wanted in (info.key, info.name.casefold()):
            return info.key
    return None


def catalogue(framework: str) -> Catalogue:
    """The catalogue for a key or framework name; UnknownFrameworkError (listing the choices) otherwise."""
    key = framework_key(framework)
    if key is None:
        raise UnknownFrameworkError(framework)
    return _load(key)


@functools.cache
def _load(key: str) -> Catalogue:
    text = (resources.files("nbsec") / "data" / "frameworks" / FRAMEWORKS[key].filename).read_text("utf-8")
    return Catalogue(json.loads(text))


def check_reference(framework: str, ident: str) -> str | None:
    """Why (framework, id) is not a real reference, or None when it is one."""
    if framework in EXTERNAL_ID_PATTERNS:
        ok = EXTERNAL_ID_PATTERNS[framework].match(ident) is not None
        return None if ok else f"{ident!r} is not a well-formed {framework} id"
    key = framework_key(framework)
    if key is None or FRAMEWORKS[key].name != framework:
        known = ", ".join([*(i.name for i in FRAMEWORKS.values()), *EXTERNAL_ID_PATTERNS])
        return f"framework {framework!r} is not one nbsec knows (spell it exactly: {known})"
    cat = _load(key)
    if cat.resolve(ident) is None:
        return f"{ident!r} is not an id of {cat.title} (version {cat.version})"
    return None
