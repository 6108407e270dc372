"""Secrets in notebook text: a curated rule set for the credentials ML people hold.

`find_secrets(text, context)` yields one Match per credential, spanning the secret
value only (not the assignment around it), so redaction and evidence show the key name
and hide the value.

How it stays fast and quiet (the two complaints about detect-secrets in notebooks):

* Every detector has a keyword pre-filter, so a regex only runs on text that can hold
  its secret. Prefixed tokens (`ghp_`, `sk-`, `hf_`, ... 23 formats) are found by one
  scan for "_" or "-" followed by 16 token characters and a `startswith` on the prefix
  tuple at each hit; the other formats are gated by substring tests (`"AKIA" in text`),
  grouped by first character into one literal-led regex where several share it; the
  keyword-anchored rule walks `str.find` hits of "key", "token", "secret", "pass",
  "pwd", "credential" in the lowercased text. Regexes are compiled once and use bounded
  quantifiers over disjoint character classes, so no input makes them backtrack badly.
* Entropy is only measured for values anchored by a secret-like name
  (`api_key = "..."`, `"token": "..."`, `--password ...`); there is no free-floating
  Base64/Hex entropy detector, so UUIDs, git SHAs, sha256 digests and base64 images in
  outputs are not findings. Placeholders (`sk-xxxx`, `YOUR_API_KEY`, `<token>`,
  `${TOKEN}`), variable references and identifiers are rejected by validators.

Provider formats follow the vendors' documented prefixes; several shapes were
cross-checked against gitleaks' rules (MIT): see nbsec/data/secrets/SOURCE.md.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from nbsec.model import Confidence, Rule, Severity
from nbsec.scanners.notebook.content_rules import SECRET_IN_OUTPUT, SECRET_IN_SOURCE
from nbsec.scanners.notebook.detectors import Match, TextContext

__all__ = ["DETECTORS", "Detector", "Verdict", "detector_kinds", "find_secrets", "shannon_entropy"]

_OUTPUT_PARTS = ("output", "kernel", "history")

# Kinds a validator can report instead of its detector's own.
SK_KIND = "API key (sk- prefix)"
ENCRYPTED_KEY_KIND = "encrypted private key"


# --------------------------------------------------------------------------- value tests


def shannon_entropy(value: str) -> float:
    """Bits per character of `value` under its own character frequencies."""
    if not value:
        return 0.0
    n = len(value)
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _char_classes(value: str) -> int:
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
_PLACEHOLDER_PARTS = (
    "xxxx", "****", "...", "\u2026", "your", "example", "changeme", "change_me", "placeholder", "dummy",
    "redacted", "insert", "replace", "fake", "<", ">", "{", "}", "$(", "%s", "%(", "123456789", "abcdefghij", "qwerty",
)  # fmt: skip
# Whole values that are names of the thing, not the thing.
_PLACEHOLDER_WORDS = frozenset(
    {
        "password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "api-key", "key", "none",
        "null", "nil", "true", "false", "undefined", "test", "testing", "admin", "root", "user", "username",
        "default", "empty", "string", "str", "value", "xxx", "todo", "tbd", "fixme", "foo", "bar", "foobar",
        "hunter2",
    }
)  # fmt: skip
_REPEAT = re.compile(r"(.)\1{5}")  # six of the same character in a row: sk-000000..., T00000000


def is_placeholder(value: str) -> bool:
    """Documentation stand-ins: sk-xxxx, YOUR_API_KEY, <token>, ${TOKEN}, ****, 'changeme'."""
    lowered = value.lower()
    if lowered in _PLACEHOLDER_WORDS or len(set(value)) <= 3:
        return True
    if any(part in lowered for part in _PLACEHOLDER_PARTS):
        return True
    if value.startswith(("$", "%")):
        return True
    return _REPEAT.search(value) is not None


def _random_enough(value: str, min_entropy: float, min_classes: int = 2) -> bool:
    return not is_placeholder(value) and _char_classes(value) >= min_classes and shannon_entropy(value) >= min_entropy


def _mixed_letters(body: str) -> bool:
    """Letters-only random tokens (hf_...) have many capitals; camelCase identifiers do not."""
    upper = sum(1 for ch in body if ch.isupper())
    return 0.2 <= upper / max(1, len(body)) <= 0.8


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGEST_LENGTHS = frozenset({40, 56, 64, 96, 128})  # sha1/git, sha224, sha256, sha384, sha512
# A segment that reads as a word, an identifier or a version, not as random: letters with at
# most a few digits before or after them ("WebTest", "win32", "3dslicer", "v2", "2024").
_WORDISH = re.compile(r"\d{0,4}[A-Za-z]*\d{0,4}")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def is_lookalike(value: str) -> bool:
    """Random-looking strings that are not credentials: UUIDs, git SHAs, digests, identifiers."""
    if _UUID.fullmatch(value):
        return True
    if len(value) in _DIGEST_LENGTHS and _HEX.fullmatch(value):
        return True
    # identifiers, dotted paths, file paths, words joined by -_. in any casing: every piece
    # reads as a word. Random secrets interleave letters and digits, so some piece does not.
    return all(_WORDISH.fullmatch(piece) for piece in _SEPARATORS.split(value))


# --------------------------------------------------------------------------- the table


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


def _token_ok(min_entropy: float = 3.0, min_classes: int = 2) -> Validator:
    """Validator for prefixed tokens: reject placeholders and low-entropy fill-ins."""

    def check(value: str, _text: str) -> Verdict | None:
        return ACCEPT if _random_enough(value, min_entropy, min_classes) else None

    return check


def _letters_token(value: str, _text: str) -> Verdict | None:
    body = value.split("_")[-1]
    return ACCEPT if _random_enough(body, 3.5) and _mixed_letters(body) else None


_OPENAI_PREFIXES = ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-")


def _openai(value: str, _text: str) -> Verdict | None:
    body = value[3:]
    for prefix in _OPENAI_PREFIXES:
        if value.startswith(prefix):
            body = value[len(prefix) :]
    alnum = body.replace("-", "").replace("_", "")
    # Real keys are base62 (upper, lower and digits) or, for some OpenAI-compatible
    # vendors, long lowercase hex; "sk-learn-style-wrapper-2" is neither.
    shaped = _char_classes(alnum) >= 3 or (len(alnum) >= 32 and _HEX.fullmatch(alnum) is not None)
    if not shaped or not _random_enough(body, 3.5):
        return None
    if "T3BlbkFJ" in value or value.startswith(_OPENAI_PREFIXES) or len(value) == 51:
        return ACCEPT  # 51: legacy user keys, sk- + 48 alphanumerics
    # Other "sk-" keys: DeepSeek, Moonshot, local gateways. Same risk, less sure of vendor.
    return Verdict(kind=SK_KIND, confidence=Confidence.MEDIUM)


def _aws_secret(value: str, _text: str) -> Verdict | None:
    if _HEX.fullmatch(value) or not _random_enough(value, 3.5, 3):
        return None
    return ACCEPT


def _jwt(value: str, _text: str) -> Verdict | None:
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


def _private_key(value: str, _text: str) -> Verdict | None:
    body = value.split("-----", 3)[2] if value.count("-----") >= 3 else value
    if any(part in body for part in ("...", "\u2026", "xxxx", "XXXX", "<", "{")):
        return None
    if sum(1 for ch in body if ch.isalnum() or ch in "+/=") < 64:
        return None
    if "ENCRYPTED" in value:
        # A passphrase still protects it: serious, not an open door.
        return Verdict(kind=ENCRYPTED_KEY_KIND, severity=Severity.HIGH)
    return ACCEPT


def _basic_auth(value: str, _text: str) -> Verdict | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep or not user or not password or is_placeholder(password):
        return None
    return ACCEPT


_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "[::1]", "host.docker.internal")


def _url_password(value: str, _text: str) -> Verdict | None:
    # Documentation writes "user:password@", "user:mypassword@"; fsspec writes "github://org:repo@".
    if len(value) < 6 or is_placeholder(value) or "passw" in value.lower():
        return None
    return ACCEPT


def _url_password_match(m: re.Match[str], value: str) -> Verdict | None:
    """Confidence drops when the password equals the user name or the host is local."""
    user, host = m.group("user"), m.group("host").lower()
    if value == user or host.startswith(_LOCAL_HOSTS):
        return Verdict(confidence=Confidence.LOW, severity=Severity.MEDIUM)
    if "example." in host:
        return None
    return ACCEPT


def _bearer(value: str, _text: str) -> Verdict | None:
    if is_lookalike(value) or not _random_enough(value, 3.5, 2):
        return None
    return ACCEPT


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_L = r"(?<![A-Za-z0-9_\-])"  # left edge of a token: not inside a longer word
_R = r"(?![A-Za-z0-9_\-])"  # right edge
_LB64 = r"(?<![A-Za-z0-9+/])"  # left edge for base64-alphabet keys (not inside a base64 run)
_RB64 = r"(?![A-Za-z0-9+/])"

# Order matters: when two detectors claim overlapping text, the earlier one wins (GCP key
# JSON before the bare PEM it contains, Anthropic before the generic "sk-" shape, ...).
DETECTORS: tuple[Detector, ...] = (
    # --- private keys -------------------------------------------------------------
    Detector(
        "GCP service-account private key",
        ("service_account",),
        _c(
            r"""["']private_key["']\s*:\s*["'](?P<v>-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----"""
            r"""[^"']{40,16000}?-----END [A-Z ]{0,20}PRIVATE KEY-----(?:\\n|\n)?)["']"""
        ),
        _private_key,
        severity=Severity.CRITICAL,
        lower=True,
    ),
    Detector(
        "private key",
        ("PRIVATE KEY",),
        _c(
            r"(?P<v>-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----"
            r"[A-Za-z0-9+/=\s\\:,.\-]{40,16000}?-----END (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----)"
        ),
        _private_key,
        severity=Severity.CRITICAL,
    ),
    Detector(  # a key whose END line was cut off (truncated output, a partial paste)
        "private key",
        ("PRIVATE KEY",),
        _c(
            r"(?P<v>-----BEGIN (?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?-----"
            r"(?:\\[rn]|\s){1,4}[A-Za-z0-9+/=]{64,16000})"
        ),
        _private_key,
        severity=Severity.CRITICAL,
    ),
    # --- cloud ----------------------------------------------------------------------
    Detector(
        "AWS access key id",
        ("AKIA", "ASIA", "ABIA", "ACCA"),
        _c(_LB64 + r"(?P<v>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})" + _RB64),
        _token_ok(2.5, 1),
    ),
    Detector(
        "AWS secret access key",
        ("secret",),
        _c(
            r"(?i:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|aws_?secret)"
            r"""[\\"'\]]{0,3}\s{0,4}(?:=|:|=>|,)\s{0,4}[\\"']{0,2}"""
            + _LB64
            + r"(?P<v>[A-Za-z0-9/+]{40})"
            + r"(?![A-Za-z0-9/+=])"
        ),
        _aws_secret,
        lower=True,
    ),
    Detector(
        "Azure storage account key",
        ("AccountKey=",),
        _c(r"AccountKey=(?P<v>[A-Za-z0-9+/]{86}==)"),
        _token_ok(4.0),
    ),
    Detector(
        "Azure shared access key",
        ("SharedAccessKey=",),
        _c(r"SharedAccessKey=(?P<v>[A-Za-z0-9+/]{42,43}=)"),
        _token_ok(4.0),
    ),
    Detector(
        "Azure SAS token signature",
        ("sig=",),
        _c(r"[?&]sig=(?P<v>[A-Za-z0-9%+/]{30,120}(?:%3D|=){0,2})"),
        _token_ok(3.5),
        requires=("sv=",),
    ),
    Detector(
        "Google API key",
        ("AIza",),
        _c(_L + r"(?P<v>AIza[0-9A-Za-z_\-]{35})" + _R),
        _token_ok(3.5),
    ),
    Detector(
        "Google OAuth client secret",
        ("GOCSPX-",),
        _c(_L + r"(?P<v>GOCSPX-[A-Za-z0-9_\-]{28})" + _R),
        _token_ok(3.5),
        token=True,
    ),
    Detector(
        "Google OAuth access token",
        ("ya29.",),
        _c(_L + r"(?P<v>ya29\.[0-9A-Za-z_\-]{30,2000})" + _R),
        _token_ok(3.5),
    ),
    Detector(
        "Databricks personal access token",
        ("dapi",),
        _c(_L + r"(?P<v>dapi[0-9a-f]{32}(?:-\d)?)" + _R),
        _token_ok(3.0),
    ),
    # --- code hosting and package registries -------------------------------------
    Detector(
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        _c(_L + r"(?P<v>gh[pousr]_[A-Za-z0-9]{36,251})" + _R),
        _token_ok(3.5),
        token=True,
    ),
    Detector(
        "GitHub fine-grained token",
        ("github_pat_",),
        _c(_L + r"(?P<v>github_pat_[A-Za-z0-9_]{70,250})" + _R),
        _token_ok(3.5),
        token=True,
    ),
    Detector(
        "GitLab token",
        ("glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-"),
        _c(_L + r"(?P<v>gl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_\-]{20,64}(?:\.[A-Za-z0-9_\-]{2,64}){0,2})" + _R),
        _token_ok(3.0),
        token=True,
    ),
    Detector("npm access token", ("npm_",), _c(_L + r"(?P<v>npm_[A-Za-z0-9]{36})" + _R), _token_ok(3.5), token=True),
    Detector(
        "PyPI API token",
        ("pypi-AgE",),
        _c(_L + r"(?P<v>pypi-AgE[A-Za-z0-9_\-]{50,1000})" + _R),
        _token_ok(3.5),
        token=True,
    ),
    Detector(
        "Docker Hub access token",
        ("dckr_pat_",),
        _c(_L + r"(?P<v>dckr_pat_[A-Za-z0-9_\-]{27})" + _R),
        _token_ok(3.5),
        token=True,
    ),
    # --- model APIs and ML platforms ---------------------------------------------------
    Detector(
        "Anthropic API key",
        ("sk-ant-",),
        _c(_L + r"(?P<v>sk-ant-(?:api|admin|oat|ort|sid)\d{2}-[A-Za-z0-9_\-]{32,200})" + _R),
        _token_ok(3.5),
        token=True,
    ),
    Detector(
        "OpenRouter API key", ("sk-or-",), _c(_L + r"(?P<v>sk-or-v1-[0-9a-f]{64})" + _R), _token_ok(3.0), token=True
    ),
    Detector(
        "OpenAI API key",
        ("sk-",),
        _c(_L + r"(?P<v>sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_\-]{20,250})" + _R),
        _openai,
        token=True,
    ),
    Detector(
        "Hugging Face token",
        ("hf_", "api_org_"),
        _c(_L + r"(?P<v>(?:hf|api_org)_[A-Za-z]{34})" + _R),
        _letters_token,
        token=True,
    ),
    Detector(
        "Cohere API key",
        ("cohere", "co_api_key"),
        _c(r"(?i:cohere|co_api_key)[^\n]{0,80}?" + _L + r"(?P<v>[A-Za-z0-9]{40})" + _R),
        lambda v, t: ACCEPT if not _HEX.fullmatch(v) and _random_enough(v, 4.0, 3) else None,
        lower=True,
    ),
    Detector("Replicate API token", ("r8_",), _c(_L + r"(?P<v>r8_[A-Za-z0-9]{37})" + _R), _token_ok(3.5), token=True),
    Detector("Groq API key", ("gsk_",), _c(_L + r"(?P<v>gsk_[A-Za-z0-9]{48})" + _R), _token_ok(3.5), token=True),
    Detector("xAI API key", ("xai-",), _c(_L + r"(?P<v>xai-[A-Za-z0-9]{70,90})" + _R), _token_ok(3.5), token=True),
    Detector(
        "Perplexity API key", ("pplx-",), _c(_L + r"(?P<v>pplx-[A-Za-z0-9]{40,56})" + _R), _token_ok(3.5), token=True
    ),
    Detector(
        "NVIDIA API key", ("nvapi-",), _c(_L + r"(?P<v>nvapi-[A-Za-z0-9_\-]{60,70})" + _R), _token_ok(3.5), token=True
    ),
    Detector(
        "Tavily API key",
        ("tvly-",),
        _c(_L + r"(?P<v>tvly-(?:dev-|prod-)?[A-Za-z0-9]{28,40})" + _R),
        _token_ok(3.5),
        token=True,
    ),
    Detector(
        "LangSmith API key",
        ("lsv2_",),
        _c(_L + r"(?P<v>lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10})" + _R),
        _token_ok(3.0),
        token=True,
    ),
    Detector(
        "Pinecone API key",
        ("pcsk_",),
        _c(_L + r"(?P<v>pcsk_[A-Za-z0-9]{4,12}_[A-Za-z0-9]{40,80})" + _R),
        _token_ok(3.5),
        token=True,
    ),
    Detector(
        "Weights & Biases API key",
        ("wandb",),
        _c(
            r"(?i:wandb)[A-Za-z_. ]{0,12}(?i:login|key)[^\n]{0,40}?"
            + r"(?<![A-Za-z0-9])(?P<v>[0-9a-f]{40})(?![A-Za-z0-9])"
        ),
        _token_ok(3.0),
        lower=True,
    ),
    Detector(
        "Kaggle API key",
        ('"username"',),
        _c(r""""username"\s*:\s*"[^"\n]{1,64}"\s*,\s*"key"\s*:\s*"(?P<v>[0-9a-f]{32})\""""),
        _token_ok(3.0),
    ),
    # --- messaging, payments, email --------------------------------------------------
    Detector(
        "Slack token",
        ("xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "xoxe-"),
        _c(_L + r"(?P<v>xox[baprse]-[0-9A-Za-z\-]{16,250})" + _R),
        lambda v, t: ACCEPT if any(ch.isdigit() for ch in v) and _random_enough(v, 3.0) else None,
        token=True,
    ),
    Detector(
        "Slack webhook URL",
        ("hooks.slack.com",),
        _c(r"(?P<v>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+\-]{20,150})"),
        lambda v, t: ACCEPT if _random_enough(v.rsplit("/", 1)[-1], 3.0) else None,
    ),
    Detector(
        "Discord webhook URL",
        ("discord",),
        _c(r"(?P<v>https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{5,30}/[A-Za-z0-9_\-]{50,100})"),
        lambda v, t: ACCEPT if _random_enough(v.rsplit("/", 1)[-1], 3.5) else None,
    ),
    Detector(
        "Telegram bot token",
        (":AA",),
        _c(r"(?<![0-9A-Za-z])(?P<v>\d{8,10}:AA[0-9A-Za-z_\-]{33})" + _R),
        _token_ok(3.5),
    ),
    Detector(
        "Stripe secret key",
        ("sk_live_", "rk_live_"),
        _c(_L + r"(?P<v>[sr]k_live_[0-9A-Za-z]{16,247})" + _R),
        _token_ok(3.0),
        token=True,
    ),
    Detector(
        "Stripe test key",
        ("sk_test_", "rk_test_"),
        _c(_L + r"(?P<v>[sr]k_test_[0-9A-Za-z]{16,247})" + _R),
        _token_ok(3.0),
        severity=Severity.MEDIUM,
        token=True,
    ),
    Detector(
        "Stripe webhook secret",
        ("whsec_",),
        _c(_L + r"(?P<v>whsec_[A-Za-z0-9]{32,100})" + _R),
        _token_ok(3.5),
        token=True,
    ),
    Detector(
        "Twilio API key",
        ("twilio",),
        _c(r"(?<![A-Za-z0-9])(?P<v>SK[0-9a-fA-F]{32})(?![A-Za-z0-9])"),
        _token_ok(3.0),
        lower=True,
    ),
    Detector(
        "SendGrid API key",
        ("SG.",),
        _c(_L + r"(?P<v>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})" + _R),
        _token_ok(3.5),
    ),
    # --- tokens in transit ---------------------------------------------------------
    Detector(
        "JSON Web Token",
        ("eyJ",),
        _c(_L + r"(?P<v>eyJ[A-Za-z0-9_\-]{10,4000}\.eyJ[A-Za-z0-9_\-]{2,16000}\.[A-Za-z0-9_\-]{16,1000})" + _R),
        _jwt,
    ),
    Detector(
        "HTTP basic credentials",
        ("authorization",),
        _c(
            r"(?i:authorization)[\\\"']{0,2}\s{0,3}[:=,]\s{0,3}[\\\"']{0,2}(?i:basic)\s+(?P<v>[A-Za-z0-9+/]{8,400}={0,2})"
        ),
        _basic_auth,
        lower=True,
    ),
    Detector(
        "bearer token",
        ("bearer",),
        _c(r"(?i:bearer)\s{1,3}(?P<v>[A-Za-z0-9_\-.~+/]{20,2000}={0,2})(?![A-Za-z0-9_\-.~+/=])"),
        _bearer,
        confidence=Confidence.MEDIUM,
        lower=True,
    ),
    Detector(
        "password in URL",
        ("://",),
        _c(
            r"://(?P<user>[^\s:/?#@'\"<>\[\]{}\\]{1,128}):(?P<v>[^\s/?#@'\"<>\[\]{}\\]{1,256})"
            r"@(?P<host>[A-Za-z0-9._\-]{1,253}|\[[0-9A-Fa-f:]{2,45}\])"
        ),
        _url_password,
    ),
)

# Detectors whose verdict also depends on other groups of the match.
_MATCH_CHECKS: dict[str, Callable[[re.Match[str], str], Verdict | None]] = {
    "password in URL": _url_password_match,
}


def detector_kinds() -> tuple[str, ...]:
    """Every kind label find_secrets can report (the table's, then the keyword-anchored ones)."""
    kinds = dict.fromkeys(d.kind for d in DETECTORS)
    kinds.update(dict.fromkeys((SK_KIND, ENCRYPTED_KEY_KIND, GENERIC_KIND, PASSWORD_KIND)))
    return tuple(kinds)


# --------------------------------------------------------------------------- keyword-anchored values

GENERIC_KIND = "secret in assignment"
PASSWORD_KIND = "password in assignment"

# Lowercase substrings that start the search for a secret-like name.
_NAME_KEYWORDS = ("key", "token", "secret", "pass", "pwd", "credential")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_SPLIT_NAME = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")

_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase"})
# "pass" and "pw" alone are a compiler pass, a pass-through, a working directory; they name
# a password only after a qualifier (db_pass, SMTP_PW).
_SHORT_PASSWORD_WORDS = frozenset({"pass", "pw"})
_PASSWORD_QUALIFIERS = frozenset(
    {
        "db", "user", "admin", "root", "mysql", "postgres", "pg", "redis", "smtp", "email", "mail", "ftp", "login",
        "account", "sql", "ldap", "proxy", "wifi", "vpn", "ssh", "sudo", "api", "database", "mongo", "rabbitmq",
        "amqp", "neo4j", "elastic", "es", "snowflake", "oracle", "mssql", "jdbc",
    }
)  # fmt: skip
_SECRET_WORDS = frozenset({"secret", "token", "apikey", "credential", "credentials", "secretkey", "accesskey"})
_SECRET_SUFFIXES = ("password", "passwd", "secret", "token", "apikey")
# A "key" is only secret after one of these: an api_key, an access_key; not a sort_key.
_KEY_QUALIFIERS = frozenset(
    {
        "api", "access", "secret", "private", "auth", "client", "account", "master", "signing", "sign",
        "encryption", "service", "subscription", "app", "consumer", "admin", "session", "shared",
        "storage", "openai", "anthropic", "cohere", "mistral", "groq", "google", "gemini", "azure", "aws", "hf",
        "wandb", "pinecone", "serp", "serpapi", "replicate", "together", "langchain", "langsmith", "tavily",
        "deepseek", "voyage", "stripe", "twilio", "sendgrid", "slack", "github", "gitlab", "bot", "x", "xi",
        "developer", "personal", "kaggle", "comet", "neptune", "huggingface", "fireworks", "perplexity", "elevenlabs",
    }
)  # fmt: skip
# Name words that say the value is *about* a secret, not the secret.
_EXCLUDED_WORDS = frozenset(
    {
        "url", "uri", "endpoint", "host", "path", "file", "filename", "dir", "name", "names", "type", "env", "var",
        "header", "field", "prefix", "length", "len", "count", "limit", "max", "min", "num", "size", "id", "ids",
        "policy", "expiry", "expires", "expiration", "timeout", "ttl", "format", "regex", "pattern", "label", "ref",
        "hash", "hashed", "sha", "sha1", "sha256", "sha512", "md5", "digest", "checksum", "fingerprint", "commit",
        "revision", "etag", "salt", "index", "position", "pos", "usage", "location", "scope", "scopes", "kind",
        "mode", "method", "manager", "store", "provider", "enabled", "required", "valid", "validator", "placeholder",
        "mask", "masked", "help", "prompt", "description", "doc", "input", "param", "params", "arn", "public",
    }
)  # fmt: skip
# Tokenizer vocabulary entries ("pad_token": "<pad>") are the most common "token" in ML code.
_VOCAB_WORDS = frozenset(
    {
        "pad", "eos", "bos", "unk", "sep", "cls", "mask", "special", "start", "end", "stop", "new", "completion",
        "total", "vocab", "added", "sos", "eot", "fim", "image", "audio", "video", "decoder", "encoder", "think",
        "boi", "eoi", "word",
    }
)  # fmt: skip


def _name_words(name: str) -> list[str]:
    return [w.lower() for w in _SPLIT_NAME.split(name) if w]


def secret_name_kind(name: str) -> str | None:
    """GENERIC_KIND / PASSWORD_KIND if `name` names a credential (api_key, HF_TOKEN, db_password)."""
    words = _name_words(name)
    if not words or any(w in _EXCLUDED_WORDS for w in words):
        return None
    if any(w in _PASSWORD_WORDS or w.endswith(("password", "passwd")) for w in words):
        return PASSWORD_KIND
    for before, word in zip(words, words[1:], strict=False):
        if word in _SHORT_PASSWORD_WORDS and before in _PASSWORD_QUALIFIERS:
            return PASSWORD_KIND
    if "token" in words or any(w.endswith("token") and w != "token" for w in words):
        if any(w in _VOCAB_WORDS for w in words):
            return None
        return GENERIC_KIND
    if any(w in _SECRET_WORDS or w.endswith(_SECRET_SUFFIXES) for w in words):
        return GENERIC_KIND
    for before, word in zip(words, words[1:], strict=False):
        if word == "key" and before in _KEY_QUALIFIERS:
            return GENERIC_KIND
    return None


# After a secret-like name: the assignment operator and the value.
_ASSIGNED = re.compile(
    r"""(?:\\?["'`])?\]?[ \t]{0,4}"""  # "api_key"  /  ["API_KEY"]
    r"""(?:(?P<op>:=|=>|==|=|:(?:[ \t]{0,3}[A-Za-z_][\w.\[\], |]{0,40}?[ \t]{0,3}=)?|,|[ \t]is[ \t])|(?P<ws>[ \t]))"""
    r"""[ \t]{0,4}(?:"""
    r"""(?:[rRbBuU]{1,2})?\\?(?P<q>["'`])(?P<qv>[^"'`\s\\<>{}\[\]()|]{1,512})\\?(?P=q)"""
    r"""|(?P<bv>[^\s"'`\\<>{}\[\](),;|&=]{1,512}={0,2})(?P<after>[(\[.]?)"""
    r""")"""
)


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    kind: str
    priority: int
    severity: Severity | None
    confidence: Confidence


def _strong_enough(value: str, kind: str) -> bool:
    """Entropy test for keyword-anchored values only: the name already says 'secret'."""
    password = kind == PASSWORD_KIND
    if len(value) < (8 if password else 12) or _char_classes(value) < 2 or "://" in value:
        return False
    if is_placeholder(value) or is_lookalike(value):
        return False
    return shannon_entropy(value) >= (2.5 if password else 3.0)


def _is_code_line(text: str, pos: int, part: str) -> bool:
    """Python code, where a bare word after `=` is a variable, not a literal."""
    if part != "code":
        return False
    # Only the start of the line matters; bound the search so a huge one-line text stays linear.
    floor = max(0, pos - 4096)
    newline = text.rfind("\n", floor, pos)
    line_start = newline + 1 if newline >= 0 else floor
    line = text[line_start : min(pos, line_start + 64)].lstrip()
    return not line.startswith(("!", "%", "export ", "set ", "$"))


def _name_span(text: str, hit: int, width: int) -> tuple[int, int]:
    start, end = hit, hit + width
    while start > 0 and text[start - 1] in _NAME_CHARS:
        start -= 1
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    while end > start and text[end - 1] in ".-":  # "…the token." ends a sentence
        end -= 1
    return start, end


def _assigned_values(text: str, lowered: str, part: str, priority: int, names: dict[str, int]) -> Iterator[_Found]:
    seen: set[int] = set()
    for keyword, hit in names.items():
        while hit >= 0:
            start, end = _name_span(text, hit, len(keyword))
            if start not in seen:
                seen.add(start)
                found = _assigned_at(text, start, end, part, priority)
                if found is not None:
                    yield found
            hit = lowered.find(keyword, max(end, hit + 1))


def _assigned_at(text: str, start: int, end: int, part: str, priority: int) -> _Found | None:
    name = text[start:end]
    kind = secret_name_kind(name)
    if kind is None:
        return None
    m = _ASSIGNED.match(text, end)
    if m is None:
        return None
    if m.group("ws") is not None and not name.startswith("-"):
        return None  # "token value" is prose; "--token value" is a command line
    if m.group("op") == "," and not _first_argument(text, start, m.group("qv")):
        return None  # setdefault("API_KEY", "value") holds a literal; f(token, x) and lists do not
    if m.group("qv") is not None:
        value, vstart = m.group("qv"), m.start("qv")
    else:
        value, vstart = m.group("bv").rstrip(".:"), m.start("bv")
        variable = _DOTTED.fullmatch(value) and not name.startswith("-") and _is_code_line(text, start, part)
        if m.group("after") or variable:
            return None  # a call, subscript, attribute or variable: not a literal
    if not _strong_enough(value, kind):
        return None
    return _Found(vstart, vstart + len(value), kind, priority, None, Confidence.MEDIUM)


def _first_argument(text: str, start: int, quoted_value: str | None) -> bool:
    """True for `("NAME", "value")`: a quoted name that opens a call's argument list."""
    if quoted_value is None or start == 0 or text[start - 1] not in "\"'":
        return False
    pos = start - 2
    while pos >= 0 and text[pos] in " \t\n":
        pos -= 1
    return pos >= 0 and text[pos] == "("


def _column_value(text: str, context: TextContext, priority: int) -> _Found | None:
    """A DataFrame cell under a column named like a credential ("password", "api_key")."""
    if not context.column:
        return None
    kind = secret_name_kind(context.column)
    value = text.strip()
    if kind is None or not value or any(ch.isspace() for ch in value) or not _strong_enough(value, kind):
        return None
    start = text.index(value)
    return _Found(start, start + len(value), kind, priority, None, Confidence.MEDIUM)


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


def _table_hits(text: str, lowered: str, names: dict[str, int]) -> Iterator[_Found]:
    for priority, det, m in _candidates(text, lowered, names):
        value = m.group(det.group)
        verdict = det.validate(value, text) if det.validate else ACCEPT
        extra = _MATCH_CHECKS.get(det.kind)
        if verdict is not None and extra is not None:
            more = extra(m, value)
            verdict = None if more is None else _merge(verdict, more)
        if verdict is None:
            continue
        yield _Found(
            m.start(det.group),
            m.end(det.group),
            verdict.kind or det.kind,
            priority,
            verdict.severity or det.severity,
            verdict.confidence or det.confidence,
        )


def _merge(first: Verdict, second: Verdict) -> Verdict:
    return Verdict(second.kind or first.kind, second.severity or first.severity, second.confidence or first.confidence)


def _resolve(found: Sequence[_Found], text: str) -> list[_Found]:
    """Keep the highest-priority claim on any stretch of text; drop hits inside base64 blobs."""
    excluded = _data_uri_spans(text)
    starts: list[int] = []  # kept spans, sorted and disjoint, so one bisect finds an overlap
    kept: list[_Found] = []
    for f in sorted(found, key=lambda f: (f.priority, f.start)):
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


def find_secrets(text: str, context: TextContext) -> Iterator[Match]:
    """Yield a Match for each credential in `text` (spans cover the secret value only)."""
    if not text or (context.mime is not None and _skip_whole(context)):
        return
    lowered = text.lower()
    names = {keyword: lowered.find(keyword) for keyword in _NAME_KEYWORDS}  # first hit of each, -1 if none
    found = list(_table_hits(text, lowered, names))
    generic = len(DETECTORS)
    found.extend(_assigned_values(text, lowered, context.part, generic, names))
    if context.column is not None:
        column = _column_value(text, context, generic + 1)
        if column is not None:
            found.append(column)
    if not found:
        return
    rule: Rule = SECRET_IN_OUTPUT if context.part.startswith(_OUTPUT_PARTS) else SECRET_IN_SOURCE
    for f in _resolve(found, text):
        yield Match(
            rule=rule,
            start=f.start,
            end=f.end,
            value=text[f.start : f.end],
            kind=f.kind,
            confidence=f.confidence,
            severity=f.severity,
        )
