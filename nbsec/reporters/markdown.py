"""Markdown (GitHub-flavoured): for pull-request comments, job summaries ($GITHUB_STEP_SUMMARY) and wikis.

Cell text is escaped for tables (nbsec.escaping): `|` would end the cell and a
newline the row, and Markdown renders inline HTML, so `<script>` in evidence
must arrive as text.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from nbsec.escaping import md_cell, md_code
from nbsec.model import Figure, Finding, Report, Severity
from nbsec.reporters._common import reference_label, suppression_counts
from nbsec.rule_catalogue import finding_group, report_order


def escape_cell(text: str) -> str:
    """Text for a table cell: Markdown punctuation escaped, `<>&` as entities, line breaks as <br>."""
    return md_cell(text)


def code_cell(text: str) -> str:
    """Inline code in a table cell: a fence longer than any backtick run, `|` escaped (GFM splits cells first)."""
    return md_code(text)


def render(report: Report) -> str:
    lines = [f"# nbsec report{(' ' + escape_cell(report.tool_version)) if report.tool_version else ''}", ""]
    lines.append(f"**{escape_cell(report.summary_line())}**")
    lines.append("")
    facts = []
    if report.started_at:
        facts.append(f"started {escape_cell(report.started_at)}")
    if report.finished_at:
        facts.append(f"finished {escape_cell(report.finished_at)}")
    if "total" in report.timings:
        facts.append(f"{report.timings['total']:.2f} s")
    scanned = sum(1 for t in report.targets if t.status == "scanned")
    facts.append(f"{len(report.targets)} target(s), {scanned} scanned, {len(report.checks)} check(s)")
    lines += [", ".join(facts), ""]

    lines += ["## Summary", "", "| Severity | Count |", "| --- | ---: |"]
    lines += [f"| {severity} | {count} |" for severity, count in report.counts().items()]
    lines += [f"| **total** | **{len(report.findings)}** |", ""]

    if report.baseline is not None:
        b = report.baseline
        lines += [
            "## Baseline",
            "",
            f"{b.get('new', 0)} new, {b.get('fixed', 0)} fixed, {b.get('unchanged', 0)} unchanged"
            + (f" (baseline {code_cell(str(b['path']))})" if b.get("path") else ""),
            "",
        ]

    lines += ["## Findings", ""]
    if report.findings:
        lines += _findings_by_group(report)
    else:
        scanners = ", ".join(sorted({c.scanner for c in report.checks})) or "no scanner"
        lines.append(f"No findings ({len(report.checks)} check(s) by {escape_cell(scanners)}).")
    lines.append("")

    if report.errors:
        lines += [f"## Could not scan ({len(report.errors)})", ""]
        for error in report.errors:
            item = f"- {code_cell(error.target)} ({escape_cell(error.scanner)}): {escape_cell(error.message)}"
            if error.hint:
                item += f"<br>hint: {escape_cell(error.hint)}"
            lines.append(item)
        lines.append("")

    for figure in report.figures:
        lines += [f"## {escape_cell(figure.title)}", "", *figure_table(figure), ""]

    if report.suppressed:
        lines += [f"## Suppressed ({len(report.suppressed)})", ""]
        lines += [f"- {n} by {escape_cell(why)}" for why, n in suppression_counts(report.suppressed)]
        lines.append("")
    return "\n".join(lines)


def _findings_by_group(report: Report) -> list[str]:
    """One table per group (code, checkpoints, ...), in the order the notebook view and every report use."""
    groups: dict[str, list[Finding]] = {}
    for finding in report_order(report):
        groups.setdefault(finding_group(finding.rule_id).label, []).append(finding)
    lines: list[str] = []
    for label, findings in groups.items():
        tally = Counter(f.severity for f in findings)
        counts = ", ".join(f"{tally[s]} {s.value}" for s in Severity if tally[s])
        lines += [f"### {escape_cell(label)} ({counts})", "", *_findings_table(findings), ""]
    return lines[:-1]


def _findings_table(findings: list[Finding]) -> list[str]:
    rows = [
        "| Severity | Rule | Title | Location | Evidence | Remediation |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in findings:
        refs = ", ".join(reference_label(r) for r in f.references)
        title = escape_cell(f.title) + (f"<br>{escape_cell(refs)}" if refs else "")
        rows.append(
            f"| {f.severity.value} ({f.confidence.value} confidence) | {code_cell(f.rule_id)} | {title} "
            f"| {code_cell(f.location.describe())} | {code_cell(f.evidence)} | {escape_cell(f.remediation)} |"
        )
    return rows


MAX_FIGURE_ROWS = 25


def _number(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, (int, float)) else ""


def figure_table(figure: Figure) -> list[str]:
    """A Report figure as a table: one column per series (lines sharing x, bars), else one row per point."""
    data = figure.data
    series = [s for s in data.get("series", []) if isinstance(s, dict)]
    if figure.kind == "image-grid":
        rows = data.get("rows", [])
        return [f"{len(rows)} row(s) of images: see the HTML report or the notebook."]
    if figure.kind == "bar":
        header = [escape_cell(str(data.get("x_label", "category")))] + [escape_cell(str(s["name"])) for s in series]
        out = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---"] + ["---:"] * len(series)) + " |"]
        for i, category in enumerate(data.get("categories", [])[:MAX_FIGURE_ROWS]):
            values = [_number(s["values"][i]) if i < len(s["values"]) else "" for s in series]
            out.append("| " + " | ".join([escape_cell(str(category)), *values]) + " |")
        return out
    shared = bool(series) and all(s.get("x") == series[0].get("x") for s in series)
    if shared and len(series[0].get("x", [])) <= MAX_FIGURE_ROWS:
        header = [escape_cell(str(data.get("x_label", "x")))] + [escape_cell(str(s["name"])) for s in series]
        out = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---:"] * len(header)) + " |"]
        for i, x in enumerate(series[0]["x"]):
            out.append("| " + " | ".join([_number(x), *(_number(s["y"][i]) for s in series)]) + " |")
        return out
    out = ["| series | points | last point |", "| --- | ---: | --- |"]
    for s in series:
        last = f"{_number(s['x'][-1])}, {_number(s['y'][-1])}" if s.get("x") else ""
        out.append(f"| {escape_cell(str(s['name']))} | {len(s.get('x', []))} | {last} |")
    return out
