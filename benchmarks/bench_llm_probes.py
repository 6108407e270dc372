"""Probe throughput against the demo LLM app: the whole suite in process and over HTTP (OpenAI-compatible, loopback).

Attempts per second is what bounds a CI job; the demo app answers in microseconds, so these figures are
nbsec's own cost (building attempts, decoding and judging answers, HTTP on loopback), not a model's.
"""

from __future__ import annotations

import time
from typing import Any

ATTEMPTS = 20  # per probe: 12 probes, 240 attempts (more with the RAG probe's second turns)


def _run(target: str, **kwargs: Any) -> tuple[float, int, int]:
    from nbsec import api

    started = time.perf_counter()
    report = api.probe_llm(target, attempts=ATTEMPTS, **kwargs)
    elapsed = time.perf_counter() - started
    sent = sum(int(m.labels.get("attempts", 0)) for m in report.metrics if m.name == "llm_attack_success_rate")
    return elapsed, sent, len(report.findings)


def main() -> dict[str, Any]:
    from nbsec.llm.demo_app import demo_context
    from nbsec.llm.demo_server import DemoServer

    figures: dict[str, Any] = {}
    _run("demo")  # warm-up: imports, compiled regexes and the probes' data are loaded once per process
    for name in ("demo", "demo-hardened"):
        elapsed, sent, findings = _run(name)
        figures[f"in_process_{name}"] = (
            f"{sent} attempts, {elapsed:.2f} s ({sent / elapsed:.0f}/s), {findings} findings"
        )
    for concurrency in (1, 4):
        with DemoServer() as server:
            elapsed, sent, findings = _run(server.url, context=demo_context(), concurrency=concurrency)
        figures[f"http_loopback_concurrency_{concurrency}"] = (
            f"{sent} attempts in {elapsed:.2f} s ({sent / elapsed:.0f}/s), {findings} findings"
        )
    return figures


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:34} {value}")
