"""`nbsec db update --from FILE`: import an OSV export into the user's advisory store, offline.

Accepted: a .zip of OSV JSON files (osv.dev's `PyPI/all.zip`), a directory of
.json or .yaml files, or one JSON file holding an advisory, a list of them, or
an nbsec bundle. Only PyPI entries are kept. Sizes are bounded and every file
goes through nbsec's bounded JSON/YAML readers: an export is data from outside,
and neither a zip bomb nor a nesting or alias bomb may take the machine down.
"""

from __future__ import annotations

import datetime as _dt
import os
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbsec.errors import InputError, UsageError
from nbsec.safe_input import parse_json, parse_yaml, read_json
from nbsec.supply_chain.osv import Advisory, AdvisoryFormatError
from nbsec.supply_chain.store import USER_FILE, AdvisoryDatabase, compact_osv, user_store_dir, write_bundle

MAX_MEMBER_BYTES = 16 * 1024 * 1024  # per file in a zip or folder: one advisory is a few KiB
MAX_SINGLE_FILE_BYTES = 512 * 1024 * 1024  # one JSON file holding a whole export
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_FILES = 500_000
YAML_SUFFIXES = (".yaml", ".yml")
EXPORT_HINT = "pass an OSV export as downloaded (osv.dev's PyPI/all.zip), or the folder it unpacks to"


@dataclass(frozen=True)
class UpdateResult:
    path: Path
    kept: int  # PyPI advisories written
    other_ecosystems: int  # valid OSV entries for other ecosystems, left out
    invalid: int  # files or entries that are not OSV advisories
    date: str
    packages: int


class _Budget:
    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0

    def take(self, size: int, where: str) -> None:
        self.files += 1
        self.bytes += size
        if size > MAX_MEMBER_BYTES:
            raise UsageError(f"{where}: {size:,} bytes, over the {MAX_MEMBER_BYTES:,}-byte limit for one file")
        if self.files > MAX_FILES or self.bytes > MAX_TOTAL_BYTES:
            raise UsageError(
                f"{where}: the export is larger than {MAX_FILES:,} files / {MAX_TOTAL_BYTES:,} bytes",
                "export only the PyPI ecosystem (osv.dev's PyPI/all.zip)",
            )


def _documents(source: Path) -> Iterator[tuple[str, bytes]]:
    """(name, raw bytes) of every candidate file in the export."""
    budget = _Budget()
    if source.is_dir():
        for folder, dirs, files in os.walk(source, followlinks=False):
            dirs.sort()
            for name in sorted(files):
                path = Path(folder) / name
                if path.suffix.lower() in (".json", *YAML_SUFFIXES) and not path.is_symlink():
                    budget.take(path.stat().st_size, str(path))
                    yield str(path), path.read_bytes()
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith((".json", *YAML_SUFFIXES)):
                    continue
                where = f"{source}!{info.filename}"
                with archive.open(info) as handle:
                    data = handle.read(MAX_MEMBER_BYTES + 1)  # the header's size can lie; a bounded read cannot
                budget.take(len(data), where)
                yield where, data
    else:
        size = source.stat().st_size
        if size > MAX_SINGLE_FILE_BYTES:
            raise UsageError(f"{source}: {size:,} bytes, over the {MAX_SINGLE_FILE_BYTES:,}-byte limit for one file")
        yield str(source), source.read_bytes()


def _parse(name: str, raw: bytes) -> Any:
    """One file of the export; InputError naming it (and the line) when it is not JSON/YAML nbsec will read."""
    if name.lower().endswith(YAML_SUFFIXES):
        return parse_yaml(raw, source=name, hint=EXPORT_HINT, max_bytes=MAX_MEMBER_BYTES)
    return parse_json(raw, source=name, hint=EXPORT_HINT, max_bytes=MAX_SINGLE_FILE_BYTES)


def _entries(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping) and isinstance(data.get("advisories"), list):
        return list(data["advisories"])  # an nbsec bundle
    if isinstance(data, Mapping) and isinstance(data.get("vulns"), list):
        return list(data["vulns"])  # an osv.dev API query answer
    return [data]


def collect(source: Path) -> tuple[dict[str, dict[str, Any]], int, int]:
    """Read an export: ({id: compact advisory}, other-ecosystem count, invalid count)."""
    if not source.exists():
        raise UsageError(f"{source}: no such file or directory", "pass an OSV export: a .zip, a folder or a .json")
    kept: dict[str, dict[str, Any]] = {}
    other = invalid = 0
    single = source.is_file() and not zipfile.is_zipfile(source)
    for name, raw in _documents(source):
        try:
            data = _parse(name, raw)
        except InputError:
            if single:  # the whole export is this one file: say what is wrong with it, and where
                raise
            invalid += 1  # one bad file in a folder or zip of thousands is counted, not fatal
            continue
        for entry in _entries(data):
            if not compact_ok(entry):  # not the shape the matcher relies on
                invalid += 1
                continue
            doc = compact_osv(entry)
            if doc is None:
                other += 1
            elif doc["modified"] >= kept.get(doc["id"], {}).get("modified", ""):
                kept[doc["id"]] = doc
    return kept, other, invalid


def _previous(target: Path) -> list[dict[str, Any]]:
    """The advisories already in the user's store (none when it is unreadable: it is being replaced)."""
    try:
        data = read_json(target, what="advisory store", max_bytes=MAX_SINGLE_FILE_BYTES)
    except InputError:
        return []
    entries = data.get("advisories") if isinstance(data, dict) else None
    return [d for d in entries or [] if isinstance(d, dict) and compact_ok(d)]


def compact_ok(doc: Any) -> bool:
    """True when `doc` is an OSV advisory nbsec can match (id, modified, affected)."""
    try:
        Advisory.from_osv(doc)
    except (AdvisoryFormatError, KeyError, TypeError, AttributeError):
        return False
    return True


def update_from(source: str | os.PathLike[str], *, merge: bool = False, store: Path | None = None) -> UpdateResult:
    """Import an export into the user's store (replacing it, or merged with `merge=True`)."""
    src = Path(source).expanduser()
    kept, other, invalid = collect(src)
    if not kept:
        raise UsageError(
            f"{src}: no PyPI advisories found ({other} for other ecosystems, {invalid} not OSV)",
            "download https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip and pass that file",
        )
    target = (store or user_store_dir()) / USER_FILE
    if merge and target.is_file():
        for doc in _previous(target):
            kept.setdefault(str(doc["id"]), doc)
    docs = sorted(kept.values(), key=lambda d: d["id"])
    date = max(d["modified"] for d in docs)[:10]  # the data is as current as its newest entry
    packages = {p["package"]["name"].lower() for d in docs for p in d["affected"]}
    meta = {
        "source": f"OSV export {src.name} imported with nbsec db update",
        "date": date,
        "imported_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "license": "as published by the advisory databases in the export (PyPA and GHSA: CC-BY-4.0)",
    }
    try:
        write_bundle(target, docs, meta)
    except OSError as exc:
        raise UsageError(
            f"{target}: cannot write the advisory store ({exc.strerror or exc})",
            "check that the folder is writable, or set XDG_CACHE_HOME to a writable folder",
        ) from None
    return UpdateResult(target, len(docs), other, invalid, date, len(packages))


def info_lines(db: AdvisoryDatabase | None = None) -> list[str]:
    """`nbsec db info`: each source with its date and count, then how current the data is."""
    from nbsec.supply_chain.store import STALE_AFTER_DAYS, load_database

    db = db or load_database()
    lines = ["advisory sources (merged; the user's store wins for the same id):"]
    for source in db.sources:
        lines.append(f"  {source.name:<10}  {source.date or '?':<10}  {source.count:>6} advisories  {source.path}")
        if source.description:
            lines.append(
                f"  {'':<10}  {source.description}" + (f"; license {source.license}" if source.license else "")
            )
    if not any(s.name == "user" for s in db.sources):
        lines.append(f"  {'user':<10}  none yet: `nbsec db update --from FILE` writes {user_store_dir() / USER_FILE}")
    lines.append(f"packages covered: {len(db.packages())}; advisories: {len(db.advisories)}")
    age = db.age_days
    if age is None:
        lines.append("data date: unknown")
    elif age > STALE_AFTER_DAYS:
        lines.append(f"data date: {db.date} ({age} days old, older than {STALE_AFTER_DAYS}): newer advisories are")
        lines.append("  unknown to scans; on a connected machine download")
        lines.append(
            "  https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip, then `nbsec db update --from all.zip`"
        )
    else:
        lines.append(f"data date: {db.date} ({age} days old)")
    return lines
