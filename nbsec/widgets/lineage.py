"""The lineage graph as an interactive plotly DAG, and an ipywidgets explorer around it.

    from nbsec.widgets.lineage import lineage_figure, show_lineage
    show_lineage()                        # explorer: pick a node, collapse steps, filter
    lineage_figure(graph, focus="models/model.pt").show()

Datasets are circles, models diamonds, reports squares, steps triangles.
Tampered nodes (changed artifact, broken event) are red; missing ones (cannot
be re-verified) are red outlines. Hover shows hashes, params, who and when.
Focusing a node highlights its upstream and downstream and fades the rest.
Past `max_nodes` steps are collapsed by name so 5,000-node stores stay readable;
WebGL traces take over from SVG past a few thousand points.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from nbsec.escaping import plotly_text
from nbsec.lineage.graph import (
    Graph,
    collapse_steps,
    downstream,
    filter_nodes,
    layered_layout,
    neighbourhood,
    upstream,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from nbsec.lineage.verifier import Verification

SYMBOLS = {"dataset": "circle", "model": "diamond", "report": "square", "step": "triangle-right"}
COLOURS = {"dataset": "#1f77b4", "model": "#9467bd", "report": "#2ca02c", "step": "#7f7f7f"}
RED = "#d62728"
LABELS_UP_TO = 300  # node labels drawn on the graph up to this many nodes; hover always works
WEBGL_FROM = 2000
DEFAULT_MAX_NODES = 1500


def _short(value: Any, width: int = 16) -> str:
    text = str(value)
    return text[:width] + "…" if len(text) > width else text


def _label(text: str, width: int = 28) -> str:
    """Long paths and URLs keep their tail on the graph (the hover shows them whole)."""
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def hover_text(graph: Graph, node_id: str) -> str:
    """The node's hover: plotly renders tags in it, and paths and params come from the store, so all is escaped."""
    node = graph.nodes[node_id]
    lines = [f"<b>{plotly_text(node.label)}</b>", plotly_text(f"{node.kind}; {node.status}")]
    detail = node.detail.get("last", node.detail) if node.kind == "step" else node.detail
    if "runs" in node.detail:
        lines.append(f"runs: {node.detail['runs']}")
    for key in ("sha256", "kind", "size", "uri", "recorded by", "event", "status", "who", "when"):
        if key in detail and detail[key] not in (None, ""):
            value = _short(detail[key]) if key == "sha256" else detail[key]
            lines.append(plotly_text(f"{key}: {value}"))
    for key in ("params", "code"):
        value = detail.get(key)
        if value:
            lines.append(plotly_text(f"{key}: {_short(json.dumps(value, sort_keys=True), 160)}"))
    return "<br>".join(lines)


def lineage_figure(
    graph: Graph,
    *,
    focus: str | None = None,
    title: str | None = None,
    layout: dict[str, tuple[float, float]] | None = None,
) -> go.Figure:
    """A plotly Figure of the graph (layered left to right); `focus` highlights a node's up- and downstream."""
    import plotly.graph_objects as go

    positions = layout if layout is not None else layered_layout(graph)
    lit: set[str] | None = None
    focus_id = graph.find(focus) if focus else None
    if focus_id is not None:
        lit = upstream(graph, focus_id) | downstream(graph, focus_id)
    big = len(graph.nodes) >= WEBGL_FROM
    scatter = go.Scattergl if big else go.Scatter
    traces: list[Any] = []
    for lit_edges in (False, True):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for source, target in graph.edges:
            if (lit is not None and source in lit and target in lit) != lit_edges:
                continue
            (x0, y0), (x1, y1) = positions[source], positions[target]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        if xs:
            width, colour = (2.5, "#444") if lit_edges else (1.0, "#bbb" if lit is not None else "#999")
            traces.append(
                scatter(
                    x=xs, y=ys, mode="lines", line={"width": width, "color": colour}, hoverinfo="skip", showlegend=False
                )
            )
    for kind, symbol in SYMBOLS.items():
        ids = [n for n, node in graph.nodes.items() if node.kind == kind]
        if not ids:
            continue
        statuses = [graph.nodes[n].status for n in ids]
        traces.append(
            scatter(
                x=[positions[n][0] for n in ids],
                y=[positions[n][1] for n in ids],
                mode="markers+text" if len(graph.nodes) <= LABELS_UP_TO else "markers",
                name=kind,
                text=[plotly_text(_label(graph.nodes[n].label)) for n in ids],
                textposition="bottom center" if kind == "step" else "top center",  # steps below: labels interleave
                hovertext=[hover_text(graph, n) for n in ids],
                hoverinfo="text",
                customdata=ids,
                marker={
                    "symbol": [f"{symbol}-open" if s == "missing" else symbol for s in statuses],
                    "size": 16 if kind != "step" else 13,
                    "color": [RED if s != "ok" else COLOURS[kind] for s in statuses],
                    "line": {"width": [3 if s == "tampered" else 1 for s in statuses], "color": "#222"},
                    "opacity": [1.0 if lit is None or n in lit else 0.15 for n in ids],
                },
            )
        )
    widest = max(
        (sum(1 for p in positions.values() if p[0] == x) for x in {p[0] for p in positions.values()}), default=1
    )
    xs_all = [p[0] for p in positions.values()]
    figure = go.Figure(data=traces)
    figure.update_layout(
        title=title or ("lineage" + (f": {graph.nodes[focus_id].label}" if focus_id else "")),
        height=min(1200, 260 + 28 * widest),
        hovermode="closest",
        dragmode="pan",
        # Padding beyond the first and last layer keeps their labels inside the plot.
        xaxis={"visible": False, "range": [min(xs_all, default=0) - 0.8, max(xs_all, default=0) + 0.8]},
        yaxis={"visible": False},
        legend={"orientation": "h"},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        uirevision="nbsec-lineage",
    )
    return figure


def load_graph(
    store: str | os.PathLike[str] | None = None, *, verification: Verification | None = None
) -> tuple[Graph, Verification]:
    """Verify the store (unless a verification is given) and build its graph with statuses."""
    from nbsec.lineage.graph import build_graph
    from nbsec.lineage.verifier import verify_detailed

    result = verification if verification is not None else verify_detailed(store)
    graph = build_graph(
        result.events,
        broken_events=result.broken_events,
        changed_paths=result.changed_paths,
        missing_paths=result.missing_paths,
    )
    return graph, result


def prepare(
    graph: Graph,
    node: str | None = None,
    *,
    depth: int | None = None,
    collapse: bool | None = None,
    filter_text: str | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Graph:
    """Filter, focus and collapse for display; `collapse=None` collapses only past `max_nodes`."""
    view = filter_nodes(graph, filter_text) if filter_text else graph
    if node and depth is not None:
        found = view.find(node)
        if found is not None:
            view = neighbourhood(view, found, depth)
    if collapse or (collapse is None and len(view.nodes) > max_nodes):
        view = collapse_steps(view)
    return view


def lineage_explorer(graph: Graph, node: str | None = None, **options: Any) -> Any:
    """An ipywidgets VBox: node picker, collapse and filter controls above the figure."""
    import ipywidgets as widgets
    from IPython.display import display

    labels = sorted({n.label for n in graph.nodes.values()})
    picker = widgets.Combobox(
        value=node or "", options=labels[:5000], placeholder="node: path, URL or step", description="focus"
    )
    collapse = widgets.Checkbox(value=bool(options.get("collapse")), description="collapse steps")
    text = widgets.Text(value=options.get("filter_text") or "", placeholder="filter labels", description="filter")
    output = widgets.Output()

    def redraw(*_: Any) -> None:
        view = prepare(
            graph,
            picker.value or None,
            collapse=collapse.value or None,
            filter_text=text.value or None,
            depth=options.get("depth"),
        )
        output.clear_output(wait=True)
        with output:
            display(lineage_figure(view, focus=picker.value or None))

    for control in (picker, collapse, text):
        control.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([picker, collapse, text]), output])


def show_lineage(
    store: str | os.PathLike[str] | None = None,
    node: str | None = None,
    *,
    depth: int | None = None,
    collapse: bool | None = None,
    filter_text: str | None = None,
    interactive: bool = True,
) -> Any:
    """The explorer widget (or, with `interactive=False`, the plotly Figure) for a store."""
    graph, _ = load_graph(store)
    if not interactive:
        return lineage_figure(prepare(graph, node, depth=depth, collapse=collapse, filter_text=filter_text), focus=node)
    return lineage_explorer(graph, node, depth=depth, collapse=collapse, filter_text=filter_text)
