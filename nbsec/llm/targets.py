"""Targets: what nbsec talks to. A Python callable, an OpenAI-compatible endpoint, a generic REST endpoint.

Each turns a conversation of `Message`s into one `Reply` (nbsec.llm.types.Target). The HTTP targets
share the policy of nbsec.llm.http (one host, no proxy, no redirects, retries, bounded load, the key
only from the environment variable the user named).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from nbsec.errors import UsageError
from nbsec.llm.http import (
    DEFAULT_BACKOFF_S,
    DEFAULT_CONCURRENCY,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_S,
    HttpClient,
    display_url,
)
from nbsec.llm.types import Message, Reply, Target, TargetError, Tool, ToolCall

__all__ = ["CallableTarget", "OpenAITarget", "RestTarget", "callable_target", "parse_reply", "resolve_target"]

_MESSAGE_WORDS = ("list", "sequence", "message", "dict", "iterable")
_EXCERPT = 200


def _last_user_text(messages: Sequence[Message]) -> str:
    for message in reversed(messages):
        if message.role == "user":
            return message.content
    return messages[-1].content if messages else ""


def _tool_call(data: Any) -> ToolCall:
    """One tool call from the OpenAI shape ({"function": {"name", "arguments"}}) or a flat {"name", "arguments"}."""
    if isinstance(data, ToolCall):
        return data
    if not isinstance(data, Mapping):
        raise TargetError(f"a tool call is a {type(data).__name__}, not an object", "return OpenAI-shaped tool calls")
    inner = data.get("function")
    function: Mapping[str, Any] = inner if isinstance(inner, Mapping) else data
    name = str(function.get("name") or "")
    raw = function.get("arguments", {})
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raw = {"_raw": raw}
    arguments = dict(raw) if isinstance(raw, Mapping) else {"_raw": raw}
    return ToolCall(name, arguments)


def parse_reply(value: Any) -> Reply:
    """A Reply from what an app returned: a str, a Reply, an OpenAI message dict or an object with .content."""
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply(value)
    if isinstance(value, Mapping):
        if isinstance(value.get("message"), Mapping):  # a whole choice
            value = value["message"]
        calls = list(value.get("tool_calls") or ())
        if isinstance(value.get("function_call"), Mapping):  # the legacy single-call field
            calls.append({"function": value["function_call"]})
        content = value.get("content")
        return Reply("" if content is None else str(content), tuple(_tool_call(c) for c in calls))
    content = getattr(value, "content", None)
    if isinstance(content, str):
        objects = getattr(value, "tool_calls", None) or ()
        return Reply(content, tuple(_tool_call(c if isinstance(c, Mapping) else _object_call(c)) for c in objects))
    raise TargetError(
        f"the app returned a {type(value).__name__}",
        "return a str, an OpenAI-style message dict with content/tool_calls, or nbsec.llm.types.Reply",
    )


def _object_call(call: Any) -> dict[str, Any]:
    function = getattr(call, "function", call)
    return {"name": getattr(function, "name", ""), "arguments": getattr(function, "arguments", {})}


def _first_annotation(fn: Callable[..., Any]) -> tuple[str, str] | None:
    """(name, annotation text) of fn's first parameter; None when it has none."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if not parameters:
        return None
    first = parameters[0]
    annotation = first.annotation
    if annotation is inspect.Parameter.empty:
        return first.name, ""
    return first.name, annotation if isinstance(annotation, str) else repr(annotation)


def _wants_messages(fn: Callable[..., Any]) -> bool:
    """Does fn take a conversation rather than a str? From its first parameter's annotation, else its name."""
    found = _first_annotation(fn)
    if found is None:
        return False
    name, text = found
    if not text:
        return name in ("messages", "conversation", "history", "chat")
    if text.lower() in ("str", "<class 'str'>"):
        return False
    return any(word in text.lower() for word in _MESSAGE_WORDS)


def _wants_message_objects(fn: Callable[..., Any]) -> bool:
    """A conversation annotated with nbsec's own Message type gets Message objects, not dicts."""
    found = _first_annotation(fn)
    return found is not None and re.search(r"\bMessage\b", found[1]) is not None


def _callable_name(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", None) or "?"
    qualname = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    return f"{module}:{qualname}"


class CallableTarget:
    """A Python function as a target: `str -> reply` or `messages -> reply` (see parse_reply)."""

    def __init__(self, fn: Callable[..., Any], *, name: str | None = None, messages: bool | None = None) -> None:
        if not callable(fn):
            raise UsageError(f"{fn!r} is not callable", "pass a function str -> str or messages -> str")
        self.fn = fn
        self.name = name or _callable_name(fn)
        self.accepts_messages = _wants_messages(fn) if messages is None else bool(messages)
        self._objects = self.accepts_messages and _wants_message_objects(fn)

    def __repr__(self) -> str:
        kind = "messages" if self.accepts_messages else "text"
        return f"CallableTarget({self.name!r}, {kind})"

    def send(self, messages: Sequence[Message]) -> Reply:
        if not self.accepts_messages:
            argument: Any = _last_user_text(messages)
        else:
            argument = list(messages) if self._objects else [m.to_dict() for m in messages]
        try:
            value = self.fn(argument)
        except TargetError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure of the user's app is a TargetError, not a crash
            message = " ".join(str(error).split())[:_EXCERPT]
            raise TargetError(
                f"{self.name} raised {type(error).__name__}: {message}", "fix the app or the way nbsec calls it"
            ) from None
        try:
            return parse_reply(value)
        except TargetError as error:
            raise TargetError(f"{self.name}: {error.message}", error.hint) from None


def callable_target(fn: Callable[..., Any], *, name: str | None = None, messages: bool | None = None) -> Target:
    """A Target for a Python callable. `messages=None` decides from the first parameter's annotation or name:
    `str` (or no hint) -> the last user message's text; a list/Sequence of dicts, or a parameter named
    `messages` -> the whole conversation as a list of {"role", "content"} dicts; annotated with
    nbsec.llm.types.Message (`Sequence[Message]`) -> the Message objects themselves."""
    return CallableTarget(fn, name=name, messages=messages)


def _tool_schema(tool: Tool) -> dict[str, Any]:
    parameters = tool.parameters or {"type": "object", "properties": {}}
    return {
        "type": "function",
        "function": {"name": tool.name, "description": tool.description, "parameters": parameters},
    }


def openai_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages in the chat-completions shape. Tool calls get ids, and each role "tool" message the id of
    the earliest call it answers, since OpenAI-compatible servers reject a tool result with no call."""
    out: list[dict[str, Any]] = []
    pending: list[tuple[str, str]] = []  # (id, tool name) of calls not yet answered
    counter = 0
    for message in messages:
        item: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            calls = []
            for call in message.tool_calls:
                ident = f"call_{counter}"
                counter += 1
                pending.append((ident, call.name))
                calls.append(
                    {
                        "id": ident,
                        "type": "function",
                        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                    }
                )
            item["tool_calls"] = calls
        if message.role == "tool":
            match = next((p for p in pending if p[1] == message.name), pending[0] if pending else None)
            if match is not None:
                pending.remove(match)
                item["tool_call_id"] = match[0]
        if message.name is not None:
            item["name"] = message.name
        out.append(item)
    return out


class OpenAITarget:
    """An OpenAI-compatible chat-completions endpoint: POST {base_url}/chat/completions."""

    accepts_messages = True

    def __init__(
        self,
        base_url: str,
        model: str = "default",
        *,
        api_key_env: str | None = None,
        user: str | None = None,
        tools: Sequence[Tool] = (),
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF_S,
        concurrency: int = DEFAULT_CONCURRENCY,
        rate: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        if base.endswith("/chat/completions"):
            base = base[: -len("/chat/completions")]
        self.url = f"{base}/chat/completions"
        self.model = model
        self.user = user
        self.tools = tuple(tools)
        self.http = HttpClient(
            self.url,
            api_key_env=api_key_env,
            headers=headers,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            concurrency=concurrency,
            rate=rate,
        )
        self.name = display_url(base)

    def __repr__(self) -> str:
        return f"OpenAITarget({self.name!r}, model={self.model!r})"

    def close(self) -> None:
        self.http.close()

    def send(self, messages: Sequence[Message]) -> Reply:
        payload: dict[str, Any] = {"model": self.model, "messages": openai_messages(messages)}
        if self.user is not None:
            payload["user"] = self.user
        if self.tools:
            payload["tools"] = [_tool_schema(t) for t in self.tools]
        data = self.http.request_json("POST", self.url, payload)
        try:
            message = data["choices"][0]["message"]
        except (KeyError, IndexError, TypeError):
            keys = ", ".join(sorted(data)) if isinstance(data, dict) else type(data).__name__
            raise TargetError(
                f"{self.name}: the answer has no choices[0].message (it has: {keys})",
                "is this an OpenAI-compatible /chat/completions API? for another JSON API use RestTarget",
            ) from None
        try:
            return parse_reply(message)
        except TargetError as error:
            raise TargetError(f"{self.name}: {error.message}", error.hint) from None


def _json_path(data: Any, path: str) -> Any:
    value = data
    for part in path.split(".") if path else ():
        if isinstance(value, list) and part.lstrip("-").isdigit():
            index = int(part)
            if not -len(value) <= index < len(value):
                raise KeyError(part)
            value = value[index]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            raise KeyError(part)
    return value


class RestTarget:
    """A generic JSON endpoint: a request template with $INPUT (the user text, JSON-escaped) or $MESSAGES
    (the conversation as a JSON array), and a dotted path to the answer ("choices.0.message.content")."""

    def __init__(
        self,
        url: str,
        *,
        template: str = '{"input": "$INPUT"}',
        answer_path: str = "output",
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
        api_key_env: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF_S,
        concurrency: int = DEFAULT_CONCURRENCY,
        rate: float | None = None,
    ) -> None:
        if "$INPUT" not in template and "$MESSAGES" not in template:
            raise UsageError(f"request template {template!r} has no $INPUT", 'e.g. {"input": "$INPUT"}')
        try:
            json.loads(template.replace("$INPUT", "x").replace("$MESSAGES", "[]"))
        except ValueError as error:
            raise UsageError(
                f"request template is not JSON once $INPUT is filled in ({error})",
                'put $INPUT inside a JSON string: {"input": "$INPUT"}',
            ) from None
        if method.upper() not in ("POST", "PUT", "PATCH"):
            raise UsageError(f"method {method!r}: the request carries a JSON body", "use POST, PUT or PATCH")
        self.url = url
        self.template = template
        self.answer_path = answer_path
        self.method = method.upper()
        self.accepts_messages = "$MESSAGES" in template
        self.http = HttpClient(
            url,
            api_key_env=api_key_env,
            headers=headers,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            concurrency=concurrency,
            rate=rate,
        )
        self.name = display_url(url)

    def __repr__(self) -> str:
        return f"RestTarget({self.name!r}, answer_path={self.answer_path!r})"

    def close(self) -> None:
        self.http.close()

    def send(self, messages: Sequence[Message]) -> Reply:
        body = self.template.replace("$INPUT", json.dumps(_last_user_text(messages))[1:-1])
        body = body.replace("$MESSAGES", json.dumps([m.to_dict() for m in messages]))
        data = self.http.request_json(self.method, self.url, json.loads(body))
        try:
            value = _json_path(data, self.answer_path)
        except KeyError as missing:
            keys = ", ".join(sorted(map(str, data))) if isinstance(data, Mapping) else type(data).__name__
            raise TargetError(
                f"{self.name}: no {self.answer_path!r} in the answer (missing {missing}; top level: {keys})",
                "set answer_path to the dotted path of the answer text",
            ) from None
        if isinstance(value, (Mapping, Reply)):
            return parse_reply(value)
        return Reply("" if value is None else str(value))


def _import_callable(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    # The `nbsec` script's sys.path starts at its own bin folder: put the working folder first, as uvicorn and
    # gunicorn do, so `nbsec llm --target mybot:answer` finds mybot.py where the user runs it.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        value: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise UsageError(f"{spec}: cannot import {module_name} ({error})", "is the module on sys.path?") from None
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise UsageError(f"{spec}: {module_name} has no {attribute}", "name a function: module:function")
        value = getattr(value, part)
    return value


def _as_target(value: Any, name: str, options: dict[str, Any]) -> Target:
    if isinstance(value, Target):
        return value
    if callable(value):
        return callable_target(value, name=options.pop("name", name), messages=options.pop("messages", None))
    raise UsageError(f"{name} is a {type(value).__name__}, not a callable or a target", "name a function")


def resolve_target(spec: Any, *, namespace: Mapping[str, Any] | None = None, **options: Any) -> Target:
    """A Target from what the user gave: a Target or callable, an http(s) URL (OpenAI-compatible, or REST
    when `template=` is given), "module:callable", or the name of a variable in `namespace`."""
    if not isinstance(spec, str):
        return _as_target(spec, _callable_name(spec) if callable(spec) else repr(spec), dict(options))
    text = spec.strip()
    if text.lower().startswith(("http://", "https://")):
        if "template" in options or "answer_path" in options:
            return RestTarget(text, **options)
        return OpenAITarget(text, **options)
    if namespace is not None and text in namespace:
        return _as_target(namespace[text], text, dict(options))
    if ":" in text and all(part.replace(".", "").replace("_", "").isalnum() for part in text.split(":", 1)):
        return _as_target(_import_callable(text), text, dict(options))
    raise UsageError(
        f"unknown LLM target {spec!r}",
        "give an http(s):// URL (OpenAI-compatible, or REST with a template), module:callable, "
        "or the name of a variable holding a function",
    )
