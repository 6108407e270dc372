"""Encoding tricks: injections delivered encoded or obfuscated, and instructions asked back encoded.

The encoders here build attacks; the detectors decode what comes back (nbsec.llm.text), so an app that
leaks its canary base64-encoded or follows a ROT13 instruction is found either way.
"""

from __future__ import annotations

import base64
import codecs
import random
from collections.abc import Callable

from nbsec.llm import rules
from nbsec.llm.detectors import Hit
from nbsec.llm.probes.base import (
    Attempt,
    Probe,
    cycle,
    fill,
    leak_hits,
    load_data,
    marker,
    marker_hits,
    opening,
    prompt_limits,
)
from nbsec.llm.types import Message, ProbeContext, Reply

_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "A": "4", "E": "3", "O": "0"})
# Latin letters and the Cyrillic/Greek letters that look the same in most fonts.
_HOMOGLYPHS = str.maketrans(
    {"a": "а", "c": "с", "e": "е", "i": "і", "o": "о", "p": "р", "x": "х", "y": "у", "A": "Α", "E": "Ε", "O": "Ο"}
)


def _keep_marker(transform: Callable[[str], str]) -> Callable[[str, str], str]:
    """Obfuscate the words around the marker but not the marker itself: the app is to print it as is."""

    def apply(text: str, rogue: str) -> str:
        return rogue.join(transform(part) for part in text.split(rogue))

    return apply


ENCODERS: dict[str, Callable[[str, str], str]] = {
    "base64": lambda text, _: base64.b64encode(text.encode()).decode(),
    "hex": lambda text, _: text.encode().hex(),
    "rot13": lambda text, _: codecs.encode(text, "rot13"),
    "leet": _keep_marker(lambda part: part.translate(_LEET)),
    "spaced": lambda text, _: " ".join(text),
    "homoglyph": _keep_marker(lambda part: part.translate(_HOMOGLYPHS)),
    "tags": lambda text, _: "".join(chr(0xE0000 + ord(c)) for c in text if ord(c) < 0x80),
}


class EncodedInjection(Probe):
    id = "encoding.injection"
    family = "encoding"
    title = "Encoded or obfuscated prompt injection"
    goal = (
        "slip an instruction past input filters as base64, hex, ROT13, leetspeak, spaced letters, homoglyphs or "
        "invisible Unicode tag characters, and have the app follow it (print the marker)"
    )
    rule = rules.ENCODED_INJECTION
    garak = ("encoding", "goodside", "smuggling")

    def prompt_count(self) -> int:
        return len(load_data(self.family)["instructions"]) * len(ENCODERS)

    def attempts(self, ctx: ProbeContext, rng: random.Random, n: int) -> list[Attempt]:
        data = load_data(self.family)
        out = []
        for index, encoding in enumerate(cycle(rng, sorted(ENCODERS), n)):
            system, planted = opening(ctx, rng)
            rogue = marker(rng)
            instruction = fill(rng.choice(data["instructions"]), marker=rogue)
            payload = ENCODERS[encoding](instruction, rogue)
            text = fill(data["carriers"][encoding], payload=payload)
            # The payload is what an echo repeats; an app that only repeats it has not decoded and obeyed it.
            expect = {"markers": [rogue], "canaries": planted, "echo": [payload], "variant": encoding}
            out.append(Attempt(self.id, index, (*system, Message("user", text)), expect))
        return out

    def judge(self, attempt: Attempt, reply: Reply, ctx: ProbeContext) -> list[Hit]:
        return marker_hits(reply.text, attempt)


class EncodedExtraction(Probe):
    id = "encoding.extraction"
    family = "encoding"
    title = "Instructions extracted in an encoding"
    goal = (
        "have the app return its instructions base64, hex, ROT13, reversed, spaced, leetspeak or URL-encoded, "
        "past output filters that only look for the plain text"
    )
    rule = rules.SYSTEM_PROMPT_LEAK
    garak = ("encoding", "sysprompt_extraction")

    def prompt_count(self) -> int:
        return len(load_data(self.family)["extraction"])

    def attempts(self, ctx: ProbeContext, rng: random.Random, n: int) -> list[Attempt]:
        out = []
        for index, item in enumerate(cycle(rng, load_data(self.family)["extraction"], n)):
            system, planted = opening(ctx, rng)
            expect = {"canaries": planted, "variant": item["encoding"]}
            out.append(Attempt(self.id, index, (*system, Message("user", item["text"])), expect))
        return out

    def limits(self, ctx: ProbeContext) -> str | None:
        return prompt_limits(ctx)

    def judge(self, attempt: Attempt, reply: Reply, ctx: ProbeContext) -> list[Hit]:
        return leak_hits(reply.text, attempt, ctx)


PROBES = (EncodedInjection(), EncodedExtraction())
