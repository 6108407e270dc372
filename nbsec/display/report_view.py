"""A Report's MIME bundle: text/plain (terminals, logs), text/html (every notebook UI, nbviewer)
and application/vnd.nbsec.report.v1+json (the lab extension, and the papermill runner that
reads reports back). Stdlib only.

Everything user- or file-derived is HTML-escaped: a report about a hostile notebook must
not become an XSS in the notebook that displays it.
"""

from __future__ import annotations

from typing import Any

from nbsec.escaping import html_text
from nbsec.model import REPORT_MIME_TYPE, Report
from nbsec.theme import severity_badge


def escape(text: str) -> str:
    """HTML-escape, and show control characters (NUL, ESC, ...) as \\xNN: nbsec.escaping, the one escaping."""
    return html_text(text)


MAX_ROWS_INLINE = 200


def text_summary(report: Report, limit: int = 50) -> str:
    """Plain text: the summary line, then one line per finding, worst first."""
    lines = [f"nbsec report: {report.summary_line()}"]
    for finding in report.sorted_findings()[:limit]:
        lines.append(
            f"  {finding.severity.value.upper():8} {finding.rule_id}  {finding.location.describe()}  {finding.title}"
        )
    if len(report.findings) > limit:
        lines.append(f"  ... {len(report.findings) - limit} more")
    for error in report.errors:
        lines.append(f"  ERROR    {error.target}: {error.message}")
    return "\n".join(lines)


def findings_table_html(report: Report, limit: int | None = None) -> str:
    """A table of findings (escaped), with data-severity on each row for filtering."""
    findings = report.sorted_findings()
    shown = findings if limit is None else findings[:limit]
    rows = []
    for f in shown:
        refs = ", ".join(escape(r.id) for r in f.references)
        rows.append(
            f'<tr class="nbsec-finding" data-severity="{f.severity.value}">'
            f"<td>{severity_badge(f.severity)}</td>"
            f"<td><code>{escape(f.rule_id)}</code><br><small>{escape(f.confidence.value)} confidence</small></td>"
            f"<td>{escape(f.title)}<br><small>{refs}</small></td>"
            f"<td><code>{escape(f.location.describe())}</code></td>"
            f"<td><code>{escape(f.evidence)}</code></td>"
            f"<td>{escape(f.remediation)}</td></tr>"
        )
    more = ""
    if len(shown) < len(findings):
        more = (
            f"<p>… {len(findings) - len(shown)} more findings: export the full report with "
            "<code>%aisec report --format html -o report.html</code></p>"
        )
    if not rows:
        return "<p>No findings.</p>"
    head = "<tr><th>Severity</th><th>Rule</th><th>Title</th><th>Location</th><th>Evidence</th><th>Remediation</th></tr>"
    return (
        '<table class="nbsec-findings" style="border-collapse:collapse;text-align:left">'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>{more}"
    )


def errors_html(report: Report) -> str:
    if not report.errors:
        return ""
    items = "".join(
        f"<li><code>{escape(e.target)}</code> ({escape(e.scanner)}): {escape(e.message)}"
        + (f"<br><small>hint: {escape(e.hint)}</small>" if e.hint else "")
        + "</li>"
        for e in report.errors
    )
    return f'<div class="nbsec-errors"><strong>Could not scan ({len(report.errors)}):</strong><ul>{items}</ul></div>'


def report_html_fragment(report: Report) -> str:
    """The inline view: counts, findings table, errors. No scripts, no external assets."""
    counts = report.counts()
    badges = " ".join(severity_badge(s, n) for s, n in counts.items() if n) or "no findings"
    return (
        '<div class="nbsec-report">'
        f"<p><strong>nbsec</strong> {escape(report.tool_version)}: {badges} "
        f"<small>({escape(report.summary_line())})</small></p>"
        f"{findings_table_html(report, MAX_ROWS_INLINE)}{errors_html(report)}</div>"
    )


def mimebundle(report: Report) -> dict[str, Any]:
    return {
        "text/plain": text_summary(report),
        "text/html": report_html_fragment(report),
        REPORT_MIME_TYPE: report.to_dict(),
    }
