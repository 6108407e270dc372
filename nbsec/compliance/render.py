"""Compliance tables as Markdown, HTML (one self-contained page, or a fragment for widgets) and JSON.

Everything from the report or the catalogue is escaped: a hostile notebook's
finding text must not become markup in an auditor's browser. The page has no
external URL and a Content-Security-Policy that allows only its one script.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from nbsec.compliance.mapping import STATUSES, ComplianceResult, EvidenceHit, FindingHit, Row
from nbsec.compliance.questionnaire import TierResult
from nbsec.escaping import content_security_policy, script_hash
from nbsec.escaping import html_text as escape
from nbsec.escaping import md_cell as escape_cell
from nbsec.theme import PAGE_STYLE as STYLE
from nbsec.theme import severity_badge

FORMATS = ("md", "html", "json")
STATUS_LABELS = {"findings": "findings", "evidence": "evidence", "untested": "not tested"}
STATUS_COLORS = {"findings": "#c62828", "evidence": "#2e7d32", "untested": "#757575"}
GROUP_COUNT_LABELS = {"findings": "with findings", "evidence": "with evidence", "untested": "not tested"}
MAX_RULES_SHOWN = 12
MAX_NOT_RUN_SHOWN = 3
LEGEND = (
    "Evidence = a rule mapped to the item ran in this report and found nothing (not a statement of compliance); "
    "findings = a finding maps to it; not tested = no check in this report ran a rule mapped to it "
    "(the mapped rules that did not run are named)."
)


def render(result: ComplianceResult, fmt: str) -> str:
    """The table in `fmt` (md, html or json)."""
    if fmt == "md":
        return to_markdown(result)
    if fmt == "html":
        return to_html(result)
    if fmt == "json":
        return to_json(result)
    raise ValueError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def to_json(result: ComplianceResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


# -- Markdown ----------------------------------------------------------------------------


def to_markdown(result: ComplianceResult) -> str:
    cat = result.catalogue
    s = result.summary()
    info = result.report_info
    lines = [
        f"# Compliance: {escape_cell(cat.title)}",
        "",
        f"**Report mapped:** {escape_cell(result.input_line())}; {escape_cell(str(info.get('summary', '')))}.",
        "",
        f"**{s['tested']} of {s['items']} items tested**: {s['with_findings']} with findings, "
        f"{s['with_evidence']} with evidence only, {s['untested']} not tested by any nbsec check.",
        "",
        f"Catalogue: {escape_cell(cat.framework)} {escape_cell(cat.version)}.",
        "",
        escape_cell(LEGEND),
    ]
    if info.get("errors"):
        lines += ["", f"**Warning:** {info['errors']} target(s) could not be scanned; the table understates findings."]
    for title, rows in _grouped(result.rows):
        lines += ["", f"## {escape_cell(title)}" if title else "## Items", ""]
        lines += ["| Id | Title | Status | Findings | Evidence |", "| --- | --- | --- | --- | --- |"]
        for row in rows:
            findings = "<br>".join(escape_cell(_finding_text(h)) for h in row.findings[:MAX_RULES_SHOWN])
            evidence = ", ".join(escape_cell(h.rule_id) for h in row.evidence[:MAX_RULES_SHOWN])
            evidence += _more(len(row.evidence))
            if row.status == "untested" and row.not_run:
                evidence += f"not run: {escape_cell(_not_run_text(row))}"
            findings += _more(len(row.findings))
            lines.append(
                f"| {escape_cell(row.item.id)} | {escape_cell(row.item.title)} | {STATUS_LABELS[row.status]} "
                f"| {findings} | {evidence} |"
            )
    lines += _markdown_notes(result)
    return "\n".join(lines) + "\n"


def _markdown_notes(result: ComplianceResult) -> list[str]:
    lines: list[str] = []
    if result.unplaced:
        cited = ", ".join(f"{escape_cell(i)} ({len(r)} rule(s))" for i, r in sorted(result.unplaced.items()))
        lines += ["", f"Also cited, at a level above the rows of this table: {cited}."]
    if result.invalid:
        bad = ", ".join(f"{escape_cell(d['id'])} ({escape_cell(d['rule_id'])})" for d in result.invalid)
        lines += ["", f"**Ids not in the catalogue** (fix the rule's references): {bad}."]
    for module, error in result.rule_load_failures:
        lines += ["", f"**Rules not loaded** from {escape_cell(module)}: {escape_cell(error)}"]
    lines += ["", f"Source: {escape_cell(result.catalogue.license)}"]
    return lines


def _more(count: int) -> str:
    return f" (+{count - MAX_RULES_SHOWN} more)" if count > MAX_RULES_SHOWN else ""


def _not_run_text(row: Row) -> str:
    """The rules mapped to a not-tested row that no check of the report ran (the first few)."""
    names = ", ".join(row.not_run[:MAX_NOT_RUN_SHOWN])
    extra = len(row.not_run) - MAX_NOT_RUN_SHOWN
    return names + (f" (+{extra} more)" if extra > 0 else "")


def _finding_text(hit: FindingHit) -> str:
    return f"{hit.rule_id} {hit.severity.value} x{hit.count}: {hit.title}"


def _grouped(rows: Iterable[Row]) -> list[tuple[str, list[Row]]]:
    """Consecutive rows under the same heading (rows arrive ordered by heading)."""
    out: list[tuple[str, list[Row]]] = []
    for row in rows:
        title = "" if row.group is None else _group_label(row)
        if not out or out[-1][0] != title:
            out.append((title, []))
        out[-1][1].append(row)
    return out


def _group_label(row: Row) -> str:
    group = row.group
    assert group is not None
    if group.kind == "group" or group.title == group.id:
        return group.title
    return f"{group.id} {group.title}"


# -- HTML ----------------------------------------------------------------------------------

# Filters rows by status checkbox and free text. No network, no eval.
SCRIPT = """
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.nbsec-status"));
  var text = document.getElementById("nbsec-text-filter");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.nbsec-item"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("section.nbsec-group"));
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var q = text ? text.value.trim().toLowerCase() : "";
    rows.forEach(function (r) {
      r.hidden = !(on[r.getAttribute("data-status")] !== false &&
        (!q || r.textContent.toLowerCase().indexOf(q) !== -1));
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector("tr.nbsec-item:not([hidden])"); });
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  if (text) { text.addEventListener("input", apply); }
  apply();
})();
"""
SCRIPT_HASH = script_hash(SCRIPT)
CSP = content_security_policy([SCRIPT])
EXTRA_STYLE = """
.nbsec-status-badge { color: #fff; border-radius: 3px; padding: 1px 6px; font-size: .85em; font-weight: 600;
                      white-space: nowrap; }
.nbsec-compliance td small { color: var(--muted, #656d76); }
.nbsec-compliance h3 { margin: 1.25rem 0 .25rem; font-size: 1.05rem; }
.nbsec-compliance td code { white-space: nowrap; word-break: normal; }
"""


def status_badge(status: str) -> str:
    color = STATUS_COLORS.get(status, "#757575")
    return f'<span class="nbsec-status-badge" style="background:{color}">{escape(STATUS_LABELS[status])}</span>'


def input_html(result: ComplianceResult) -> str:
    """The line that names the mapped report (escaped): no table without saying what it is of."""
    info = result.report_info
    return (
        f'<p class="nbsec-input"><strong>Report mapped:</strong> {escape(result.input_line())}; '
        f"{escape(str(info.get('summary', '')))}.</p>"
    )


def summary_html(result: ComplianceResult) -> str:
    s = result.summary()
    cards = "".join(
        f'<div class="card" style="--sev:{STATUS_COLORS[status]}"><span class="n">{n}</span>'
        f'<span class="l">{escape(STATUS_LABELS[status])}</span></div>'
        for status, n in (
            ("findings", s["with_findings"]),
            ("evidence", s["with_evidence"]),
            ("untested", s["untested"]),
        )
    )
    return (
        f"<p><strong>{s['tested']} of {s['items']} items tested</strong> by this report "
        f"({s['with_findings']} with findings, {s['with_evidence']} with evidence only).</p>"
        f'<div class="cards">{cards}</div>'
    )


def table_html(
    result: ComplianceResult, statuses: Iterable[str] = STATUSES, text: str = "", *, compact: bool = False
) -> str:
    """The item tables (one per heading), escaped; rows limited to `statuses` and containing `text`.

    `compact` (for a widget's static twin, kept in the notebook): the same rows, statuses and rule ids, with
    severity as a word, the first location of each finding only, and no per-rule tooltips.
    """
    wanted = set(statuses)
    needle = text.strip().casefold()
    parts = []
    for title, rows in _grouped(result.rows):
        kept = [r for r in rows if r.status in wanted and _matches(r, needle)]
        if not kept:
            continue
        body = "".join(_row_html(r, compact) for r in kept)
        table = (
            "<table><thead><tr><th>Id</th><th>Title</th><th>Status</th>"
            "<th>Findings</th><th>Evidence (ran, nothing found)</th></tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )
        if not title:
            parts.append(f'<section class="nbsec-group">{table}</section>')
            continue
        # A heading is a collapsible group: open when it holds findings, so 50 untested items do not bury them.
        tally = Counter(r.status for r in kept)
        counts = ", ".join(f"{tally[s]} {GROUP_COUNT_LABELS[s]}" for s in STATUSES if tally[s])
        opened = " open" if tally["findings"] else ""
        parts.append(
            f'<details class="nbsec-group"{opened}><summary><strong>{escape(title)}</strong> '
            f"<small>({escape(counts)})</small></summary>{table}</details>"
        )
    return f'<div class="nbsec-compliance">{"".join(parts) or "<p>No items match.</p>"}</div>'


def _matches(row: Row, needle: str) -> bool:
    if not needle:
        return True
    hay = " ".join(
        [
            row.item.id,
            row.item.title,
            *(h.rule_id for h in row.findings),
            *(h.rule_id for h in row.evidence),
            *row.not_run,
        ]
    )
    return needle in hay.casefold()


def _row_html(row: Row, compact: bool = False) -> str:
    shown = row.findings[:MAX_RULES_SHOWN]
    findings = "<br>".join(_finding_compact(h) if compact else _finding_html(h) for h in shown)
    findings += escape(_more(len(row.findings)))
    evidence = ", ".join(
        f"<code>{escape(h.rule_id)}</code>" if compact else _evidence_html(h) for h in row.evidence[:MAX_RULES_SHOWN]
    )
    evidence += escape(_more(len(row.evidence)))
    if row.suppressed:
        names = ", ".join(escape(h.rule_id) for h in row.suppressed)
        findings += f"<br><small>suppressed: {names}</small>"
    if row.status == "untested" and row.not_run:
        evidence += f'<small class="nbsec-not-run">not run: {escape(_not_run_text(row))}</small>'
    if compact:  # the badge colours come from the twin's stylesheet (nbsec.widgets.compliance.STYLE)
        badge = f'<span class="nbsec-status-badge nbsec-{row.status}">{escape(STATUS_LABELS[row.status])}</span>'
        return (
            f"<tr><td><code>{escape(row.item.id)}</code></td><td>{escape(row.item.title)}</td><td>{badge}</td>"
            f"<td>{findings}</td><td>{evidence}</td></tr>"
        )
    return (
        f'<tr class="nbsec-item" data-status="{row.status}"><td><code>{escape(row.item.id)}</code></td>'
        f"<td>{escape(row.item.title)}</td><td>{status_badge(row.status)}</td><td>{findings}</td><td>{evidence}</td></tr>"
    )


def _finding_html(hit: FindingHit) -> str:
    where = "; ".join(hit.locations)
    return (
        f"{severity_badge(hit.severity)} <code>{escape(hit.rule_id)}</code> &times;{hit.count} {escape(hit.title)}"
        f"<br><small>{escape(where)} · via {escape(', '.join(sorted(hit.via)))}</small>"
    )


def _finding_compact(hit: FindingHit) -> str:
    where = hit.locations[0] if hit.locations else ""
    if hit.count > 1 and where:
        where += f" (+{hit.count - 1} more)"
    return (
        f"<b>{escape(hit.severity.value.upper())}</b> <code>{escape(hit.rule_id)}</code> &times;{hit.count} "
        f"{escape(hit.title)}" + (f"<br><small>{escape(where)}</small>" if where else "")
    )


def _evidence_html(hit: EvidenceHit) -> str:
    via = ", ".join(sorted(hit.via))
    return f'<code title="{escape(hit.title)} ({escape(hit.scanner)}, via {escape(via)})">{escape(hit.rule_id)}</code>'


def to_html(result: ComplianceResult) -> str:
    """One self-contained page: same look as nbsec's HTML report, status filters, no external assets."""
    cat = result.catalogue
    info = result.report_info
    boxes = "".join(
        f'<label><input type="checkbox" class="nbsec-status" value="{status}" checked> {status_badge(status)}</label>'
        for status in STATUSES
    )
    warning = ""
    if info.get("errors"):
        warning = (
            f'<div class="nbsec-errors">{int(info["errors"])} target(s) could not be scanned: '
            "the table understates findings.</div>"
        )
    notes = "".join(f"<p>{escape(line)}</p>" for line in _html_notes(result))
    title = f"nbsec compliance: {cat.title}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}{EXTRA_STYLE}</style>\n</head>\n<body>\n"
        f"<header>\n<h1>{escape(title)}</h1>\n"
        f'<p class="meta">{escape(cat.framework)} {escape(cat.version)}</p>\n{input_html(result)}\n'
        f"{summary_html(result)}\n{warning}</header>\n"
        f"<p>{escape(LEGEND)}</p>\n"
        f'<div class="filters" role="group" aria-label="Filter items">{boxes}'
        '<input type="search" id="nbsec-text-filter" placeholder="Filter: id, title, rule" '
        'aria-label="Filter items by text"></div>\n'
        f"{table_html(result)}\n<footer>{notes}</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _html_notes(result: ComplianceResult) -> list[str]:
    lines = []
    if result.unplaced:
        cited = ", ".join(f"{i} ({len(r)} rule(s))" for i, r in sorted(result.unplaced.items()))
        lines.append(f"Also cited, at a level above the rows of this table: {cited}.")
    if result.invalid:
        lines.append("Ids not in the catalogue: " + ", ".join(f"{d['id']} ({d['rule_id']})" for d in result.invalid))
    lines += [f"Rules not loaded from {module}: {error}" for module, error in result.rule_load_failures]
    lines.append(f"Source: {result.catalogue.license}")
    return lines


# -- EU AI Act tier ------------------------------------------------------------------------

TIER_COLORS = {"prohibited": "#7b1fa2", "high-risk": "#c62828", "limited-risk": "#ef6c00", "minimal": "#2e7d32"}


def tier_html(result: TierResult) -> str:
    """The questionnaire's result as an escaped HTML fragment: tier, reasons, obligations."""
    color = TIER_COLORS.get(result.tier, "#546e7a")
    reasons = (
        "".join(f"<li>{escape(r)}</li>" for r in result.reasons) or "<li>no answer pointed to a regulated case</li>"
    )
    rows = "".join(
        f"<tr><td><code>{escape(o.article)}</code><br><small>{escape(o.article_title)}</small></td>"
        f"<td>{escape(o.role)}</td><td>{escape(o.duty)}</td>"
        f"<td>{escape(o.applies_from)}<br><small>{escape(' '.join(filter(None, (o.basis, o.note))))}</small></td></tr>"
        for o in result.obligations
    )
    gpai = ""
    if result.gpai != "none":
        kind = "with systemic risk" if result.gpai == "gpai-systemic" else "without systemic risk"
        gpai = f"<p>General-purpose AI model {kind}: Chapter V obligations apply as well.</p>"
    return (
        '<div class="nbsec-tier">'
        f'<p><span class="nbsec-status-badge" style="background:{color}">{escape(result.tier_title)}</span> '
        f"{escape(result.tier_summary)}</p>{gpai}<details><summary>Why</summary><ul>{reasons}</ul></details>"
        f"<table><thead><tr><th>Article</th><th>Who</th><th>Duty</th><th>Applies from</th></tr></thead>"
        f"<tbody>{rows}</tbody></table><p><small><em>{escape(result.disclaimer)}</em></small></p></div>"
    )
