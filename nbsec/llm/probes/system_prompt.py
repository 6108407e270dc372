"""System-prompt extraction: the app is asked, in many framings, to reveal its own instructions."""

from __future__ import annotations

import random

from nbsec.llm import rules
from nbsec.llm.detectors import Hit
from nbsec.llm.probes.base import Attempt, Probe, cycle, leak_hits, load_data, opening, prompt_limits
from nbsec.llm.types import Message, ProbeContext, Reply


class SystemPromptExtraction(Probe):
    id = "system-prompt-extraction.direct"
    family = "system-prompt-extraction"
    title = "System-prompt extraction"
    goal = (
        "make the app reveal its instructions: canaries (plain or encoded), a long verbatim run of the known "
        "prompt, or secrets the prompt holds"
    )
    rule = rules.SYSTEM_PROMPT_LEAK
    garak = ("sysprompt_extraction", "promptinject")

    def prompt_count(self) -> int:
        return len(load_data(self.family)["attacks"])

    def attempts(self, ctx: ProbeContext, rng: random.Random, n: int) -> list[Attempt]:
        out = []
        for index, attack in enumerate(cycle(rng, load_data(self.family)["attacks"], n)):
            system, planted = opening(ctx, rng)
            messages = (*system, Message("user", attack["text"]))
            out.append(Attempt(self.id, index, messages, {"canaries": planted, "variant": attack["category"]}))
        return out

    def limits(self, ctx: ProbeContext) -> str | None:
        return prompt_limits(ctx)

    def judge(self, attempt: Attempt, reply: Reply, ctx: ProbeContext) -> list[Hit]:
        return leak_hits(reply.text, attempt, ctx)


PROBES = (SystemPromptExtraction(),)
