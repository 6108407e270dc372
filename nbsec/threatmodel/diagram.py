"""Plotly figures: the data-flow diagram (trust zones as shaded rectangles) and the risk-matrix heatmap.

The geometry (where elements, flows and labels go) is nbsec.threatmodel.layout's and the colours
nbsec.threatmodel.palette's, shared with the SVG drawing of the static twin (diagram_svg), so the
live figure and the copy kept in the notebook show the same picture with the same legend.

plotly is imported inside the functions, on first use. Plotly renders some HTML
in labels and hovers (<b>, <a href>, ...), and names, titles and labels may come
from an imported file, so every one is escaped and shows as the text it is.
"""

from __future__ import annotations

import re
from typing import Any

from nbsec.escaping import csp_meta, html_text
from nbsec.escaping import plotly_text as text_of
from nbsec.threatmodel.diagram_svg import crossing_flows, shape_of, worst_open
from nbsec.threatmodel.document import ThreatModel
from nbsec.threatmodel.engine import Assessment, Threat, evaluate
from nbsec.threatmodel.layout import KIND_FONT, LABEL_FONT, NODE_FONT, ZONE_FONT, Box, diagram, node_lines, zone_title
from nbsec.threatmodel.palette import (
    BAND_FILLS,
    CROSSING_COLOUR,
    FLOW_COLOUR,
    SEVERITY_COLOURS,
    SEVERITY_WORDS,
    ZONE_FILLS,
    band_ranges,
)
from nbsec.threatmodel.risk import IMPACT_WORDS, LIKELIHOOD_WORDS


def _rounded(box: Box, radius: float) -> str:
    """A rectangle with rounded corners as path data (plotly's path shapes have no arcs: quadratic corners)."""
    x0, y0, x1, y1, r = box.x, box.y, box.right, box.bottom, radius
    if r <= 0:
        return f"M{x0},{y0} H{x1} V{y1} H{x0} Z"
    return (
        f"M{x0 + r},{y0} H{x1 - r} Q{x1},{y0} {x1},{y0 + r} V{y1 - r} Q{x1},{y1} {x1 - r},{y1} "
        f"H{x0 + r} Q{x0},{y1} {x0},{y1 - r} V{y0 + r} Q{x0},{y0} {x0 + r},{y0} Z"
    )


def data_flow_figure(model: ThreatModel, assessment: Assessment | None = None) -> Any:
    """The data-flow diagram as a plotly figure: the same geometry and legend as the SVG twin, 1 unit = 1 px."""
    import plotly.graph_objects as go

    assessment = assessment if assessment is not None else evaluate(model)
    drawing = diagram(model)
    places = drawing.layout
    fig = go.Figure()
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for zone_id, band in places.zones.items():
        trust = model.zone_trust(zone_id)
        zone = model.zone(zone_id)
        shapes.append(
            {
                "type": "rect", "x0": band.x, "y0": band.y, "x1": band.right, "y1": band.bottom, "layer": "below",
                "line": {"color": "#888", "dash": "dash", "width": 1},
                "fillcolor": ZONE_FILLS.get(trust, ZONE_FILLS["internal"])[0],
            }
        )  # fmt: skip
        title = places.zone_titles[zone_id]
        name = zone.name if zone and zone.name else zone_id
        annotations.append(
            {
                "x": title.x, "y": title.y, "xanchor": "left", "yanchor": "top", "showarrow": False,
                "text": f"<b>{text_of(zone_title(name, trust))}</b>", "font": {"size": ZONE_FONT, "color": "#444"},
            }
        )  # fmt: skip
    crossing = crossing_flows(model, assessment)
    for route in drawing.routes:
        colour, width = (CROSSING_COLOUR, 2.5) if route.flow_id in crossing else (FLOW_COLOUR, 1.3)
        shapes.append({"type": "path", "path": route.path(), "line": {"color": colour, "width": width}})
        tip, left, right = route.arrow()
        head = f"M{tip[0]},{tip[1]} L{left[0]},{left[1]} L{right[0]},{right[1]} Z"
        shapes.append({"type": "path", "path": head, "fillcolor": colour, "line": {"color": colour, "width": 1}})
        if route.label_box is not None:
            cx, cy = route.label_box.center
            annotations.append(
                {
                    "x": cx, "y": cy, "showarrow": False, "text": "<br>".join(text_of(x) for x in route.label),
                    "font": {"size": LABEL_FONT, "color": "#333"}, "bgcolor": "rgba(255,255,255,0.92)",
                    "bordercolor": "#d0d7de", "borderwidth": 0.6, "borderpad": 1,
                }
            )  # fmt: skip
    by_target: dict[str, list[Threat]] = {}
    for threat in assessment.threats:
        by_target.setdefault(threat.target, []).append(threat)
    xs, ys, texts, hovers = [], [], [], []
    for element in model.elements:
        box = places.elements.get(element.id)
        if box is None:
            continue
        mine = by_target.get(element.id, [])
        colour = SEVERITY_COLOURS[worst_open(mine)]
        shape = shape_of(element.kind)
        radius = {"actor": 0.0, "store": 2.0, "process": 12.0}[shape]
        shapes.append(
            {
                "type": "path",
                "path": _rounded(box, radius),
                "fillcolor": "#ffffff",
                "line": {"color": colour, "width": 2.5},
            }
        )
        if shape == "store":
            shapes.append(
                {"type": "line", "x0": box.x, "x1": box.right, "y0": box.y + 6, "y1": box.y + 6,
                 "line": {"color": colour, "width": 1}}
            )  # fmt: skip
        cx, cy = box.center
        xs.append(cx)
        ys.append(cy)
        name = "<br>".join(f"<b>{text_of(line)}</b>" for line in node_lines(element.label))
        texts.append(f"{name}<br><span style='font-size:{KIND_FONT:g}px;color:#6e7781'>{text_of(element.kind)}</span>")
        listed = "<br>".join(text_of(f"{t.rule_id} {t.title} [{t.status}, {t.residual.score}]") for t in mine[:12])
        about = f"<b>{text_of(element.label)}</b><br>{text_of(element.kind)}, zone {text_of(element.zone)}"
        hovers.append(f"{about}<br>{listed or 'no threats'}")
    fig.add_trace(
        go.Scatter(
            x=xs, y=ys, mode="text", text=texts, textposition="middle center", hovertext=hovers, hoverinfo="text",
            textfont={"size": NODE_FONT, "color": "#1f2328"}, name="elements", showlegend=False,
        )
    )  # fmt: skip
    for fill, words in ZONE_FILLS.values():
        fig.add_trace(_legend_entry(go, words, "square", fill, "#888"))
    for key in ("critical", "high", "medium", "low", "info", ""):
        fig.add_trace(_legend_entry(go, f"element: {SEVERITY_WORDS[key]}", "square-open", SEVERITY_COLOURS[key]))
    fig.add_trace(_legend_entry(go, "data flow", "line", FLOW_COLOUR))
    fig.add_trace(_legend_entry(go, "crosses a trust boundary unencrypted", "line", CROSSING_COLOUR))
    for drawn in shapes:  # in list order, under the element names: zones, then flows, then element boxes
        drawn["layer"] = "below"
    fig.update_xaxes(visible=False, range=[0, places.width], fixedrange=True)
    fig.update_yaxes(visible=False, range=[places.height, 0], fixedrange=True)
    top, bottom = 40, 90
    fig.update_layout(
        title=f"Data flows: {text_of(model.title)}",
        shapes=shapes,
        annotations=annotations,
        width=int(places.width),  # fixed, so 1 unit is 1 px and the label places computed in layout hold
        height=int(places.height) + top + bottom,
        autosize=False,
        margin={"l": 0, "r": 0, "t": top, "b": bottom},
        plot_bgcolor="white",
        legend={"orientation": "h", "x": 0, "y": -0.01, "yanchor": "top", "font": {"size": 10}},
        hovermode="closest",
    )
    return fig


def _legend_entry(go: Any, name: str, symbol: str, colour: str, outline: str = "") -> Any:
    """A trace that draws nothing and shows one legend entry (plotly has no free-form legend)."""
    if symbol == "line":
        return go.Scatter(x=[None], y=[None], mode="lines", line={"color": colour, "width": 2.5}, name=name)
    marker = {"symbol": symbol, "size": 13, "color": colour, "line": {"color": outline or colour, "width": 2}}
    return go.Scatter(x=[None], y=[None], mode="markers", marker=marker, name=name, hoverinfo="skip")


_INLINE_SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.S)


def diagram_page(model: ThreatModel, assessment: Assessment | None = None) -> str:
    """The data-flow diagram and the risk matrix as one offline HTML page (plotly.js inline).

    The page's Content-Security-Policy allows no network load and only the inline scripts plotly
    wrote here, by hash: a label that got past the escaping still could not run a script.
    """
    assessment = assessment if assessment is not None else evaluate(model)
    body = "".join(
        (
            data_flow_figure(model, assessment).to_html(full_html=False, include_plotlyjs=True),
            risk_heatmap(assessment).to_html(full_html=False, include_plotlyjs=False),
        )
    )
    scripts = _INLINE_SCRIPT.findall(body)  # plotly's own output: its JSON escapes `<`, so no label ends a script
    head = f"<meta charset='utf-8'>{csp_meta(scripts)}<title>{html_text(model.title)}</title>"
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def risk_heatmap(assessment: Assessment, residual: bool = True) -> Any:
    """Open threats by likelihood (x) and impact (y); cell colour is the severity band of the score, text the count."""
    import plotly.graph_objects as go

    names: list[list[list[str]]] = [[[] for _ in range(5)] for _ in range(5)]
    for threat in assessment.open():
        risk = threat.residual if residual else threat.inherent
        names[risk.impact - 1][risk.likelihood - 1].append(text_of(f"{threat.rule_id} on {threat.target}"))
    counts = [[len(cell) for cell in row] for row in names]
    labels = [[str(n) if n else "" for n in row] for row in counts]  # empty cells stay blank
    hover = [["<br>".join(cell[:15]) + (" ..." if len(cell) > 15 else "") or "none" for cell in row] for row in names]
    scores = [[(i + 1) * (j + 1) for j in range(5)] for i in range(5)]
    fig = go.Figure(
        go.Heatmap(
            z=scores,
            x=[f"{i + 1} {w}" for i, w in enumerate(LIKELIHOOD_WORDS)],
            y=[f"{i + 1} {w}" for i, w in enumerate(IMPACT_WORDS)],
            text=labels,
            texttemplate="%{text}",
            customdata=hover,
            hovertemplate="%{customdata}<extra>score %{z}</extra>",
            colorscale=_band_scale(),
            zmin=0.5,
            zmax=25.5,
            colorbar={
                "title": {"text": "severity<br>(L x I)"},
                "tickvals": [(low + high) / 2 for _name, low, high in band_ranges()],
                "ticktext": [f"{name} {low}-{high}" for name, low, high in band_ranges()],
            },
        )
    )
    kind = "Residual" if residual else "Inherent"
    fig.update_layout(
        title=f"{kind} risk of open threats ({sum(map(sum, counts))})",
        xaxis_title="likelihood",
        yaxis_title="impact",
        height=380,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return fig


def _band_scale() -> list[list[Any]]:
    """A stepped colour scale over 0.5..25.5: each severity band of likelihood x impact is one colour."""
    stops: list[list[Any]] = []
    for name, low, high in band_ranges():
        stops += [[(low - 1) / 25, BAND_FILLS[name]], [high / 25, BAND_FILLS[name]]]  # z - 0.5 over 25
    return stops
