"""Inline suppression: nbsec's own comment, and the ones users of bandit and detect-secrets already wrote.

- `# nbsec: ignore[NBSEC-NB-001]` or `# nbsec: ignore`: nbsec's own form.
- `# nosec` (bandit): a bare `# nosec` silences every finding on the line; `# nosec B301,B403` only the
  nbsec rules those bandit tests correspond to (`BANDIT_RULES`). A bandit id nbsec has no counterpart for
  silences nothing: it never widens into a bare `# nosec`.
- `# pragma: allowlist secret` (detect-secrets, also after `//`, `/*`, `--`, `<!--`), or
  `# pragma: allowlist nextline secret` alone on the line above: silences secret findings on that line.

A person who has judged a finding can say so where the code is, and the reason travels with the code.
Suppressed findings are kept in the Report's `suppressed` list with the form that silenced them
(`Suppressed.detail`), never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_PATTERN = re.compile(r"#\s*nbsec\s*:\s*ignore(?:\[(?P<ids>[^\]]*)\])?", re.IGNORECASE)
ALL = "*"

# bandit's comment: `#nosec`, `# nosec`, `# nosec: B301, B403`, `# nosec B301 pickle is trusted here`.
_NOSEC = re.compile(r"#\s*nosec\b:?\s*(?P<tests>[^#]*)")
_BANDIT_TOKEN = re.compile(r"\b(B\d{3}|[a-z][a-z0-9_]*_[a-z0-9_]+)\b", re.IGNORECASE)
# detect-secrets' comment forms (its `allowlist` module): the pragma follows a comment opener; the
# nextline form must be alone on its line, so a value before it cannot hide what the next line holds.
_OPENERS = r"(?:#|//|/\*|--|<!--|')"
_ALLOWLIST = re.compile(_OPENERS + r"[ \t]*pragma: ?(?:allow|white)list[ -]secret\b")
_NEXTLINE = re.compile(r"^[ \t]*" + _OPENERS + r"[ \t]*pragma: ?allowlist[ -]nextline[ -]secret\b")

# What a bandit test id (or its name) corresponds to in nbsec. Only tests with a real counterpart: an id
# left out here silences nothing rather than something it never meant.
BANDIT_RULES: dict[str, tuple[str, ...]] = {
    "B102": ("NBSEC-NB-005", "NBSEC-NB-006"),  # exec_used
    "B105": ("NBSEC-NB-010",),  # hardcoded_password_string
    "B106": ("NBSEC-NB-010",),  # hardcoded_password_funcarg
    "B107": ("NBSEC-NB-010",),  # hardcoded_password_default
    "B202": ("NBSEC-NB-013",),  # tarfile_unsafe_members
    "B301": ("NBSEC-NB-002",),  # pickle (and dill, shelve, jsonpickle, pandas.read_pickle)
    "B302": ("NBSEC-NB-016",),  # marshal
    "B307": ("NBSEC-NB-005", "NBSEC-NB-006"),  # eval
    "B310": ("NBSEC-NB-014",),  # urllib_urlopen
    "B323": ("NBSEC-NB-007",),  # unverified_context
    "B403": ("NBSEC-NB-002",),  # import_pickle
    "B501": ("NBSEC-NB-007",),  # request_with_no_cert_validation
    "B506": ("NBSEC-NB-003",),  # yaml_load
    "B614": ("NBSEC-NB-001",),  # pytorch_load
    "B615": ("NBSEC-NB-012",),  # huggingface_unsafe_download
    "B701": ("NBSEC-NB-015",),  # jinja2_autoescape_false
}
BANDIT_NAMES = {
    "exec_used": "B102",
    "hardcoded_password_string": "B105",
    "hardcoded_password_funcarg": "B106",
    "hardcoded_password_default": "B107",
    "import_pickle": "B403",
    "request_with_no_cert_validation": "B501",
    "unverified_context": "B323",
    "yaml_load": "B506",
    "pytorch_load": "B614",
    "huggingface_unsafe_download": "B615",
    "tarfile_unsafe_members": "B202",
    "urllib_urlopen": "B310",
    "jinja2_autoescape_false": "B701",
}

NOSEC = "nosec (bandit)"
ALLOWLIST = "pragma: allowlist secret (detect-secrets)"
ALLOWLIST_NEXTLINE = "pragma: allowlist nextline secret (detect-secrets)"


def inline_ignores(line: str) -> frozenset[str]:
    """Rule ids `# nbsec: ignore` names on this source line; {'*'} for a bare `# nbsec: ignore`."""
    if "nbsec" not in line.lower():
        return frozenset()
    found: set[str] = set()
    for match in _PATTERN.finditer(line):
        ids = match.group("ids")
        if ids is None or not ids.strip():
            found.add(ALL)
        else:
            found.update(i.strip().upper() for i in ids.split(",") if i.strip())
    return frozenset(found)


def is_ignored(rule_id: str, ignores: frozenset[str]) -> bool:
    return ALL in ignores or rule_id.upper() in ignores


def nosec_silences(rule_id: str, line: str) -> str | None:
    """The detail to record when bandit's `# nosec` on `line` silences `rule_id`, else None."""
    if "nosec" not in line:
        return None
    rule = rule_id.upper()
    for match in _NOSEC.finditer(line):
        tokens = _BANDIT_TOKEN.findall(match.group("tests"))
        named = [t.upper() if t[0] in "bB" and t[1:].isdigit() else BANDIT_NAMES.get(t.lower(), "") for t in tokens]
        tests = [t for t in named if t]
        if not tests and not any(t[0] in "bB" and t[1:].isdigit() for t in tokens):
            return NOSEC  # a bare `# nosec` (words after it that name no test are a justification)
        for test in tests:
            if rule in bandit_rules(test):
                return f"nosec {test} (bandit)"
    return None


def bandit_rules(test: str) -> tuple[str, ...]:
    """The nbsec rules a bandit test id corresponds to; rules added later join through `BANDIT_RULES`."""
    return BANDIT_RULES.get(test.upper(), ())


def allowlisted(line: str) -> bool:
    """detect-secrets' `pragma: allowlist secret` on this line."""
    return "pragma" in line and _ALLOWLIST.search(line) is not None


def allowlisted_next(previous_line: str) -> bool:
    """detect-secrets' `pragma: allowlist nextline secret`, alone on the line before."""
    return "nextline" in previous_line and _NEXTLINE.search(previous_line) is not None


def line_suppression(rule_id: str, line: str, *, secret: bool = False) -> str | None:
    """Why an inline comment on `line` silences `rule_id`: "" for `# nbsec: ignore` (the reason "inline"
    says it all), "nosec (bandit)" or "pragma: allowlist secret (detect-secrets)"; None when nothing does.
    The detect-secrets pragma silences only secret findings (`secret=True`)."""
    if is_ignored(rule_id, inline_ignores(line)):
        return ""
    nosec = nosec_silences(rule_id, line)
    if nosec is not None:
        return nosec
    if secret and allowlisted(line):
        return ALLOWLIST
    return None


def lines_suppression(
    rule_id: str, lines: Sequence[str], first: int, last: int | None = None, *, secret: bool = False
) -> str | None:
    """`line_suppression` over the 1-based lines first..last of `lines` (a statement may span several), and
    detect-secrets' nextline pragma on the line before `first`."""
    for number in range(max(first, 1), min(last or first, len(lines)) + 1):
        found = line_suppression(rule_id, lines[number - 1], secret=secret)
        if found is not None:
            return found
    if secret and 2 <= first <= len(lines) + 1 and allowlisted_next(lines[first - 2]):
        return ALLOWLIST_NEXTLINE
    return None


def text_line_suppression(rule_id: str, text: str, offset: int, *, secret: bool = False) -> str | None:
    """`lines_suppression` for the line of `text` that holds `offset` (and the line before it)."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    found = line_suppression(rule_id, text[start : end if end >= 0 else len(text)], secret=secret)
    if found is not None or not secret or start == 0:
        return found
    previous = text[text.rfind("\n", 0, start - 1) + 1 : start - 1]
    return ALLOWLIST_NEXTLINE if allowlisted_next(previous) else None
