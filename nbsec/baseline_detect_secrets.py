"""A detect-secrets `.secrets.baseline`, imported into an nbsec baseline.

detect-secrets lists, per file, each secret it accepted: its `type`, `filename`, `line_number` and
`hashed_secret` (the SHA-1 of the secret value; never the value), with `is_secret` once a person audited
it (`false`: a false positive) and `is_verified`. nbsec fingerprints are not those hashes, so the entries
are kept as they are, in the nbsec baseline's `detect_secrets` list, and matched at scan time: a secret
finding whose value hashes to an entry's SHA-1, in a file whose path ends with the entry's filename, is
baselined (`is_secret` true or not audited: known, still recorded) or suppressed as an audited false
positive (`is_secret: false`). The scanning loop keeps those SHA-1s in memory only (`Report.secret_sha1`);
nothing here ever sees or writes a secret value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbsec.errors import BaselineError, InputError
from nbsec.safe_input import read_json

MAX_DETECT_SECRETS_BYTES = 256 * 1024 * 1024
IMPORT_HINT = (
    "pass the JSON file `detect-secrets scan > .secrets.baseline` wrote (it has a `results` object that maps "
    "each file to its secrets)"
)
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_USERINFO_PASSWORD = re.compile(r"://[^\s/:@]{0,128}:([^\s/@]{1,256})@")
_PRIVATE_KEY_HEADER = re.compile(
    r"BEGIN (?:DSA |EC |OPENSSH |PGP |RSA |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)?|PuTTY-User-Key-File-2"
)


@dataclass(frozen=True)
class Entry:
    """One secret a detect-secrets baseline accepted."""

    filename: str
    hashed_secret: str
    type: str = ""
    line_number: int | None = None
    is_secret: bool | None = None  # None: never audited
    is_verified: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"filename": self.filename, "hashed_secret": self.hashed_secret, "type": self.type}
        if self.line_number is not None:
            out["line_number"] = self.line_number
        if self.is_secret is not None:
            out["is_secret"] = self.is_secret
        out["is_verified"] = self.is_verified
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], filename: str | None = None) -> Entry:
        """From a detect-secrets result (its filename is the key it sits under) or an nbsec baseline entry."""
        name = data.get("filename", filename)
        digest = data.get("hashed_secret")
        if not isinstance(name, str) or not name or not isinstance(digest, str) or not _SHA1.match(digest.lower()):
            raise ValueError("an entry needs a `filename` and a 40-hex-digit `hashed_secret`")
        line = data.get("line_number")
        audited = data.get("is_secret")
        return cls(
            filename=name.replace("\\", "/"),
            hashed_secret=digest.lower(),
            type=str(data.get("type", "")),
            line_number=line if isinstance(line, int) and not isinstance(line, bool) else None,
            is_secret=audited if isinstance(audited, bool) else None,
            is_verified=data.get("is_verified") is True,
        )

    @property
    def false_positive(self) -> bool:
        return self.is_secret is False

    def detail(self) -> str:
        """What `Suppressed.detail` says about a finding this entry matched."""
        where = f"{self.filename}:{self.line_number}" if self.line_number else self.filename
        kind = f"{self.type}, " if self.type else ""
        if self.false_positive:
            return f"detect-secrets baseline: audited as not a secret (is_secret: false; {kind}{where})"
        return f"detect-secrets baseline ({kind}{where})"

    def covers(self, path: str) -> bool:
        """Whether a finding at `path` is in this entry's file: one path ends with the other, whole components
        (detect-secrets ran at the repository root, nbsec perhaps in a subfolder or with absolute paths)."""
        mine = [p for p in self.filename.split("/") if p not in ("", ".")]
        theirs = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
        n = min(len(mine), len(theirs))
        return n > 0 and mine[-n:] == theirs[-n:]


def secret_digests(value: str) -> frozenset[str]:
    """SHA-1s under which detect-secrets may have stored this value: as found, unquoted, a URL's password,
    a private key's header line (what its PrivateKeyDetector hashes), and its JSON-escaped spelling (a
    notebook read as JSON text)."""
    forms = {value, value.strip().strip("'\"`"), json.dumps(value)[1:-1]}
    if "://" in value and "@" in value:
        forms.update(_USERINFO_PASSWORD.findall(value))
    if "PRIVATE KEY" in value or "PuTTY" in value:
        forms.update(_PRIVATE_KEY_HEADER.findall(value))
    return frozenset(hashlib.sha1(f.encode("utf-8", "surrogatepass")).hexdigest() for f in forms if f)  # noqa: S324


def read_detect_secrets(path: str | Path) -> list[Entry]:
    """The entries of a detect-secrets baseline (any version: 0.x keyed results too); BaselineError with a
    hint when the file is missing, not JSON, or not shaped like one."""
    source = Path(path)
    try:
        data = read_json(source, what="detect-secrets baseline", hint=IMPORT_HINT, max_bytes=MAX_DETECT_SECRETS_BYTES)
    except InputError as exc:
        if exc.kind == "missing":
            raise BaselineError(f"{source}: detect-secrets baseline not found", IMPORT_HINT) from None
        raise BaselineError(exc.message, exc.hint) from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise BaselineError(f"{source}: not a detect-secrets baseline (no `results` object)", IMPORT_HINT)
    entries: list[Entry] = []
    for filename, found in results.items():
        if not isinstance(found, list):
            raise BaselineError(f"{source}: results[{filename!r}] is not a list of secrets", IMPORT_HINT)
        for number, item in enumerate(found):
            try:
                if not isinstance(item, dict):
                    raise ValueError("an entry is a JSON object")
                entries.append(Entry.from_dict(item, filename))
            except ValueError as exc:
                raise BaselineError(f"{source}: results[{filename!r}][{number}]: {exc}", IMPORT_HINT) from None
    return entries


def entries_from_baseline(data: dict[str, Any]) -> list[Entry]:
    """The imported entries an nbsec baseline holds (its `detect_secrets` list); malformed ones are skipped."""
    items = data.get("detect_secrets")
    if not isinstance(items, list):
        return []
    out: list[Entry] = []
    for item in items:
        if isinstance(item, dict):
            try:
                out.append(Entry.from_dict(item))
            except ValueError:
                continue
    return out


class Matcher:
    """Finds the imported entry that covers a secret finding, by the SHA-1s of its value and its path."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.by_digest: dict[str, list[Entry]] = {}
        for entry in entries:
            self.by_digest.setdefault(entry.hashed_secret, []).append(entry)

    def match(self, path: str, digests: Iterable[str]) -> list[Entry]:
        """Every entry for this value in this file (detect-secrets lists a value once per plugin that saw
        it); an audited verdict (`is_secret` set) first, so a person's "not a secret" decides."""
        found = [e for digest in digests for e in self.by_digest.get(digest, ()) if e.covers(path)]
        return sorted(found, key=lambda e: (e.is_secret is None, e.is_secret is True))
