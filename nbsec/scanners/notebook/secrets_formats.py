"""The vendor table's building blocks: Detector, Verdict and the validators that judge a match.

A Detector pairs a credential format (a regex with a group `v` for the value) with cheap keyword
pre-filters; its validator rejects placeholders and look-alikes and may lower the severity or
confidence. The table itself is secrets_table.DETECTORS; how it is searched is in secrets.py.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from nbsec.model import Confidence, Severity
from nbsec.scanners.notebook.secrets_values import (
    HEX,
    Grade,
    char_classes,
    is_lookalike,
    is_placeholder,
    mixed_letters,
    password_grade,
    random_enough,
)

# Kinds a validator can report instead of its detector's own.
SK_KIND = "API key (sk- prefix)"
ENCRYPTED_KEY_KIND = "encrypted private key"


class Verdict(NamedTuple):
    """What a validator says about a candidate: None fields keep the detector's defaults."""

    kind: str | None = None
    severity: Severity | None = None
    confidence: Confidence | None = None


ACCEPT = Verdict()
Validator = Callable[[str, str], "Verdict | None"]  # (value, whole text) -> verdict, None = reject


@dataclass(frozen=True)
class Detector:
    """One credential format.

    `keywords`: the regex runs only if one of them is a substring of the text
    (`lower=True`: of the lowercased text). `requires`: lowercase substrings that must
    all be present too (Twilio keys only mean something near "twilio"). `group` names
    the regex group that is the secret value.

    `token=True`: the keywords are token prefixes ("ghp_", "sk-") and the regex is only
    tried where a token starts with one of them; those starts come from one scan for
    "_" or "-" followed by 16 token characters (see _token_starts), which is much cheaper
    than one substring search per prefix.
    """

    kind: str
    keywords: tuple[str, ...]
    pattern: re.Pattern[str]
    validate: Validator | None = None
    severity: Severity | None = None
    confidence: Confidence = Confidence.HIGH
    group: str = "v"
    lower: bool = False
    requires: tuple[str, ...] = ()
    token: bool = False


def token_ok(min_entropy: float = 3.0, min_classes: int = 2) -> Validator:
    """Validator for prefixed tokens: reject placeholders and low-entropy fill-ins."""

    def check(value: str, _text: str) -> Verdict | None:
        return ACCEPT if random_enough(value, min_entropy, min_classes) else None

    return check


def hex_token(min_entropy: float = 3.0) -> Validator:
    """A fixed-length hex secret found next to its vendor's name: not a placeholder, not all digits."""

    def check(value: str, _text: str) -> Verdict | None:
        body = max(value.split("-"), key=len)  # key-<hex>, <hex>-us6: the hex part
        if is_placeholder(value) or body.isdigit() or not random_enough(body, min_entropy, 2):
            return None
        return ACCEPT

    return check


def letters_token(value: str, _text: str) -> Verdict | None:
    body = value.split("_")[-1]
    return ACCEPT if random_enough(body, 3.5) and mixed_letters(body) else None


_OPENAI_PREFIXES = ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-")


def openai(value: str, _text: str) -> Verdict | None:
    body = value[3:]
    for prefix in _OPENAI_PREFIXES:
        if value.startswith(prefix):
            body = value[len(prefix) :]
    alnum = body.replace("-", "").replace("_", "")
    # Real keys are base62 (upper, lower and digits) or, for some OpenAI-compatible
    # vendors, long lowercase hex; "sk-learn-style-wrapper-2" is neither.
    shaped = char_classes(alnum) >= 3 or (len(alnum) >= 32 and HEX.fullmatch(alnum) is not None)
    if not shaped or not random_enough(body, 3.5):
        return None
    if "T3BlbkFJ" in value or value.startswith(_OPENAI_PREFIXES) or len(value) == 51:
        return ACCEPT  # 51: legacy user keys, sk- + 48 alphanumerics
    # Other "sk-" keys: DeepSeek, Moonshot, local gateways. Same risk, less sure of vendor.
    return Verdict(kind=SK_KIND, confidence=Confidence.MEDIUM)


# AWS's documentation pair (AKIAIOSFODNN7EXAMPLE, wJalr...EXAMPLEKEY) opens no account, but detect-secrets
# reports it and a file holding it is where a real pair gets pasted next: low, and named for what it is.
AWS_EXAMPLE = Verdict(kind="AWS documentation example key", severity=Severity.LOW, confidence=Confidence.LOW)


def aws_key_id(value: str, _text: str) -> Verdict | None:
    """AKIA + 16: a fixed shape. Random ones are sure; a low-entropy one ("AKIATESTTEST...") is
    still an access key id written into a file, reported with low confidence."""
    if "EXAMPLE" in value:
        return AWS_EXAMPLE
    if is_placeholder(value):
        return None  # "AKIAXXXXXXXXXXXXXXXX"
    if random_enough(value, 2.5, 1):
        return ACCEPT
    return Verdict(confidence=Confidence.LOW, severity=Severity.MEDIUM)


def aws_secret(value: str, _text: str) -> Verdict | None:
    if value.endswith("EXAMPLEKEY"):
        return AWS_EXAMPLE
    if HEX.fullmatch(value) or not random_enough(value, 3.5, 3):
        return None
    return ACCEPT


def jwt(value: str, _text: str) -> Verdict | None:
    header, payload, _sig = value.split(".", 2)
    decoded = _b64url_json(header)
    if not isinstance(decoded, dict) or "alg" not in decoded:
        return None
    claims = _b64url_json(payload)
    # jwt.io's sample token (John Doe, iat 1516239022) is in every tutorial.
    if isinstance(claims, dict) and claims.get("iat") == 1516239022:
        return None
    return ACCEPT


def _b64url_json(part: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None


def private_key(value: str, _text: str) -> Verdict | None:
    body = value.split("-----", 3)[2] if value.count("-----") >= 3 else value
    if any(part in body for part in ("...", "\u2026", "xxxx", "XXXX", "<", "{")):
        return None
    size = sum(1 for ch in body if ch.isalnum() or ch in "+/=")
    if size < 24:
        return None
    if "ENCRYPTED" in value:
        # A passphrase still protects it: serious, not an open door.
        return Verdict(kind=ENCRYPTED_KEY_KIND, severity=Severity.HIGH)
    if size < 64:
        # A whole BEGIN/END block too short to be a real key: a sample, a stub or a cut paste.
        return Verdict(severity=Severity.HIGH, confidence=Confidence.LOW)
    return ACCEPT


def basic_auth(value: str, _text: str) -> Verdict | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep or not user or not password or is_placeholder(password):
        return None
    return ACCEPT


_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "[::1]", "host.docker.internal")
# RFC 2606 domains (example.com/.org): a URL with credentials on them is most likely documentation.
_EXAMPLE_HOSTS = ("example.",)


def url_password(value: str, _text: str) -> Verdict | None:
    # Documentation writes "user:password@", "user:mypassword@"; fsspec writes "github://org:repo@".
    lowered = value.lower()
    if len(value) < 6 or is_placeholder(value) or ("passw" in lowered and len(value) <= 16):
        return None
    return ACCEPT


def url_password_match(m: re.Match[str], value: str) -> Verdict | None:
    """Confidence drops when the password equals the user name, or the host is local or a documentation name."""
    user, host = m.group("user"), m.group("host").lower()
    if value == user or host.startswith(_LOCAL_HOSTS):
        return Verdict(confidence=Confidence.LOW, severity=Severity.MEDIUM)
    if host.startswith(_EXAMPLE_HOSTS) or host.endswith((".example.com", ".example.org")):
        return Verdict(confidence=Confidence.LOW, severity=Severity.LOW)
    return ACCEPT


def bearer(value: str, _text: str) -> Verdict | None:
    if is_lookalike(value) or not random_enough(value, 3.5, 2):
        return None
    return ACCEPT


def graded(grade: Grade | None) -> Verdict | None:
    """A password grade as a table verdict."""
    if grade is None:
        return None
    return Verdict(severity=grade.severity, confidence=grade.confidence)


def cli_password(value: str, _text: str) -> Verdict | None:
    """A password on a command line or in .netrc: the syntax says it is one, so weak ones count too."""
    return graded(password_grade(value.strip("'\""), strict=True))


def session_value(value: str, _text: str) -> Verdict | None:
    """A session cookie value: random, long enough to be a live session, not a word or an id."""
    if len(value) < 16 or is_lookalike(value) or not random_enough(value, 3.0, 2):
        return None
    return ACCEPT


def c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
