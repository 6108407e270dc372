"""Lineage: events recorded per second, chain verification of 10,000 events, graph build for 5,000 nodes.

Goals from issue 6: 5,000 events/s batched; verify 10,000 events in under 2 s
(artifact hashing aside: the chain, the links, the head); build the graph of
5,000 nodes in under 3 s. Everything runs in a temp folder; median of RUNS.

The recorded events are realistic in shape: each has two inputs and one output
(small in-memory byte strings, so that artifact hashing, which is measured by
bench_hashing, does not dominate), parameters, code identity and environment.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

RUNS = 3
RECORD_EVENTS = 10_000
VERIFY_EVENTS = 10_000
GRAPH_NODES = 5_000


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def _record(store_path: Path, count: int, *, batched: bool, key: Path | None = None) -> float:
    from nbsec.lineage import artifact, batch, record
    from nbsec.lineage.store import Store

    store = Store(store_path)
    started = time.perf_counter()
    if batched:
        with batch(store, key=key):
            for i in range(count):
                inputs = [artifact(f"shard-{i}".encode(), name=f"shard-{i}"), artifact(b"labels", name="labels")]
                record(
                    "featurize", inputs, [artifact(f"out-{i}".encode(), name=f"features-{i}")], {"i": i}, store=store
                )
    else:
        for i in range(count):
            record(
                "featurize", [artifact(f"shard-{i}".encode(), name=f"shard-{i}")], [], {"i": i}, store=store, key=key
            )
    seconds = time.perf_counter() - started
    store.close()
    return seconds


def _graph_events(nodes: int) -> list[dict[str, Any]]:
    """A pipeline of fan-in steps: each step reads two earlier datasets and writes one (3 nodes per 2 events...)."""
    events = []
    made = ["raw/0.csv"]
    seq = 0
    while len(made) + seq < nodes:
        seq += 1
        inputs = [made[-1], made[seq // 2]] if len(made) > 1 else [made[0]]
        output = f"data/{seq}.csv" if seq % 50 else f"models/{seq}.pt"
        events.append(
            {
                "seq": seq,
                "name": f"step-{seq % 40}",
                "inputs": [{"path": p, "kind": "file", "role": "dataset", "sha256": "ab" * 32} for p in inputs],
                "outputs": [
                    {
                        "path": output,
                        "kind": "file",
                        "role": "model" if output.endswith(".pt") else "dataset",
                        "sha256": "cd" * 32,
                    }
                ],
                "params": {"seq": seq},
                "env": {"user": "bench", "host": "local"},
                "ended": "2026-01-01T00:00:00.000Z",
            }
        )
        made.append(output)
    return events


def main() -> dict[str, object]:
    from nbsec.integrity import generate_keypair
    from nbsec.lineage.graph import build_graph, layered_layout
    from nbsec.lineage.verifier import verify_store
    from nbsec.widgets.lineage import lineage_figure

    figures: dict[str, object] = {"runs (median)": RUNS}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cwd = os.getcwd()
        os.chdir(root)  # no git repository here: code identity is the script, as for a plain run
        try:
            batched = [_record(root / f"b{r}" / "lineage.db", RECORD_EVENTS, batched=True) for r in range(RUNS)]
            figures["record batched events/s"] = round(RECORD_EVENTS / _median(batched))
            single = [_record(root / f"s{r}" / "lineage.db", 1_000, batched=False) for r in range(RUNS)]
            figures["record one transaction each events/s"] = round(1_000 / _median(single))
            private, public = generate_keypair(root / "k", root / "k.pub")
            signed = [
                _record(root / f"k{r}" / "lineage.db", RECORD_EVENTS, batched=True, key=private) for r in range(RUNS)
            ]
            figures["record batched + Ed25519 events/s"] = round(RECORD_EVENTS / _median(signed))

            verify = []
            for _ in range(RUNS):
                started = time.perf_counter()
                report = verify_store(root / "b0" / "lineage.db", artifacts=False)
                verify.append(time.perf_counter() - started)
                assert not report.findings and report.metrics[0].value == VERIFY_EVENTS
            figures[f"verify {VERIFY_EVENTS} events s"] = round(_median(verify), 3)
            verify_signed = []
            for _ in range(RUNS):
                started = time.perf_counter()
                report = verify_store(root / "k0" / "lineage.db", artifacts=False, public_key=public)
                verify_signed.append(time.perf_counter() - started)
                assert not report.findings
            figures[f"verify {VERIFY_EVENTS} signed events s"] = round(_median(verify_signed), 3)
            figures["store MiB per 10k events"] = round((root / "b0" / "lineage.db").stat().st_size / 2**20, 2)
        finally:
            os.chdir(cwd)

    events = _graph_events(GRAPH_NODES)
    build, layout, figure = [], [], []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        graph = build_graph(events)
        t1 = time.perf_counter()
        positions = layered_layout(graph)
        t2 = time.perf_counter()
        lineage_figure(graph, layout=positions, focus="models/50.pt")
        t3 = time.perf_counter()
        build.append(t1 - t0)
        layout.append(t2 - t1)
        figure.append(t3 - t2)
    figures["graph nodes / edges"] = f"{len(graph.nodes)} / {len(graph.edges)}"
    figures["graph build s"] = round(_median(build), 3)
    figures["graph layered layout s"] = round(_median(layout), 3)
    figures["graph plotly figure (focus) s"] = round(_median(figure), 3)
    figures["graph total s"] = round(_median(build) + _median(layout) + _median(figure), 3)
    return figures


if __name__ == "__main__":
    for name, value in main().items():
        print(f"{name:40} {value}")
