"""Threat-model evaluation speed: rule x element checks per second on a large generated AI system.

Builds (in memory, no downloads) a model of N independent RAG/fine-tuning
stacks, each 12 elements and 13 flows wired like the judging scenario (users,
API, agent, LLM, vector store, tool, datasets, training job, artifacts), then
times YAML loading and validation, evaluation of the whole threat library,
and the Report. Median of RUNS runs each.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

STACKS = 200
RUNS = 3

STACK = """\
  - {{id: u{i}, kind: user, zone: internet}}
  - {{id: api{i}, kind: serving_endpoint, zone: app, attributes: {{public: true}}}}
  - {{id: agent{i}, kind: agent, zone: app}}
  - {{id: llm{i}, kind: llm, zone: app, attributes: {{fine_tuned: true}}}}
  - {{id: vs{i}, kind: vector_store, zone: app}}
  - {{id: docs{i}, kind: dataset, zone: app, attributes: {{source: web}}}}
  - {{id: tool{i}, kind: tool, zone: app, attributes: {{can_write: true, network_access: true}}}}
  - {{id: data{i}, kind: dataset, zone: ml, attributes: {{personal_data: true}}}}
  - {{id: train{i}, kind: training_job, zone: ml, attributes: {{fine_tuning: true}}}}
  - {{id: base{i}, kind: model_artifact, zone: ml, attributes: {{source: hub}}}}
  - {{id: tuned{i}, kind: model_artifact, zone: ml, attributes: {{format: safetensors}}}}
  - {{id: nb{i}, kind: notebook, zone: ml}}
"""
FLOWS = """\
  - {{from: u{i}, to: api{i}}}
  - {{from: api{i}, to: agent{i}}}
  - {{from: agent{i}, to: llm{i}}}
  - {{from: llm{i}, to: agent{i}}}
  - {{from: vs{i}, to: agent{i}}}
  - {{from: docs{i}, to: vs{i}}}
  - {{from: agent{i}, to: tool{i}}}
  - {{from: agent{i}, to: api{i}}}
  - {{from: data{i}, to: nb{i}}}
  - {{from: nb{i}, to: train{i}}}
  - {{from: base{i}, to: train{i}}}
  - {{from: train{i}, to: tuned{i}}}
  - {{from: tuned{i}, to: llm{i}}}
"""


def build_text(stacks: int) -> str:
    head = (
        "nbsec_threat_model: 1\ntitle: benchmark\n"
        "zones: [{id: internet, trust: untrusted}, {id: app, trust: internal}, {id: ml, trust: restricted}]\n"
    )
    elements = "".join(STACK.format(i=i) for i in range(stacks))
    flows = "".join(FLOWS.format(i=i) for i in range(stacks))
    return f"{head}elements:\n{elements}flows:\n{flows}"


def median_time(action: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> dict[str, object]:
    from nbsec import threatmodel as tm
    from nbsec.threatmodel.library import THREAT_RULES

    text = build_text(STACKS)
    load_s, model = median_time(lambda: tm.loads(text))
    eval_s, assessment = median_time(lambda: tm.evaluate(model))
    report_s, report = median_time(lambda: tm.assess(model, "bench.yaml"))
    elements, flows = len(model.elements), len(model.flows)
    checks = sum(flows if rule.on_flows else elements for rule in THREAT_RULES)
    return {
        "elements": elements,
        "flows": flows,
        "library rules": len(THREAT_RULES),
        "threats found": len(assessment.threats),
        "findings in report": len(report.findings),
        "YAML load + validate s": round(load_s, 3),
        "evaluate s": round(eval_s, 3),
        "assess (Report) s": round(report_s, 3),
        "rule x target checks/s": round(checks / eval_s),
        "threats found/s": round(len(assessment.threats) / eval_s),
        "YAML KiB": round(len(text) / 1024),
        "runs (median)": RUNS,
    }


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:28} {value}")
