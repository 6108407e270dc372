"""The lineage explorer's static twin: the graph as inline SVG with its legend, the tampered and missing nodes,
a size cap, escaping, and a twin that follows the explorer's controls."""

from __future__ import annotations

import re
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from nbsec.display.twin import LIVE_CLASS, TWIN_CLASS
from nbsec.lineage.graph import build_graph
from nbsec.widgets.lineage import (
    RED,
    TWIN_MAX_NODES,
    LineageExplorer,
    lineage_svg,
    snapshot_html,
)

HOSTILE = "<img src=x onerror=alert(1)>.csv"


def event(seq: int, name: str, inputs: list[str], outputs: list[str]) -> dict[str, Any]:
    def art(path: str) -> dict[str, Any]:
        return {"path": path, "kind": "file", "sha256": f"{seq:064x}", "role": "model" if path.endswith(".pt") else
                "report" if path.endswith(".md") else "dataset"}  # fmt: skip

    return {"seq": seq, "name": name, "inputs": [art(p) for p in inputs], "outputs": [art(p) for p in outputs],
            "params": {}, "env": {"user": "ana", "host": "lab"}, "ended": "2026-01-01T00:00:00.000Z"}  # fmt: skip


URL = "http://data.example.com/exports/a-long-folder-name/sensors.csv"
EVENTS = [
    event(1, "ingest", [URL], ["data/raw.csv"]),
    event(2, "features", ["data/raw.csv"], ["data/features.csv"]),
    event(3, "train", ["data/features.csv"], ["models/model.pt"]),
    event(4, "evaluate", ["models/model.pt", HOSTILE], ["reports/metrics.md"]),
]


def graph(**statuses: set[str]) -> Any:
    return build_graph(EVENTS, **statuses)


def test_snapshot_draws_every_node_the_legend_and_lists_tampered_and_missing() -> None:
    html = snapshot_html(graph(changed_paths={"data/features.csv"}, missing_paths={"data/raw.csv"}))
    [drawing] = re.findall(r'<svg role="img" aria-label="lineage graph".*?</svg>', html, re.S)
    assert drawing.count('class="nbsec-node"') == 10 and drawing.count("<line ") == 9
    assert 'data-status="tampered"' in drawing and 'data-status="missing"' in drawing
    tampered = re.search(r'data-status="tampered">.*?</g>', drawing, re.S)
    missing = re.search(r'data-status="missing">.*?</g>', drawing, re.S)
    assert tampered and f'fill="{RED}"' in tampered.group()  # filled red
    assert missing and 'fill="none"' in missing.group() and f'stroke="{RED}"' in missing.group()  # red outline
    legend = html[html.index('aria-label="legend"') : html.index('aria-label="lineage graph"')]
    for words in ("dataset", "model", "report", "step", "tampered: red", "missing: red outline"):
        assert words in legend
    table = html[html.index("nbsec-lineage-problems") :]
    assert "data/features.csv" in table and "data/raw.csv" in table and "tampered" in table and "missing" in table
    assert "10 nodes, 9 edges; 1 tampered, 1 missing" in html
    assert "<script" not in html.lower()


def test_no_label_runs_off_the_drawing() -> None:
    """Labels are centred on their node; the margins and the space between layers make room for them."""
    from nbsec.widgets.lineage import _CHAR

    drawing = lineage_svg(graph())
    width = float(re.search(r'viewBox="0 0 (\d+) ', drawing).group(1))  # type: ignore[union-attr]
    texts = re.findall(r'<text x="([\d.]+)" y="[\d.-]+" text-anchor="middle">([^<]*)</text>', drawing)
    assert len(texts) == 10
    spans = []
    for x, label in texts:
        half = len(label.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')) * _CHAR / 2
        assert float(x) - half >= 0 and float(x) + half <= width, label
        spans.append((float(x) - half, float(x) + half, label))
    assert any(label.startswith("…") and label.endswith("sensors.csv") for _, _, label in spans)  # tail kept


def test_hostile_labels_are_escaped() -> None:
    html = snapshot_html(graph(changed_paths={HOSTILE}))
    assert "<img" not in html and "onerror=alert(1)&gt;" in html


def test_big_graphs_are_drawn_collapsed_and_say_so_and_huge_ones_are_not_drawn() -> None:
    shards = [event(i, "shard", [f"in/{i}.csv"], ["merged.csv"]) for i in range(1, 201)]
    html = snapshot_html(build_graph(shards, changed_paths={"in/7.csv"}))
    assert "401 nodes: drawn with the runs of each step collapsed into one (202 nodes)" in html
    assert html.count('class="nbsec-node"') == 202 and "in/7.csv" in html[html.index("nbsec-lineage-problems") :]
    wide = [event(i, "copy", [f"in/{i}.csv"], [f"out/{i}.csv"]) for i in range(1, TWIN_MAX_NODES + 1)]
    html = snapshot_html(build_graph(wide))
    assert 'aria-label="lineage graph"' not in html and "too many to draw in a snapshot" in html
    assert len(html) < 20_000


def test_explorer_twin_follows_the_controls(monkeypatch: pytest.MonkeyPatch) -> None:
    explorer = LineageExplorer(graph(changed_paths={"data/features.csv"}))
    first = explorer.twin.bundle()["text/html"]
    assert f'class="{TWIN_CLASS}"' in first and first.count('class="nbsec-node"') == 10
    explorer.filter.value = "metrics"
    filtered = explorer.twin.bundle()["text/html"]
    assert filtered.count('class="nbsec-node"') == 2 and "data/raw.csv" not in filtered
    explorer.filter.value = ""
    explorer.picker.value = "data/raw.csv"
    focused = explorer.twin.bundle()["text/html"]
    assert "focus: data/raw.csv" in focused and "faded: outside the focus" in focused
    assert "tampered" in explorer.twin.bundle()["text/plain"]


def test_displaying_the_explorer_shows_widget_then_twin_and_updates_the_twin() -> None:
    InteractiveShell.instance()
    explorer = LineageExplorer(graph())
    with capture_output() as captured:
        explorer._ipython_display_()
        explorer.filter.value = "model"
    live, twin, *updates = captured.outputs
    assert "application/vnd.jupyter.widget-view+json" in live.data
    assert not live.data["text/plain"].startswith("VBox(") and LIVE_CLASS in explorer.widget._dom_classes
    assert TWIN_CLASS in twin.data["text/html"] and twin.data["text/html"].count('class="nbsec-node"') == 10
    assert updates and updates[-1].update and updates[-1].transient["display_id"] == twin.transient["display_id"]
    assert updates[-1].data["text/html"].count('class="nbsec-node"') == 3  # model.pt, train, evaluate
