"""A guard in front of any LLM call: input checks, output filters, tool-call checks, an optional log.

    from nbsec.llm.guards import guard
    safe_chat = guard(chat, canaries=["nbsec-canary-4f1c"], allowed_hosts=["docs.example.com"])
    reply = safe_chat("What are your opening hours?")   # GuardedReply: .text, .blocked, .input, .output

Input: invisible characters stripped, injection heuristics (nbsec.llm.injection) after normalisation; a
flagged input is blocked and the model is not called. Output: secrets, PII, canaries (also encoded),
protected-prompt leaks and internal URLs redacted; markdown images and data-carrying links to hosts not
allowed removed; active content stripped. When a leak can only be seen decoded (a base64 canary without a
locatable run, a paraphrased system prompt) the answer is replaced by the block message. Tool calls: a tool
not allowed, or arguments sending to a URL/e-mail/host the user did not name, are dropped.

Production code: stdlib plus nbsec's own detectors; no Jupyter, torch or plotly. A check of 1 KB takes well
under a millisecond (benchmarks/bench_llm_guard.py). Verdicts carry labels, never the values found.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from nbsec.llm.detectors import (
    Hit,
    decoded_leftovers,
    find_active_content,
    find_canaries,
    find_exfiltration,
    find_internal_urls,
    find_sensitive,
    host_allowed,
    leak_hit,
    prompt_containment,
)
from nbsec.llm.embedding import Embedder
from nbsec.llm.injection import injection_verdict
from nbsec.llm.text import strip_invisible
from nbsec.llm.types import Message, Reply, ToolCall
from nbsec.redact import redact

__all__ = ["BLOCK_MESSAGE", "Guard", "GuardedReply", "Verdict", "guard"]

BLOCK_MESSAGE = "I can't help with that request."


class _Log(Protocol):
    def record(self, verdict: Verdict, *, client: str | None, text: str, at: float | None = None) -> None: ...


@dataclass(frozen=True)
class Verdict:
    """What the guard decided about one text. `text` is the safe text (input: invisible characters stripped;
    output: redacted/filtered, or the block message when blocked); `reasons` are labels, never values."""

    direction: str  # "input" | "output"
    blocked: bool
    text: str = field(repr=False)
    reasons: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    score: float = 0.0
    changed: bool = False
    elapsed_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, without the text (what logs and reports keep)."""
        return {
            "direction": self.direction,
            "blocked": self.blocked,
            "reasons": list(self.reasons),
            "families": list(self.families),
            "score": self.score,
            "changed": self.changed,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }


@dataclass(frozen=True)
class GuardedReply:
    """What a guarded call returns: the text the caller may show, and the verdicts behind it."""

    text: str
    blocked: bool
    input: Verdict
    output: Verdict | None  # None when the input was blocked and the model not called
    tool_calls: tuple[ToolCall, ...] = ()  # only the allowed ones

    def __str__(self) -> str:
        return self.text


# Output hit -> probe family it evidences (the families the monitor and the probes speak).
_FAMILY = {
    "canary": "system-prompt-extraction",
    "system-prompt": "system-prompt-extraction",
    "secret": "sensitive-data",
    "pii": "sensitive-data",
    "internal-url": "sensitive-data",
    "exfil-image": "output-exfiltration",
    "exfil-link": "output-exfiltration",
    "active-content": "output-script",
    "tool-call": "excessive-agency",
}
_REMOVED = {"exfil-image": "[image removed]", "exfil-link": "[link removed]", "active-content": ""}
_LEAK_WORDS = 8  # verbatim runs of the protected prompt this long are redacted


class Guard:
    """Checks inputs, filters outputs and tool calls of an LLM app; see the module docstring."""

    def __init__(
        self,
        *,
        canaries: Iterable[str] = (),
        protected_prompt: str | None = None,
        allowed_hosts: Iterable[str] = (),
        allowed_tools: Iterable[str] | None = None,
        threshold: float = 0.5,
        block_message: str = BLOCK_MESSAGE,
        redact_pii: bool = True,
        log: str | os.PathLike[str] | _Log | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.canaries = tuple(c for c in canaries if c)
        self.protected_prompt = protected_prompt or None
        self.allowed_hosts = tuple(allowed_hosts)
        self.allowed_tools = None if allowed_tools is None else frozenset(allowed_tools)
        self.threshold = threshold
        self.block_message = block_message
        self.redact_pii = redact_pii
        self.embedder = embedder
        self._log: _Log | None
        if log is None or hasattr(log, "record"):
            self._log = log  # type: ignore[assignment]
        else:
            from nbsec.llm.guard_log import GuardLog  # only when asked: the log is SQLite

            self._log = GuardLog(log)

    # ------------------------------------------------------------------ input

    def check_input(self, text: str, *, client: str | None = None) -> Verdict:
        """Strip invisible characters; block when the injection heuristics flag the text."""
        started = time.perf_counter()
        clean, invisible = strip_invisible(text)
        found = injection_verdict(text, threshold=self.threshold, embedder=self.embedder)
        reasons = list(found.reasons)
        if invisible and "hidden-text" not in reasons:
            reasons.append("invisible-characters")
        verdict = Verdict(
            "input",
            found.flagged,
            clean,
            tuple(reasons),
            found.families,
            found.score,
            invisible > 0,
            (time.perf_counter() - started) * 1000,
        )
        self._record(verdict, client, text)
        return verdict

    # ------------------------------------------------------------------ output

    def _output_hits(self, text: str) -> tuple[list[Hit], list[str]]:
        """Hits to redact or remove (with spans), and reasons that force a block (leaks without a span)."""
        hits: list[Hit] = []
        block: list[str] = []
        hits += find_active_content(text)
        hits += find_exfiltration(text, self.allowed_hosts)
        hits += find_internal_urls(text, self.allowed_hosts)
        hits += [h for h in find_sensitive(text) if h.detector == "secret" or self.redact_pii]
        for hit in find_canaries(text, self.canaries):
            if hit.span is None:
                block.append(f"canary: {hit.what} ({hit.encoding}, not locatable)")
            else:
                hits.append(hit)
        if self.protected_prompt:
            containment = prompt_containment(text, self.protected_prompt)
            if leak_hit(containment, self.protected_prompt) is None:
                return hits, block
            runs = containment.runs
            hits += [Hit("system-prompt", "protected prompt", "plain", run) for run in runs]
            if not runs:
                block.append("system-prompt: protected prompt leaked (paraphrased or in pieces)")
        return hits, block

    def _still_leaks(self, safe: str) -> list[str]:
        """After redaction: anything left of a canary or the protected prompt means the answer must go."""
        left = [f"canary: canary {i} left after redaction" for i in decoded_leftovers(safe, self.canaries)]
        # Plain containment only: decoded copies were ruled out before redaction (prompt_leaked would decode).
        if self.protected_prompt and leak_hit(prompt_containment(safe, self.protected_prompt), self.protected_prompt):
            left.append("system-prompt: protected prompt left after redaction")
        return left

    def check_output(self, text: str, *, client: str | None = None) -> Verdict:
        """Redact secrets, PII, canaries, protected-prompt runs, internal URLs; remove images/links to foreign
        hosts and active content; block when a leak cannot be located to redact it."""
        started = time.perf_counter()
        clean, invisible = strip_invisible(text)
        block: list[str] = []
        if invisible and any(h.encoding == "tags" for h in find_canaries(text, self.canaries)):
            block.append("canary: hidden in invisible tag characters")
        hits, more = self._output_hits(clean)
        block += more
        safe = _apply(clean, hits)
        if not block and any(h.detector in ("canary", "system-prompt") for h in hits):
            block += self._still_leaks(safe)
        reasons = list(dict.fromkeys([_label(h) for h in hits] + block))
        if invisible:
            reasons.append("invisible-characters")
        families = {_FAMILY[h.detector] for h in hits}
        if block:
            families.add("system-prompt-extraction")
        blocked = bool(block)
        if blocked:
            safe = self.block_message
        verdict = Verdict(
            "output",
            blocked,
            safe,
            tuple(reasons),
            tuple(sorted(families)),
            1.0 if blocked else (0.7 if hits else 0.0),
            safe != text,
            (time.perf_counter() - started) * 1000,
        )
        self._record(verdict, client, text)
        return verdict

    # ------------------------------------------------------------------ tools

    def check_tool_calls(
        self, calls: Sequence[ToolCall], user_text: str
    ) -> tuple[tuple[ToolCall, ...], tuple[str, ...]]:
        """The calls allowed, and a reason for each dropped one: a tool not in `allowed_tools`, or arguments that
        send to a URL, e-mail address or host that is neither in the user's own text nor in `allowed_hosts`."""
        allowed: list[ToolCall] = []
        reasons: list[str] = []
        said = user_text.lower()
        for call in calls:
            if self.allowed_tools is not None and call.name not in self.allowed_tools:
                reasons.append(f"tool-call: {call.name} not allowed")
                continue
            foreign = [d for d in _destinations(call.arguments) if not self._named(d, said)]
            if foreign:
                reasons.append(f"tool-call: {call.name} sends to a host the user did not name ({foreign[0]})")
                continue
            allowed.append(call)
        return tuple(allowed), tuple(reasons)

    def _named(self, destination: str, said: str) -> bool:
        host = destination.rsplit("@", 1)[-1]
        return host in said or host_allowed(host, self.allowed_hosts)

    # ------------------------------------------------------------------ wrapping

    def wrap(self, call: Callable[[Any], Any]) -> Callable[..., GuardedReply]:
        """`call` (str -> str | Reply, or messages -> str | Reply) behind this guard; the guarded callable takes
        the prompt (a string, or a list of Message / {"role", "content"} dicts) and an optional `client=`."""

        def guarded(
            prompt: str | Sequence[Message] | Sequence[Mapping[str, Any]], *, client: str | None = None
        ) -> GuardedReply:
            user_text, send = _user_text(prompt)
            checked = self.check_input(user_text, client=client)
            if checked.blocked:
                return GuardedReply(self.block_message, True, checked, None)
            answer = call(send(checked.text))
            text, calls = _reply_parts(answer)
            out = self.check_output(text, client=client)
            kept, dropped = self.check_tool_calls(calls, user_text)
            if dropped:
                families = tuple(sorted({*out.families, "excessive-agency"}))
                out = replace(out, reasons=out.reasons + dropped, families=families, changed=True)
            return GuardedReply(out.text, out.blocked, checked, out, kept)

        guarded.__wrapped__ = call  # type: ignore[attr-defined]
        guarded.guard = self  # type: ignore[attr-defined]
        return guarded

    def _record(self, verdict: Verdict, client: str | None, text: str) -> None:
        if self._log is not None:
            self._log.record(verdict, client=client, text=text)

    def close(self) -> None:
        close = getattr(self._log, "close", None)
        if callable(close):
            close()


def guard(call: Callable[[Any], Any] | None = None, **options: Any) -> Any:
    """`guard(**options)` -> Guard; `guard(fn, **options)` -> the guarded callable (`Guard(**options).wrap(fn)`)."""
    made = Guard(**options)
    return made if call is None else made.wrap(call)


# --------------------------------------------------------------------------- helpers


def _label(hit: Hit) -> str:
    if hit.detector in ("canary", "marker") and hit.encoding != "plain":
        return f"{hit.detector}: {hit.what} ({hit.encoding})"
    return f"{hit.detector}: {hit.what}"


def _apply(text: str, hits: Sequence[Hit]) -> str:
    """Redact or remove each hit's span; overlapping spans merge, and a removal wins over a redaction."""
    edits = sorted(((h.span[0], h.span[1], h.detector) for h in hits if h.span), key=lambda e: (e[0], -e[1]))
    merged: list[list[Any]] = []
    for start, end, detector in edits:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if detector in _REMOVED and last[2] not in _REMOVED:
                last[2] = detector
        else:
            merged.append([start, end, detector])
    out, pos = [], 0
    for start, end, detector in merged:
        out.append(text[pos:start])
        out.append(_REMOVED[detector] if detector in _REMOVED else redact(text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


_DEST_URL = re.compile(r"\b[a-z][a-z0-9+.\-]{1,15}://([^\s/?#:@\"'<>]+@)?([^\s/?#:\"'<>]+)", re.IGNORECASE)
_DEST_EMAIL = re.compile(r"\b[\w.+\-]{1,64}@([A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})+)")
_DEST_HOST = re.compile(
    r"(?<![\w@./-])((?:[a-z0-9\-]{1,63}\.){1,8}(?:com|net|org|io|ai|dev|app|co|xyz|info|biz|ru|cn|tk|top|site|online|me|us|uk|de))\b",
    re.I,
)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple | set):
        for v in value:
            yield from _strings(v)
    elif value is not None:
        yield str(value)


def _destinations(arguments: Mapping[str, Any]) -> list[str]:
    """Hosts (and e-mail domains, as user@host) a tool call's arguments would send to."""
    found: list[str] = []
    for text in _strings(arguments):
        for m in _DEST_URL.finditer(text):
            found.append(m.group(2).lower())
        for m in _DEST_EMAIL.finditer(text):
            found.append("@" + m.group(1).lower())
        for m in _DEST_HOST.finditer(text):
            found.append(m.group(1).lower())
    return list(dict.fromkeys(found))


def _user_text(prompt: str | Sequence[Message] | Sequence[Mapping[str, Any]]) -> tuple[str, Callable[[str], Any]]:
    """The text to check (the last user message of a conversation) and how to send the cleaned version."""
    if isinstance(prompt, str):
        return prompt, lambda clean: clean
    messages: list[Any] = list(prompt)
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if isinstance(message, Mapping):
            role, content = message.get("role"), message.get("content", "")
        else:
            role, content = message.role, message.content
        if role == "user":

            def send(clean: str, index: int = index) -> list[Any]:
                out = list(messages)
                old = out[index]
                out[index] = {**old, "content": clean} if isinstance(old, Mapping) else replace(old, content=clean)
                return out

            return content if isinstance(content, str) else str(content), send
    return "", lambda clean: messages


def _reply_parts(answer: Any) -> tuple[str, tuple[ToolCall, ...]]:
    if isinstance(answer, str):
        return answer, ()
    if isinstance(answer, Reply):
        return answer.text, tuple(answer.tool_calls)
    text = getattr(answer, "text", None)
    if isinstance(text, str):
        return text, tuple(getattr(answer, "tool_calls", ()) or ())
    return str(answer), ()
