"""Jailbreak templates: persona and framing wrappers around a goal; success is the marker or a leak."""

from __future__ import annotations

import random

from nbsec.llm import rules
from nbsec.llm.detectors import Hit
from nbsec.llm.probes.base import (
    Attempt,
    Probe,
    cycle,
    echo_fragments,
    fill,
    leak_hits,
    load_data,
    marker,
    marker_hits,
    opening,
    restricted_hits,
)
from nbsec.llm.types import Message, ProbeContext, Reply


class JailbreakTemplates(Probe):
    id = "jailbreak.templates"
    family = "jailbreak"
    title = "Jailbreak templates"
    goal = (
        "get a persona, developer-mode, fiction or authority template to carry out what the app must not do: print "
        "an attacker's marker or hand over protected data (success is measured, not inferred from a missing refusal)"
    )
    rule = rules.JAILBREAK
    garak = ("dan", "grandma")

    def prompt_count(self) -> int:
        data = load_data(self.family)
        return len(data["templates"]) * len(data["goals"])

    def attempts(self, ctx: ProbeContext, rng: random.Random, n: int) -> list[Attempt]:
        data = load_data(self.family)
        goals = cycle(rng, data["goals"], n)
        out = []
        for index, template in enumerate(cycle(rng, data["templates"], n)):
            system, planted = opening(ctx, rng)
            rogue = marker(rng)
            goal = fill(goals[index]["text"], marker=rogue)
            text = fill(template["text"], goal=goal)
            expect = {
                "markers": [rogue],
                "canaries": planted,
                "echo": echo_fragments(text, [rogue]),
                "variant": f"{template['name']}/{goals[index]['kind']}",
            }
            out.append(Attempt(self.id, index, (*system, Message("user", text)), expect))
        return out

    def judge(self, attempt: Attempt, reply: Reply, ctx: ProbeContext) -> list[Hit]:
        return [
            *marker_hits(reply.text, attempt),
            *leak_hits(reply.text, attempt, ctx),
            *restricted_hits(reply.text, ctx),
        ]


PROBES = (JailbreakTemplates(),)
