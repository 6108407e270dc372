"""The lineage graph as an interactive plotly DAG, an ipywidgets explorer around it, and its static twin.

    from nbsec.widgets.lineage import lineage_figure, show_lineage
    show_lineage()                        # explorer: pick a node, collapse steps, filter (+ its snapshot)
    lineage_figure(graph, focus="models/model.pt").show()

Datasets are circles, models diamonds, reports squares, steps triangles; a legend names each shape
and says what red means: a filled red node is tampered (its artifact changed, or its event is
broken), a red outline is missing (it cannot be re-verified). Hover shows hashes, params, who and
when. Focusing a node highlights its upstream and downstream and fades the rest. Past `max_nodes`
steps are collapsed by name so 5,000-node stores stay readable; WebGL traces take over from SVG past
a few thousand points.

The explorer is shown with its static twin (`nbsec.display.twin`): the graph in its current state as
inline SVG with the same legend, and a table of the tampered and missing nodes, which stays readable
after the kernel is gone. Past TWIN_MAX_NODES nodes the twin draws the graph with steps collapsed
and says so; past that again it draws no graph and says how to narrow it.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from nbsec.escaping import html_text, plotly_text
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
OUTLINE = "#222"
# What each mark means, in the plotly legend and the twin's: shapes by kind, then the two red statuses.
STATUS_LEGEND = (("tampered", "tampered: red (changed, or its event is broken)"),
                 ("missing", "missing: red outline (cannot be re-verified)"))  # fmt: skip
LABELS_UP_TO = 300  # node labels drawn on the graph up to this many nodes; hover always works
WEBGL_FROM = 2000
DEFAULT_MAX_NODES = 1500
TWIN_MAX_NODES = 300  # the snapshot draws at most this many nodes (steps collapsed first)
TWIN_MAX_ROWS = 50  # rows of the tampered/missing table
LABEL_CHARS = 28
PLOTLY_MIME = "application/vnd.plotly.v1+json"


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
    labelled = len(graph.nodes) <= LABELS_UP_TO
    for kind, symbol in SYMBOLS.items():
        ids = [n for n, node in graph.nodes.items() if node.kind == kind]
        if not ids:
            continue
        statuses = [graph.nodes[n].status for n in ids]
        traces.append(
            scatter(
                x=[positions[n][0] for n in ids],
                y=[positions[n][1] for n in ids],
                mode="markers+text" if labelled else "markers",
                name=kind,
                legendgroup=kind,
                showlegend=False,  # the legend entries below show each kind in its own colour, whatever the status
                text=[plotly_text(_label(graph.nodes[n].label)) for n in ids],
                textposition="bottom center" if kind == "step" else "top center",  # steps below: labels interleave
                cliponaxis=False,  # a label wider than the padding runs into the margin instead of being cut
                hovertext=[hover_text(graph, n) for n in ids],
                hoverinfo="text",
                customdata=ids,
                marker={
                    "symbol": [f"{symbol}-open" if s == "missing" else symbol for s in statuses],
                    "size": 16 if kind != "step" else 13,
                    "color": [RED if s != "ok" else COLOURS[kind] for s in statuses],
                    "line": {"width": [3 if s == "tampered" else 1 for s in statuses], "color": OUTLINE},
                    "opacity": [1.0 if lit is None or n in lit else 0.15 for n in ids],
                },
            )
        )
    traces.extend(_legend_traces(go, graph))
    widest = max(
        (sum(1 for p in positions.values() if p[0] == x) for x in {p[0] for p in positions.values()}), default=1
    )
    xs_all = [p[0] for p in positions.values()]
    ys_all = [p[1] for p in positions.values()]
    # Labels are centred on their node: the first and last layer's run past the plot by half their width.
    side = 12 + (min(LABEL_CHARS, max((len(n.label) for n in graph.nodes.values()), default=0)) * 4 if labelled else 0)
    figure = go.Figure(data=traces)
    figure.update_layout(
        title=title or ("lineage" + (f": {graph.nodes[focus_id].label}" if focus_id else "")),
        height=min(1200, 300 + 28 * widest),
        hovermode="closest",
        dragmode="pan",
        # Padding beyond the first and last layer and row, and margins as wide as half a label, keep every label in.
        xaxis={"visible": False, "range": [min(xs_all, default=0) - 0.5, max(xs_all, default=0) + 0.5]},
        yaxis={"visible": False, "range": [min(ys_all, default=0) - 0.8, max(ys_all, default=0) + 0.8]},
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0},
        margin={"l": side, "r": side, "t": 50, "b": 40},
        template="plotly_white",
        uirevision="nbsec-lineage",
    )
    return figure


def _legend_traces(go: Any, graph: Graph) -> list[Any]:
    """Legend-only traces: each kind present in its own colour and shape, then what red fill and red outline mean."""
    kinds = [k for k in SYMBOLS if any(n.kind == k for n in graph.nodes.values())]
    entries = [(kind, kind, SYMBOLS[kind], COLOURS[kind], 1) for kind in kinds]
    entries += [("tampered", STATUS_LEGEND[0][1], "circle", RED, 3),
                ("missing", STATUS_LEGEND[1][1], "circle-open", RED, 1)]  # fmt: skip
    return [
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=label,
            legendgroup=group,
            showlegend=True,
            hoverinfo="skip",
            marker={"symbol": symbol, "size": 12, "color": colour, "line": {"width": width, "color": OUTLINE}},
        )
        for group, label, symbol, colour, width in entries
    ]


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


# -- the static twin: the graph as inline SVG, its legend, the tampered and missing nodes ---------------------------

_ROW, _PAD, _GAP, _MIN_STEP = 64, 14, 14, 72  # pixels: between rows, around, between labels, between layers
_CHAR = 6.2  # average width of a character at the 11px label font (a little over, so labels never touch)


def _columns(
    graph: Graph, positions: dict[str, tuple[float, float]], labels: dict[str, str]
) -> list[tuple[float, float]]:
    """(x, widest label) per layer: layers as close as their labels allow.

    Steps are labelled below their mark and artifacts above, so two neighbouring layers whose labels sit
    on different sides only need room for the marks; labels on the same side need half of each width.
    """
    count = int(max(x for x, _ in positions.values())) + 1
    widths = [0.0] * count
    sides: list[set[str]] = [set() for _ in range(count)]
    for node_id, (x, _) in positions.items():
        layer = int(x)
        widths[layer] = max(widths[layer], len(labels[node_id]) * _CHAR)
        sides[layer].add("below" if graph.nodes[node_id].kind == "step" else "above")
    out: list[tuple[float, float]] = []
    for layer in range(count):
        if not out:
            out.append((_PAD + max(widths[0] / 2, 10.0), widths[0]))
            continue
        x = max(out[-1][0] + _MIN_STEP, _PAD + widths[layer] / 2)  # and no label runs off the left edge
        for back in (1, 2):
            if layer - back >= 0 and (back == 2 or sides[layer] & sides[layer - 1]):
                before_x, before_w = out[layer - back]
                x = max(x, before_x + (before_w + widths[layer]) / 2 + _GAP)
        out.append((x, widths[layer]))
    return out


def _shape(kind: str, status: str, x: float, y: float, size: float = 8.0) -> str:
    """A node's mark: circle, diamond, square or triangle; red fill when tampered, red outline when missing."""
    fill, stroke, width = COLOURS.get(kind, COLOURS["dataset"]), OUTLINE, 1.0
    if status == "tampered":
        fill, width = RED, 3.0
    elif status == "missing":
        fill, stroke, width = "none", RED, 2.5
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
    r = size
    if kind == "model":
        points = [(x, y - r), (x + r, y), (x, y + r), (x - r, y)]
    elif kind == "step":
        points = [(x - r * 0.8, y - r), (x + r, y), (x - r * 0.8, y + r)]
    elif kind == "report":
        s = r * 0.8
        return f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" {paint} />'
    else:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r * 0.9:.1f}" {paint} />'
    return f'<polygon points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in points)}" {paint} />'


def legend_svg(kinds: list[str] | None = None, *, focused: bool = False) -> str:
    """The key: one entry per kind (its shape and colour), then red fill = tampered, red outline = missing."""
    entries = [(kind, "ok", kind) for kind in (kinds or list(SYMBOLS))]
    entries += [("dataset", status, text) for status, text in STATUS_LEGEND]
    if focused:
        entries.append(("dataset", "faded", "faded: outside the focus's up- and downstream"))
    parts, x = [], 10.0
    for kind, status, text in entries:  # legend text is measured a little tighter than labels
        mark = _shape(kind, "ok" if status == "faded" else status, x + 8, 14, 7)
        parts.append(f'<g opacity="0.25">{mark}</g>' if status == "faded" else mark)
        parts.append(f'<text x="{x + 20:.0f}" y="18">{html_text(text)}</text>')
        x += 32 + len(text) * 5.6
    width = int(x) + 10
    return (
        f'<svg role="img" aria-label="legend" viewBox="0 0 {width} 28" width="{width}" height="28" '
        'fill="currentColor" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )


def _node_title(graph: Graph, node_id: str) -> str:
    node = graph.nodes[node_id]
    detail = node.detail.get("last", node.detail) if node.kind == "step" else node.detail
    facts = [f"{node.label} ({node.kind}; {node.status})"]
    facts += [f"{k}: {detail[k]}" for k in ("recorded by", "who", "when", "sha256") if detail.get(k) not in (None, "")]
    return html_text("\n".join(facts))


def lineage_svg(graph: Graph, *, focus: str | None = None) -> str:
    """The graph as one inline SVG, laid out as the plotly figure is (layers left to right).

    Margins are as wide as half the widest label of the first and last layer, so no label is cut;
    every node has a tooltip (`<title>`), and labels keep the tail of long paths.
    """
    positions = layered_layout(graph)
    if not positions:
        return "<p><small>(no lineage recorded)</small></p>"
    focus_id = graph.find(focus) if focus else None
    lit = (upstream(graph, focus_id) | downstream(graph, focus_id)) if focus_id is not None else None
    labels = {n: _label(node.label, LABEL_CHARS) for n, node in graph.nodes.items()}
    columns = _columns(graph, positions, labels)
    top_y = max(y for _, y in positions.values())
    bottom_y = min(y for _, y in positions.values())
    top, bottom = _PAD + 22, _PAD + 24  # room for the labels above the top row and below the bottom row
    width = int(max(x + w / 2 for x, w in columns) + _PAD + 10)  # no label runs off the right edge either
    height = int(top + _ROW * (top_y - bottom_y) + bottom)

    def at(node_id: str) -> tuple[float, float]:
        x, y = positions[node_id]
        return columns[int(x)][0], top + _ROW * (top_y - y)

    edges = []
    for source, target in graph.edges:
        if source not in positions or target not in positions:
            continue
        (x0, y0), (x1, y1) = at(source), at(target)
        on = lit is not None and source in lit and target in lit
        colour, stroke = ("#444", 2.0) if on else ("#9996" if lit is not None else "#999", 1.2)
        edges.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="{colour}" '
                     f'stroke-width="{stroke}" />')  # fmt: skip
    nodes = []
    for node_id, node in graph.nodes.items():
        x, y = at(node_id)
        faded = lit is not None and node_id not in lit
        dy = 22 if node.kind == "step" else -13  # steps labelled below, artifacts above: labels interleave
        fade = ' opacity="0.25"' if faded else ""
        nodes.append(
            f'<g class="nbsec-node" data-status="{html_text(node.status)}"{fade}>'
            f"<title>{_node_title(graph, node_id)}</title>{_shape(node.kind, node.status, x, y)}"
            f'<text x="{x:.1f}" y="{y + dy:.1f}" text-anchor="middle">{html_text(labels[node_id])}</text></g>'
        )
    return (
        f'<svg role="img" aria-label="lineage graph" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'fill="currentColor" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(edges)}{"".join(nodes)}</svg>'
    )


def problems_table(graph: Graph, limit: int = TWIN_MAX_ROWS) -> str:
    """The tampered and missing nodes: status, kind, node, what recorded it."""
    bad = [n for n in graph.nodes.values() if n.status != "ok"]
    if not bad:
        return '<p style="text-align:left">No tampered or missing nodes.</p>'
    bad.sort(key=lambda n: (n.status != "tampered", n.kind, n.label))
    cell = 'style="text-align:left;padding:2px 8px;vertical-align:top"'
    rows = []
    for node in bad[:limit]:
        detail = node.detail.get("last", node.detail) if node.kind == "step" else node.detail
        recorded = detail.get("recorded by") or (f"event #{detail['event']}" if "event" in detail else "")
        colour = f"color:{RED};font-weight:600" if node.status == "tampered" else f"color:{RED}"
        rows.append(
            f'<tr><td {cell}><span style="{colour}">{html_text(node.status)}</span></td><td {cell}>'
            f"{html_text(node.kind)}</td><td {cell}><code>{html_text(node.label)}</code></td>"
            f"<td {cell}>{html_text(recorded)}</td></tr>"
        )
    more = f"<p>{len(bad) - limit} more not listed.</p>" if len(bad) > limit else ""
    head = "".join(f"<th {cell}>{h}</th>" for h in ("Status", "Kind", "Node", "Recorded by"))
    return (
        f'<table class="nbsec-lineage-problems" style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{more}"
    )


def snapshot_html(view: Graph, *, focus: str | None = None, max_nodes: int = TWIN_MAX_NODES) -> str:
    """The twin's body: a line on what is drawn, the legend, the graph (capped), the tampered/missing table."""
    drawn, note = view, ""
    total = len(view.nodes)
    if total > max_nodes:
        drawn = collapse_steps(view)
        if len(drawn.nodes) <= max_nodes:
            note = f"{total} nodes: drawn with the runs of each step collapsed into one ({len(drawn.nodes)} nodes)."
        else:
            note = (
                f"{total} nodes ({len(drawn.nodes)} with steps collapsed): too many to draw in a snapshot; "
                "focus a node (%aisec lineage show NODE --depth 2) or filter (--filter TEXT) to draw a part."
            )
            drawn = Graph()
    tampered = sum(1 for n in view.nodes.values() if n.status == "tampered")
    missing = sum(1 for n in view.nodes.values() if n.status == "missing")
    counts = f"{total} nodes, {len(view.edges)} edges; {tampered} tampered, {missing} missing"
    focus_line = f"; focus: {html_text(focus)}" if focus else ""
    kinds = [k for k in SYMBOLS if any(n.kind == k for n in drawn.nodes.values())] or None
    picture = (
        f'<div style="overflow-x:auto;max-width:100%">{lineage_svg(drawn, focus=focus)}</div>' if drawn.nodes else ""
    )
    return (
        f'<div class="nbsec-lineage" style="text-align:left"><p style="margin:.2rem 0">{html_text(counts)}{focus_line}'
        f"</p>{f'<p>{html_text(note)}</p>' if note else ''}{legend_svg(kinds, focused=bool(focus))}{picture}"
        f"{problems_table(view)}</div>"
    )


def summary_text(view: Graph) -> str:
    tampered = [n.label for n in view.nodes.values() if n.status == "tampered"]
    missing = [n.label for n in view.nodes.values() if n.status == "missing"]
    lines = [f"nbsec lineage: {len(view.nodes)} nodes, {len(tampered)} tampered, {len(missing)} missing (snapshot)"]
    lines += [f"  tampered: {label}" for label in tampered[:20]] + [f"  missing: {label}" for label in missing[:20]]
    return "\n".join(lines)


class LineageExplorer:
    """The explorer (node picker, collapse and filter above the plotly graph) and its static twin.

    Displaying it (a cell's last expression, or `display(explorer)`) shows the live widget, then the
    twin; every change of the controls redraws the graph and re-renders the twin.
    """

    def __init__(
        self,
        graph: Graph,
        node: str | None = None,
        *,
        depth: int | None = None,
        collapse: bool | None = None,
        filter_text: str | None = None,
    ) -> None:
        import ipywidgets as widgets

        from nbsec.display.twin import Twin

        self.graph = graph
        self.depth = depth
        labels = sorted({n.label for n in graph.nodes.values()})
        self.picker = widgets.Combobox(
            value=node or "", options=labels[:5000], placeholder="node: path, URL or step", description="focus"
        )
        self.collapse = widgets.Checkbox(value=bool(collapse), description="collapse steps")
        self.filter = widgets.Text(value=filter_text or "", placeholder="filter labels", description="filter")
        self.output = widgets.Output()
        self.widget = widgets.VBox([widgets.HBox([self.picker, self.collapse, self.filter]), self.output])
        self.twin = Twin("lineage", "lineage graph", self.snapshot, self.summary)
        for control in (self.picker, self.collapse, self.filter):
            control.observe(self.redraw, names="value")
        self.redraw()

    @property
    def focus(self) -> str | None:
        return str(self.picker.value) or None

    def view(self) -> Graph:
        """The graph as the controls say: filtered, focused, collapsed."""
        return prepare(self.graph, self.focus, collapse=self.collapse.value or None,
                       filter_text=self.filter.value or None, depth=self.depth)  # fmt: skip

    def redraw(self, *_: Any) -> None:
        # The figure's bundle set as the Output widget's outputs: drawn into the widget only, in a kernel or not,
        # in one state update (`with output: display(fig)` leaks outside a kernel, and plotly's own display hook
        # would draw into the cell).
        figure = lineage_figure(self.view(), focus=self.focus)
        data = {PLOTLY_MIME: json.loads(figure.to_json()), "text/plain": "nbsec lineage graph (plotly)"}
        self.output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)
        self.twin.refresh()

    def snapshot(self) -> str:
        return snapshot_html(self.view(), focus=self.focus)

    def summary(self) -> str:
        return summary_text(self.view())

    def _ipython_display_(self) -> None:
        self.twin.show(self.widget)


def lineage_explorer(graph: Graph, node: str | None = None, **options: Any) -> LineageExplorer:
    """The explorer around `graph` (options: depth, collapse, filter_text); display it to show widget and twin."""
    return LineageExplorer(graph, node, depth=options.get("depth"), collapse=options.get("collapse"),
                           filter_text=options.get("filter_text"))  # fmt: skip


def show_lineage(
    store: str | os.PathLike[str] | None = None,
    node: str | None = None,
    *,
    depth: int | None = None,
    collapse: bool | None = None,
    filter_text: str | None = None,
    interactive: bool = True,
) -> Any:
    """The explorer (widget + static twin when displayed) or, with `interactive=False`, the plotly Figure."""
    graph, _ = load_graph(store)
    if not interactive:
        return lineage_figure(prepare(graph, node, depth=depth, collapse=collapse, filter_text=filter_text), focus=node)
    return lineage_explorer(graph, node, depth=depth, collapse=collapse, filter_text=filter_text)
