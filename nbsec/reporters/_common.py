"""Small text helpers the reporters share (stdlib only)."""

from __future__ import annotations

from nbsec.model import Reference

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


def load_rule_catalogue() -> None:
    """Scanners register their rules when loaded; a report read back from JSON may come before that."""
    try:
        from nbsec.catalogue import load_catalogue

        load_catalogue()
    except Exception:  # noqa: BLE001 - without the catalogue, reporters fall back to the findings' own text
        pass
