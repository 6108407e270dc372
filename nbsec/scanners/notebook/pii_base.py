"""What every personal-data finder shares: the candidate record and its confidence levels.

The finders (`pii_contact`, `pii_numbers`) build `Found` records and `pii` turns them into
Matches; keeping the record here lets both sides import it without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbsec.model import Severity

LOW, MEDIUM, HIGH = 0, 1, 2
TEST_VALUE = -1  # a documented test value: reported, but at low confidence whatever the context


@dataclass(frozen=True)
class Found:
    """One candidate before context: `pii` picks the winner among overlaps and sets the confidence."""

    kind: str
    start: int
    end: int
    base: int  # LOW / MEDIUM / HIGH before context, or TEST_VALUE
    severity: Severity
