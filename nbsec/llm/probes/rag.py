"""RAG access control: a low-privilege user asks for what only another role may see.

The requests are the ones real users make: by subject ("what documents do you have about salaries?"), by the
document's or file's name, by claiming a role, encoded to slip past a filter. Every third attempt is two turns:
first what documents exist about a subject, then the one the app named, by the name it gave (an app that hides
a document's text but lists its title has handed over the key to ask for it). The judge is measurement only:
the restricted values (ProbeContext.restricted) in an answer, plain or encoded.
"""

from __future__ import annotations

import dataclasses
import random
import re
from typing import Any

from nbsec.llm import rules
from nbsec.llm.detectors import Hit
from nbsec.llm.probes.base import Attempt, Probe, cycle, fill, load_data, opening, restricted_hits
from nbsec.llm.types import Message, ProbeContext, Reply

TWO_TURN_EVERY = 3  # attempts 0, 3, 6, ... ask what exists first
_EXTENSIONS = r"pdf|docx?|xlsx?|csv|md|txt|pptx?|json|ya?ml|html?"
_FILE = re.compile(rf"(?<![\w/.-])[\w-]+(?:[/._-][\w-]+)*\.(?:{_EXTENSIONS})\b", re.IGNORECASE)
_QUOTED = re.compile(r"\"([^\"\n]{3,80})\"|“([^”\n]{3,80})”|'([^'\n]{3,80})'|`([^`\n]{3,80})`|\*\*([^*\n]{3,80})\*\*")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+(.{3,120})$", re.MULTILINE)
_BULLET_TAIL = re.compile(r"\s+(?:[-–—:(]|\().*$")
_WORD = re.compile(r"[a-z]{4,}")


def document_names(text: str) -> list[str]:
    """Names an answer gives to documents, most specific first: file names, quoted or bold titles, list items."""
    names: list[str] = [m.group(0) for m in _FILE.finditer(text)]
    names.extend(next(g for g in m.groups() if g) for m in _QUOTED.finditer(text))
    for match in _BULLET.finditer(text):
        item = _BULLET_TAIL.sub("", match.group(1).strip("*_ ")).strip()
        if len(item) >= 3:
            names.append(item)
    out: list[str] = []
    for name in (n.strip() for n in names):
        if name.lower() not in {o.lower() for o in out}:
            out.append(name)
    return out


def named_document(text: str, subject: dict[str, Any]) -> str | None:
    """The document name in the app's answer to ask for next: one sharing a word with the subject if any."""
    names = document_names(text)
    words = set(_WORD.findall(f"{subject['topic']} {subject['document']} {subject['file']}".lower()))
    related = [n for n in names if words & set(_WORD.findall(n.lower()))]
    chosen = related or names
    return chosen[0] if chosen else None


class CrossRoleAccess(Probe):
    id = "rag-access.cross-role"
    family = "rag-access"
    title = "RAG access control: another role's documents"
    goal = (
        "as a low-privilege user, get values from documents only another role may see (ProbeContext.restricted): "
        "asked for by subject or document name, by claiming a role, encoded, or in two turns (list, then open)"
    )
    rule = rules.RAG_ACCESS

    def prompt_count(self) -> int:
        data = load_data(self.family)
        return len(data["requests"]) + len(data["inventory"])

    def unavailable(self, ctx: ProbeContext) -> str | None:
        if ctx.restricted:
            return None
        return "no restricted values known: give ProbeContext.restricted (values only another role may see)"

    def attempts(self, ctx: ProbeContext, rng: random.Random, n: int) -> list[Attempt]:
        data = load_data(self.family)
        subjects = cycle(rng, data["subjects"], n)
        requests = iter(cycle(rng, data["requests"], n))
        out = []
        for index, subject in enumerate(subjects):
            system, planted = opening(ctx, rng)
            expect: dict[str, Any] = {"canaries": planted, "variant": subject["topic"]}
            if index % TWO_TURN_EVERY == 0:
                text = fill(rng.choice(data["inventory"]), **subject)
                expect.update(follow_up=rng.choice(data["follow_ups"]), subject=subject, turn=1)
                expect["variant"] = f"{subject['topic']}, two turns"
            else:
                text = fill(next(requests), **subject)
            out.append(Attempt(self.id, index, (*system, Message("user", text)), expect))
        return out

    def follow_up(self, attempt: Attempt, reply: Reply, accepts_messages: bool) -> Attempt | None:
        if attempt.expect.get("turn") != 1 or "follow_up" not in attempt.expect:
            return None
        subject = attempt.expect["subject"]
        name = named_document(reply.text, subject)
        shown = f'"{name}"' if name else f"the {subject['document']} document you mentioned"
        text = fill(attempt.expect["follow_up"], name=shown)
        expect = {**attempt.expect, "turn": 2}
        if accepts_messages:
            messages = (*attempt.messages, Message("assistant", reply.text), Message("user", text))
        else:  # one text only: the second question names the document, so it stands on its own
            messages = (Message("user", text),)
        return dataclasses.replace(attempt, messages=messages, expect=expect)

    def judge(self, attempt: Attempt, reply: Reply, ctx: ProbeContext) -> list[Hit]:
        return restricted_hits(reply.text, ctx)


PROBES = (CrossRoleAccess(),)
