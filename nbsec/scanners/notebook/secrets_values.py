"""Tests on a candidate secret value: entropy, placeholders, look-alikes, password strength.

Shared by the vendor table (secrets_formats), the keyword-anchored rule (secrets_keyvalue)
and the shell/config detectors. Nothing here logs or keeps a value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from nbsec.model import Confidence, Severity

__all__ = [
    "Found",
    "char_classes",
    "is_lookalike",
    "is_placeholder",
    "mixed_letters",
    "password_grade",
    "random_enough",
    "shannon_entropy",
]


@dataclass(frozen=True)
class Found:
    """A candidate secret at text[start:end]; `priority` orders claims on overlapping text."""

    start: int
    end: int
    kind: str
    priority: int
    severity: Severity | None
    confidence: Confidence


def shannon_entropy(value: str) -> float:
    """Bits per character of `value` under its own character frequencies."""
    if not value:
        return 0.0
    n = len(value)
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def char_classes(value: str) -> int:
    lower = upper = digit = other = 0
    for ch in value:
        if ch.islower():
            lower = 1
        elif ch.isupper():
            upper = 1
        elif ch.isdigit():
            digit = 1
        else:
            other = 1
    return lower + upper + digit + other


# Substrings (of the lowercased value) that mark documentation rather than a credential.
# Real keys are random, so the chance that one holds any of these by accident is negligible.
_MARKER_PARTS = (
    "xxxx", "****", "...", "\u2026", "your", "example", "changeme", "change_me", "placeholder", "dummy",
    "redacted", "insert", "replace", "fake", "<", ">", "{", "}", "$(", "%s", "%(",
)  # fmt: skip
# Keyboard and counting runs: filler in documentation keys ("sk-123456789..."), but also what
# people choose as passwords; password_grade keeps them (at low confidence).
_SEQUENCE_PARTS = ("123456789", "abcdefghij", "qwerty")
_PLACEHOLDER_PARTS = _MARKER_PARTS + _SEQUENCE_PARTS
# Whole values that are names of the thing, not the thing.
_NON_VALUES = frozenset(
    {
        "password", "passwd", "pwd", "passphrase", "token", "apikey", "api_key", "api-key", "key", "none", "null",
        "nil", "true", "false", "undefined", "string", "str", "value", "xxx", "todo", "tbd", "fixme", "empty",
        "username", "user", "changeit", "mypassword", "yourpassword", "newpassword", "oldpassword", "redacted",
        "hidden", "masked", "required", "optional", "secret_key", "secretkey", "env", "environ",
    }
)  # fmt: skip
# Default or joke credentials: written in code they are still a hard-coded password (bandit
# reports them), but never a random key.
_WEAK_WORDS = frozenset({"secret", "admin", "root", "test", "testing", "default", "foo", "bar", "foobar", "hunter2"})
_PLACEHOLDER_WORDS = _NON_VALUES | _WEAK_WORDS | {"pass"}
_REPEAT = re.compile(r"(.)\1{5}")  # six of the same character in a row: sk-000000..., T00000000


def is_placeholder(value: str, sequences: bool = True) -> bool:
    """Documentation stand-ins: sk-xxxx, YOUR_API_KEY, <token>, ${TOKEN}, ****, 'changeme'.

    `sequences=False` keeps values that only hold a counting run ("1234567890a"): a person's
    weak password, not a documentation key.
    """
    lowered = value.lower()
    if lowered in _PLACEHOLDER_WORDS or len(set(value)) <= 3:
        return True
    if any(part in lowered for part in (_PLACEHOLDER_PARTS if sequences else _MARKER_PARTS)):
        return True
    if value.startswith(("$", "%")):
        return True
    return _REPEAT.search(value) is not None


def random_enough(value: str, min_entropy: float, min_classes: int = 2) -> bool:
    return not is_placeholder(value) and char_classes(value) >= min_classes and shannon_entropy(value) >= min_entropy


def mixed_letters(body: str) -> bool:
    """Letters-only random tokens (hf_...) have many capitals; camelCase identifiers do not."""
    upper = sum(1 for ch in body if ch.isupper())
    return 0.2 <= upper / max(1, len(body)) <= 0.8


UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
HEX = re.compile(r"[0-9a-fA-F]+")
DIGEST_LENGTHS = frozenset({40, 56, 64, 96, 128})  # sha1/git, sha224, sha256, sha384, sha512
# A segment that reads as a word, an identifier or a version, not as random: letters with at
# most a few digits before or after them ("WebTest", "win32", "3dslicer", "v2", "2024").
_WORDISH = re.compile(r"\d{0,4}[A-Za-z]*\d{0,4}")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def is_digest(value: str) -> bool:
    return len(value) in DIGEST_LENGTHS and HEX.fullmatch(value) is not None


def is_wordish(value: str) -> bool:
    """Identifiers, dotted paths, words joined by -_. in any casing: every piece reads as a word."""
    return all(_WORDISH.fullmatch(piece) for piece in _SEPARATORS.split(value))


def is_lookalike(value: str) -> bool:
    """Random-looking strings that are not credentials: UUIDs, git SHAs, digests, identifiers."""
    if UUID.fullmatch(value):
        return True
    if is_digest(value):
        return True
    # Random secrets interleave letters and digits, so some piece is not word-like.
    return is_wordish(value)


# --------------------------------------------------------------------------- passwords

# A module path, host name, file name or path: what a `pwd` or `pass` setting often holds.
_DOTTED_NAME = re.compile(r"[A-Za-z_][\w\-]*(?:\.[\w\-]+)+(?::\w+)?")
_IDENTIFIER = re.compile(r"[a-z]+(?:_[a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+|[A-Z]+(?:_[A-Z]+)+")


@dataclass(frozen=True)
class Grade:
    """How sure a value under a password-like name is a real password, and how bad it is."""

    confidence: Confidence
    severity: Severity | None  # None: the rule's default (high)


def _pathlike(value: str) -> bool:
    if value.startswith(("/", "./", "../", "~/")):
        return True
    return ("/" in value or "\\" in value or _DOTTED_NAME.fullmatch(value) is not None) and is_wordish(value)


RANDOM = Grade(Confidence.HIGH, None)
HUMAN = Grade(Confidence.MEDIUM, None)
WEAK = Grade(Confidence.LOW, Severity.LOW)


def password_grade(value: str, name: str = "", strict: bool = True) -> Grade | None:
    """Grade a value written under a password-like name (password=, --password, PGPASSWORD=).

    RANDOM: long and random (a generated password). HUMAN: the everyday kind, `Winter2024!`,
    `P@ssw0rd123`: a working password, reported with medium confidence. WEAK: short values,
    dictionary words, defaults (`root`, `admin`, `blerg`): still a hard-coded password, as bandit
    reports it, but low confidence and low severity; only where the value is surely a literal
    (`strict`: a quoted string in code, a config file), never in prose. None: a placeholder,
    a reference or an empty value.
    """
    value = value.strip()
    lowered = value.lower()
    if not value or lowered in _NON_VALUES or (name and lowered == name.lower()):
        return None
    if any(part in lowered for part in _MARKER_PARTS) or value.startswith(("$", "%", "@", "&")):
        return None
    if _REPEAT.search(value) or (len(value) >= 4 and len(set(value)) <= 1):
        return None
    if "://" in value or _pathlike(value):
        return None
    classes = char_classes(value)
    if len(value) >= 16 and classes >= 3 and shannon_entropy(value) >= 3.5 and not is_lookalike(value):
        return RANDOM
    human = len(value) >= 8 and classes >= 2 and not _IDENTIFIER.fullmatch(value)
    if human and lowered not in _WEAK_WORDS and not any(run in lowered for run in _SEQUENCE_PARTS):
        return HUMAN
    return WEAK if strict else None
