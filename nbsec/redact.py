"""Redaction of secrets and personal data before they reach any report, log or widget.

Stdlib only: scanners and reporters both import it. A redacted value keeps a short
prefix (enough to tell an "sk-p" key from an "AKIA" one) and a short SHA-256 tag (enough
to see that two findings are the same value, or to match a value you hold), never the
value itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

__all__ = ["ELLIPSIS", "fingerprint", "redact", "redact_in", "snippet"]

ELLIPSIS = "\u2026"
_MAX_PREFIX = 4
_HASH_HEX = 8


def fingerprint(value: str) -> str:
    """First 8 hex digits of sha256(value): stable across runs, processes and machines."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_HEX]


def _prefix_len(value: str) -> int:
    # Never show more than a quarter of the value, so a short password shows nothing
    # and a 40-character key shows 4 characters (well under what would help guess it).
    return min(_MAX_PREFIX, len(value) // 4)


def redact(value: str) -> str:
    """'sk-proj-abc...' -> 'sk-p…[sha256:1a2b3c4d]'. Never contains `value` itself (for len >= 2)."""
    prefix = value[: _prefix_len(value)]
    return f"{prefix}{ELLIPSIS}[sha256:{fingerprint(value)}]"


def _merged(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Clip spans to [0, length], drop empty ones, merge overlapping ones, sort by start."""
    clipped = sorted((max(0, s), min(length, e)) for s, e in spans if min(length, e) > max(0, s))
    merged: list[tuple[int, int]] = []
    for start, end in clipped:
        if merged and start < merged[-1][1]:
            # Overlapping spans are one secret for display purposes: redacting them
            # separately would print the overlap's characters as part of a prefix.
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def redact_in(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Replace each text[start:end] by redact(text[start:end]); spans may be unsorted or overlap."""
    out: list[str] = []
    pos = 0
    for start, end in _merged(spans, len(text)):
        out.append(text[pos:start])
        out.append(redact(text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _collapse(text: str) -> str:
    # Evidence is one line: newlines, tabs and runs of spaces become one space.
    return " ".join(text.split())


def snippet(
    text: str,
    start: int,
    end: int,
    width: int = 40,
    others: Iterable[tuple[int, int]] = (),
) -> str:
    """The line around text[start:end], with that span (and `others`) redacted.

    At most `width` characters of context on each side, cut at the line ends; newlines
    collapsed; "…" marks context that was cut. Another secret that the window touches
    is redacted whole (the window grows to cover it), never cut in half, because half a
    secret shown raw is still a leak.
    """
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    width = max(0, width)
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    if line_end < 0:
        line_end = len(text)
    lo = max(line_start, start - width)
    hi = min(line_end, end + width)
    spans = _merged([(start, end), *others], len(text))
    changed = True
    while changed:  # grow the window until no span crosses its edges
        changed = False
        for s, e in spans:
            if s < lo < e:
                lo, changed = s, True
            if s < hi < e:
                hi, changed = e, True
    inside = [(s - lo, e - lo) for s, e in spans if s >= lo and e <= hi]
    body = _collapse(redact_in(text[lo:hi], inside))
    head = ELLIPSIS if lo > line_start else ""
    tail = ELLIPSIS if hi < line_end else ""
    return f"{head}{body}{tail}"
