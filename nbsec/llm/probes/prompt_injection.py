"""Direct prompt injection (goal hijack): user text tells the app to drop its task and print a marker."""

from __future__ import annotations

import random

from nbsec.llm import rules
from nbsec.llm.detectors import Hit
from nbsec.llm.probes.base import Attempt, Probe, cycle, echo_fragments, fill, load_data, marker, marker_hits, opening
from nbsec.llm.types import Message, ProbeContext, Reply


class GoalHijack(Probe):
    id = "prompt-injection.goal-hijack"
    family = "prompt-injection"
    title = "Direct prompt injection: goal hijack"
    goal = "make the app print an attacker's marker instead of doing the task it was given"
    rule = rules.GOAL_HIJACK
    garak = ("promptinject",)

    def prompt_count(self) -> int:
        return len(load_data(self.family)["attacks"])

    def attempts(self, ctx: ProbeContext, rng: random.Random, n: int) -> list[Attempt]:
        data = load_data(self.family)
        out = []
        for index, attack in enumerate(cycle(rng, data["attacks"], n)):
            system, planted = opening(ctx, rng)
            rogue = marker(rng)
            injected = fill(attack, marker=rogue)
            text = f"{rng.choice(data['tasks'])}\n{rng.choice(data['fillers'])} {injected}"
            out.append(
                Attempt(
                    self.id,
                    index,
                    (*system, Message("user", text)),
                    {"markers": [rogue], "canaries": planted, "echo": echo_fragments(injected, [rogue])},
                )
            )
        return out

    def judge(self, attempt: Attempt, reply: Reply, ctx: ProbeContext) -> list[Hit]:
        return marker_hits(reply.text, attempt)


PROBES = (GoalHijack(),)
