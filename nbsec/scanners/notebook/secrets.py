"""Secrets in notebook text: a curated rule set for the credentials ML people hold.

`find_secrets(text, context)` yields one Match per credential, spanning the secret
value only (not the assignment around it), so redaction and evidence show the key name
and hide the value.

The pieces: secrets_table (the vendor formats, ~80 of them), secrets_formats (their
validators), secrets_keyvalue (values under secret-like names, with password grading),
secrets_config (config files read as key/value structure), secrets_values (entropy,
placeholders, look-alikes). This module searches a text with all of them.

How it stays fast and quiet (the two complaints about detect-secrets in notebooks):

* Every detector has a keyword pre-filter, so a regex only runs on text that can hold
  its secret. Prefixed tokens (`ghp_`, `sk-`, `hf_`, ... 50 formats) are found by one
  scan for "_" or "-" followed by 16 token characters and a `startswith` on the prefix
  tuple at each hit; the other formats are gated by substring tests (`"AKIA" in text`),
  grouped by first character into one literal-led regex where several share it; the
  keyword-anchored rule walks `str.find` hits of "key", "token", "secret", "pass",
  "pwd", "credential" in the lowercased text. Regexes are compiled once and use bounded
  quantifiers over disjoint character classes, so no input makes them backtrack badly.
  A new detector must come with such a keyword (tests/unit/test_secrets.py checks the table).
* Entropy is only measured for values anchored by a secret-like name
  (`api_key = "..."`, `"token": "..."`, `--password ...`) or, in config files only, for
  values of `key = value` lines; there is no free-floating Base64/Hex entropy detector, so
  UUIDs, git SHAs, sha256 digests and base64 images in outputs are not findings.
  Placeholders (`sk-xxxx`, `YOUR_API_KEY`, `<token>`, `${TOKEN}`), variable references and
  identifiers are rejected by validators.
* Secrets split over string literals (`"ghp_abc" + "def..."`, implicit `"ghp_abc" "def..."`)
  are joined and searched again; the pre-filter is one regex for a quote, `+` or blanks,
  and a quote.

Provider formats follow the vendors' documented prefixes; several shapes were
cross-checked against gitleaks' rules (MIT): see nbsec/data/secrets/SOURCE.md.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from nbsec.model import Rule
from nbsec.scanners.notebook.content_rules import SECRET_IN_OUTPUT, SECRET_IN_SOURCE
from nbsec.scanners.notebook.detectors import Match, TextContext, lowered_text
from nbsec.scanners.notebook.secrets_config import ENTROPY_KIND, config_values
from nbsec.scanners.notebook.secrets_formats import (
    ACCEPT,
    ENCRYPTED_KEY_KIND,
    SK_KIND,
    Detector,
    Verdict,
)
from nbsec.scanners.notebook.secrets_keyvalue import (
    CONFIG_MIMES,
    GENERIC_KIND,
    NAME_KEYWORDS,
    PASSWORD_KIND,
    assigned_values,
    column_value,
    secret_name_kind,
)
from nbsec.scanners.notebook.secrets_table import _MATCH_CHECKS, DETECTORS
from nbsec.scanners.notebook.secrets_values import Found, is_lookalike, is_placeholder, shannon_entropy

__all__ = [
    "DETECTORS",
    "Detector",
    "Verdict",
    "detector_kinds",
    "find_secrets",
    "is_lookalike",
    "is_placeholder",
    "secret_name_kind",
    "shannon_entropy",
]

_OUTPUT_PARTS = ("output", "kernel", "history")
_NAME_KEYWORDS = NAME_KEYWORDS


def detector_kinds() -> tuple[str, ...]:
    """Every kind label find_secrets can report (the table's, then the keyword-anchored ones)."""
    kinds = dict.fromkeys(d.kind for d in DETECTORS)
    kinds.update(dict.fromkeys((SK_KIND, ENCRYPTED_KEY_KIND, GENERIC_KIND, PASSWORD_KIND, ENTROPY_KIND)))
    return tuple(kinds)


# --------------------------------------------------------------------------- text to skip

_DATA_URI = re.compile(r"data:[A-Za-z]{1,20}/[A-Za-z0-9.+\-]{1,100};base64,[A-Za-z0-9+/=\s\\]+")
_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_LONG_B64_RUN = 200


def _skip_whole(context: TextContext) -> bool:
    """Binary image outputs are base64 pixels: nothing a person typed can be in them."""
    mime = (context.mime or "").lower()
    return mime.startswith("image/") and "svg" not in mime


def _data_uri_spans(text: str) -> list[tuple[int, int]]:
    if "base64," not in text:
        return []
    return [m.span() for m in _DATA_URI.finditer(text)]


def _inside_base64_run(text: str, start: int, end: int) -> bool:
    """True if text[start:end] is a piece of a longer base64 blob (an embedded image, a pickle)."""
    if start == 0 or end >= len(text) or text[start - 1] not in _B64 or text[end] not in _B64:
        return False
    lo, hi = start, end
    while lo > 0 and text[lo - 1] in _B64 and end - lo < _LONG_B64_RUN:
        lo -= 1
    while hi < len(text) and text[hi] in _B64 and hi - lo < _LONG_B64_RUN:
        hi += 1
    return hi - lo >= _LONG_B64_RUN


# --------------------------------------------------------------------------- the entry point


# Where a prefixed token may start: a "_" or "-" followed by 16 token characters. Every
# token detector's format has its first separator within a few characters of the start
# and at least 16 token characters after it, so no such token is missed; ordinary code
# has few such runs. One regex per separator keeps a literal first character, which
# the regex engine scans for far faster than a character class.
_ANCHORS = (re.compile(r"_[A-Za-z0-9_\-]{16}"), re.compile(r"-[A-Za-z0-9_\-]{16}"))
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_TOKEN_DETECTORS = tuple((i, d) for i, d in enumerate(DETECTORS) if d.token)
_KEYWORD_DETECTORS = tuple((i, d) for i, d in enumerate(DETECTORS) if not d.token)
_TOKEN_PREFIXES = tuple(k for _, d in _TOKEN_DETECTORS for k in d.keywords)


def _heads_by_separator() -> dict[str, tuple[tuple[int, tuple[str, ...]], ...]]:
    """For "_" and "-": (length of the part before that separator, the prefixes with it)."""
    table: dict[str, dict[int, list[str]]] = {"_": {}, "-": {}}
    for prefix in _TOKEN_PREFIXES:
        cut = min(i for i in (prefix.find("_"), prefix.find("-")) if i >= 0)
        table[prefix[cut]].setdefault(cut, []).append(prefix)
    return {sep: tuple((k, tuple(v)) for k, v in sorted(heads.items())) for sep, heads in table.items()}


_HEADS = _heads_by_separator()


def _token_starts(text: str) -> list[int]:
    """Start offsets of tokens that begin with a known prefix (ghp_, sk-, hf_, ...).

    Each anchor hit is a separator; a known prefix has its first separator a fixed number
    of characters after the token start, so a handful of startswith() calls replace a
    character-by-character walk back.
    """
    starts: dict[int, None] = {}  # ordered and O(1) to test
    for anchor in _ANCHORS:
        m = anchor.search(text)
        if m is None:
            continue
        heads = _HEADS[text[m.start()]]
        while m is not None:
            sep = m.start()
            for head, prefixes in heads:
                lo = sep - head
                if lo >= 0 and text.startswith(prefixes, lo) and (lo == 0 or text[lo - 1] not in _TOKEN_CHARS):
                    starts[lo] = None
            m = anchor.search(text, m.end())
    return list(starts)


class _Gate(NamedTuple):
    """Keywords sharing a first character, searched in one pass.

    A regex that starts with a literal character is scanned about as fast as one
    substring search, so "AKIA", "ASIA", "AIza" and "AccountKey=" cost one pass, not four.
    `guard`: a name keyword ("key") every member contains; when the text lacks it (known
    from the keyword-anchored search, which runs anyway) the gate is not even searched.
    """

    lower: bool
    needle: str | None  # a lone keyword: plain substring test
    regex: re.Pattern[str] | None  # several keywords: one alternation with a literal first character
    members: tuple[tuple[str, tuple[int, ...]], ...]  # keyword -> detector priorities
    guard: str | None


def _build_gates() -> tuple[_Gate, ...]:
    by_keyword: dict[tuple[bool, str], list[int]] = {}
    for priority, det in _KEYWORD_DETECTORS:
        for keyword in det.keywords:
            by_keyword.setdefault((det.lower, keyword), []).append(priority)
    groups: dict[tuple[bool, str], list[str]] = {}
    for lower, keyword in by_keyword:
        groups.setdefault((lower, keyword[0]), []).append(keyword)
    gates = []
    for (lower, first), keywords in sorted(groups.items()):
        members = tuple((k, tuple(by_keyword[(lower, k)])) for k in sorted(keywords))
        guards = sorted(w for w in _NAME_KEYWORDS if all(w in k.lower() for k in keywords))
        guard = guards[0] if guards else None
        if len(keywords) == 1:
            gates.append(_Gate(lower, keywords[0], None, members, guard))
        else:
            alternatives = "|".join(re.escape(k[1:]) for k in sorted(keywords, key=len, reverse=True))
            regex = re.compile(re.escape(first) + "(?:" + alternatives + ")")
            gates.append(_Gate(lower, None, regex, members, guard))
    return tuple(gates)


_GATES = _build_gates()
# The gates split by kind, so the per-text loop is three flat comprehensions.
_CASED_NEEDLES = tuple((g.needle, g.members[0][1], g.guard) for g in _GATES if g.needle is not None and not g.lower)
_LOWER_NEEDLES = tuple((g.needle, g.members[0][1], g.guard) for g in _GATES if g.needle is not None and g.lower)
_REGEX_GATES = tuple((g.lower, g.regex, g.members, g.guard) for g in _GATES if g.regex is not None)


def _candidates(text: str, lowered: str, names: dict[str, int]) -> Iterator[tuple[int, Detector, re.Match[str]]]:
    """(priority, detector, regex match) for every format-level candidate in the text."""
    for start in _token_starts(text):
        for priority, det in _TOKEN_DETECTORS:
            if text.startswith(det.keywords, start):
                m = det.pattern.match(text, start)
                if m is not None:
                    yield priority, det, m
    gated = [ids for needle, ids, guard in _CASED_NEEDLES if (guard is None or names[guard] >= 0) and needle in text]
    gated += [
        ids for needle, ids, guard in _LOWER_NEEDLES if (guard is None or names[guard] >= 0) and needle in lowered
    ]
    for lower, regex, members, guard in _REGEX_GATES:
        haystack = lowered if lower else text
        if (guard is None or names[guard] >= 0) and regex.search(haystack) is not None:
            gated += [ids for keyword, ids in members if keyword in haystack]
    if not gated:
        return
    for priority in sorted({i for ids in gated for i in ids}):
        det = DETECTORS[priority]
        if all(r in lowered for r in det.requires):
            for m in det.pattern.finditer(text):
                yield priority, det, m


def _table_hits(text: str, lowered: str, names: dict[str, int]) -> Iterator[Found]:
    for priority, det, m in _candidates(text, lowered, names):
        value = m.group(det.group)
        verdict = det.validate(value, text) if det.validate else ACCEPT
        extra = _MATCH_CHECKS.get(det.kind)
        if verdict is not None and extra is not None:
            more = extra(m, value)
            verdict = None if more is None else _merge(verdict, more)
        if verdict is None:
            continue
        yield Found(
            m.start(det.group),
            m.end(det.group),
            verdict.kind or det.kind,
            priority,
            verdict.severity or det.severity,
            verdict.confidence or det.confidence,
        )


def _merge(first: Verdict, second: Verdict) -> Verdict:
    return Verdict(second.kind or first.kind, second.severity or first.severity, second.confidence or first.confidence)


def _resolve(found: Sequence[Found], text: str) -> list[Found]:
    """Keep the highest-priority claim on any stretch of text; drop hits inside base64 blobs."""
    excluded = _data_uri_spans(text)
    starts: list[int] = []  # kept spans, sorted and disjoint, so one bisect finds an overlap
    kept: list[Found] = []
    for f in sorted(found, key=lambda f: (f.priority, f.start, f.start - f.end)):
        if any(f.start < e and s < f.end for s, e in excluded):
            continue
        i = bisect.bisect_left(starts, f.end)
        if i > 0 and kept[i - 1].end > f.start:
            continue
        if _inside_base64_run(text, f.start, f.end):
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept


# --------------------------------------------------------------------------- split literals

_LITERAL = r"""(?:"[^"\\\n]{1,200}"|'[^'\\\n]{1,200}')"""
# Two literals joined by "+" (line breaks allowed after it) or by blanks only (implicit
# concatenation; a line break only with a backslash or inside brackets, where Python allows it).
_JOIN = r"""(?:[ \t]*\+[ \t]*\\?\n?[ \t]*|[ \t]+|[ \t]*\\?\n[ \t]*)"""
_ADJACENT = re.compile(r"""["'](?:[ \t]*\+[ \t]*\\?\n?[ \t]*|[ \t]+|[ \t]*\\?\n[ \t]*)["']""")
_CHAIN = re.compile(_LITERAL + "(?:" + _JOIN + _LITERAL + "){1,30}")
_JOIN_PARTS = frozenset({"code", "markdown", "raw", "text"})
_MIN_JOINED = 16


def _joined_literals(text: str, context: TextContext) -> Iterator[Found]:
    """Secrets split over adjacent string literals: join the pieces and search the whole."""
    for chain in _CHAIN.finditer(text):
        pieces = [(m.start() + 1, m.group()[1:-1]) for m in re.finditer(_LITERAL, chain.group())]
        if len(pieces) < 2 or sum(len(p) for _, p in pieces) < _MIN_JOINED:
            continue
        joined = "".join(p for _, p in pieces)
        origins: list[int] = []  # origin in `text` of each character of `joined`
        for offset, piece in pieces:
            origins.extend(range(chain.start() + offset, chain.start() + offset + len(piece)))
        line_start = text.rfind("\n", max(0, chain.start() - 200), chain.start()) + 1
        prefix = text[max(line_start, chain.start() - 200) : chain.start()] + '"'
        probe = prefix + joined + '"'
        for f in _find(probe, context, joined_pass=False):
            lo, hi = f.start - len(prefix), f.end - len(prefix)
            if lo < 0 or hi > len(joined):
                continue  # a hit in the line before the literals: the first pass has it
            # The joined value keeps its detector's priority: "ghp_..." split in two is a GitHub token,
            # not the "secret in assignment" its first piece alone looked like.
            yield Found(origins[lo], origins[hi - 1] + 1, f.kind, f.priority, f.severity, f.confidence)


# --------------------------------------------------------------------------- the search


def _find(text: str, context: TextContext, joined_pass: bool = True) -> list[Found]:
    lowered = lowered_text(text)
    names = {keyword: lowered.find(keyword) for keyword in _NAME_KEYWORDS}  # first hit of each, -1 if none
    found = list(_table_hits(text, lowered, names))
    generic = len(DETECTORS)
    found.extend(assigned_values(text, lowered, context, generic, names))
    if context.mime in CONFIG_MIMES:
        found.extend(config_values(text, generic + 1))
    if context.column is not None:
        column = column_value(text, context, generic + 1)
        if column is not None:
            found.append(column)
    # Split secrets are sought where a secret-like name is (api_key = "sk-" + "..."): a free
    # test (`names` is known) that keeps the adjacency search off most texts.
    if joined_pass and context.part in _JOIN_PARTS and max(names.values()) >= 0 and _ADJACENT.search(text):
        found.extend(_joined_literals(text, context))
    return found


def _one_per_line(kept: list[Found], text: str) -> list[Found]:
    """The same value twice on one line (`if pw == "x" or pw2 == "x"`) is one finding."""
    if len(kept) < 2:
        return kept
    seen: set[tuple[int, str]] = set()
    out = []
    for f in kept:
        key = (text.count("\n", 0, f.start), text[f.start : f.end])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def find_secrets(text: str, context: TextContext) -> Iterator[Match]:
    """Yield a Match for each credential in `text` (spans cover the secret value only)."""
    if not text or (context.mime is not None and _skip_whole(context)):
        return
    found = _find(text, context)
    if not found:
        return
    rule: Rule = SECRET_IN_OUTPUT if context.part.startswith(_OUTPUT_PARTS) else SECRET_IN_SOURCE
    for f in _one_per_line(_resolve(found, text), text):
        yield Match(
            rule=rule,
            start=f.start,
            end=f.end,
            value=text[f.start : f.end],
            kind=f.kind,
            confidence=f.confidence,
            severity=f.severity,
        )
