"""Where advisories come from: the bundled snapshot, a hand-curated supplement, and the user's store.

The bundled files (nbsec/data/advisories/) are read-only package data. `nbsec db
update --from FILE` writes the user's store under $XDG_CACHE_HOME/nbsec/advisories
(~/.cache when unset) and never touches the network. All three are merged at
load time; an advisory id in the user's store replaces the bundled one.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.errors import InputError
from nbsec.safe_input import read_json
from nbsec.supply_chain.osv import Advisory, AdvisoryFormatError, Match, dedupe, normalize_name

BUNDLE_FORMAT = "nbsec-osv-bundle/1"
DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "advisories"
BUNDLED = DATA_DIR / "osv-ml.json"
SUPPLEMENT = DATA_DIR / "supplement.json"
USER_FILE = "osv-user.json"
STALE_AFTER_DAYS = 180
DETAILS_MAX = 600
REFERENCES_MAX = 4
MAX_STORE_BYTES = 512 * 1024 * 1024  # the user's store holds a whole compacted PyPI export


def user_store_dir() -> Path:
    """$XDG_CACHE_HOME/nbsec/advisories, or ~/.cache/nbsec/advisories."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "nbsec" / "advisories"


@dataclass(frozen=True)
class Source:
    """One file advisories were read from, and how current it is."""

    name: str  # bundled | supplement | user
    path: str
    date: str  # YYYY-MM-DD: the newest data in it
    count: int
    description: str = ""
    license: str = ""
    skipped: int = 0  # entries in the file that are not advisories nbsec can match (left out, and reported)

    @property
    def age_days(self) -> int | None:
        try:
            day = _dt.date.fromisoformat(self.date[:10])
        except ValueError:
            return None
        return (_dt.datetime.now(_dt.timezone.utc).date() - day).days


@dataclass
class AdvisoryDatabase:
    """Advisories indexed by normalized package name, and the sources they came from."""

    advisories: dict[str, Advisory] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # stores that could not be read
    _by_package: dict[str, list[Advisory]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_advisories(cls, advisories: Iterable[Advisory], sources: Iterable[Source] = ()) -> AdvisoryDatabase:
        db = cls(sources=list(sources))
        for adv in advisories:
            db.advisories[adv.id] = adv  # later sources win: the user's copy is newer
        index: dict[str, list[Advisory]] = defaultdict(list)
        for adv in db.advisories.values():
            for name in {a.name for a in adv.affected}:
                index[name].append(adv)
        db._by_package = dict(index)
        return db

    def packages(self) -> set[str]:
        return set(self._by_package)

    def matches(self, name: str, version: str) -> list[Match]:
        """Every advisory affecting this version, one per flaw (aliases folded)."""
        norm = normalize_name(name)
        found = (adv.match(norm, version) for adv in self._by_package.get(norm, ()))
        return dedupe(m for m in found if m is not None)

    @property
    def date(self) -> str:
        """The newest snapshot date; the supplement is hand-curated and does not make the data current."""
        dates = [s.date for s in self.sources if s.name != "supplement" and s.date]
        return max(dates, default="")

    @property
    def age_days(self) -> int | None:
        newest = [s for s in self.sources if s.name != "supplement" and s.date == self.date]
        return newest[0].age_days if newest else None


def read_bundle(path: Path, origin: str) -> tuple[list[Advisory], Source]:
    """Read one nbsec bundle (JSON object with `advisories`); invalid entries are skipped and counted."""
    data = read_json(path, what="advisory store", max_bytes=MAX_STORE_BYTES)
    if not isinstance(data, Mapping) or not isinstance(data.get("advisories"), list):
        raise AdvisoryFormatError(f"{path}: not an nbsec advisory bundle (no 'advisories' list)")
    advisories = []
    skipped = 0
    for raw in data["advisories"]:
        try:
            advisories.append(Advisory.from_osv(raw, origin))
        except (AdvisoryFormatError, KeyError, TypeError, AttributeError):
            skipped += 1
    source = Source(
        name=origin,
        path=str(path),
        date=str(data.get("date", "")),
        count=len(advisories),
        description=str(data.get("source", "")),
        license=str(data.get("license", "")),
        skipped=skipped,
    )
    return advisories, source


_CACHE: dict[tuple[tuple[str, float], ...], AdvisoryDatabase] = {}


def load_database(include_user: bool = True) -> AdvisoryDatabase:
    """Bundled + supplement (+ the user's store); cached until one of the files changes."""
    paths = [(BUNDLED, "bundled"), (SUPPLEMENT, "supplement")]
    user = user_store_dir() / USER_FILE
    if include_user and user.is_file():
        paths.append((user, "user"))
    key = tuple((str(p), p.stat().st_mtime) for p, _ in paths if p.is_file())
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    advisories: list[Advisory] = []
    sources: list[Source] = []
    problems: list[str] = []
    for path, origin in paths:
        if not path.is_file():
            continue
        try:
            found, source = read_bundle(path, origin)
        except InputError as exc:  # a damaged store must not stop a scan; it is reported
            where = f"line {exc.line}: " if exc.line else ""
            problems.append(f"{path}: cannot read the {origin} advisories ({where}{exc.reason})")
            continue
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: cannot read the {origin} advisories ({exc})")
            continue
        if source.skipped:  # a scan that silently checked against fewer advisories would overstate its coverage
            problems.append(
                f"{path}: {source.skipped} of the {origin} advisories are not valid OSV and were left out "
                f"({source.count} read)"
            )
        advisories.extend(found)
        sources.append(source)
    db = AdvisoryDatabase.from_advisories(advisories, sources)
    db.problems = problems
    _CACHE.clear()
    _CACHE[key] = db
    return db


def compact_osv(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fields matching and reports use, with only the PyPI packages; None when there are none."""
    affected = []
    for entry in doc.get("affected") or []:
        package = entry.get("package") if isinstance(entry, Mapping) else None
        if not isinstance(package, Mapping) or package.get("ecosystem") != "PyPI" or not package.get("name"):
            continue
        ranges = [
            {"type": r["type"], "events": [{k: str(v) for k, v in e.items()} for e in r.get("events", [])]}
            for r in entry.get("ranges") or []
            if isinstance(r, Mapping) and r.get("type") in ("ECOSYSTEM", "SEMVER")
        ]
        item: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": str(package["name"])}, "ranges": ranges}
        if entry.get("versions"):
            item["versions"] = [str(v) for v in entry["versions"]]
        affected.append(item)
    if not affected:
        return None
    details = " ".join(str(doc.get("details") or "").split())
    out: dict[str, Any] = {"id": str(doc["id"]), "modified": str(doc["modified"])}
    for key in ("published", "withdrawn"):
        if doc.get(key):
            out[key] = str(doc[key])
    if doc.get("aliases"):
        out["aliases"] = [str(a) for a in doc["aliases"]]
    if doc.get("summary"):
        out["summary"] = " ".join(str(doc["summary"]).split())
    out["details"] = details if len(details) <= DETAILS_MAX else details[: DETAILS_MAX - 1].rstrip() + "…"
    if doc.get("severity"):
        out["severity"] = [{"type": str(s["type"]), "score": str(s["score"])} for s in doc["severity"]]
    specific = doc.get("database_specific")
    if isinstance(specific, Mapping) and specific.get("severity"):
        out["database_specific"] = {"severity": str(specific["severity"])}
    out["affected"] = affected
    refs = [r for r in doc.get("references") or [] if isinstance(r, Mapping) and "url" in r]
    out["references"] = [{"type": str(r.get("type", "WEB")), "url": str(r["url"])} for r in refs[:REFERENCES_MAX]]
    return out


def write_bundle(path: Path, advisories: list[dict[str, Any]], meta: Mapping[str, Any]) -> None:
    """Write atomically: a reader never sees half a store, and a failed update keeps the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"format": BUNDLE_FORMAT, **meta, "advisories": advisories}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
