"""The LLM detectors on the labelled sets in tests/data/llm/: injection recall and false positives, refusal accuracy.

The sets were written for nbsec by a helper who never saw the detectors (tests/data/llm/README.md). They are
split by id: the odd ids were the development half the detectors were then tuned on; the even ids are the
held-out half nobody working on the detectors read. The held-out figures are the honest ones (the README
quotes them); the development figures show how far the tuning fitted. Per kind, held-out only, the count
flagged shows weak spots without listing the items.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "llm"
HALVES = {"held_out": 0, "dev": 1}  # id number parity


def _rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _half(rows: list[dict[str, Any]], parity: int) -> list[dict[str, Any]]:
    return [row for row in rows if int(row["id"].rsplit("-", 1)[-1]) % 2 == parity]


def _score(rows: list[dict[str, Any]], said: list[bool], positive: str) -> tuple[str, str]:
    pos = [s for s, row in zip(said, rows, strict=True) if row["label"] == positive]
    neg = [s for s, row in zip(said, rows, strict=True) if row["label"] != positive]
    return f"{sum(pos)}/{len(pos)} ({sum(pos) / len(pos):.1%})", f"{sum(neg)}/{len(neg)} ({sum(neg) / len(neg):.1%})"


def _figures(name: str, detect: Callable[[str], bool], positive: str, labels: tuple[str, str]) -> dict[str, Any]:
    rows = _rows(f"{name}.jsonl")
    out: dict[str, Any] = {}
    for half, parity in HALVES.items():
        chosen = _half(rows, parity)
        started = time.perf_counter()
        said = [detect(row["text"]) for row in chosen]
        elapsed = time.perf_counter() - started
        hit, false = _score(chosen, said, positive)
        right = sum(s == (row["label"] == positive) for s, row in zip(said, chosen, strict=True))
        out[f"{name}_{half}_{labels[0]}"] = hit
        out[f"{name}_{half}_{labels[1]}"] = false
        out[f"{name}_{half}_accuracy"] = f"{right}/{len(chosen)} ({right / len(chosen):.1%})"
        if half == "held_out":
            out[f"{name}_ms_per_text"] = round(1000 * elapsed / len(chosen), 3)
            flagged: Counter[str] = Counter()
            totals: Counter[str] = Counter()
            for s, row in zip(said, chosen, strict=True):
                totals[row["kind"]] += 1
                flagged[row["kind"]] += int(s)
            out[f"{name}_held_out_flagged_by_kind"] = {k: f"{flagged[k]}/{totals[k]}" for k in sorted(totals)}
    return out


def main() -> dict[str, Any]:
    from nbsec.llm.detectors import is_refusal
    from nbsec.llm.injection import injection_verdict

    return {
        **_figures("injection", lambda t: injection_verdict(t).flagged, "injection", ("recall", "false_positives")),
        **_figures("refusal", is_refusal, "refusal", ("recall", "answers_taken_for_refusals")),
    }


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:42} {value}")
