"""LLM-application security: probe a chatbot, RAG app or agent offline, guard it, monitor what the guard sees.

    from nbsec.llm import guard
    safe_chat = guard(chat, canaries=["nbsec-canary-..."], allowed_hosts=["docs.example.com"], log="guard.db")
    reply = safe_chat("What are your opening hours?")   # GuardedReply: .text, .blocked, .input, .output

    from nbsec import api
    report = api.probe_llm("http://127.0.0.1:8000/v1", probes=["prompt-injection", "encoding"])

Names load on first use: `import nbsec.llm` pulls in nothing but this module, and the guard needs no
Jupyter, torch or plotly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.llm.guards import Guard, GuardedReply, Verdict, guard
    from nbsec.llm.harness import run_probes
    from nbsec.llm.targets import OpenAITarget, RestTarget, callable_target, resolve_target
    from nbsec.llm.types import Message, ProbeContext, Reply, Target, TargetError, Tool, ToolCall

_NAMES: dict[str, str] = {
    "guard": "nbsec.llm.guards",
    "Guard": "nbsec.llm.guards",
    "GuardedReply": "nbsec.llm.guards",
    "Verdict": "nbsec.llm.guards",
    "run_probes": "nbsec.llm.harness",
    "callable_target": "nbsec.llm.targets",
    "OpenAITarget": "nbsec.llm.targets",
    "RestTarget": "nbsec.llm.targets",
    "resolve_target": "nbsec.llm.targets",
    "Message": "nbsec.llm.types",
    "ProbeContext": "nbsec.llm.types",
    "Reply": "nbsec.llm.types",
    "Target": "nbsec.llm.types",
    "TargetError": "nbsec.llm.types",
    "Tool": "nbsec.llm.types",
    "ToolCall": "nbsec.llm.types",
}
__all__ = [
    "Guard",
    "GuardedReply",
    "Message",
    "OpenAITarget",
    "ProbeContext",
    "Reply",
    "RestTarget",
    "Target",
    "TargetError",
    "Tool",
    "ToolCall",
    "Verdict",
    "callable_target",
    "guard",
    "resolve_target",
    "run_probes",
]


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'nbsec.llm' has no attribute {name!r}")
    return getattr(import_module(module), name)
