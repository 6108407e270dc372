"""A Report's figures drawn as inline SVG (line and bar charts) and inline PNG tables (image grids).

One drawing for every surface that shows a Report without a plotting library: the HTML report, the
Report's notebook view (`%aisec robustness`) and the static twins of the interactive views. It lives in
`nbsec.display` because those surfaces meet here. Stdlib only, no script: every text taken from a
figure is escaped with `nbsec.escaping.html_text`, and an image is drawn only when it is an inline
`data:image/png;base64,...` (never a URL, so nothing is fetched when the page opens).

The SVG carries its own font and takes its text colour from the page (`fill="currentColor"`), so it
reads in a light or dark notebook theme as well as in the HTML report, whose stylesheet still wins.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

from nbsec.escaping import html_text as escape
from nbsec.model import Figure

PALETTE = ("#1565c0", "#ef6c00", "#2e7d32", "#6a1b9a", "#00838f", "#c62828", "#5d4037", "#546e7a")
PNG_DATA_URI = re.compile(r"^data:image/png;base64,[A-Za-z0-9+/]+=*$")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 300, 56, 170, 16, 44
LEGEND_CHARS = 24  # a legend line longer than this wraps (at " = " between merged series names, else anywhere)
FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12"'


def figure_body(figure: Figure) -> str:
    """The figure's drawing: SVG for line and bar charts, a table of inline PNGs for an image grid."""
    try:
        return {"line": line_svg, "bar": bar_svg, "image-grid": image_grid_html}[figure.kind](figure)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):  # a hand-edited report: keep the page
        return "<p><small>(figure data not readable)</small></p>"


def figure_html(figure: Figure) -> str:
    """One `<figure>` with its title as caption."""
    return (
        f'<figure class="nbsec-figure" id="figure-{escape(figure.id)}" style="margin:.8rem 0">'
        f"<figcaption><strong>{escape(figure.title)}</strong></figcaption>{figure_body(figure)}</figure>"
    )


def figures_html(figures: Iterable[Figure]) -> str:
    """Every figure, in order, as `<figure>` blocks ("" when there are none)."""
    return "".join(figure_html(f) for f in figures)


def svg(label: str, inner: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    """An `<svg>` root with an accessible label, the page's text colour and a readable font."""
    return (
        f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" fill="currentColor" {FONT} style="max-width:100%;height:auto" '
        f'xmlns="http://www.w3.org/2000/svg">{inner}</svg>'
    )


def wrap_label(name: str, width: int = LEGEND_CHARS) -> list[str]:
    """A legend entry on as many lines as it needs: merged names ("pgd = apgd-ce = square") break at " = "."""
    words = name.split(" = ")
    lines: list[str] = []
    for i, word in enumerate(words):
        piece = word if i == 0 else f"= {word}"
        if lines and len(lines[-1]) + 1 + len(piece) <= width:
            lines[-1] = f"{lines[-1]} {piece}"
            continue
        while len(piece) > width:
            lines.append(piece[:width])
            piece = piece[width:]
        lines.append(piece)
    return lines or [""]


def legend(names: Sequence[str], x: float = WIDTH - RIGHT + 12, top: float = TOP) -> str:
    """A colour key beside the plot, one entry per series (long names wrap onto more lines)."""
    parts, y = [], top
    for i, name in enumerate(names):
        lines = wrap_label(name)
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}" />')
        parts.extend(
            f'<text x="{x + 18}" y="{y + 11 + 14 * k}" font-size="11">{escape(line)}</text>'
            for k, line in enumerate(lines)
        )
        y += 14 * len(lines) + 6
    return "".join(parts)


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
    plot_h = HEIGHT - TOP - BOTTOM
    lines = []
    for i in range(6):
        value = y_low + (y_high - y_low) * i / 5
        y = TOP + plot_h * (1 - i / 5)
        lines.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#8884" />'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.3g}</text>'
        )
    x_title = escape(str(figure.data.get("x_label", "")))
    y_title = escape(str(figure.data.get("y_label", "")))
    return (
        "".join(lines) + x_ticks
        + f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="currentColor" />'
        + f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle">{x_title}</text>'
        + f'<text transform="translate(14 {(TOP + HEIGHT - BOTTOM) / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle">{y_title}</text>'
    )  # fmt: skip


def _note(figure: Figure) -> str:
    note = figure.data.get("note")
    return f'<p class="nbsec-figure-note" style="margin:.2rem 0"><small>{escape(note)}</small></p>' if note else ""


def line_svg(figure: Figure) -> str:
    """Lines with markers over a shared x axis; "worst" and "chance" dashed; the figure's note under it."""
    series = [s for s in figure.data.get("series", []) if isinstance(s, dict)]
    xs = _finite([x for s in series for x in s.get("x", [])])
    ys = _finite([y for s in series for y in s.get("y", [])])
    if not xs:
        return "<p><small>(no data)</small></p>"
    x_low, x_high = min(xs), max(xs)
    x_high = x_high if x_high > x_low else x_low + 1.0
    y_low, y_high = _y_range(figure, ys)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + plot_w * (x - x_low) / (x_high - x_low)

    def py(y: float) -> float:
        return TOP + plot_h * (1 - (y - y_low) / (y_high - y_low))

    ticks = sorted(set(xs)) if len(set(xs)) <= 8 else [x_low + (x_high - x_low) * i / 5 for i in range(6)]
    x_ticks = "".join(
        f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM + 4}" '
        f'stroke="currentColor" /><text x="{px(t):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
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
    drawing = svg(figure.title, _frame(figure, y_low, y_high, x_ticks) + "".join(paths) + legend(names))
    return drawing + _note(figure)


def bar_svg(figure: Figure) -> str:
    """Grouped bars, one colour per series, a tooltip (`<title>`) per bar."""
    categories = [str(c) for c in figure.data.get("categories", [])]
    series = [s for s in figure.data.get("series", []) if isinstance(s, dict)]
    if not categories or not series:
        return "<p><small>(no data)</small></p>"
    y_low, y_high = _y_range(figure, _finite([v for s in series for v in s.get("values", [])]))
    y_low = min(y_low, 0.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / len(categories)
    width = group * 0.8 / len(series)
    bars, ticks = [], []
    for c, category in enumerate(categories):
        x0 = LEFT + group * c + group * 0.1
        ticks.append(
            f'<text x="{x0 + group * 0.4:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{escape(category[:12])}</text>"
        )
        for i, s in enumerate(series):
            values = s.get("values", [])
            value = values[c] if c < len(values) else None
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                continue
            top = TOP + plot_h * (1 - (float(value) - y_low) / (y_high - y_low))
            base = TOP + plot_h * (1 - (0.0 - y_low) / (y_high - y_low))
            bars.append(
                f'<rect x="{x0 + width * i:.1f}" y="{min(top, base):.1f}" width="{max(width - 1, 1):.1f}" '
                f'height="{abs(base - top):.1f}" fill="{PALETTE[i % len(PALETTE)]}"><title>'
                f"{escape(str(s.get('name', '')))} {escape(category)}: {float(value):.3g}</title></rect>"
            )
    names = [str(s.get("name", "")) for s in series]
    drawing = svg(figure.title, _frame(figure, y_low, y_high, "".join(ticks)) + "".join(bars) + legend(names))
    return drawing + _note(figure)


def image_grid_html(figure: Figure) -> str:
    """Rows of captioned images; only inline PNGs are drawn (a URL or anything else is left out, and says so)."""
    columns = [str(c) for c in figure.data.get("columns", [])]
    head = f"<tr><th></th>{''.join(f'<th>{escape(c)}</th>' for c in columns)}</tr>" if columns else ""
    rows = []
    for row in figure.data.get("rows", [])[:64]:
        cells = []
        for image in row.get("images", [])[:8]:
            src = str(image.get("src", ""))
            caption = escape(str(image.get("caption", "")))
            if len(src) > 2_000_000 or not PNG_DATA_URI.match(src):  # only inline PNGs, never a URL
                cells.append(f"<td><small>(image left out)</small><br><small>{caption}</small></td>")
                continue
            cells.append(
                f'<td style="text-align:center"><img src="{src}" alt="{caption}" style="image-rendering:pixelated">'
                f"<br><small>{caption}</small></td>"
            )
        rows.append(f"<tr><th>{escape(str(row.get('label', '')))}</th>{''.join(cells)}</tr>")
    return f'<table class="nbsec-grid">{head}{"".join(rows)}</table>'
