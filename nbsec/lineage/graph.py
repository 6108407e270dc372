"""The lineage graph and its layered layout, in pure Python (no Graphviz, no networkx).

Nodes are artifacts (dataset, model, report) and steps; edges run input ->
step -> output. A file is one node per path, an in-memory object one node per
name (or per content hash when unnamed), so a DataFrame written by one step
and read by the next links up by its hash.

Layout (Sugiyama-style): back edges found by a depth-first search are ignored
for layering (a step that rewrites its own input makes a cycle); each node's
layer is the longest path from a source; within a layer nodes are ordered by
the barycentre of their neighbours in the layer before, then after, for a few
sweeps, which untangles most crossings in linear time per sweep.

For big stores: `collapse_steps` merges all runs of a step name into one node,
`neighbourhood` keeps what lies within a few hops of a node, `filter_nodes`
keeps nodes whose label matches a text.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("ok", "tampered", "missing")
SWEEPS = 4


@dataclass
class Node:
    id: str
    label: str
    kind: str  # dataset | model | report | step
    status: str = "ok"  # ok | tampered (changed, or its event is broken) | missing (cannot be re-verified)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def add_edge(self, source: str, target: str) -> None:
        self.edges.append((source, target))

    def successors(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for source, target in self.edges:
            out[source].append(target)
        return out

    def predecessors(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for source, target in self.edges:
            out[target].append(source)
        return out

    def find(self, text: str) -> str | None:
        """A node id from an id, a label, or a unique part of a label."""
        if text in self.nodes:
            return text
        exact = [n.id for n in self.nodes.values() if n.label == text]
        if exact:
            return exact[-1]
        partial = [n.id for n in self.nodes.values() if text in n.label]
        return partial[-1] if len(partial) >= 1 else None


def artifact_node_id(item: dict[str, Any]) -> str:
    if item.get("path"):
        return f"path:{item['path']}"
    if item.get("uri"):
        return f"url:{item['uri']}"
    name = str(item.get("name", ""))
    if item.get("sha256") and name.endswith(str(item["sha256"])[:12]):
        return f"obj:{item['sha256']}"
    return f"obj:{name}"


def build_graph(
    events: Iterable[dict[str, Any]],
    *,
    broken_events: set[int] = frozenset(),  # type: ignore[assignment]
    changed_paths: set[str] = frozenset(),  # type: ignore[assignment]
    missing_paths: set[str] = frozenset(),  # type: ignore[assignment]
) -> Graph:
    """Nodes and edges from parsed event bodies; statuses from a verification."""
    graph = Graph()
    for body in events:
        seq = int(body.get("seq", 0))
        step_id = f"step:{seq}"
        env_value = body.get("env")
        env: dict[str, Any] = env_value if isinstance(env_value, dict) else {}
        graph.nodes[step_id] = Node(
            step_id,
            str(body.get("name", "")),
            "step",
            "tampered" if seq in broken_events else "ok",
            {
                "event": seq,
                "status": body.get("status"),
                "when": body.get("ended"),
                "who": f"{env.get('user', '?')}@{env.get('host', '?')}",
                "params": body.get("params", {}),
                "code": body.get("code", {}),
            },
        )
        for key, incoming in (("inputs", True), ("outputs", False)):
            for item in body.get(key, []) or []:
                if not isinstance(item, dict):
                    continue
                node_id = artifact_node_id(item)
                path = item.get("path")
                status = "ok"
                if path in changed_paths:
                    status = "tampered"
                elif path in missing_paths:
                    status = "missing"
                label = str(path or item.get("uri") or item.get("name", node_id))
                detail = {
                    k: item[k] for k in ("kind", "sha256", "size", "uri", "meta") if k in item and item[k] is not None
                }
                detail["recorded by"] = f"event #{seq} ({body.get('name', '')})"
                graph.nodes[node_id] = Node(node_id, label, str(item.get("role", "dataset")), status, detail)
                graph.add_edge(node_id, step_id) if incoming else graph.add_edge(step_id, node_id)
    graph.edges = list(dict.fromkeys(graph.edges))
    return graph


# -- reachability ---------------------------------------------------------------------------


def _reach(start: str, neighbours: dict[str, list[str]], depth: int | None = None) -> set[str]:
    seen = {start}
    queue: deque[tuple[str, int]] = deque([(start, 0)])
    while queue:
        node, hops = queue.popleft()
        if depth is not None and hops >= depth:
            continue
        for nxt in neighbours.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, hops + 1))
    return seen


def upstream(graph: Graph, node_id: str, depth: int | None = None) -> set[str]:
    """Everything `node_id` was derived from (itself included)."""
    return _reach(node_id, graph.predecessors(), depth)


def downstream(graph: Graph, node_id: str, depth: int | None = None) -> set[str]:
    """Everything derived from `node_id` (itself included)."""
    return _reach(node_id, graph.successors(), depth)


def subgraph(graph: Graph, keep: set[str]) -> Graph:
    out = Graph({k: v for k, v in graph.nodes.items() if k in keep})
    out.edges = [(s, t) for s, t in graph.edges if s in keep and t in keep]
    return out


def neighbourhood(graph: Graph, node_id: str, depth: int | None = None) -> Graph:
    """The node with its upstream and downstream (within `depth` hops when given)."""
    return subgraph(graph, upstream(graph, node_id, depth) | downstream(graph, node_id, depth))


def filter_nodes(graph: Graph, text: str) -> Graph:
    """Nodes whose label contains `text`, with their direct neighbours so edges still make sense."""
    needle = text.lower()
    hits = {n.id for n in graph.nodes.values() if needle in n.label.lower()}
    keep = set(hits)
    for source, target in graph.edges:
        if source in hits or target in hits:
            keep.update((source, target))
    return subgraph(graph, keep)


def collapse_steps(graph: Graph) -> Graph:
    """Merge all runs of the same step name into one node ("train ×120"); tampered if any run is."""
    merged: dict[str, str] = {}
    out = Graph()
    for node in graph.nodes.values():
        if node.kind != "step":
            out.nodes[node.id] = node
            continue
        group = f"steps:{node.label}"
        merged[node.id] = group
        existing = out.nodes.get(group)
        if existing is None:
            out.nodes[group] = Node(group, node.label, "step", node.status, {"runs": 1, "last": node.detail})
            continue
        existing.detail["runs"] = int(existing.detail["runs"]) + 1
        existing.detail["last"] = node.detail
        if node.status != "ok":
            existing.status = "tampered"
    for node in out.nodes.values():
        if node.kind == "step" and int(node.detail.get("runs", 1)) > 1:
            node.label = f"{node.label} ×{node.detail['runs']}"
    out.edges = list(dict.fromkeys((merged.get(s, s), merged.get(t, t)) for s, t in graph.edges))
    return out


# -- layout ---------------------------------------------------------------------------------


def _back_edges(graph: Graph) -> set[tuple[str, str]]:
    """Edges that close a cycle, found by an iterative depth-first search."""
    successors = graph.successors()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    back: set[tuple[str, str]] = set()
    for start in graph.nodes:
        if start in state:
            continue
        state[start] = 1
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(successors.get(start, ())))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                continue
            seen = state.get(child)
            if seen == 1:
                back.add((node, child))
            elif seen is None:
                state[child] = 1
                stack.append((child, iter(successors.get(child, ()))))
    return back


def layers(graph: Graph) -> dict[str, int]:
    """Longest-path layer of every node over the graph without its back edges."""
    back = _back_edges(graph)
    forward = [(s, t) for s, t in graph.edges if (s, t) not in back and s in graph.nodes and t in graph.nodes]
    indegree = {n: 0 for n in graph.nodes}
    successors: dict[str, list[str]] = defaultdict(list)
    for source, target in forward:
        indegree[target] += 1
        successors[source].append(target)
    layer = {n: 0 for n in graph.nodes}
    queue = deque(n for n, d in indegree.items() if d == 0)
    while queue:
        node = queue.popleft()
        for nxt in successors[node]:
            layer[nxt] = max(layer[nxt], layer[node] + 1)
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                queue.append(nxt)
    return layer


def layered_layout(graph: Graph) -> dict[str, tuple[float, float]]:
    """(x, y) per node: x is the layer, y the position in it after barycentre ordering (centred on 0)."""
    layer_of = layers(graph)
    columns: dict[int, list[str]] = defaultdict(list)
    for node_id in graph.nodes:
        columns[layer_of[node_id]].append(node_id)
    predecessors, successors = graph.predecessors(), graph.successors()
    position = {n: float(i) for column in columns.values() for i, n in enumerate(column)}
    ordered = sorted(columns)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        neighbours = predecessors if downward else successors
        for index in ordered[1:] if downward else ordered[-2::-1]:
            column = columns[index]

            def barycentre(node: str, neighbours: dict[str, list[str]] = neighbours) -> float:
                around = neighbours.get(node, ())
                return sum(position[n] for n in around) / len(around) if around else position[node]

            column.sort(key=barycentre)
            for i, node in enumerate(column):
                position[node] = float(i)
    out: dict[str, tuple[float, float]] = {}
    for index, column in columns.items():
        offset = (len(column) - 1) / 2
        for i, node in enumerate(column):
            out[node] = (float(index), offset - i)
    return out
