"""The lineage graph: nodes and edges from events, layered layout, reachability, collapse, and the plotly figure."""

from __future__ import annotations

from typing import Any

from nbsec.lineage.graph import (
    Graph,
    Node,
    build_graph,
    collapse_steps,
    downstream,
    filter_nodes,
    layered_layout,
    layers,
    neighbourhood,
    upstream,
)


def event(seq: int, name: str, inputs: list[str], outputs: list[str], role: str = "dataset") -> dict[str, Any]:
    def art(path: str, kind: str = "dataset") -> dict[str, Any]:
        return {
            "path": path,
            "kind": "file",
            "sha256": f"{seq:064x}",
            "role": "model" if path.endswith(".pt") else kind,
        }

    return {
        "seq": seq,
        "name": name,
        "inputs": [art(p) for p in inputs],
        "outputs": [art(p, role) for p in outputs],
        "params": {"seq": seq},
        "env": {"user": "ana", "host": "lab"},
        "ended": "2026-01-01T00:00:00.000Z",
    }


EVENTS = [
    event(1, "prepare", ["raw.csv"], ["clean.csv"]),
    event(2, "features", ["clean.csv"], ["features.csv"]),
    event(3, "train", ["features.csv"], ["model.pt"]),
    event(4, "evaluate", ["model.pt", "features.csv"], ["report.md"], role="report"),
]


def test_graph_links_artifacts_through_steps_and_marks_statuses() -> None:
    graph = build_graph(EVENTS, broken_events={3}, changed_paths={"features.csv"}, missing_paths={"raw.csv"})
    assert {n.kind for n in graph.nodes.values()} == {"dataset", "model", "report", "step"}
    assert ("path:clean.csv", "step:2") in graph.edges and ("step:3", "path:model.pt") in graph.edges
    assert graph.nodes["path:features.csv"].status == "tampered"
    assert graph.nodes["path:raw.csv"].status == "missing"
    assert graph.nodes["step:3"].status == "tampered" and graph.nodes["step:1"].status == "ok"
    assert graph.nodes["step:3"].detail["who"] == "ana@lab"
    model = graph.find("model.pt")
    assert model == "path:model.pt"
    assert {graph.nodes[n].label for n in upstream(graph, model)} == {
        "model.pt",
        "train",
        "features.csv",
        "features",
        "clean.csv",
        "prepare",
        "raw.csv",
    }
    assert {graph.nodes[n].label for n in downstream(graph, model)} == {"model.pt", "evaluate", "report.md"}
    assert set(neighbourhood(graph, model, depth=1).nodes) == {"path:model.pt", "step:3", "step:4"}


def test_layers_follow_the_longest_path_and_survive_cycles() -> None:
    graph = build_graph(EVENTS)
    layer = layers(graph)
    assert layer["path:raw.csv"] == 0 and layer["step:1"] == 1 and layer["path:model.pt"] == 6
    assert layer["step:4"] == 7  # after its latest input (model.pt), not its earliest
    cyclic = build_graph([event(1, "rewrite", ["data.csv"], ["data.csv"])])  # a step that rewrites its input
    assert set(layers(cyclic).values()) == {0, 1}
    positions = layered_layout(graph)
    assert len(positions) == len(graph.nodes) and all(x == layer[n] for n, (x, _) in positions.items())


def test_barycentre_ordering_untangles_a_crossing() -> None:
    graph = Graph({n: Node(n, n, "dataset") for n in ("a", "b", "x", "y")})
    graph.edges = [("a", "y"), ("b", "x")]  # listed so that the first order crosses
    graph.nodes = {k: graph.nodes[k] for k in ("a", "b", "x", "y")}
    pos = layered_layout(graph)
    assert (pos["a"][1] > pos["b"][1]) == (pos["y"][1] > pos["x"][1])


def test_collapse_and_filter_shrink_a_big_graph() -> None:
    events = [event(i, "shard", [f"in/{i}.csv"], ["merged.csv"]) for i in range(1, 301)]
    graph = build_graph(events, broken_events={7})
    collapsed = collapse_steps(graph)
    steps = [n for n in collapsed.nodes.values() if n.kind == "step"]
    assert len(steps) == 1 and steps[0].label == "shard ×300" and steps[0].status == "tampered"
    assert len(collapsed.nodes) == 302 and len(collapsed.edges) == 301
    filtered = filter_nodes(graph, "in/12")
    assert {n.label for n in filtered.nodes.values() if n.kind == "dataset"} >= {"in/12.csv", "in/120.csv"}


def test_figure_has_a_trace_per_kind_red_for_tampered_and_fades_outside_the_focus() -> None:
    from nbsec.widgets.lineage import RED, lineage_figure, prepare

    graph = build_graph(EVENTS, changed_paths={"features.csv"})
    figure = lineage_figure(graph, focus="report.md")
    nodes = {trace.name: trace for trace in figure.data if trace.customdata is not None}
    assert set(nodes) == {"dataset", "model", "report", "step"}
    assert nodes["model"].marker.symbol[0] == "diamond" and nodes["report"].marker.symbol[0] == "square"
    datasets = nodes["dataset"]
    colours = dict(zip(datasets.customdata, datasets.marker.color, strict=True))
    assert colours["path:features.csv"] == RED and colours["path:raw.csv"] != RED
    opacity = dict(zip(nodes["step"].customdata, nodes["step"].marker.opacity, strict=True))
    assert opacity["step:4"] == 1.0 and opacity["step:1"] == 1.0  # report.md's upstream reaches prepare
    assert "sha256" in datasets.hovertext[0] and "params" in nodes["step"].hovertext[0]
    big = build_graph([event(i, "shard", [f"in/{i}.csv"], [f"out/{i}.csv"]) for i in range(1, 2001)])
    assert len(prepare(big).nodes) == 4001  # collapsing merges 2,000 steps into one node
    assert figure.to_json()  # serialisable without kaleido


def test_figure_legend_names_every_shape_and_what_red_means_and_labels_are_not_clipped() -> None:
    from nbsec.widgets.lineage import COLOURS, RED, SYMBOLS, lineage_figure

    graph = build_graph(EVENTS, changed_paths={"features.csv"}, missing_paths={"raw.csv"})
    figure = lineage_figure(graph)
    legend = [t for t in figure.data if t.showlegend]
    # The node traces stay out of the legend: a legend mark takes its first node's colour, which may be red.
    assert all(t.showlegend is False for t in figure.data if t.customdata is not None)
    entries = {t.name: t.marker for t in legend}
    for kind in ("dataset", "model", "report", "step"):
        assert entries[kind].symbol == SYMBOLS[kind] and entries[kind].color == COLOURS[kind]
    tampered = next(m for name, m in entries.items() if name.startswith("tampered"))
    missing = next(m for name, m in entries.items() if name.startswith("missing"))
    assert tampered.color == RED and missing.color == RED and missing.symbol.endswith("-open")
    assert any("red outline" in name for name in entries) and any("red (" in name for name in entries)
    # Labels are centred on their node: the first layer's must not be cut at the plot's edge.
    assert all(t.cliponaxis is False for t in figure.data if t.customdata is not None)
    assert figure.layout.margin.l >= 12 + 4 * len("raw.csv")
