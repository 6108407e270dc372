"""Inline suppression: `# nbsec: ignore[NBSEC-NB-001]` or `# nbsec: ignore` on the line.

Bandit's `# nosec` habit: a person who has judged a finding can say so where
the code is, and the reason travels with the code. Suppressed findings are
kept in the Report's `suppressed` list, never silently dropped.
"""

from __future__ import annotations

import re

_PATTERN = re.compile(r"#\s*nbsec\s*:\s*ignore(?:\[(?P<ids>[^\]]*)\])?", re.IGNORECASE)
ALL = "*"


def inline_ignores(line: str) -> frozenset[str]:
    """Rule ids ignored on this source line; {'*'} for a bare `# nbsec: ignore`."""
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
