"""HTML: one self-contained file (inline CSS, one small inline script, no external URLs) that opens offline.

Everything taken from the report is HTML-escaped: a report about a hostile
notebook must not become an XSS in the browser of whoever reviews it. As a
second fence, a Content-Security-Policy allows no network loads at all and only
the one script whose hash it names, so even a markup injection we missed could
not run a script or fetch anything.
"""

from __future__ import annotations

from collections import Counter

from nbsec.display.fix_view import fixes_html
from nbsec.display.report_view import VIEW_STYLE, errors_html, findings_table_html, suppressed_table_html
from nbsec.display.svg import bar_svg as _bar_svg
from nbsec.display.svg import image_grid_html as _image_grid
from nbsec.display.svg import line_svg as _line_svg
from nbsec.escaping import content_security_policy, script_hash
from nbsec.escaping import html_text as escape
from nbsec.model import Report, Severity
from nbsec.theme import PAGE_STYLE, SEVERITY_COLORS, severity_badge

# Filters rows of the findings table by severity checkbox and by free text (evidence and fix included); a group
# with no row left is hidden, and while a text filter is on, groups with a match open. No network, no eval.
SCRIPT = """
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.nbsec-filter"));
  var text = document.getElementById("nbsec-text-filter");
  var shown = document.getElementById("nbsec-shown");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tr.nbsec-finding"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("#findings details.nbsec-group"));
  var opened = groups.map(function (g) { return g.open; });
  var searching = false;
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var q = text ? text.value.trim().toLowerCase() : "";
    var n = 0;
    rows.forEach(function (r) {
      var ok = on[r.getAttribute("data-severity")] !== false &&
        (!q || r.textContent.toLowerCase().indexOf(q) !== -1);
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    groups.forEach(function (g, i) {
      var left = Array.prototype.some.call(g.querySelectorAll("tr.nbsec-finding"), function (r) { return !r.hidden; });
      g.hidden = !left;
      if (q && left) { g.open = true; } else if (!q && searching) { g.open = opened[i]; }
    });
    searching = !!q;
    if (shown) { shown.textContent = n + " of " + rows.length + " shown"; }
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  if (text) { text.addEventListener("input", apply); }
  apply();
})();
"""

SCRIPT_HASH = script_hash(SCRIPT)
CSP = content_security_policy([SCRIPT])


def render(report: Report) -> str:
    """The whole page as a string (UTF-8 when written)."""
    title = f"nbsec report: {report.summary_line()}"
    body = "\n".join(
        part
        for part in (
            _header(report),
            _baseline(report),
            _errors(report),
            _fixes(report),
            _findings(report),
            _suppressed(report),
            _coverage(report),
            _figures(report),
            _metrics(report),
            _timings(report),
        )
        if part
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="nbsec {escape(report.tool_version)}">\n'
        f"<title>{escape(title)}</title>\n<style>{PAGE_STYLE}{VIEW_STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )


def _header(report: Report) -> str:
    scanned = sum(1 for t in report.targets if t.status == "scanned")
    facts = [f"nbsec {escape(report.tool_version or '?')}"]
    if report.started_at:
        facts.append(f"started {escape(report.started_at)}")
    if report.finished_at:
        facts.append(f"finished {escape(report.finished_at)}")
    if "total" in report.timings:
        facts.append(f"{report.timings['total']:.2f} s")
    facts.append(f"{len(report.targets)} target(s), {scanned} scanned")
    cards = "".join(
        f'<div class="card" data-severity="{sev}" style="--sev:{SEVERITY_COLORS[sev]}">'
        f'<span class="n">{count}</span><span class="l">{sev}</span></div>'
        for sev, count in report.counts().items()
    )
    return (
        "<header>\n<h1>nbsec report</h1>\n"
        f'<p class="meta">{" · ".join(facts)}</p>\n'
        f"<p><strong>{escape(report.summary_line())}</strong></p>\n"
        f'<div class="cards">{cards}</div>\n</header>'
    )


def _findings(report: Report) -> str:
    if not report.findings:
        # "Nothing found" means little without what was looked at; the coverage section opens for it.
        scanners = sorted({c.scanner for c in report.checks})
        by = f" by {escape(', '.join(scanners))}" if scanners else ""
        return (
            '<section id="findings">\n<h2>Findings</h2>\n'
            f'<p class="clean">No findings.</p><p>{len(report.checks)} check(s) on '
            f"{len(report.targets)} target(s){by}; see <em>Checks and coverage</em> below.</p>\n</section>"
        )
    counts = report.counts()
    boxes = "".join(
        f'<label><input type="checkbox" class="nbsec-filter" value="{sev.value}" checked> '
        f"{severity_badge(sev)} ({counts[sev.value]})</label>"
        for sev in Severity
        if counts[sev.value]
    )
    return (
        f'<section id="findings">\n<h2>Findings ({len(report.findings)})</h2>\n'
        f'<div class="filters" role="group" aria-label="Filter findings">{boxes}'
        '<input type="search" id="nbsec-text-filter" placeholder="Filter: rule, path, text, evidence"'
        ' aria-label="Filter findings by text">'
        f'<span id="nbsec-shown" aria-live="polite">{len(report.findings)} shown</span></div>\n'
        f"{findings_table_html(report)}\n</section>"
    )


def _fixes(report: Report) -> str:
    if report.fixes is None:
        return ""
    return f'<section id="fixes">\n<h2>Fixes</h2>\n{fixes_html(report.fixes)}\n</section>'


def _errors(report: Report) -> str:
    if not report.errors:
        return ""
    return f'<section id="errors">\n<h2>Errors</h2>\n{errors_html(report)}\n</section>'


def _table(headers: tuple[str, ...], rows: str) -> str:
    """A table with a header row; `rows` is already-escaped <tr> markup."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _suppressed(report: Report) -> str:
    if not report.suppressed:
        return ""
    reasons = Counter(s.reason for s in report.suppressed)
    why = ", ".join(f"{n} {escape(reason)}" for reason, n in sorted(reasons.items()))
    return (
        f'<details id="suppressed">\n<summary>Suppressed findings ({len(report.suppressed)}: {why})</summary>\n'
        f"{suppressed_table_html(report.suppressed)}\n</details>"
    )


def _coverage(report: Report) -> str:
    statuses = Counter(c.status for c in report.checks)
    tally = ", ".join(f"{n} {escape(status)}" for status, n in sorted(statuses.items())) or "none"
    targets = "".join(
        f"<tr><td><code>{escape(t.path)}</code></td><td>{escape(t.kind)}</td><td>{escape(t.status)}</td>"
        f"<td>{escape(t.detail)}</td></tr>"
        for t in report.targets
    )
    checks = "".join(
        f'<tr data-status="{escape(c.status)}"><td>{escape(c.scanner)}</td><td><code>{escape(c.target)}</code></td>'
        f"<td>{escape(c.status)}</td><td>{escape(c.detail)}</td></tr>"
        for c in report.checks
    )
    opened = "" if report.findings else " open"
    return (
        f'<details id="coverage"{opened}>\n<summary>Checks and coverage: {len(report.checks)} check(s) '
        f"({tally}) on {len(report.targets)} target(s)</summary>\n"
        f"<h3>Targets</h3>{_table(('Path', 'Kind', 'Status', 'Detail'), targets)}\n"
        f"<h3>Checks</h3>{_table(('Scanner', 'Target', 'Status', 'Detail'), checks)}\n</details>"
    )


def _metrics(report: Report) -> str:
    if not report.metrics:
        return ""
    rows = "".join(
        f"<tr><td>{escape(m.name)}</td><td>{escape(_number(m.value))}</td><td>{escape(m.unit)}</td>"
        f"<td>{escape(', '.join(f'{k}={v}' for k, v in sorted(m.labels.items())))}</td></tr>"
        for m in report.metrics
    )
    return (
        f'<section id="metrics">\n<h2>Metrics</h2>\n{_table(("Metric", "Value", "Unit", "Labels"), rows)}\n</section>'
    )


def _timings(report: Report) -> str:
    if not report.timings:
        return ""
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{seconds:.3f}</td></tr>"
        for name, seconds in sorted(report.timings.items(), key=lambda item: -item[1])
    )
    return f'<section id="timings">\n<h2>Timings</h2>\n{_table(("Step", "Seconds"), rows)}\n</section>'


def _baseline(report: Report) -> str:
    if report.baseline is None:
        return ""
    b = report.baseline
    return (
        '<section id="baseline">\n<h2>Baseline</h2>\n'
        f"<p>{escape(str(b.get('new', 0)))} new, {escape(str(b.get('fixed', 0)))} fixed, "
        f"{escape(str(b.get('unchanged', 0)))} unchanged"
        f"{' (' + escape(str(b['path'])) + ')' if b.get('path') else ''}</p>\n</section>"
    )


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


# -- figures: charts as inline SVG, images as data: PNGs (the CSP allows img-src data: and nothing remote) ----------
# The drawing lives in nbsec.display.svg: the notebook views draw the same figures.


def _figures(report: Report) -> str:
    if not report.figures:
        return ""
    parts = []
    for figure in report.figures:
        try:
            body = {"line": _line_svg, "bar": _bar_svg, "image-grid": _image_grid}[figure.kind](figure)
        except (KeyError, TypeError, ValueError, IndexError):  # a hand-edited report: skip the figure, keep the page
            body = "<p><small>(figure data not readable)</small></p>"
        parts.append(
            f'<figure class="nbsec-figure" id="figure-{escape(figure.id)}"><figcaption><strong>'
            f"{escape(figure.title)}</strong></figcaption>{body}</figure>"
        )
    return f'<section id="figures">\n<h2>Figures</h2>\n{"".join(parts)}\n</section>'
