"""One redaction pass over every finding of a file, whichever scanner made it.

A scanner that is not about secrets quotes what it saw: the requirement line of an unpinned git URL,
the line of a `pickle.load` call, an IP address's line. When a password or a token sits on that line,
the quote would carry it in full into every report. The content scanner redacts its own evidence, and
tells the scanning loop (`nbsec.scanners.run`) each secret value it found (`SecretValue`); after every
scanner has read a file, the loop runs this pass over the texts of all that file's findings:

- every secret value found anywhere in the file (and its JSON-escaped spellings) is replaced by
  `nbsec.redact.redact(value)`;
- nbsec's secret detectors run over each quoted text as well, with the password of any
  `scheme://user:password@host` URL, so a value no content scanner saw (a `--only` run, a scanner
  quoting a pickle's strings) is caught too.

Redacted forms already in the text (`ghp_…[sha256:1a2b3c4d]`) are left as they are. Each distinct
text is redacted once per file (titles and remediations repeat), so the pass costs one detector run
per distinct quote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from nbsec.model import Finding, Suppressed
from nbsec.redact import redact_in

__all__ = ["Redactor", "occurrences", "redact_items"]

MIN_KNOWN = 6  # shorter values would also match inside unrelated words and hash tags
MIN_PREFIX = 8  # a cut-short quote of a secret is redacted from this many characters on
_CUT_MARKS = ("\u2026", "...")
_REDACTED = re.compile("\\S{0,4}\u2026\\[sha256:[0-9a-f]{8}\\]")
# The password of a URL's userinfo, also when a quote's window starts inside the URL ("…ploy:pw@host");
# placeholders (`${TOKEN}`, `<password>`, `****`) are not passwords.
_USERINFO = re.compile("(?:://|\u2026)[^\\s/:@'\"<>]{0,128}:(?P<password>[^\\s/@'\"<>]{1,256})@")
_PLACEHOLDER = re.compile(r"^(?:\$|%\(|\{|\*+$|x+$)", re.IGNORECASE)


class Redactor:
    """Replaces known secret values, and what the detectors find, in a text; caches each text's result."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for value in values:
            if len(value) >= MIN_KNOWN:
                forms.update((value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1]))
        self._forms = sorted(forms, key=len, reverse=True)
        self._done: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if len(text) < MIN_KNOWN:
            return text
        done = self._done.get(text)
        if done is None:
            done = self._done[text] = self._redact(text)
        return done

    def _redact(self, text: str) -> str:
        spans = [span for form in self._forms for span in occurrences(form, text)]
        spans += _detected(text)
        if not spans:
            return text
        kept = [(m.start(), m.end()) for m in _REDACTED.finditer(text)] if "\u2026[sha256:" in text else []
        fresh = [(s, e) for s, e in spans if not any(s < ke and ks < e for ks, ke in kept)]
        return redact_in(text, fresh) if fresh else text


def occurrences(value: str, text: str) -> list[tuple[int, int]]:
    """Where `value` stands in `text` in full, or cut short: a quote that shortens long literals
    (`'ghp_Z1U9ueHK…'`) still shows a piece of the secret, so a prefix of at least `MIN_PREFIX`
    characters followed by a cut mark counts too."""
    anchor = value[:MIN_PREFIX]
    spans: list[tuple[int, int]] = []
    start = text.find(anchor)
    while start >= 0:
        end = start + len(anchor)
        limit = min(len(text), start + len(value))
        while end < limit and text[end] == value[end - start]:
            end += 1
        if end - start == len(value) or text.startswith(_CUT_MARKS, end):
            spans.append((start, end))
        start = text.find(anchor, end)
    return spans


def _detected(text: str) -> list[tuple[int, int]]:
    from nbsec.scanners.notebook.detectors import TextContext
    from nbsec.scanners.notebook.secrets import find_secrets

    spans = [(m.start, m.end) for m in find_secrets(text, TextContext(part="text"))]
    if "@" in text and ("://" in text or "\u2026" in text):
        for match in _USERINFO.finditer(text):
            if not _PLACEHOLDER.match(match.group("password")):
                spans.append(match.span("password"))
    return spans


def redact_items(findings: list[Finding], suppressed: list[Suppressed], values: Iterable[str]) -> dict[str, str]:
    """Redact, in place, the texts of these findings (and suppressed findings) of one file against `values`
    and the detectors. Returns {old fingerprint: new fingerprint} for the findings that changed."""
    redactor = Redactor(values)
    moved: dict[str, str] = {}
    for index, finding in enumerate(findings):
        again = finding.rewritten(redactor)
        if again is not finding:
            findings[index] = again
            moved[finding.fingerprint] = again.fingerprint
    for index, item in enumerate(suppressed):
        again = item.finding.rewritten(redactor)
        if again is not item.finding:
            suppressed[index] = Suppressed(again, item.reason, item.detail)
            moved[item.finding.fingerprint] = again.fingerprint
    return moved
