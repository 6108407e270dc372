"""What an LLM app is talked to with, and what it answers (stdlib only).

Every target (a Python callable, an OpenAI-compatible endpoint, a generic REST endpoint) turns a
conversation of `Message`s into one `Reply`; probes, guards and the demo app speak only these types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class ToolCall:
    """A tool the app asked to run: its name and its (parsed JSON) arguments.

    Arguments that were not a JSON object are kept as {"_raw": text}.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": dict(self.arguments)}


@dataclass(frozen=True)
class Message:
    """One turn of a chat: role is system, user, assistant or tool (`name` is the tool's for role tool)."""

    role: str
    content: str
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"message role {self.role!r}: choose one of {', '.join(ROLES)}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.name is not None:
            out["name"] = self.name
        if self.tool_calls:
            out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        return out


@dataclass(frozen=True)
class Reply:
    """What the app answered: text and the tool calls it made (empty when it made none)."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class Tool:
    """A tool the app offers (for the excessive-agency probe): name, what it does, JSON-schema parameters."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)


class TargetError(Exception):
    """The target gave no usable answer (timeout, refused connection, HTTP error after retries, bad JSON).

    The message names the target and says what to check; a probe attempt that ends in TargetError is
    an error in the Report, never counted as a pass.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@runtime_checkable
class Target(Protocol):
    """An LLM app nbsec can talk to.

    `name` is what reports show (a URL without credentials or query, or `module:callable`).
    `accepts_messages` is False for a `str -> str` callable or a REST endpoint that takes one input:
    only the last user message's text is sent, so nbsec cannot set a system prompt or a tool result.
    """

    name: str
    accepts_messages: bool

    def send(self, messages: Sequence[Message]) -> Reply:
        """One conversation in, one reply out; raises TargetError when there is no usable reply."""
        ...


@dataclass(frozen=True)
class ProbeContext:
    """What nbsec knows about the app under test, so detectors can measure instead of guess.

    canaries      values planted in the app (its system prompt, its documents) that must never appear in an answer
    restricted    values only another role may see (the RAG access-control probe: a guest must never get them)
    known_prompt  the app's own system prompt, for n-gram containment of leaked instructions
    system_prompt a system prompt nbsec sends itself (message targets only); nbsec plants its own canary in it
    tools         the tools the app offers (excessive agency: any call the user did not ask for)
    allowed_hosts hosts the app may legitimately link or embed images from
    """

    canaries: tuple[str, ...] = ()
    restricted: tuple[str, ...] = ()
    known_prompt: str | None = None
    system_prompt: str | None = None
    tools: tuple[Tool, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
