"""What the text detectors (secrets, PII) return, and what they are told about the text.

A detector is `find(text: str, context: TextContext) -> Iterator[Match]`. It never
logs, prints or stores the value it found anywhere but in the Match it returns; the
scanner turns a Match into a Finding whose evidence is redacted (nbsec.redact), so
the full value never leaves the process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbsec.model import Confidence, Rule, Severity


@dataclass(frozen=True)
class TextContext:
    """Where the text sits, so detectors can weigh it.

    `part` is one of: code, markdown, raw, output-stream, output-text, output-html, output-json,
    output-error, metadata, widget-state, attachment, kernel-variable, kernel-env, history.
    `column` is the DataFrame column name when the text is one table cell.
    """

    part: str
    mime: str | None = None
    column: str | None = None


@dataclass(frozen=True)
class Match:
    """One secret or PII value found at text[start:end]."""

    rule: Rule
    start: int
    end: int
    value: str = field(repr=False)  # the raw value: for redaction only; kept out of repr() and logs
    kind: str  # human label: "AWS access key id", "email address", ...
    confidence: Confidence | None = None
    severity: Severity | None = None


_last_lowered: tuple[str, str] = ("", "")


def lowered_text(text: str) -> str:
    """`text.lower()`, computed once when the secret and then the PII detectors read the same text.

    The content scanner hands each text to both in turn; lowercasing a long output twice cost as much
    as some detectors. One entry, matched by identity: no lookups, no text kept beyond the next one.
    """
    global _last_lowered
    last = _last_lowered
    if last[0] is text:
        return last[1]
    lowered = text.lower()
    _last_lowered = (text, lowered)
    return lowered
