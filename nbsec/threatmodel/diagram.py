"""Plotly figures: the data-flow diagram (trust zones as shaded rectangles) and the risk-matrix heatmap.

plotly is imported inside the functions, on first use. Plotly renders some HTML
in labels and hovers (<b>, <a href>, ...), and names, titles and labels may come
from an imported file, so every one is escaped and shows as the text it is.
"""

from __future__ import annotations

import re
from typing import Any

from nbsec.escaping import csp_meta, html_text
from nbsec.escaping import plotly_text as text_of
from nbsec.threatmodel.document import ThreatModel
from nbsec.threatmodel.engine import Assessment, Threat, evaluate
from nbsec.threatmodel.layout import layout
from nbsec.threatmodel.risk import IMPACT_WORDS, LIKELIHOOD_WORDS
from nbsec.threatmodel.vocabulary import ACTOR_KINDS, STORE_KINDS

ZONE_COLOURS = {
    "untrusted": "rgba(214, 39, 40, 0.10)",
    "internal": "rgba(31, 119, 180, 0.08)",
    "restricted": "rgba(44, 160, 44, 0.10)",
}
SEVERITY_COLOURS = {
    "critical": "#7f0000",
    "high": "#d62728",
    "medium": "#ff7f0e",
    "low": "#bcbd22",
    "info": "#7f7f7f",
    "": "#2ca02c",
}
RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


def _symbol(kind: str) -> str:
    if kind in ACTOR_KINDS:
        return "diamond"
    if kind in STORE_KINDS:
        return "square"
    if kind in ("llm", "agent"):
        return "star"
    return "circle"


def _worst(threats: list[Threat]) -> str:
    open_ = [t.residual.severity.value for t in threats if t.is_open]
    return max(open_, key=lambda s: RANK[s]) if open_ else ""


def data_flow_figure(model: ThreatModel, assessment: Assessment | None = None) -> Any:
    import plotly.graph_objects as go

    assessment = assessment if assessment is not None else evaluate(model)
    places = layout(model)
    fig = go.Figure()
    for zone_id, box in places.zones.items():
        trust = model.zone_trust(zone_id)
        zone = model.zone(zone_id)
        fig.add_shape(
            type="rect",
            x0=box.x,
            y0=box.y,
            x1=box.x + box.width,
            y1=box.y + box.height,
            layer="below",
            line={"color": "#888", "dash": "dash", "width": 1},
            fillcolor=ZONE_COLOURS.get(trust, ZONE_COLOURS["internal"]),
        )
        fig.add_annotation(
            x=box.x + 6,
            y=box.y + 4,
            xanchor="left",
            yanchor="top",
            showarrow=False,
            text=f"<b>{text_of(zone.name if zone and zone.name else zone_id)}</b> ({text_of(trust)})",
            font={"size": 11, "color": "#555"},
        )
    crossing = {
        f.id for t in assessment.threats if t.rule_id == "NBSEC-TM-019" for f in model.flows if f.id == t.target
    }
    for flow in model.flows:
        start, end = places.elements.get(flow.source), places.elements.get(flow.target)
        if start is None or end is None:
            continue
        (x0, y0), (x1, y1) = start.center, end.center
        fig.add_annotation(
            x=x1,
            y=y1,
            ax=x0,
            ay=y0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=3,
            arrowsize=1.2,
            arrowwidth=2 if flow.id in crossing else 1.2,
            standoff=22,
            startstandoff=22,
            arrowcolor="#d62728" if flow.id in crossing else "#555",
            text="",
        )
        fig.add_annotation(
            x=(x0 + x1) / 2,
            y=(y0 + y1) / 2,
            text=text_of(flow.label[:40]),
            showarrow=False,
            font={"size": 9, "color": "#333"},
            bgcolor="rgba(255,255,255,0.7)",
        )
    by_target: dict[str, list[Threat]] = {}
    for threat in assessment.threats:
        by_target.setdefault(threat.target, []).append(threat)
    xs, ys, texts, hovers, colours, symbols = [], [], [], [], [], []
    for element in model.elements:
        spot = places.elements.get(element.id)
        if spot is None:
            continue
        mine = by_target.get(element.id, [])
        cx, cy = spot.center
        xs.append(cx)
        ys.append(cy)
        texts.append(text_of(element.label[:28]))
        listed = "<br>".join(text_of(f"{t.rule_id} {t.title} [{t.status}, {t.residual.score}]") for t in mine[:12])
        about = f"<b>{text_of(element.label)}</b><br>{text_of(element.kind)}, zone {text_of(element.zone)}"
        hovers.append(f"{about}<br>{listed or 'no threats'}")
        colours.append(SEVERITY_COLOURS[_worst(mine)])
        symbols.append(_symbol(element.kind))
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers+text",
            text=texts,
            textposition="bottom center",
            hovertext=hovers,
            hoverinfo="text",
            marker={"size": 26, "color": colours, "symbol": symbols, "line": {"width": 1, "color": "#222"}},
            name="elements",
            showlegend=False,
        )
    )
    fig.update_xaxes(visible=False, range=[0, places.width])
    fig.update_yaxes(visible=False, range=[places.height, 0])
    fig.update_layout(
        title=f"Data flows: {text_of(model.title)}",
        height=max(320, int(places.height) + 60),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
    )
    return fig


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
    """Open threats by likelihood (x) and impact (y); cell colour is the score, text the count."""
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
            colorscale=[[0, "#e5f5e0"], [0.25, "#fff7bc"], [0.5, "#fdae6b"], [1, "#d62728"]],
            zmin=1,
            zmax=25,
            colorbar={"title": "L x I"},
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
