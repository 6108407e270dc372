"""HTML: one self-contained file (inline CSS, one small inline script, no external URLs) that opens offline.

Everything taken from the report is HTML-escaped: a report about a hostile
notebook must not become an XSS in the browser of whoever reviews it. As a
second fence, a Content-Security-Policy allows no network loads at all and only
the one script whose hash it names, so even a markup injection we missed could
not run a script or fetch anything.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from nbsec.display.report_view import errors_html, findings_table_html
from nbsec.escaping import content_security_policy, script_hash
from nbsec.escaping import html_text as escape
from nbsec.model import Figure, Report, Severity, Suppressed
from nbsec.reporters._common import reference_label, suppression_reason
from nbsec.theme import PAGE_STYLE, SEVERITY_COLORS, severity_badge

# Filters rows of the findings table by severity checkbox and by free text. No network, no eval.
SCRIPT = """
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.nbsec-filter"));
  var text = document.getElementById("nbsec-text-filter");
  var shown = document.getElementById("nbsec-shown");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tr.nbsec-finding"));
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
            _findings(report),
            _errors(report),
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
        f"<title>{escape(title)}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n"
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
    rows = "".join(_suppressed_row(item) for item in report.suppressed)
    return (
        f'<details id="suppressed">\n<summary>Suppressed findings ({len(report.suppressed)}: {why})</summary>\n'
        + _table(("Severity", "Rule", "Title", "Location", "Evidence", "Suppressed by"), rows)
        + "\n</details>"
    )


def _suppressed_row(item: Suppressed) -> str:
    f = item.finding
    refs = ", ".join(escape(reference_label(r)) for r in f.references)
    return (
        f'<tr class="nbsec-suppressed" data-severity="{f.severity.value}">'
        f"<td>{severity_badge(f.severity)}</td><td><code>{escape(f.rule_id)}</code></td>"
        f"<td>{escape(f.title)}<br><small>{refs}</small></td>"
        f"<td><code>{escape(f.location.describe())}</code></td><td><code>{escape(f.evidence)}</code></td>"
        f"<td>{escape(suppression_reason(item.reason))}</td></tr>"
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

PALETTE = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#00838f", "#c62828", "#5d4037", "#546e7a")
_PNG_DATA_URI = re.compile(r"^data:image/png;base64,[A-Za-z0-9+/]+=*$")
_WIDTH, _HEIGHT, _LEFT, _RIGHT, _TOP, _BOTTOM = 640, 300, 56, 170, 16, 44


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


def _finite(values: Sequence[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(float(v))]


def _y_range(figure: Figure, values: list[float]) -> tuple[float, float]:
    given = figure.data.get("y_range")
    if isinstance(given, list) and len(given) == 2:
        return float(given[0]), float(given[1])
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    return (low, high) if high > low else (low - 1.0, high + 1.0)


def _frame(figure: Figure, y_low: float, y_high: float, x_ticks: str) -> str:
    """Axes, y grid lines with labels, axis titles."""
    plot_h = _HEIGHT - _TOP - _BOTTOM
    lines = []
    for i in range(6):
        value = y_low + (y_high - y_low) * i / 5
        y = _TOP + plot_h * (1 - i / 5)
        lines.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#8884" />'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.3g}</text>'
        )
    x_title = escape(str(figure.data.get("x_label", "")))
    y_title = escape(str(figure.data.get("y_label", "")))
    return (
        "".join(lines) + x_ticks
        + f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{_HEIGHT - _BOTTOM}" stroke="currentColor" />'
        + f'<text x="{(_LEFT + _WIDTH - _RIGHT) / 2:.0f}" y="{_HEIGHT - 6}" text-anchor="middle">{x_title}</text>'
        + f'<text transform="translate(14 {(_TOP + _HEIGHT - _BOTTOM) / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle">{y_title}</text>'
    )  # fmt: skip


def _legend(names: list[str]) -> str:
    x = _WIDTH - _RIGHT + 12
    return "".join(
        f'<rect x="{x}" y="{_TOP + 18 * i}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}" />'
        f'<text x="{x + 18}" y="{_TOP + 18 * i + 11}">{escape(name[:28])}</text>'
        for i, name in enumerate(names)
    )


def _svg(label: str, inner: str) -> str:
    return (
        f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" '
        f'height="{_HEIGHT}" xmlns="http://www.w3.org/2000/svg">{inner}</svg>'
    )


def _line_svg(figure: Figure) -> str:
    series = [s for s in figure.data.get("series", []) if isinstance(s, dict)]
    xs = _finite([x for s in series for x in s.get("x", [])])
    ys = _finite([y for s in series for y in s.get("y", [])])
    if not xs:
        return "<p><small>(no data)</small></p>"
    x_low, x_high = min(xs), max(xs)
    x_high = x_high if x_high > x_low else x_low + 1.0
    y_low, y_high = _y_range(figure, ys)
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM

    def px(x: float) -> float:
        return _LEFT + plot_w * (x - x_low) / (x_high - x_low)

    def py(y: float) -> float:
        return _TOP + plot_h * (1 - (y - y_low) / (y_high - y_low))

    ticks = sorted(set(xs)) if len(set(xs)) <= 8 else [x_low + (x_high - x_low) * i / 5 for i in range(6)]
    x_ticks = "".join(
        f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{_HEIGHT - _BOTTOM}" y2="{_HEIGHT - _BOTTOM + 4}" '
        f'stroke="currentColor" /><text x="{px(t):.1f}" y="{_HEIGHT - _BOTTOM + 16}" text-anchor="middle">'
        f"{t:.3g}</text>"
        for t in ticks
    )
    paths = []
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        points = [
            (px(float(x)), py(float(y)))
            for x, y in zip(s.get("x", []), s.get("y", []), strict=False)
            if isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isfinite(x) and math.isfinite(y)
        ]
        dash = ' stroke-dasharray="6 4"' if s.get("name") in ("worst", "chance") else ""
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        paths.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{dash} />')
        if len(points) <= 30:
            paths.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}" />' for x, y in points)
    names = [str(s.get("name", "")) for s in series]
    return _svg(figure.title, _frame(figure, y_low, y_high, x_ticks) + "".join(paths) + _legend(names))


def _bar_svg(figure: Figure) -> str:
    categories = [str(c) for c in figure.data.get("categories", [])]
    series = [s for s in figure.data.get("series", []) if isinstance(s, dict)]
    if not categories or not series:
        return "<p><small>(no data)</small></p>"
    y_low, y_high = _y_range(figure, _finite([v for s in series for v in s.get("values", [])]))
    y_low = min(y_low, 0.0)
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    group = plot_w / len(categories)
    width = group * 0.8 / len(series)
    bars, ticks = [], []
    for c, category in enumerate(categories):
        x0 = _LEFT + group * c + group * 0.1
        ticks.append(
            f'<text x="{x0 + group * 0.4:.1f}" y="{_HEIGHT - _BOTTOM + 16}" text-anchor="middle">'
            f"{escape(category[:12])}</text>"
        )
        for i, s in enumerate(series):
            values = s.get("values", [])
            value = values[c] if c < len(values) else None
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                continue
            top = _TOP + plot_h * (1 - (float(value) - y_low) / (y_high - y_low))
            base = _TOP + plot_h * (1 - (0.0 - y_low) / (y_high - y_low))
            bars.append(
                f'<rect x="{x0 + width * i:.1f}" y="{min(top, base):.1f}" width="{max(width - 1, 1):.1f}" '
                f'height="{abs(base - top):.1f}" fill="{PALETTE[i % len(PALETTE)]}"><title>'
                f"{escape(str(s.get('name', '')))} {escape(category)}: {float(value):.3g}</title></rect>"
            )
    names = [str(s.get("name", "")) for s in series]
    return _svg(figure.title, _frame(figure, y_low, y_high, "".join(ticks)) + "".join(bars) + _legend(names))


def _image_grid(figure: Figure) -> str:
    columns = [str(c) for c in figure.data.get("columns", [])]
    head = f"<tr><th></th>{''.join(f'<th>{escape(c)}</th>' for c in columns)}</tr>" if columns else ""
    rows = []
    for row in figure.data.get("rows", [])[:64]:
        cells = []
        for image in row.get("images", [])[:8]:
            src = str(image.get("src", ""))
            caption = escape(str(image.get("caption", "")))
            if len(src) > 2_000_000 or not _PNG_DATA_URI.match(src):  # only inline PNGs, never a URL
                cells.append(f"<td><small>(image left out)</small><br><small>{caption}</small></td>")
                continue
            cells.append(f'<td><img src="{src}" alt="{caption}"><br><small>{caption}</small></td>')
        rows.append(f"<tr><th>{escape(str(row.get('label', '')))}</th>{''.join(cells)}</tr>")
    return f'<table class="nbsec-grid">{head}{"".join(rows)}</table>'
