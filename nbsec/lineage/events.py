"""Lineage events as canonical JSON in a hash chain.

An event body is a JSON object; its bytes are the canonical form

    json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()

and its hash is the SHA-256 of those bytes. The body holds its own sequence
number (`seq`) and the hash of the event before it (`prev`; 64 zeros for the
first), so editing, deleting, inserting or reordering any event breaks a link
that verify names. An optional Ed25519 signature covers the hash.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

FORMAT_VERSION = 1
GENESIS = "0" * 64
MAX_PARAM_CHARS = 4096  # one parameter's text form; longer values are cut (and marked)
MAX_PARAMS = 512


def canonical_bytes(body: Mapping[str, Any]) -> bytes:
    """The exact bytes an event's hash (and signature) covers."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def event_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of a parameter value: numbers, text, lists, string-keyed dicts; anything else as repr.

    NaN and infinities become strings (canonical JSON has no NaN); numpy scalars
    become Python numbers; long texts are cut so one parameter cannot bloat the store.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return value if len(value) <= MAX_PARAM_CHARS else value[:MAX_PARAM_CHARS] + "…[cut]"
    if depth < 6 and isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in list(value.items())[:MAX_PARAMS]}
    if depth < 6 and isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [jsonable(v, depth + 1) for v in list(items)[:MAX_PARAMS]]
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item) and getattr(value, "shape", None) in ((), None):
        try:
            return jsonable(item(), depth + 1)
        except (TypeError, ValueError):
            pass
    return jsonable(repr(value), depth + 1)


def seal(body: dict[str, Any], seq: int, prev: str) -> tuple[bytes, str]:
    """Put the chain position into `body`; return its canonical bytes and hash."""
    body["seq"] = seq
    body["prev"] = prev
    data = canonical_bytes(body)
    return data, event_hash(data)


def short(digest: str | None, width: int = 12) -> str:
    if not digest:
        return "-"
    return digest[:width] + "…" if len(digest) > width else digest
