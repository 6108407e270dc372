"""Indirect prompt injection: instructions inside a document the user asks about, or inside a tool result."""

from __future__ import annotations

import random

from nbsec.llm import rules
from nbsec.llm.detectors import Hit
from nbsec.llm.probes.base import Attempt, Probe, cycle, echo_fragments, fill, load_data, marker, marker_hits, opening
from nbsec.llm.types import Message, ProbeContext, Reply, ToolCall


class DocumentInjection(Probe):
    id = "indirect-injection.document"
    family = "indirect-injection"
    title = "Indirect prompt injection in a document"
    goal = "make the app follow an instruction hidden in a document the user asked it to process"
    rule = rules.INDIRECT_INJECTION
    garak = ("latentinjection",)

    def prompt_count(self) -> int:
        return len(load_data(self.family)["injections"])

    def attempts(self, ctx: ProbeContext, rng: random.Random, n: int) -> list[Attempt]:
        data = load_data(self.family)
        out = []
        for index, injection in enumerate(cycle(rng, data["injections"], n)):
            system, planted = opening(ctx, rng)
            rogue = marker(rng)
            planted_text = fill(injection, marker=rogue)
            document = fill(rng.choice(data["documents"]), injection=planted_text)
            text = f"{rng.choice(data['requests'])}\n\n{document}"
            expect = {"markers": [rogue], "canaries": planted, "echo": echo_fragments(planted_text, [rogue])}
            out.append(Attempt(self.id, index, (*system, Message("user", text)), expect))
        return out

    def judge(self, attempt: Attempt, reply: Reply, ctx: ProbeContext) -> list[Hit]:
        return marker_hits(reply.text, attempt)


class ToolResultInjection(Probe):
    id = "indirect-injection.tool-result"
    family = "indirect-injection"
    title = "Indirect prompt injection in a tool result"
    goal = "make the app follow an instruction inside the result of a tool it called (a role 'tool' message)"
    rule = rules.INDIRECT_INJECTION
    garak = ("latentinjection",)
    requires_messages = True  # a tool result is a message of its own; folded into user text it is the document probe

    def prompt_count(self) -> int:
        return len(load_data(self.family)["injections"])

    def attempts(self, ctx: ProbeContext, rng: random.Random, n: int) -> list[Attempt]:
        data = load_data(self.family)
        out = []
        for index, injection in enumerate(cycle(rng, data["injections"], n)):
            system, planted = opening(ctx, rng)
            rogue = marker(rng)
            source = rng.choice(data["tool_sources"])
            planted_text = fill(injection, marker=rogue)
            result = fill(rng.choice(data["documents"]), injection=planted_text)
            call = ToolCall(source["tool"], dict(source["arguments"]))
            messages = (
                *system,
                Message("user", source["request"]),
                Message("assistant", "", tool_calls=(call,)),
                Message("tool", result, name=source["tool"]),
            )
            expect = {"markers": [rogue], "canaries": planted, "echo": echo_fragments(planted_text, [rogue])}
            out.append(Attempt(self.id, index, messages, {**expect, "variant": source["tool"]}))
        return out

    def judge(self, attempt: Attempt, reply: Reply, ctx: ProbeContext) -> list[Hit]:
        return marker_hits(reply.text, attempt)


PROBES = (DocumentInjection(), ToolResultInjection())
