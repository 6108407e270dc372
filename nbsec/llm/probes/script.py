"""Script and HTML injection in outputs: active content the app passes through to whatever renders it."""

from __future__ import annotations

import random

from nbsec.llm import rules
from nbsec.llm.detectors import Hit, find_active_content
from nbsec.llm.probes.base import Attempt, Probe, cycle, fill, load_data, marker, opening
from nbsec.llm.types import Message, ProbeContext, Reply


class ScriptInjection(Probe):
    id = "output-script.html"
    family = "output-script"
    title = "Script / HTML injection passed to the output"
    goal = (
        "get <script>, event handlers, javascript: URLs, iframes or data:text/html into the answer, where a page "
        "that renders answers as HTML runs them (an app that repeats them verbatim is the flaw)"
    )
    rule = rules.ACTIVE_CONTENT
    garak = ("web_injection", "exploitation")

    def prompt_count(self) -> int:
        data = load_data(self.family)
        return len(data["requests"]) * len(data["payloads"])

    def attempts(self, ctx: ProbeContext, rng: random.Random, n: int) -> list[Attempt]:
        data = load_data(self.family)
        requests = cycle(rng, data["requests"], n)
        out = []
        for index, payload in enumerate(cycle(rng, data["payloads"], n)):
            system, planted = opening(ctx, rng)
            rogue = marker(rng)
            text = fill(requests[index], payload=fill(payload, marker=rogue))
            expect = {"markers": [rogue], "canaries": planted}
            out.append(Attempt(self.id, index, (*system, Message("user", text)), expect))
        return out

    def judge(self, attempt: Attempt, reply: Reply, ctx: ProbeContext) -> list[Hit]:
        # No echo filter here: repeating the attacker's markup unescaped is exactly the improper output handling.
        return find_active_content(reply.text) if reply.text else []


PROBES = (ScriptInjection(),)
