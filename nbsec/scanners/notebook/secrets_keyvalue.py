"""Keyword-anchored secrets: a value written under a name that says "secret".

`api_key = "..."`, `"token": "..."`, `--password ...`, `PGPASSWORD=...`, `d["password"] = "x"`,
`if password == "root"`, `def f(password="Admin")`. The name is found by `str.find` hits of a
few keywords in the lowercased text; the value is graded by how sure it is a credential:

* generic names (token, secret, api_key): random values are medium confidence; shorter mixed
  values and hex strings (which might be digests) low;
* password names: random values high, everyday human passwords (`Winter2024!`) medium, and
  defaults or dictionary words (`root`, `blerg`) low confidence and low severity, the way bandit
  reports hard-coded passwords, but only where the value is surely a literal;
* a bare `key` name: only a strongly random value.

Placeholders (`<password>`, `${PASSWORD}`, `xxx`, `your-password-here`, `changeme`, empty),
variable references and identifiers are never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nbsec.model import Confidence, Severity
from nbsec.scanners.notebook.detectors import TextContext
from nbsec.scanners.notebook.secrets_values import (
    DOTTED,
    UUID,
    Found,
    char_classes,
    is_digest,
    is_lookalike,
    is_placeholder,
    password_grade,
    shannon_entropy,
)

__all__ = [
    "CONFIG_MIMES",
    "GENERIC_KIND",
    "KEY_KIND",
    "NAME_KEYWORDS",
    "PASSWORD_KIND",
    "assigned_values",
    "column_value",
    "excluded_name",
    "grade_value",
    "name_kind",
    "secret_name_kind",
]


GENERIC_KIND = "secret in assignment"
PASSWORD_KIND = "password in assignment"
KEY_KIND = "random value under a key name"

# Lowercase substrings that start the search for a secret-like name.
NAME_KEYWORDS = ("key", "token", "secret", "pass", "pwd", "credential")
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
_SECRET_WORDS = frozenset(
    {"secret", "secrets", "token", "apikey", "credential", "credentials", "secretkey", "accesskey", "passwords"}
)
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
        "string", "hardcoded", "rule", "message", "error", "hint", "text", "title",
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


# After a secret-like name: the assignment operator and the value (a YAML tag such as
# `!!binary` may stand between them).
_ASSIGNED = re.compile(
    r"""(?:\\?["'`])?\]?[ \t]{0,4}"""  # "api_key"  /  ["API_KEY"]
    r"""(?:(?P<op>:=|=>|==|!=|=|:(?:[ \t]{0,3}[A-Za-z_][\w.\[\], |]{0,40}?[ \t]{0,3}=)?|,|[ \t]is[ \t])"""
    r"""|(?P<ws>[ \t]))"""
    r"""[ \t]{0,4}(?:!!?(?:binary|str)[ \t]{1,4})?(?:"""
    r"""(?:[rRbBuU]{1,2})?\\?(?P<q>["'`])(?P<qv>[^"'`\s\\<>{}\[\]()|]{1,512})\\?(?P=q)"""
    r"""|(?P<bv>[^\s"'`\\<>{}\[\](),;|&=]{1,512}={0,2})(?P<after>[(\[.]?)"""
    r""")"""
)
# Parts where a quoted value after a password name is surely a literal someone wrote.
_LITERAL_PARTS = frozenset({"code", "markdown", "raw", "text", "metadata"})
# Config files (by TextContext.mime): every value is a literal, quoted or not.
CONFIG_MIMES = frozenset(
    {"text/x-dotenv", "text/x-ini", "application/toml", "application/yaml", "application/json", "text/x-properties"}
)


def name_kind(name: str) -> str | None:
    """GENERIC_KIND, PASSWORD_KIND, KEY_KIND (a bare `key` name) or None."""
    return secret_name_kind(name) or (KEY_KIND if weak_key_name(name) else None)


def excluded_name(name: str) -> bool:
    """A name about a secret, not holding one: `foreign_key_id`, `token_url`, `password_hash`."""
    return any(w in _EXCLUDED_WORDS for w in _name_words(name))


def weak_key_name(name: str) -> bool:
    """`key`, `keyA`, `Key1`: a name that only says "key"; a random value under it is likely one."""
    words = _name_words(name)
    return bool(words) and words[0] == "key" and (len(words) == 1 or (len(words) == 2 and len(words[1]) <= 2))


Graded = tuple[Confidence, Severity | None]
MEDIUM: Graded = (Confidence.MEDIUM, None)
LOW_MEDIUM: Graded = (Confidence.LOW, Severity.MEDIUM)
WEAK_LITERAL: Graded = (Confidence.LOW, Severity.LOW)


def grade_value(value: str, kind: str, name: str = "", strict: bool = False, config: bool = False) -> Graded | None:
    """(confidence, severity) for `value` under a name of this kind, or None when it is no secret."""
    if kind == PASSWORD_KIND:
        grade = password_grade(value, name, strict)
        return None if grade is None else (grade.confidence, grade.severity)
    if "://" in value or UUID.fullmatch(value) or is_placeholder(value, sequences=False):
        return None
    if len(value) < 8:
        return _config_literal(value, name, kind, config)
    classes = char_classes(value)
    if kind == KEY_KIND:
        if len(value) >= 20 and classes >= 3 and shannon_entropy(value) >= 4.0 and not is_lookalike(value):
            return MEDIUM
        if config and classes >= 2 and len(set(value)) >= 0.8 * len(value) and not is_lookalike(value):
            return LOW_MEDIUM
        return None
    if len(value) >= 12 and classes >= 2 and shannon_entropy(value) >= 3.0 and not is_lookalike(value):
        return MEDIUM if not is_placeholder(value) else LOW_MEDIUM
    if is_digest(value) and len(set(value)) > 8:
        return LOW_MEDIUM  # hex under a secret name: a key, or a digest of one
    if not strict:
        return None
    if classes >= 2 and not is_lookalike(value):
        return LOW_MEDIUM  # short, but written under a secret name
    human = password_grade(value, name, strict=False)
    lower_and_digit = any(ch.islower() for ch in value) and any(ch.isdigit() for ch in value)
    if human is not None and classes >= 3 and lower_and_digit:
        return LOW_MEDIUM  # a person's password ("Winter2024!") under a secret name
    return _config_literal(value, name, kind, config)


def _config_literal(value: str, name: str, kind: str, config: bool) -> Graded | None:
    """In a config file every value is a literal someone wrote: a dictionary password (`hunter2`,
    `password123`) under a secret name there is still a hard-coded secret, as bandit and detect-secrets
    report it; low, since it may be a default or a test value."""
    if not config or kind != GENERIC_KIND or password_grade(value, name, strict=True) is None:
        return None
    return WEAK_LITERAL


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


def assigned_values(
    text: str, lowered: str, context: TextContext, priority: int, names: dict[str, int]
) -> Iterator[Found]:
    seen: set[int] = set()
    config = context.mime in CONFIG_MIMES
    for keyword, hit in names.items():
        while hit >= 0:
            start, end = _name_span(text, hit, len(keyword))
            if start not in seen:
                seen.add(start)
                found = _assigned_at(text, start, end, context.part, priority, config)
                if found is not None:
                    yield found
            hit = lowered.find(keyword, max(end, hit + 1))


def _assigned_at(text: str, start: int, end: int, part: str, priority: int, config: bool) -> Found | None:
    name = text[start:end]
    kind = name_kind(name)
    if kind is None:
        return None
    m = _ASSIGNED.match(text, end)
    if m is None:
        return None
    if m.group("ws") is not None and not name.startswith("-"):
        return None  # "token value" is prose; "--token value" is a command line
    op = m.group("op")
    if op == "," and not _first_argument(text, start, m.group("qv")):
        return None  # setdefault("API_KEY", "value") holds a literal; f(token, x) and lists do not
    if m.group("qv") is not None:
        value, vstart = m.group("qv"), m.start("qv")
        strict = part in _LITERAL_PARTS and op is not None and "is" not in op
    else:
        value, vstart = m.group("bv").rstrip(".:"), m.start("bv")
        variable = DOTTED.fullmatch(value) and not name.startswith("-") and _is_code_line(text, start, part)
        if m.group("after") or variable:
            return None  # a call, subscript, attribute or variable: not a literal
        strict = config or name.startswith("-")
    if strict and not config and _quoted_or_commented(text, start):
        strict = False  # `password = "x"` in a comment or inline code: an example, not a setting
    graded = grade_value(value, kind, name, strict, config)
    if graded is None:
        return None
    return Found(
        vstart, vstart + len(value), kind if kind != KEY_KIND else GENERIC_KIND, priority, graded[1], graded[0]
    )


_DOC_LINE_STARTS = ('"' * 3, "'" * 3, ">>>", "//", "*")


def _quoted_or_commented(text: str, start: int) -> bool:
    """A backtick or a comment mark before the name on its line (bounded look-back)."""
    line_start = text.rfind("\n", max(0, start - 512), start) + 1
    before = text[max(line_start, start - 512) : start]
    return "`" in before or "#" in before or before.lstrip().startswith(_DOC_LINE_STARTS)


def _first_argument(text: str, start: int, quoted_value: str | None) -> bool:
    """True for `("NAME", "value")`: a quoted name that opens a call's argument list."""
    if quoted_value is None or start == 0 or text[start - 1] not in "\"'":
        return False
    pos = start - 2
    while pos >= 0 and text[pos] in " \t\n":
        pos -= 1
    return pos >= 0 and text[pos] == "("


def column_value(text: str, context: TextContext, priority: int) -> Found | None:
    """A DataFrame cell under a column named like a credential ("password", "api_key")."""
    if not context.column:
        return None
    kind = secret_name_kind(context.column)
    value = text.strip()
    if kind is None or not value or any(ch.isspace() for ch in value):
        return None
    graded = grade_value(value, kind, context.column)
    if graded is None or graded[0] is Confidence.LOW:
        return None
    start = text.index(value)
    return Found(start, start + len(value), kind, priority, graded[1], graded[0])
