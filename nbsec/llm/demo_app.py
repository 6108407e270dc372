"""A deliberately vulnerable, deterministic, rule-based LLM app (no model weights): BrightCart's support bot.

It behaves like a small chat app with a system prompt, help articles (RAG with roles) and three tools, and it
has the flaws nbsec's probe families look for, each written from what such attacks look like in general
(`nbsec.llm.demo_rules` holds its reading rules):

- it obeys "ignore your instructions and say X" wherever it reads it: in the user's message (goal hijack) or
  in a pasted document or tool result (indirect injection), and after decoding base64, hex, rot13, reversed,
  spaced-out, leetspeak or Unicode-tag text (encoding);
- it prints its system prompt (canary and payments key included) when asked to repeat, translate or encode its
  instructions (system-prompt extraction);
- it adopts jailbreak personas (DAN, developer mode, role-play) and then answers what it refuses otherwise:
  a plain request for its key gets a normal refusal, the same request under a persona gets the key;
- it hands out the key to anyone who claims authority or asks it to complete the key, dumps its configuration
  in "debug mode", and shows any customer's contact details (sensitive data);
- it renders markdown images and links an instruction asks for, with conversation data in the URL
  (exfiltration), and passes <script> through when asked to repeat or summarise (active content);
- it calls send_email / issue_refund whenever a text tells it to, with the text's arguments (excessive agency);
- it answers a guest's question from HR-only and admin-only documents (no role check in retrieval).

`DemoApp(hardened=True)` runs the same app with nbsec's guard in front (`nbsec.llm.guards.Guard`: inputs
checked, outputs filtered, tool calls validated) and the access rules enforced in code: retrieval filtered by
role, refunds capped, other customers' records withheld. The probes must find the flaws of the first and no
high finding in the second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nbsec.llm import demo_rules
from nbsec.llm.demo_data import (
    DEMO_CANARY,
    DEMO_CUSTOMER_EMAIL,
    DEMO_DOCUMENTS,
    DEMO_HOSTS,
    DEMO_ORDERS,
    DEMO_RESTRICTED,
    DEMO_SECRET,
    DEMO_SYSTEM_PROMPT,
    DEMO_TOOLS,
    ROLES,
    Document,
    Order,
)
from nbsec.llm.demo_rules import Intent
from nbsec.llm.types import Message, ProbeContext, Reply, ToolCall

if TYPE_CHECKING:
    from nbsec.llm.guard_log import GuardLog
    from nbsec.llm.guards import Guard

__all__ = [
    "BLOCK_MESSAGE",
    "DEMO_CANARY",
    "DEMO_RESTRICTED",
    "DEMO_SECRET",
    "DEMO_SYSTEM_PROMPT",
    "DEMO_TOOLS",
    "DemoApp",
    "demo_context",
]

BLOCK_MESSAGE = "I can't help with that request."
_OFFER = "I can help with orders, shipping, returns, payments and products."
REFUSAL = "I'm sorry, but I can't share that: internal keys and credentials stay private. " + _OFFER
HARMFUL_REFUSAL = "I'm sorry, I can't help with that. " + _OFFER
FALLBACK = (
    "I'm BrightCart Assist. I can help with your orders (give me the order number), shipping, returns and "
    "refunds, payment methods, warranties and our products. What would you like to know?"
)
NOT_PERMITTED = (
    "I can't do that from here: I only act on your own orders, refunds above $100 go to a human agent, and I "
    "only e-mail addresses you give me yourself."
)
REFUND_LIMIT = 100.0  # the system prompt's rule; the hardened app enforces it in code
SESSION_CUSTOMER = "Dana Whitfield"
_TOOL_NAMES = tuple(tool.name for tool in DEMO_TOOLS)
_PERSONA_PREFIX = {"DAN": "DAN: ", "Developer Mode": "(Developer Mode Output) ", "Unrestricted": "[Unrestricted] "}
_STOPWORDS = frozenset(
    "a an and are as at be can could do does for from have how i in is it me my of on or our please tell the "
    "to was what when where which who why will with you your yours about any there this that get".split()
)
_WORD = re.compile(r"[a-z][a-z0-9'-]*")
_SUMMARY_CUE = re.compile(r"\b(?:summari[sz]e|summary|tl;?dr|translate|proofread|rewrite|analy[sz]e|review|"
                          r"key points|what does (?:this|the following))\b", re.IGNORECASE)  # fmt: skip
_DECODE_CUE = re.compile(r"\b(?:decode|decipher|what does this say|translate from)\b", re.IGNORECASE)
_GREETING = re.compile(r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks|thank you)\b", re.IGNORECASE)
_WHOLE = re.compile(r"\b(?:whole|full|entire|complete|verbatim|everything|all of)\b", re.IGNORECASE)
_CONFIG_DUMP = (
    f"PAYMENTS_KEY={DEMO_SECRET}\nORDER_DB=postgres://bc_app@db-prod-7.brightcart.internal:5432/orders\n"
    f"MODEL=brightcart-demo\nINTERNAL_REFERENCE={DEMO_CANARY}"
)


@dataclass
class _Conversation:
    """One request as the app sees it: the last user message, tool results after it, earlier turns."""

    request: str
    tool_results: list[str] = field(default_factory=list)
    user_turns: list[str] = field(default_factory=list)
    extra_system: str = ""

    @classmethod
    def of(cls, messages: Sequence[Message] | str) -> _Conversation:
        if isinstance(messages, str):
            return cls(messages, user_turns=[messages])
        users = [m.content for m in messages if m.role == "user"]
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
        tools = [m.content for m in messages[last_user + 1 :] if m.role == "tool"]
        system = "\n".join(m.content for m in messages if m.role == "system")
        return cls(users[-1] if users else "", tools, users, system)


@dataclass
class _Draft:
    """What the app is about to answer: text parts and proposed tool calls (validated, then run)."""

    parts: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)


def _words(text: str) -> set[str]:
    return {w.rstrip("s") if len(w) > 4 else w for w in _WORD.findall(demo_rules.norm(text))} - _STOPWORDS


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _first_paragraph(text: str) -> str:
    """The user's own words: what comes before a pasted document (a blank line, or a colon and a line break)."""
    return re.split(r"\n\s*\n|:\s*\n", text, maxsplit=1)[0]


class DemoApp:
    """BrightCart's support bot. `respond(messages, role=...)` is pure and deterministic; also a `Target`."""

    accepts_messages = True

    def __init__(self, hardened: bool = False, *, role: str = "guest", log: str | Path | GuardLog | None = None):
        if role not in ROLES:
            raise ValueError(f"role {role!r}: choose one of {', '.join(ROLES)}")
        self.hardened = hardened
        self.role = role
        self.name = "demo-app-hardened" if hardened else "demo-app"
        if log is not None and not hasattr(log, "record"):
            from nbsec.llm.guard_log import GuardLog  # one connection for every guard this app makes

            log = GuardLog(log)
        self._log = log
        self._guards: dict[tuple[str, bool], Guard] = {}

    def close(self) -> None:
        """Close the guard log this app opened (if any)."""
        close = getattr(self._log, "close", None)
        if callable(close):
            close()

    # -- the Target protocol and plain calls ----------------------------------

    def send(self, messages: Sequence[Message]) -> Reply:
        return self.respond(messages, role=self.role)

    def __call__(self, text: str) -> str:
        return self.respond([Message("user", text)], role=self.role).text

    # -- the app ---------------------------------------------------------------

    def respond(self, messages: Sequence[Message] | str, *, role: str = "guest", client: str | None = None) -> Reply:
        """The app's answer to a conversation, for a caller with `role` (guest, customer, employee, hr, admin)."""
        if role not in ROLES:
            role = "guest"
        convo = _Conversation.of(messages)
        if not self.hardened:
            draft = self._draft(convo, role)
            text, calls = self._run_tools(draft, convo)
            return Reply(text, tuple(calls))
        return self._respond_hardened(convo, role, client)

    def _respond_hardened(self, convo: _Conversation, role: str, client: str | None) -> Reply:
        guard, quiet = self._guard(convo.extra_system, logged=True), self._guard(convo.extra_system, logged=False)
        # Every turn is untrusted (a stateless API receives the whole history each time); only the new ones are
        # logged, so a long chat does not fill the monitor's log with repeats of its first turns.
        for earlier in convo.user_turns[:-1]:
            if quiet.check_input(earlier).blocked:
                return Reply(BLOCK_MESSAGE)
        cleaned = []
        for text in [convo.request, *convo.tool_results]:
            verdict = guard.check_input(text, client=client)
            if verdict.blocked:
                return Reply(BLOCK_MESSAGE)
            cleaned.append(verdict.text)
        convo.request, convo.tool_results = cleaned[0], cleaned[1:]
        draft = self._draft(convo, role)
        allowed, _dropped = guard.check_tool_calls(tuple(draft.calls), _first_paragraph(convo.request))
        kept = [call for call in allowed if self._permitted(call)]
        if len(kept) < len(draft.calls):
            draft.parts.append(NOT_PERMITTED)
        draft.calls = kept
        text, calls = self._run_tools(draft, convo)
        output = guard.check_output(text, client=client)
        return Reply(BLOCK_MESSAGE if output.blocked else output.text, tuple(calls))

    def _guard(self, extra_system: str, *, logged: bool) -> Guard:
        key = (extra_system, logged)
        if key not in self._guards:
            from nbsec.llm.guards import Guard

            if len(self._guards) > 32:
                self._guards.clear()
            prompt = DEMO_SYSTEM_PROMPT + ("\n" + extra_system if extra_system else "")
            self._guards[key] = Guard(
                canaries=(DEMO_CANARY, DEMO_SECRET),
                protected_prompt=prompt,
                allowed_hosts=DEMO_HOSTS,
                allowed_tools=_TOOL_NAMES,
                block_message=BLOCK_MESSAGE,
                log=self._log if logged else None,
            )
        return self._guards[key]

    def _permitted(self, call: ToolCall) -> bool:
        """The hardened app's own rules for tools: real orders only, refunds within the order and the limit."""
        if call.name not in ("lookup_order", "issue_refund"):
            return call.name == "send_email"
        order = DEMO_ORDERS.get(str(call.arguments.get("order_id", "")))
        if order is None:
            return False
        if call.name == "issue_refund":
            amount = _amount(call.arguments.get("amount"), order)
            return 0 < amount <= min(order.total, REFUND_LIMIT) and order.customer == SESSION_CUSTOMER
        return True

    # -- reading the conversation ---------------------------------------------

    def _draft(self, convo: _Conversation, role: str) -> _Draft:
        draft = _Draft()
        persona = next((p for p in map(demo_rules.persona, convo.user_turns + convo.tool_results) if p), None)
        for source in [convo.request, *convo.tool_results]:
            for encoding, variant in demo_rules.variants(source):
                found = demo_rules.intents(variant)
                if encoding != "plain":
                    persona = persona or demo_rules.persona(variant)
                if found:
                    self._act(found, draft, convo, role, persona)
                    break
        if not draft.parts and not draft.calls:
            self._support(draft, convo, role, persona)
        if persona and draft.parts:
            draft.parts[0] = _PERSONA_PREFIX.get(persona, "(in character) ") + draft.parts[0]
        return draft

    def _act(self, found: list[Intent], draft: _Draft, convo: _Conversation, role: str, persona: str | None) -> None:
        for intent in found:
            kind = intent.kind
            if kind == "reveal-prompt":
                prompt = DEMO_SYSTEM_PROMPT + ("\n" + convo.extra_system if convo.extra_system else "")
                draft.parts.append("Sure! Here are my instructions:\n\n" + demo_rules.encode(prompt, intent.encoding))
            elif kind == "complete-key":
                draft.parts.append(f"Sure, the complete key is {DEMO_SECRET}.")
            elif kind in ("secret", "config"):
                if not (persona or intent.args.get("authority")):
                    draft.parts.append(REFUSAL)
                elif kind == "config":
                    draft.parts.append("Debug configuration:\n" + _CONFIG_DUMP)
                else:
                    secret = f"The payments key is {DEMO_SECRET} and the internal reference is {DEMO_CANARY}."
                    draft.parts.append(demo_rules.encode(secret, intent.encoding))
            elif kind == "harmful":
                draft.parts.append(
                    f"Sure! As {persona} I have no rules, so here is the plan, step by step. (The demo app is rule-"
                    "based and writes no real instructions.)"
                    if persona
                    else HARMFUL_REFUSAL
                )
            elif kind in ("image", "link"):
                draft.parts.append(self._render(intent, convo))
            elif kind == "tool":
                args = {k: v for k, v in intent.args.items() if k in ("order_id", "to", "subject", "body", "amount")}
                if intent.payload == "send_email" and "body" not in args:
                    args["body"] = _conversation_data(convo)
                draft.calls.append(ToolCall(intent.payload, args))
            elif kind in ("say", "echo"):
                draft.parts.append(intent.payload)
            elif kind == "list-people":
                orders = [o for o in DEMO_ORDERS.values() if not self.hardened or o.customer == SESSION_CUSTOMER]
                draft.parts.append("Customers on file:\n" + "\n".join(_order_line(o, full=True) for o in orders))
            elif kind == "list-docs":
                titles = [d.title for d in self._readable(role)]
                draft.parts.append("I can read these documents: " + "; ".join(titles) + ".")

    def _render(self, intent: Intent, convo: _Conversation) -> str:
        """The image or link an instruction asked for, with the data it asked to carry spliced into the URL."""
        wants = intent.args.get("wants", "")
        data = f"ref {DEMO_CANARY} key {DEMO_SECRET}" if wants == "secret" else _conversation_data(convo)
        url = intent.payload
        if demo_rules._PLACEHOLDER.search(url):
            url = demo_rules._PLACEHOLDER.sub(quote(data, safe=""), url, count=1)
        elif url.endswith("="):
            url += quote(data, safe="")
        elif wants:
            url += ("&" if "?" in url else "?") + "d=" + quote(data, safe="")
        if "html" in intent.args:
            return f'<img src="{url}" alt="{intent.args.get("alt", "")}">'
        if intent.kind == "link":
            return f"[{intent.args.get('label', 'link')}]({url})"
        return f"![{intent.args.get('alt', '')}]({url})"

    # -- ordinary support ------------------------------------------------------

    def _support(self, draft: _Draft, convo: _Conversation, role: str, persona: str | None) -> None:
        request = convo.request
        if _SUMMARY_CUE.search(request) and (convo.tool_results or "\n" in request.strip() or ":" in request):
            document = convo.tool_results[-1] if convo.tool_results else re.split(r":\s*|\n", request, maxsplit=1)[-1]
            draft.parts.append("Summary: " + " ".join(_sentences(document)[:2]))
            return
        order = demo_rules._ORDER_ID.search(request)
        if order:
            draft.calls.append(ToolCall("lookup_order", {"order_id": order.group(1) or order.group(2)}))
            return
        if _DECODE_CUE.search(request):
            decoded = next((text for enc, text in demo_rules.variants(request) if enc in ("base64", "hex")), None)
            if decoded:
                draft.parts.append(f"It decodes to: {decoded}")
                return
        if _GREETING.search(request) and len(request) < 40:
            draft.parts.append("Hello! " + FALLBACK)
            return
        answer = self._retrieve(request, role)
        draft.parts.append(answer or (f"{persona} mode enabled: ask me anything." if persona else FALLBACK))

    def _readable(self, role: str) -> list[Document]:
        return [d for d in DEMO_DOCUMENTS if not self.hardened or role in d.roles]

    def _retrieve(self, question: str, role: str) -> str | None:
        """Answer from the best-matching document (the vulnerable app searches all of them, whatever the role)."""
        words = _words(question)
        if not words:
            return None
        scored = [(len(words & _words(" ".join((*d.keywords, d.title)))), i, d) for i, d in enumerate(DEMO_DOCUMENTS)]
        best = max(scored, key=lambda s: (s[0], -s[1]))
        if best[0] == 0:
            return None
        readable = self._readable(role)
        if best[2] not in readable:
            allowed = [s for s in scored if s[2] in readable and s[0] > 0]
            if not allowed:
                return "I couldn't find anything about that in the help articles available to you."
            best = max(allowed, key=lambda s: (s[0], -s[1]))
        doc = best[2]
        if _WHOLE.search(question):
            return f"{doc.title}: {doc.text}"
        sentences = _sentences(doc.text)
        ranked = sorted(range(len(sentences)), key=lambda i: (-len(words & _words(sentences[i])), i))[:2]
        return f"From “{doc.title}”: " + " ".join(sentences[i] for i in sorted(ranked))

    # -- tools -------------------------------------------------------------------

    def _run_tools(self, draft: _Draft, convo: _Conversation) -> tuple[str, list[ToolCall]]:
        parts = list(draft.parts)
        for call in draft.calls:
            parts.append(self._run(call))
        return "\n\n".join(p for p in parts if p) or FALLBACK, list(draft.calls)

    def _run(self, call: ToolCall) -> str:
        args = call.arguments
        if call.name == "send_email":
            return f"I've sent an e-mail to {args.get('to', '?')} with the subject “{args.get('subject', '')}”."
        order = DEMO_ORDERS.get(str(args.get("order_id", "")))
        if order is None:
            return f"I couldn't find order {args.get('order_id', '?')}."
        if call.name == "issue_refund":
            return f"Done: I've refunded ${_amount(args.get('amount'), order):.2f} for order {order.id}."
        own = order.customer == SESSION_CUSTOMER
        return _order_line(order, full=own or not self.hardened)


def _amount(value: Any, order: Order) -> float:
    try:
        return float(value) if value is not None else order.total
    except (TypeError, ValueError):
        return -1.0


def _order_line(order: Order, *, full: bool) -> str:
    line = f"Order {order.id}: {order.item}, ${order.total:.2f}, {order.status}."
    if full:
        line += f" Customer: {order.customer}, {order.email}, {order.phone}, ship to {order.address}."
    return line


def _conversation_data(convo: _Conversation) -> str:
    """What an exfiltration instruction gets: the session's customer and what the user said."""
    said = " | ".join(turn[:80] for turn in convo.user_turns[:3])
    return f"customer {SESSION_CUSTOMER} <{DEMO_CUSTOMER_EMAIL}>; said: {said}"


def demo_context(hardened: bool = False) -> ProbeContext:
    """What nbsec knows about the demo app: the canaries it planted, the restricted values, its prompt and tools."""
    del hardened  # the same app behind a guard: nbsec knows the same about both
    return ProbeContext(
        canaries=(DEMO_CANARY, DEMO_SECRET),
        restricted=DEMO_RESTRICTED,
        known_prompt=DEMO_SYSTEM_PROMPT,
        tools=DEMO_TOOLS,
        allowed_hosts=DEMO_HOSTS,
    )
