"""The data-flow diagram and the risk matrix as inline SVG: what the notebook keeps when the kernel is gone.

The builder's static twin (nbsec.display.twin) shows these instead of the plotly figures: no
script, no plotly JSON, a few kilobytes, drawn from the same geometry (nbsec.threatmodel.layout)
and colours (nbsec.threatmodel.palette) as the live figures, each with a legend that says what
every colour means. Every text that comes from the model is escaped (nbsec.escaping.html_text);
a `<title>` on each element and matrix cell keeps the details the live figure shows on hover.
"""

from __future__ import annotations

from nbsec.escaping import html_text
from nbsec.threatmodel.document import Element, ThreatModel
from nbsec.threatmodel.engine import Assessment, Threat, evaluate
from nbsec.threatmodel.layout import (
    BOX_H,
    KIND_FONT,
    LABEL_FONT,
    LINE,
    NODE_FONT,
    ZONE_FONT,
    Box,
    diagram,
    node_lines,
    text_width,
    zone_title,
)
from nbsec.threatmodel.palette import (
    BAND_FILLS,
    CROSSING_COLOUR,
    FLOW_COLOUR,
    RANK,
    SEVERITY_COLOURS,
    SEVERITY_WORDS,
    ZONE_FILLS,
    band_of,
    band_ranges,
)
from nbsec.threatmodel.risk import IMPACT_WORDS, LIKELIHOOD_WORDS
from nbsec.threatmodel.vocabulary import ACTOR_KINDS, STORE_KINDS

FONT = "font-family='-apple-system,BlinkMacSystemFont,\"Segoe UI\",Helvetica,Arial,sans-serif'"
LEGEND_ROW = 20.0


def worst_open(threats: list[Threat]) -> str:
    """The worst open residual severity among `threats` ("" when none is open)."""
    open_ = [t.residual.severity.value for t in threats if t.is_open]
    return max(open_, key=lambda s: RANK[s]) if open_ else ""


def crossing_flows(model: ThreatModel, assessment: Assessment) -> set[str]:
    """Flows that cross a trust boundary without encryption (open or not: the drawing shows the design)."""
    flows = {f.id for f in model.flows}
    return {t.target for t in assessment.threats if t.rule_id == "NBSEC-TM-019" and t.target in flows}


def shape_of(kind: str) -> str:
    if kind in ACTOR_KINDS:
        return "actor"
    if kind in STORE_KINDS:
        return "store"
    return "process"


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, size: float, extra: str = "") -> str:
    return f"<text x='{_f(x)}' y='{_f(y)}' font-size='{_f(size)}'{extra}>{html_text(text)}</text>"


def _node(element: Element, box: Box, colour: str, tooltip: str) -> str:
    shape = shape_of(element.kind)
    rx = {"actor": 0, "store": 2, "process": 12}[shape]
    parts = [
        f"<g class='nbsec-dfd-node'><title>{html_text(tooltip)}</title>",
        f"<rect x='{_f(box.x)}' y='{_f(box.y)}' width='{_f(box.width)}' height='{_f(box.height)}' rx='{rx}' "
        f"fill='#ffffff' stroke='{colour}' stroke-width='2.5'/>",
    ]
    if shape == "store":  # a data store: a second line under the top edge
        parts.append(
            f"<line x1='{_f(box.x)}' y1='{_f(box.y + 6)}' x2='{_f(box.right)}' y2='{_f(box.y + 6)}' stroke='{colour}'/>"
        )
    lines = node_lines(element.label)
    cx = box.x + box.width / 2
    block = len(lines) * NODE_FONT * LINE + KIND_FONT * LINE
    y = box.y + (BOX_H - block) / 2 + NODE_FONT
    for line in lines:
        parts.append(_text(cx, y, line, NODE_FONT, " text-anchor='middle' font-weight='600' fill='#1f2328'"))
        y += NODE_FONT * LINE
    parts.append(_text(cx, y, element.kind, KIND_FONT, " text-anchor='middle' fill='#6e7781'"))
    parts.append("</g>")
    return "".join(parts)


def _legend(items: list[tuple[str, str]], width: float, top: float) -> tuple[str, float]:
    """Swatch + text items in rows that fit `width`; returns (svg, height used)."""
    parts: list[str] = []
    x, y = 10.0, top
    for swatch, text in items:
        step = 22 + text_width(text, 10) + 14
        if x + step > width and x > 10:
            x, y = 10.0, y + LEGEND_ROW
        words = _text(20, 11, text, 10, " fill='#333'")
        parts.append(f"<g transform='translate({_f(x)},{_f(y)})'>{swatch}{words}</g>")
        x += step
    return "".join(parts), y - top + LEGEND_ROW


def _box_swatch(fill: str, stroke: str = "#888", rx: int = 2, dash: str = "") -> str:
    extra = f" stroke-dasharray='{dash}'" if dash else ""
    return f"<rect x='0' y='1' width='16' height='12' rx='{rx}' fill='{fill}' stroke='{stroke}'{extra}/>"


def _line_swatch(colour: str, width: float) -> str:
    return f"<line x1='0' y1='7' x2='16' y2='7' stroke='{colour}' stroke-width='{_f(width)}'/>"


def diagram_legend_items() -> list[tuple[str, str]]:
    items = [(_box_swatch(fill, dash="4 3"), text) for fill, text in ZONE_FILLS.values()]
    items += [
        (_box_swatch("#ffffff", SEVERITY_COLOURS[key]), f"element: {SEVERITY_WORDS[key]}")
        for key in ("critical", "high", "medium", "low", "info", "")
    ]
    items += [
        (_line_swatch(FLOW_COLOUR, 1.3), "data flow"),
        (_line_swatch(CROSSING_COLOUR, 2.5), "crosses a trust boundary unencrypted"),
        (_box_swatch("#ffffff", "#555", 0), "actor"),
        (_box_swatch("#ffffff", "#555", 6), "process"),
        (_box_swatch("#ffffff", "#555", 2) + "<line x1='0' y1='4' x2='16' y2='4' stroke='#555'/>", "store"),
    ]
    return items


def data_flow_svg(model: ThreatModel, assessment: Assessment | None = None) -> str:
    """The data-flow diagram: zones as bands, elements outlined in their worst open severity, flows with labels."""
    assessment = assessment if assessment is not None else evaluate(model)
    drawing = diagram(model)
    places = drawing.layout
    width = places.width
    parts: list[str] = []
    for zone_id, band in places.zones.items():
        trust = model.zone_trust(zone_id)
        zone = model.zone(zone_id)
        fill = ZONE_FILLS.get(trust, ZONE_FILLS["internal"])[0]
        parts.append(
            f"<rect x='{_f(band.x)}' y='{_f(band.y)}' width='{_f(band.width)}' height='{_f(band.height)}' "
            f"fill='{fill}' stroke='#888' stroke-dasharray='5 4'/>"
        )
        title = places.zone_titles[zone_id]
        text = zone_title(zone.name if zone and zone.name else zone_id, trust)
        parts.append(_text(title.x + 2, title.y + ZONE_FONT, text, ZONE_FONT, " font-weight='700' fill='#444'"))
    crossing = crossing_flows(model, assessment)
    for route in drawing.routes:
        colour, stroke = (CROSSING_COLOUR, 2.5) if route.flow_id in crossing else (FLOW_COLOUR, 1.3)
        tip, left, right = route.arrow()
        corners = " ".join(f"{_f(x)},{_f(y)}" for x, y in (tip, left, right))
        parts.append(
            f"<g class='nbsec-dfd-flow'><title>{html_text(route.flow_id)}</title>"
            f"<path d='{route.path()}' fill='none' stroke='{colour}' stroke-width='{_f(stroke)}'/>"
            f"<polygon points='{corners}' fill='{colour}'/></g>"
        )
    for route in drawing.routes:  # labels over every line
        spot = route.label_box
        if spot is None:
            continue
        parts.append(
            f"<rect class='nbsec-dfd-label' x='{_f(spot.x)}' y='{_f(spot.y)}' width='{_f(spot.width)}' "
            f"height='{_f(spot.height)}' rx='3' fill='#ffffff' fill-opacity='0.92' stroke='#d0d7de' "
            "stroke-width='0.6'/>"
        )
        y = spot.y + 2 + LABEL_FONT
        for line in route.label:
            parts.append(_text(spot.x + spot.width / 2, y, line, LABEL_FONT, " text-anchor='middle' fill='#333'"))
            y += LABEL_FONT * LINE
    by_target: dict[str, list[Threat]] = {}
    for threat in assessment.threats:
        by_target.setdefault(threat.target, []).append(threat)
    for element in model.elements:
        box = places.elements.get(element.id)
        if box is None:
            continue
        mine = by_target.get(element.id, [])
        listed = "\n".join(f"{t.rule_id} {t.title} [{t.status}, risk {t.residual.score}]" for t in mine[:12])
        more = f"\n... and {len(mine) - 12} more" if len(mine) > 12 else ""
        tooltip = f"{element.label}\n{element.kind}, zone {element.zone}\n{listed or 'no threats'}{more}"
        parts.append(_node(element, box, SEVERITY_COLOURS[worst_open(mine)], tooltip))
    legend, legend_height = _legend(diagram_legend_items(), width, places.height)
    height = places.height + legend_height + 6
    label = html_text(f"Data-flow diagram of {model.title}")
    return (
        f"<svg class='nbsec-dfd' xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {_f(width)} {_f(height)}' "
        f"width='100%' style='max-width:{_f(width)}px;height:auto' role='img' aria-label='{label}' {FONT}>"
        f"{''.join(parts)}{legend}</svg>"
    )


CELL_W, CELL_H = 92.0, 46.0
AXIS_W = 110.0


def risk_matrix_svg(assessment: Assessment, residual: bool = True) -> str:
    """Open threats by likelihood (x) and impact (y); each cell coloured by the severity band of its score."""
    cells: dict[tuple[int, int], list[str]] = {}
    opened = assessment.open()
    for threat in opened:
        risk = threat.residual if residual else threat.inherent
        cells.setdefault((risk.likelihood, risk.impact), []).append(f"{threat.rule_id} on {threat.target or 'system'}")
    top = 24.0
    parts = [
        _text(0, 15, f"{'Residual' if residual else 'Inherent'} risk of open threats ({len(opened)})", 13,
              " font-weight='600' fill='#1f2328'"),
    ]  # fmt: skip
    for impact in range(5, 0, -1):
        y = top + (5 - impact) * CELL_H
        parts.append(
            _text(AXIS_W - 8, y + CELL_H / 2 + 4, f"{impact} {IMPACT_WORDS[impact - 1]}", 11,
                  " text-anchor='end' fill='#444'")
        )  # fmt: skip
        for likelihood in range(1, 6):
            x = AXIS_W + (likelihood - 1) * CELL_W
            score = likelihood * impact
            names = cells.get((likelihood, impact), [])
            shown = "\n".join(names[:15]) + ("\n..." if len(names) > 15 else "")
            tip = f"likelihood {likelihood} x impact {impact} = {score} ({band_of(score)})\n{shown or 'none'}"
            parts.append(
                f"<g class='nbsec-risk-cell'><title>{html_text(tip)}</title>"
                f"<rect x='{_f(x)}' y='{_f(y)}' width='{_f(CELL_W)}' height='{_f(CELL_H)}' "
                f"fill='{BAND_FILLS[band_of(score)]}' stroke='#ffffff' stroke-width='2'/>"
            )
            if names:
                parts.append(
                    _text(x + CELL_W / 2, y + CELL_H / 2 + 6, str(len(names)), 16,
                          " text-anchor='middle' font-weight='700' fill='#1f2328'")
                )  # fmt: skip
            parts.append("</g>")
    bottom = top + 5 * CELL_H
    for likelihood in range(1, 6):
        x = AXIS_W + (likelihood - 0.5) * CELL_W
        parts.append(
            _text(x, bottom + 15, f"{likelihood} {LIKELIHOOD_WORDS[likelihood - 1]}", 11,
                  " text-anchor='middle' fill='#444'")
        )  # fmt: skip
    parts.append(_text(AXIS_W + 2.5 * CELL_W, bottom + 32, "likelihood", 11, " text-anchor='middle' fill='#444'"))
    middle = _f(top + 2.5 * CELL_H)
    parts.append(_text(12, top + 2.5 * CELL_H, "impact", 11, f" fill='#444' transform='rotate(-90 12 {middle})'"))
    width = AXIS_W + 5 * CELL_W + 10
    items = [(_box_swatch(BAND_FILLS[name], "#bbb"), f"{name} {low}-{high}") for name, low, high in band_ranges()]
    items.append(("", "(cell colour: severity band of likelihood x impact; number: open threats)"))
    legend, legend_height = _legend(items, width, bottom + 42)
    height = bottom + 42 + legend_height
    return (
        f"<svg class='nbsec-risk-matrix' xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {_f(width)} {_f(height)}' "
        f"width='100%' style='max-width:{_f(width)}px;height:auto' role='img' aria-label='Risk matrix' {FONT}>"
        f"{''.join(parts)}{legend}</svg>"
    )
