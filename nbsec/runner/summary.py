"""Write what runs produce: each target's reports and executed notebook, and a batch summary.

Layout of the output folder (`-o`) for a batch:

    summary.html  summary.json  summary.md   one row per target, linking its reports,
                                             new/fixed/unchanged since its last run, trend plot
    plotly.min.js                            the trend plot's library (no CDN: reports work offline)
    <target>/<notebook>.ipynb                the executed notebook
    <target>/<notebook>.{json,sarif,html,xml,md}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.escaping import html_text as escape
from nbsec.escaping import md_cell, md_inline
from nbsec.runner.history import Change, RunRow, trend_figure


@dataclass
class TargetSummary:
    """One row of a batch summary."""

    name: str
    status: str
    exit_code: int
    summary_line: str
    counts: dict[str, int]
    seconds: float
    worker: str = ""
    executed: str = ""  # relative to the output dir
    reports: dict[str, str] = field(default_factory=dict)  # format -> path relative to the output dir
    change: Change | None = None
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "exit_code": self.exit_code,
            "summary": self.summary_line,
            "counts": self.counts,
            "seconds": round(self.seconds, 3),
            "worker": self.worker,
            "executed_notebook": self.executed,
            "reports": self.reports,
            "history": None if self.change is None else self.change.to_dict(),
            "errors": self.errors,
        }


def _change_cell(change: Change | None) -> str:
    if change is None:
        return "not recorded"
    if change.previous_run_id is None:
        return f"first run ({len(change.new)})"
    fixed = "?" if change.fixed is None else str(len(change.fixed))
    return f"{len(change.new)} new, {fixed} fixed, {len(change.unchanged)} unchanged"


def _link(path: str) -> str:
    """A Markdown link to a file nbsec wrote; its name (from a notebook's name) is text, not markup."""
    if not path:
        return ""
    target = path
    if any(c in path for c in " ()<>"):  # would end the link early: the <...> form takes them, bar < and >
        target = "<" + path.replace("<", "%3C").replace(">", "%3E") + ">"
    return f"[{md_inline(Path(path).name)}]({target})"


def render_markdown(rows: list[TargetSummary], title: str) -> str:
    lines = [f"# {md_inline(title)}", "", "| target | status | findings | since last run | report | notebook |"]
    lines.append("|---|---|---|---|---|---|")
    for row in rows:
        link = row.reports.get("html") or row.reports.get("md") or next(iter(row.reports.values()), "")
        cells = [md_cell(c) for c in (row.name, row.status, row.summary_line, _change_cell(row.change))]
        cells += [_link(link).replace("|", "\\|"), _link(row.executed).replace("|", "\\|")]
        lines.append("| " + " | ".join(cells) + " |")
    failed = [r for r in rows if r.status != "completed"]
    lines += ["", f"{len(rows)} target(s), {len(failed)} did not complete."]
    for row in failed:  # an error quotes what the notebook raised: text, never markup
        lines += [f"- **{md_inline(row.name)}**: {md_inline(e)}" for e in row.errors]
    return "\n".join(lines) + "\n"


def render_html(rows: list[TargetSummary], title: str, trend_html: str) -> str:
    body = []
    for row in rows:
        links = " ".join(f'<a href="{escape(path)}">{escape(fmt)}</a>' for fmt, path in row.reports.items())
        notebook = f'<a href="{escape(row.executed)}">notebook</a>' if row.executed else ""
        status_color = "#2e7d32" if row.status == "completed" else "#c62828"
        body.append(
            f'<tr data-target="{escape(row.name)}"><td><b>{escape(row.name)}</b></td>'
            f'<td style="color:{status_color}">{escape(row.status)}</td>'
            f"<td>{escape(row.summary_line)}</td><td>{escape(_change_cell(row.change))}</td>"
            f"<td>{links} {notebook}</td><td>{row.seconds:.1f} s</td></tr>"
        )
        for error in row.errors:
            body.append(f'<tr><td></td><td colspan="5"><small>{escape(error)}</small></td></tr>')
    return (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}</style>"
        "</head><body>"
        f"<h1>{escape(title)}</h1>"
        "<table><thead><tr><th>target</th><th>status</th><th>findings</th><th>since last run</th>"
        "<th>reports</th><th>time</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>"
        f"<h2>Trend</h2>{trend_html}</body></html>\n"
    )


def write_summary(out_dir: Path, rows: list[TargetSummary], history: list[RunRow], title: str) -> dict[str, Path]:
    """summary.json, summary.md and summary.html (with the trend plot when there is history)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "summary.json", "md": out_dir / "summary.md", "html": out_dir / "summary.html"}
    document = {
        "title": title,
        "targets": [r.to_dict() for r in rows],
        "totals": {
            "targets": len(rows),
            "completed": sum(1 for r in rows if r.status == "completed"),
            "findings": sum(sum(r.counts.values()) for r in rows),
        },
    }
    paths["json"].write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    paths["md"].write_text(render_markdown(rows, title), encoding="utf-8")
    trend_html = "<p>No run history recorded (--no-history).</p>"
    if history:
        import plotly.offline

        (out_dir / "plotly.min.js").write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
        figure = trend_figure(history)
        trend_html = '<script src="plotly.min.js"></script>' + figure.to_html(full_html=False, include_plotlyjs=False)
    paths["html"].write_text(render_html(rows, title, trend_html), encoding="utf-8")
    return paths
