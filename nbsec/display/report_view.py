"""A Report's MIME bundle: text/plain (terminals, logs), text/html (every notebook UI, nbviewer)
and application/vnd.nbsec.report.v1+json (the lab extension, and the papermill runner that
reads reports back). Stdlib only.

The HTML view reads the same in JupyterLab, Notebook 7, VS Code, nbviewer, GitHub and an exported
page: no script, no external asset, collapsing with `<details>`, and every alignment and width as
an inline `style=` (front ends restyle tables, JupyterLab right-aligns every cell, GitHub strips
`<style>`). Findings are grouped by category (`rule_catalogue.FINDING_GROUPS`), in the order
`rule_catalogue.report_order` gives: the first row is `report.findings[0]`, the worst.

Everything user- or file-derived is HTML-escaped: a report about a hostile notebook must
not become an XSS in the notebook that displays it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from nbsec.escaping import html_text
from nbsec.model import REPORT_MIME_TYPE, Finding, FixOutcome, Report, Severity, Suppressed
from nbsec.reporters._common import reference_label, suppression_counts, suppression_text
from nbsec.rule_catalogue import FindingGroup, finding_group, report_order
from nbsec.theme import severity_badge


def escape(text: str) -> str:
    """HTML-escape, and show control characters (NUL, ESC, ...) as \\xNN: nbsec.escaping, the one escaping."""
    return html_text(text)


MAX_ROWS_INLINE = 200
# How to get what the inline view leaves out (both exist: `%aisec report` in nbsec.magics).
FULL_REPORT_HINT = (
    "<code>r.findings</code> holds every finding; for the full page run "
    "<code>%aisec report --format html -o report.html</code>"
)

# Inline, what must hold in every front end: JupyterLab right-aligns and middles every cell with a rule no
# class style beats (`:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`), GitHub strips <style>.
_TD = "text-align:left;vertical-align:top"
_TABLE = "width:100%;max-width:100%;table-layout:fixed;border-collapse:collapse;margin:0 0 4px 0;overflow-wrap:anywhere"
# Column widths: the badge and the rule id never wrap; the title takes what is left.
_COLUMNS = (("Severity", "width:6.5em"), ("Rule", "width:10em"), ("Finding", ""), ("Location", "width:28%"))
_PRE = "white-space:pre-wrap;text-align:left;margin:4px 0;padding:4px 6px;background:rgba(128,128,128,.12)"
# The looks, where <style> survives. Selectors match only nbsec's classes (a notebook keeps every output's
# <style> in one page); the HTML report adds it to its page style.
VIEW_STYLE = (
    "table.nbsec-findings td,table.nbsec-findings th{padding:4px 8px;border:0;"
    "border-bottom:1px solid rgba(128,128,128,.25)}"
    "table.nbsec-findings td+td+td+td{font-size:.92em}"
    "details.nbsec-group{border:1px solid rgba(128,128,128,.35);border-radius:4px;padding:0 8px;margin:6px 0}"
    "details.nbsec-group>summary{cursor:pointer;padding:5px 0}"
    "details.nbsec-detail{border:0;padding:0;margin:0}"
    "details.nbsec-detail>summary{cursor:pointer;font-weight:normal}"
    "div.nbsec-detail-body{padding:2px 0 4px 0}div.nbsec-detail-body>div{margin:4px 0}"
    "div.nbsec-detail-body>pre{max-height:16em;overflow-y:auto;border-radius:3px}"
)


def text_summary(report: Report, limit: int = 50) -> str:
    """Plain text: the summary line, what could not be scanned, then the findings by group, worst first."""
    lines = [f"nbsec report: {report.summary_line()}"]
    if report.fixes is not None:
        lines.append(f"nbsec fix: {report.fixes.summary_line()}")
    for error in report.errors:
        lines.append(f"  ERROR    {error.target}: {error.message}")
    current = ""
    for finding in report_order(report)[:limit]:
        group = finding_group(finding.rule_id)
        if group.key != current:
            current = group.key
            lines.append(f"  {group.label}")
        lines.append(
            f"    {finding.severity.value.upper():8} {finding.rule_id}  {finding.location.describe()}  {finding.title}"
        )
    if len(report.findings) > limit:
        lines.append(f"  ... {len(report.findings) - limit} more")
    return "\n".join(lines)


def _outcome_text(outcome: FixOutcome) -> str:
    return f"{outcome.status}: {outcome.reason}" if outcome.reason else outcome.status


OPEN_UP_TO = 20  # rows: a longer group starts collapsed even when it holds high findings


def findings_table_html(report: Report, limit: int | None = None) -> str:
    """The findings, one collapsible group per category: rows with data-severity for filtering, escaped.

    Groups come in `report_order` (the group holding the worst finding first); a group with a critical or
    high finding is open unless it is long (then its summary's badges say what it holds, and the groups after
    it stay in sight: 40 threat-model rows must not bury 8 code findings), the others collapsed.
    `limit` caps the rows shown and says what was left out.
    """
    ordered = report_order(report)
    if not ordered:
        return '<p style="text-align:left">No findings.</p>'
    shown = ordered if limit is None else ordered[:limit]
    groups: dict[str, tuple[FindingGroup, list[Finding]]] = {}
    for finding in ordered:
        group = finding_group(finding.rule_id)
        groups.setdefault(group.key, (group, []))[1].append(finding)
    visible = {id(f) for f in shown}
    outcomes = {_key(o.finding): o for o in report.fixes.outcomes} if report.fixes is not None else {}
    parts = [
        _group_html(group, members, [f for f in members if id(f) in visible], outcomes)
        for group, members in groups.values()
    ]
    if len(shown) < len(ordered):
        parts.append(
            f'<p class="nbsec-more" style="text-align:left">{len(ordered) - len(shown)} more findings are not '
            f"shown here. {FULL_REPORT_HINT}</p>"
        )
    return "".join(parts)


def _key(f: Finding) -> tuple[str, str]:
    return (f.fingerprint, f.location.describe())


def _group_html(
    group: FindingGroup,
    members: list[Finding],
    shown: list[Finding],
    outcomes: dict[tuple[str, str], FixOutcome] | None = None,
) -> str:
    tally = Counter(f.severity for f in members)
    badges = " ".join(severity_badge(s, tally[s]) for s in Severity if tally[s])
    severe = any(s.rank >= Severity.HIGH.rank for s in tally)
    opened = " open" if severe and len(members) <= OPEN_UP_TO else ""
    count = f"{len(members)} finding{'s' if len(members) != 1 else ''}"
    if len(shown) < len(members):
        count += f", {len(shown)} shown"
    table = _table("".join(_finding_row(f, _outcome(f, outcomes or {})) for f in shown)) if shown else ""
    return (
        f'<details class="nbsec-group" data-group="{escape(group.key)}"{opened}>'
        f"<summary><strong>{escape(group.label)}</strong> ({count}) {badges}</summary>{table}</details>"
    )


def _table(rows: str) -> str:
    head = "".join(
        f'<th style="{";".join(filter(None, (_TD, width)))};white-space:nowrap">{name}</th>' for name, width in _COLUMNS
    )
    return f'<table class="nbsec-findings" style="{_TABLE}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _outcome(f: Finding, outcomes: dict[tuple[str, str], FixOutcome]) -> FixOutcome | None:
    return outcomes.get(_key(f))


def _cells(f: Finding, note: str = "", outcome: FixOutcome | None = None) -> str:
    """Severity, rule id, the title opening onto evidence, fix and references, location."""
    rule = escape(f.rule_id)
    fix = describe_fix(f.rule_id)
    return (
        f'<td style="{_TD}">{severity_badge(f.severity)}</td>'
        f'<td style="{_TD};white-space:nowrap;overflow:hidden;text-overflow:ellipsis" title="{rule}">'
        f'<code style="white-space:nowrap">{rule}</code></td>'
        f'<td style="{_TD}"><details class="nbsec-detail"><summary>{escape(f.title)}</summary>'
        f"{_detail(f, fix, outcome)}</details>"
        f"{note}</td>"
        f'<td style="{_TD}">{_location(f)}</td>'
    )


def _location(f: Finding) -> str:
    """`Location.describe()`, escaped; "line 2", "cell 5 [3]" and the like never break inside (the path may)."""
    text = f.location.describe()
    path = f.location.path if f.location.member is None else f"{f.location.path}!{f.location.member}"
    if not text.startswith(path):
        return escape(text)
    rest = ", ".join(escape(part).replace(" ", "&nbsp;") for part in text[len(path) :].split(", "))
    return escape(path) + rest


def _finding_row(f: Finding, outcome: FixOutcome | None = None) -> str:
    return f'<tr class="nbsec-finding" data-severity="{f.severity.value}">{_cells(f, outcome=outcome)}</tr>'


def describe_fix(rule_id: str) -> str | None:
    """How `nbsec fix` fixes this rule's findings (None: no automatic fix)."""
    from nbsec.fix import describe

    return describe(rule_id)


def _detail(f: Finding, fix: str | None = None, outcome: FixOutcome | None = None) -> str:
    """What opens under a finding's title: evidence, the fix (and the command that makes it), references,
    confidence."""
    from nbsec.fix import fix_command

    parts = []
    if f.evidence:
        parts.append(f'<pre style="{_PRE}">{escape(f.evidence)}</pre>')
    if f.remediation:
        parts.append(f"<div><strong>Fix:</strong> {escape(f.remediation)}</div>")
    if fix is not None:
        command = escape(fix_command(f.location.path, f.rule_id))
        parts.append(
            f'<div class="nbsec-fix-command nbsec-fixable"><strong>Fixable:</strong> {escape(fix)}; '
            f'review the diff with <code style="white-space:pre-wrap">{command}</code>, '
            "then add <code>--apply</code></div>"
        )
    if outcome is not None:
        parts.append(
            f'<div class="nbsec-fix-outcome"><strong>nbsec fix:</strong> {escape(_outcome_text(outcome))}</div>'
        )
    if f.references:
        refs = ", ".join(escape(reference_label(r)) for r in f.references)  # text: no URL leaves the page
        parts.append(f"<div><strong>References:</strong> {refs}</div>")
    parts.append(f"<div><small>{escape(f.confidence.value)} confidence</small></div>")
    return f'<div class="nbsec-detail-body" style="text-align:left">{"".join(parts)}</div>'


def suppressed_table_html(items: Sequence[Suppressed], limit: int | None = None) -> str:
    """Suppressed findings worst first, each row saying why it was suppressed; the same columns as the findings."""
    ordered = Report(findings=[item.finding for item in items]).sorted_findings()
    reasons = {id(item.finding): suppression_text(item) for item in items}
    shown = ordered if limit is None else ordered[:limit]
    rows = "".join(
        f'<tr class="nbsec-suppressed" data-severity="{f.severity.value}">'
        + _cells(
            f,
            f'<div class="nbsec-reason"><small>suppressed: {escape(reasons[id(f)])}</small></div>',
        )
        + "</tr>"
        for f in shown
    )
    more = ""
    if len(shown) < len(ordered):
        more = f'<p style="text-align:left">{len(ordered) - len(shown)} more suppressed findings are not shown.</p>'
    return _table(rows) + more


def suppressed_html(report: Report, limit: int | None = None) -> str:
    """The suppressed findings as the last group, collapsed, with the reason for each."""
    if not report.suppressed:
        return ""
    why = "; ".join(f"{escape(reason)}: {n}" for reason, n in suppression_counts(report.suppressed))
    return (
        '<details class="nbsec-group nbsec-suppressed-group" data-group="suppressed">'
        f"<summary><strong>Suppressed</strong> ({len(report.suppressed)}) · {why}</summary>"
        f"{suppressed_table_html(report.suppressed, limit)}</details>"
    )


def errors_html(report: Report) -> str:
    if not report.errors:
        return ""
    items = "".join(
        f'<li><code style="white-space:pre-wrap">{escape(e.target)}</code> '
        f"({escape(e.scanner)}): {escape(e.message)}"
        + (f"<br><small>hint: {escape(e.hint)}</small>" if e.hint else "")
        + "</li>"
        for e in report.errors
    )
    return (
        '<div class="nbsec-errors" style="text-align:left;border-left:4px solid #c62828;padding:2px 10px;'
        f'margin:6px 0"><strong>Could not scan ({len(report.errors)}):</strong>'
        f'<ul style="margin:4px 0;padding-left:1.5em">{items}</ul></div>'
    )


def report_html_fragment(report: Report) -> str:
    """The inline view: counts, what could not be scanned, the findings by group, the suppressed ones, and
    the figures the Report carries (inline SVG and PNG, nbsec.display.svg).

    No scripts, no external assets.
    """
    from nbsec.display.svg import figures_html

    counts = report.counts()
    badges = " ".join(severity_badge(s, n) for s, n in counts.items() if n) or "no findings"
    figures = (
        f'<div class="nbsec-figures" style="text-align:left">{figures_html(report.figures)}</div>'
        if report.figures
        else ""
    )
    return (
        '<div class="nbsec-report" style="text-align:left;max-width:100%;overflow-wrap:anywhere">'
        f"<style>{VIEW_STYLE}</style>"
        f'<p style="text-align:left;margin:0 0 6px 0"><strong>nbsec</strong> {escape(report.tool_version)}: '
        f"{badges} <small>({escape(report.summary_line())})</small></p>"
        f"{errors_html(report)}{_fixes(report)}{findings_table_html(report, MAX_ROWS_INLINE)}"
        f"{suppressed_html(report, MAX_ROWS_INLINE)}{figures}</div>"
    )


def _fixes(report: Report) -> str:
    """`nbsec fix`'s changes and outcomes, above the findings (nbsec.display.fix_view)."""
    if report.fixes is None:
        return ""
    from nbsec.display.fix_view import fixes_html

    return fixes_html(report.fixes)


def mimebundle(report: Report) -> dict[str, Any]:
    return {
        "text/plain": text_summary(report),
        "text/html": report_html_fragment(report),
        REPORT_MIME_TYPE: report.to_dict(),
    }
