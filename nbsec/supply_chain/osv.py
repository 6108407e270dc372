"""OSV advisories and PEP 440 matching, following the OSV schema's evaluation algorithm.

An installed version is affected when it is in the advisory's explicit
`versions` list, or when walking a range's events in version order leaves it
"affected" (`introduced <= v` sets it, `fixed <= v` and `last_affected < v`
clear it) and it is below every `limit`. Versions are compared with
`packaging.version.Version` (never as strings) and local labels are dropped:
`2.5.1+cpu` is the 2.5.1 release as far as advisories are concerned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from packaging.version import InvalidVersion, Version

ECOSYSTEM = "PyPI"
RANGE_TYPES = frozenset({"ECOSYSTEM", "SEMVER"})  # GIT ranges name commits, not releases
_EVENT_ORDER = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}
_NAME_RE = re.compile(r"[-_.]+")


class AdvisoryFormatError(ValueError):
    """An OSV document without the fields matching needs (id, modified, affected)."""


def normalize_name(name: str) -> str:
    """PEP 503: `Scikit_Learn` and `scikit.learn` are the same project as `scikit-learn`."""
    return _NAME_RE.sub("-", name).lower().strip()


@lru_cache(maxsize=65536)
def parse_version(text: str) -> Version | None:
    """The public PEP 440 version of `text`, or None for versions PEP 440 cannot read."""
    try:
        parsed = Version(str(text).strip())
    except InvalidVersion:
        return None
    return Version(parsed.public) if parsed.local else parsed


Event = tuple[str, str]  # (kind, version): ("introduced", "0"), ("fixed", "2.6.0"), ...


@dataclass(frozen=True)
class Affected:
    """One package an advisory affects: its ranges (events) and explicit versions."""

    name: str  # normalized
    ranges: tuple[tuple[Event, ...], ...]
    versions: tuple[str, ...] = ()

    def fixed_versions(self) -> list[Version]:
        out = {parse_version(v) for events in self.ranges for kind, v in events if kind == "fixed"}
        return sorted(v for v in out if v is not None)


@dataclass(frozen=True)
class Match:
    """An installed (or pinned) version an advisory affects, and the way out."""

    advisory: Advisory
    package: str
    version: str
    fixed: str | None  # lowest fixed release above `version`; None when there is none
    last_affected: str | None = None
    also: tuple[str, ...] = ()  # ids of twin advisories (same flaw, other database) folded into this one

    @property
    def all_ids(self) -> tuple[str, ...]:
        """This advisory's id, then its aliases and the twins' ids, each once."""
        seen: dict[str, None] = dict.fromkeys((self.advisory.id, *self.advisory.aliases, *self.also))
        return tuple(seen)


@dataclass(frozen=True)
class Advisory:
    id: str
    modified: str
    summary: str
    details: str = ""
    aliases: tuple[str, ...] = ()
    affected: tuple[Affected, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()  # (type, score): ("CVSS_V3", "CVSS:3.1/AV:N/...")
    severity_label: str = ""  # database_specific.severity (GHSA: LOW, MODERATE, HIGH, CRITICAL)
    references: tuple[str, ...] = ()
    published: str = ""
    withdrawn: str = ""
    origin: str = ""  # which store it came from: bundled, supplement, user

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))

    @property
    def cve_ids(self) -> tuple[str, ...]:
        return tuple(a for a in self.aliases if a.startswith("CVE-"))

    @classmethod
    def from_osv(cls, data: Mapping[str, Any], origin: str = "") -> Advisory:
        """Read one OSV document; only its PyPI packages are kept."""
        if not isinstance(data, Mapping):
            raise AdvisoryFormatError("an OSV advisory is a JSON object")
        ident, modified, affected = data.get("id"), data.get("modified"), data.get("affected")
        if not isinstance(ident, str) or not ident:
            raise AdvisoryFormatError("missing 'id'")
        if not isinstance(modified, str):
            raise AdvisoryFormatError(f"{ident}: missing 'modified'")
        if not isinstance(affected, list):
            raise AdvisoryFormatError(f"{ident}: 'affected' is not a list")
        details = _text(data.get("details"))
        specific = data.get("database_specific")
        return cls(
            id=ident,
            modified=modified,
            summary=_text(data.get("summary")) or details.split(". ")[0][:200],
            details=details,
            aliases=tuple(a for a in _list(data.get("aliases")) if isinstance(a, str)),
            affected=tuple(_affected(a) for a in affected if _is_pypi(a)),
            severity=tuple(
                (str(s["type"]), str(s["score"]))
                for s in _list(data.get("severity"))
                if isinstance(s, Mapping) and "type" in s and "score" in s
            ),
            severity_label=str(specific.get("severity", "")) if isinstance(specific, Mapping) else "",
            references=tuple(
                str(r["url"]) for r in _list(data.get("references")) if isinstance(r, Mapping) and "url" in r
            ),
            published=_text(data.get("published")),
            withdrawn=_text(data.get("withdrawn")),
            origin=origin,
        )

    def match(self, name: str, version: str) -> Match | None:
        """The Match when `version` of package `name` is affected, else None."""
        if self.withdrawn:
            return None
        wanted = normalize_name(name)
        for affected in self.affected:
            if affected.name == wanted:
                found = _match_affected(affected, version)
                if found is not None:
                    fixed, last = found
                    return Match(self, wanted, version, fixed, last)
        return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_pypi(entry: Any) -> bool:
    package = entry.get("package") if isinstance(entry, Mapping) else None
    return isinstance(package, Mapping) and package.get("ecosystem") == ECOSYSTEM and bool(package.get("name"))


def _affected(entry: Mapping[str, Any]) -> Affected:
    ranges = []
    for rng in _list(entry.get("ranges")):
        if not isinstance(rng, Mapping) or rng.get("type") not in RANGE_TYPES:
            continue
        events: list[Event] = []
        for event in _list(rng.get("events")):
            if isinstance(event, Mapping):
                events.extend((k, str(v)) for k, v in event.items() if k in _EVENT_ORDER)
        ranges.append(tuple(events))
    versions = tuple(str(v) for v in _list(entry.get("versions")))
    return Affected(normalize_name(str(entry["package"]["name"])), tuple(ranges), versions)


def _match_affected(affected: Affected, version: str) -> tuple[str | None, str | None] | None:
    """(fixed, last_affected) when affected, else None."""
    installed = parse_version(version)
    hit = False
    fixed: Version | None = None
    last: Version | None = None
    if installed is None:
        hit = version in affected.versions  # a non-PEP 440 version can only match literally
    else:
        hit = any(parse_version(v) == installed for v in affected.versions)
        for events in affected.ranges:
            in_range, range_fixed, range_last = _in_range(installed, events)
            if in_range:
                hit = True
                fixed = min(filter(None, (fixed, range_fixed)), default=None)
                last = last or range_last
    if not hit:
        return None
    if fixed is None and installed is not None:
        # Listed explicitly, or a range without a fix: still offer the next fixed release if any.
        fixed = next((f for f in affected.fixed_versions() if f > installed), None)
    return (str(fixed) if fixed else None, str(last) if last else None)


def _in_range(v: Version, events: Iterable[Event]) -> tuple[bool, Version | None, Version | None]:
    """OSV evaluation of one range: (affected, the fix that ends it, its last_affected)."""
    parsed: list[tuple[tuple[int, Version | None, int], str]] = []
    limits: list[Version] = []
    for kind, raw in events:
        if kind == "introduced" and raw == "0":
            parsed.append(((0, None, _EVENT_ORDER[kind]), kind))
            continue
        pv = parse_version(raw)
        if pv is None:
            continue  # a release PEP 440 cannot order says nothing about this version
        if kind == "limit":
            limits.append(pv)
        else:
            parsed.append(((1, pv, _EVENT_ORDER[kind]), kind))
    if limits and not any(v < limit for limit in limits):
        return False, None, None
    parsed.sort(key=lambda item: (item[0][0], item[0][1] or Version("0"), item[0][2]))
    affected = False
    last: Version | None = None
    for (_, pv, _), kind in parsed:
        if kind == "introduced" and (pv is None or v >= pv):
            affected = True
        elif kind == "fixed" and pv is not None and v >= pv:
            affected = False
        elif kind == "last_affected" and pv is not None:
            if v > pv:
                affected = False
            elif affected and last is None:
                last = pv  # the first last_affected at or above v bounds its interval
    if not affected:
        return False, None, None
    fixes = [pv for (_, pv, _), kind in parsed if kind == "fixed" and pv is not None and pv > v]
    return True, min(fixes, default=None), last


def dedupe(matches: Iterable[Match]) -> list[Match]:
    """One match per flaw: PYSEC and GHSA entries of one CVE alias each other.

    The preferred entry (GHSA, then PYSEC) is kept; the twins' ids are folded
    into `also`, and a fixed version only a twin knows is kept too.
    """
    kept: list[Match] = []
    for match in sorted(matches, key=lambda m: (_id_rank(m.advisory.id), m.advisory.id)):
        index = next(
            (i for i, k in enumerate(kept) if k.package == match.package and set(k.all_ids) & match.advisory.ids),
            None,
        )
        if index is None:
            kept.append(match)
            continue
        twin = kept[index]
        kept[index] = replace(
            twin,
            also=tuple(dict.fromkeys((*twin.also, match.advisory.id, *match.advisory.aliases))),
            fixed=twin.fixed or match.fixed,
        )
    return sorted(kept, key=lambda m: (m.package, m.advisory.id))


def _id_rank(ident: str) -> int:
    # GHSA entries usually carry a severity and precise ranges; PYSEC next; then the rest.
    for rank, prefix in enumerate(("GHSA-", "PYSEC-")):
        if ident.startswith(prefix):
            return rank
    return 2
