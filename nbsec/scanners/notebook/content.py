"""Secrets and personal data in every part of a notebook (and secrets in source and text files).

The value found never leaves this module whole: evidence is a redacted snippet
(a short prefix and a hash), so reports, logs and widgets cannot leak it again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nbsec.model import Finding, Location, ScanError, Suppressed
from nbsec.redact import snippet
from nbsec.scanners.base import Scanner, ScanResult, SecretValue, register
from nbsec.scanners.notebook.content_rules import RULES, SCANNER
from nbsec.scanners.notebook.detectors import Match, TextContext
from nbsec.scanners.notebook.parts import TextPart, diff_part, expand_html, looks_like_diff, notebook_parts
from nbsec.scanners.notebook.reader import NotebookReadError, load_notebook
from nbsec.suppress import is_ignored, text_line_suppression
from nbsec.targets import NOTEBOOK, PYTHON, TEXT, FileTarget, text_syntax

MAX_FINDINGS_PER_PART = 10  # a secret printed in a loop is one problem, not a thousand findings
# What a person wrote (a cell's source, a whole .py or config file) is not a loop: each distinct
# hard-coded secret in it is a finding, up to a bound.
MAX_FINDINGS_PER_WRITTEN_PART = 200
MAX_TEXT_FILE = 8 * 1024 * 1024
# Parts a person writes, where an inline comment (`# nbsec: ignore`, `# nosec`, `# pragma: allowlist secret`)
# can stand; never outputs, which print whatever the code said.
WRITTEN_PARTS = frozenset({"code", "markdown", "raw", "text"})

PART_LABELS = {
    "code": "code",
    "markdown": "markdown",
    "raw": "raw cell",
    "output-stream": "printed output",
    "output-text": "displayed output",
    "output-html": "HTML output",
    "output-json": "JSON output",
    "output-error": "error traceback",
    "metadata": "metadata",
    "widget-state": "widget state",
    "attachment": "attachment",
    "text": "text",
}


@register
class NotebookContentScanner(Scanner):
    """Credentials and PII in sources, outputs, metadata, widget state and attachments."""

    name = SCANNER
    description = "Secrets and personal data in notebooks (every part), Python and text files"
    kinds = frozenset({NOTEBOOK, PYTHON, TEXT})
    rules = RULES

    def scan(self, target: FileTarget) -> Iterator[ScanResult]:
        try:
            parts, with_pii = self._parts(target)
        except NotebookReadError as exc:
            if target.kind == NOTEBOOK:
                return  # notebook-code reports an unreadable notebook once; no second error
            yield ScanError(self.name, target.display, exc.message, exc.hint)
            return
        except OSError as exc:
            yield ScanError(self.name, target.display, f"cannot read file ({exc.strerror})", "check permissions")
            return
        for part in parts:
            yield from scan_part(target.display, part, with_pii)

    def _parts(self, target: FileTarget) -> tuple[list[TextPart], bool]:
        if target.kind == NOTEBOOK:
            _, notebook = load_notebook(target.path, self.config.max_file_size)
            return list(notebook_parts(notebook)), True
        if target.size > min(self.config.max_file_size, MAX_TEXT_FILE):
            raise NotebookReadError(
                f"{target.size:,} bytes: too large to search for secrets",
                "raise max_file_size in [tool.nbsec], or exclude the file with exclude_paths",
            )
        text = target.path.read_bytes().decode("utf-8", errors="replace")
        if target.kind == PYTHON:
            return [TextPart("code", text)], True
        syntax = text_syntax(target.path)
        if syntax == "text/x-diff" or (syntax is None and looks_like_diff(text)):
            return [diff_part(text)], False  # added lines only; PII of a diff is its files' business
        if syntax == "text/markdown":
            return [TextPart("markdown", text, mime=syntax)], True
        return [TextPart("text", text, mime=syntax)], False


def find_matches(text: str, context: TextContext, with_pii: bool) -> list[Match]:
    from nbsec.scanners.notebook.pii import find_pii
    from nbsec.scanners.notebook.secrets import find_secrets

    matches = list(find_secrets(text, context))
    if with_pii:
        taken = [(m.start, m.end) for m in matches]
        # A value already reported as a secret is not also "personal data".
        matches += [p for p in find_pii(text, context) if not any(s < p.end and p.start < e for s, e in taken)]
    return matches


_HEADER = re.compile(r"<th[^>]*>([^<]{1,60})</th>", re.IGNORECASE)


def _html_needs_parsing(part: TextPart, with_pii: bool) -> bool:
    """Parsing HTML is the slow step; most tables hold neither secrets nor PII.

    Detectors run over the raw markup first; only a hit, or a header that names a PII
    column (where column context changes what counts), pays for the parser.
    """
    if find_matches(part.text, TextContext(part=part.part, mime=part.mime), with_pii):
        return True
    if not with_pii:
        return False
    from nbsec.scanners.notebook.pii import column_hints

    return any(column_hints(name.strip()) for name in _HEADER.findall(part.text))


def scan_part(display: str, part: TextPart, with_pii: bool) -> Iterator[Finding | Suppressed | SecretValue]:
    """Findings for one part, then each secret value found in it (`SecretValue`: for the engine's redaction
    of the other findings of the file, never reported)."""
    if part.html:
        if _html_needs_parsing(part, with_pii):
            for located in expand_html(part):
                yield from scan_part(display, located, with_pii)
        return
    context = TextContext(part=part.part, mime=part.mime, column=part.column)
    matches = find_matches(part.text, context, with_pii)
    spans = [(m.start, m.end) for m in matches]
    ordered = sorted(matches, key=lambda m: m.start)
    cap = MAX_FINDINGS_PER_WRITTEN_PART if part.part in WRITTEN_PARTS else MAX_FINDINGS_PER_PART
    for match in ordered[:cap]:
        finding = _finding(display, part, match, spans)
        secret = match.rule.category == "secrets"
        if is_ignored(match.rule.id, part.ignore):
            yield Suppressed(finding, "cell-metadata")
        else:
            why = None
            if part.part in WRITTEN_PARTS:
                why = text_line_suppression(match.rule.id, part.text, match.start, secret=secret)
            yield finding if why is None else Suppressed(finding, "inline", why)
        if secret:
            yield SecretValue(match.value, finding.fingerprint)
    for match in ordered[cap:]:
        if match.rule.category == "secrets":
            yield SecretValue(match.value)  # not reported (one part, many values), still redacted elsewhere


def _finding(display: str, part: TextPart, match: Match, spans: list[tuple[int, int]]) -> Finding:
    rule = match.rule
    line: int | None = part.text.count("\n", 0, match.start) + 1
    column: int | None = match.start - (part.text.rfind("\n", 0, match.start) + 1) + 1
    element = part.element
    if part.rows is not None and line is not None:
        # A table column: the line inside it is a data row.
        row = part.rows[min(line - 1, len(part.rows) - 1)]
        where_row = "header" if row < 0 else f"row {row + 1}"
        element = f"table {(part.table or 0) + 1}, {where_row}, column {part.column}"
        line = column = None
    if part.line_labels is not None and line is not None and line <= len(part.line_labels):
        element = part.line_labels[line - 1] or element  # a diff: the file and line the change adds
    where = PART_LABELS.get(part.part, part.part)
    if element and element != where:
        where += f" ({element})"
    location = Location(
        path=display,
        cell=part.cell,
        cell_id=part.cell_id,
        execution_count=part.execution_count,
        output=part.output,
        line=line,
        column=column,
        element=element,
    )
    evidence = f"{match.kind} in {where}: {snippet(part.text, match.start, match.end, others=spans)}"
    return rule.finding(location, evidence, severity=match.severity, confidence=match.confidence)
