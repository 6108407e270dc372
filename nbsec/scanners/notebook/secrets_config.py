"""Secrets in config files, read as `key = value` structure rather than as free text.

Only for text files whose name says they are configuration (.env, .ini/.cfg/.conf, .toml,
.yaml/.yml, .json, .properties; TextContext.mime carries the hint). What the line-by-line
reading adds to the keyword-anchored rule:

* nesting: a value under a neutral key inside a secret-named parent (`aws: {secret: ...}`,
  `credentials:` / `  value: ...`, an INI `[credentials]` section) is judged as a secret, and
  hex values there are not dismissed as digests;
* INI continuation lines and YAML list items under a secret-named key;
* `.env`-style files: a strongly random value under any key that does not say what else it
  is (`id`, `hash`, `url`, ...) is reported with low confidence: in configuration, a 40-character
  random string is a credential far more often than not.

One pass over the lines (config files are small); nothing is parsed as YAML/TOML, so nothing
in the file can run or expand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nbsec.model import Confidence, Severity
from nbsec.scanners.notebook.secrets_keyvalue import (
    GENERIC_KIND,
    KEY_KIND,
    excluded_name,
    grade_value,
    name_kind,
    secret_name_kind,
)
from nbsec.scanners.notebook.secrets_values import (
    HEX,
    Found,
    char_classes,
    is_lookalike,
    is_placeholder,
    shannon_entropy,
)

ENTROPY_KIND = "high-entropy value in a config file"

_PAIR = re.compile(
    r"""(?:export[ \t]+)?(?P<k>"[^"\n]{1,100}"|'[^'\n]{1,100}'|[A-Za-z0-9_.\-:/@ ]{0,100}?[A-Za-z0-9_.\-@])"""
    r"""[ \t]*(?P<sep>=|:(?=[ \t]|$))[ \t]*(?P<v>.*)"""
)
_TAG = re.compile(r"!!?(?:binary|str)[ \t]+")
_OPENERS = frozenset({"", "{", "[", "|", ">", "|-", ">-", "|+", ">+"})
_TOKEN = re.compile(r"[^\s\"'`{}\[\],;]{1,512}")
_B64ISH = re.compile(r"[A-Za-z0-9+/=_\-]{20,200}")
_DIGEST_PREFIXES = ("sha1-", "sha256-", "sha384-", "sha512-", "md5-", "sha1:", "sha256:", "h1:")


def _value(raw: str, offset: int) -> tuple[str, int] | None:
    """The scalar in `raw` (after the separator) and its offset; None for an opener or nothing."""
    stripped = raw.rstrip().rstrip(",")
    lead = len(raw) - len(raw.lstrip())
    body = stripped.lstrip()
    tag = _TAG.match(body)
    if tag:
        lead += tag.end()
        body = body[tag.end() :]
    if body in _OPENERS:
        return None
    if body[:1] in "\"'":
        end = body.find(body[0], 1)
        if end <= 1:
            return None
        return body[1:end], offset + lead + 1
    token = _TOKEN.match(body)
    if token is None:
        return None
    return token.group(), offset + lead


class _Scope:
    """Parent keys by indentation (YAML, pretty JSON) under the current INI/TOML section."""

    def __init__(self) -> None:
        self.section: list[str] = []
        self.stack: list[tuple[int, str]] = []

    def enter(self, indent: int) -> None:
        while self.stack and self.stack[-1][0] >= indent:
            self.stack.pop()

    def parents(self) -> list[str]:
        return self.section + [key for _, key in self.stack]


def _kind_for(key: str, parents: list[str]) -> str | None:
    kind = name_kind(key)
    if kind is not None:
        return kind
    for parent in reversed(parents):
        if excluded_name(parent):
            return None
        kind = secret_name_kind(parent)
        if kind is not None:
            return kind
    return None


def _random_config_value(value: str) -> bool:
    """A strongly random base64/base62 value: what a generated key looks like, not an id or digest."""
    if not _B64ISH.fullmatch(value) or HEX.fullmatch(value) or value.lower().startswith(_DIGEST_PREFIXES):
        return False
    classes = char_classes(value)
    if classes < 3 and not ("+" in value or "/" in value):
        return False
    return shannon_entropy(value) >= 4.0 and not is_placeholder(value) and not is_lookalike(value)


def config_values(text: str, priority: int) -> Iterator[Found]:
    """Values of a config file judged by their key, their parents, or their randomness."""
    scope = _Scope()
    last: tuple[int, str, list[str]] | None = None  # indent, key, parents of the last key line
    offset = 0
    for line in text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        body = line.strip()
        if not body or body[0] in "#;" or body.startswith("//"):
            continue
        indent = len(line) - len(line.lstrip())
        if body[0] == "[" and body.endswith("]") and "=" not in body:
            scope.section = [body.strip("[] ")]
            scope.stack, last = [], None
            continue
        item = body.startswith("- ")
        pair = None if item else _PAIR.match(line, indent)
        if pair is None:
            if last is not None and indent > last[0]:
                raw = body[2:] if item else body
                found = _value(raw, start + len(line) - len(line.lstrip()) + (2 if item else 0))
                if found is not None and "=" not in found[0]:
                    yield from _judge(last[1], last[2], found, priority)
            continue
        key = pair.group("k").strip("\"'")
        scope.enter(indent)
        parents = scope.parents()
        found = _value(pair.group("v"), start + pair.start("v"))
        last = (indent, key, parents)
        if found is None:
            scope.stack.append((indent, key))  # an opener: what follows, more indented, is inside it
            continue
        yield from _judge(key, parents, found, priority)


def _judge(key: str, parents: list[str], found: tuple[str, int], priority: int) -> Iterator[Found]:
    value, vstart = found
    if excluded_name(key):
        return
    kind = _kind_for(key, parents)
    if kind is not None:
        graded = grade_value(value, kind, key, strict=True, config=True)
        if graded is not None:
            label = GENERIC_KIND if kind == KEY_KIND else kind
            yield Found(vstart, vstart + len(value), label, priority, graded[1], graded[0])
        return
    if _random_config_value(value):
        yield Found(vstart, vstart + len(value), ENTROPY_KIND, priority, Severity.MEDIUM, Confidence.LOW)
