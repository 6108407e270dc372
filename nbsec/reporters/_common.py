"""Small text helpers the reporters share (stdlib only)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from nbsec.model import Reference, Suppressed

# Why a finding is in `Report.suppressed`, in words a reviewer understands.
SUPPRESSION_REASONS = {
    "inline": "inline `# nbsec: ignore` comment",
    "cell-metadata": "cell metadata (nbsec ignore)",
    "config": "rule disabled in the nbsec configuration",
    "baseline": "already in the baseline",
    "severity-threshold": "below the configured minimum severity",
}


def reference_label(ref: Reference) -> str:
    """'CWE-502', 'OWASP ML Top 10 ML06:2023': the framework only where the id does not already name it."""
    if ref.id.upper().startswith(ref.framework.upper()):
        return ref.id
    return f"{ref.framework} {ref.id}"


def suppression_reason(reason: str) -> str:
    return SUPPRESSION_REASONS.get(reason, reason)


def suppression_text(item: Suppressed) -> str:
    """Why this one finding was suppressed: the reason, and the form that said so when there is one
    ("inline: nosec B301 (bandit)", "already in the baseline: detect-secrets baseline ...")."""
    if not item.detail:
        return suppression_reason(item.reason)
    label = "inline" if item.reason == "inline" else suppression_reason(item.reason)
    return f"{label}: {item.detail}"


def suppression_counts(items: Iterable[Suppressed]) -> list[tuple[str, int]]:
    """(why, how many) for a summary line; `# nosec` and `# nbsec: ignore` are counted apart."""
    return sorted(Counter(suppression_text(item) for item in items).items())


def rule_catalogue_problems() -> list[str]:
    """Load the rule catalogue (SARIF and JUnit read rule metadata from it) and say what it could not load.

    A built-in rule module that fails to import is a bug and raises; a scanner plugin whose rules
    could not be loaded is returned here, so the reporter can say so instead of silently rendering
    those findings without their rule's description and help.
    """
    from nbsec.rule_catalogue import load_catalogue

    return [f"rule metadata of {name} could not be loaded: {error}" for name, error in load_catalogue().failures]
