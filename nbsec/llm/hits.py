"""The one record every LLM detector returns: what was found, never the value (stdlib)."""

from __future__ import annotations

from dataclasses import dataclass

from nbsec.model import Confidence

__all__ = ["Hit"]


@dataclass(frozen=True)
class Hit:
    """One thing a detector found in a text; safe to print (no value, only a label and redacted evidence)."""

    detector: str  # canary | marker | system-prompt | secret | pii | exfil-image | exfil-link | active-content
    #                | internal-url | tool-call
    what: str  # human label, never the value: "canary 1", "AWS access key id", "markdown image to evil.example"
    encoding: str = "plain"  # plain, base64, hex, rot13, reversed, spaced, lines, url, homoglyph, leet, tags
    span: tuple[int, int] | None = None  # where in the text, for redaction (None: only found decoded)
    evidence: str = ""  # short excerpt with the value redacted
    confidence: Confidence = Confidence.HIGH
