"""What `--target` / `%aisec llm TARGET` names, turned into a Target and what nbsec knows about it.

    demo, demo-hardened          nbsec's deliberately vulnerable demo app, in process (and its canaries)
    http(s)://HOST/v1            an OpenAI-compatible chat-completions endpoint (a REST one with a template)
    module:callable              a Python callable you name (your module is imported: you asked for it)
    NAME                         a variable of the notebook's namespace (`%aisec llm chat`)
    a Target or a callable       as is (Python API)

The user's own context (canaries, restricted values, known prompt, ...) adds to what nbsec knows of the
demo app; for other targets it is all nbsec knows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nbsec.llm.types import ProbeContext, Target

DEMO_TARGETS = ("demo", "demo-hardened")


@dataclass(frozen=True)
class OpenedTarget:
    target: Target
    context: ProbeContext
    close: Callable[[], None] = lambda: None


def merge_context(known: ProbeContext, given: ProbeContext | None) -> ProbeContext:
    """`known` plus what the user gave: lists are joined (no duplicates), a prompt the user gave wins."""
    if given is None:
        return known

    def joined(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(dict.fromkeys((*a, *b)))

    return dataclasses.replace(
        known,
        canaries=joined(known.canaries, given.canaries),
        restricted=joined(known.restricted, given.restricted),
        known_prompt=given.known_prompt or known.known_prompt,
        system_prompt=given.system_prompt or known.system_prompt,
        tools=known.tools + tuple(t for t in given.tools if t.name not in {k.name for k in known.tools}),
        allowed_hosts=joined(known.allowed_hosts, given.allowed_hosts),
    )


def open_target(
    spec: Any,
    *,
    namespace: Mapping[str, Any] | None = None,
    context: ProbeContext | None = None,
    **options: Any,
) -> OpenedTarget:
    """The Target `spec` names and the ProbeContext to probe it with (see the module docstring)."""
    from nbsec.llm.targets import callable_target, resolve_target

    if isinstance(spec, str) and spec in DEMO_TARGETS:
        from nbsec.llm.demo_app import DemoApp, demo_context

        hardened = spec == "demo-hardened"
        app = DemoApp(hardened=hardened)
        target = callable_target(app.respond, name=f"nbsec demo app ({'hardened' if hardened else 'vulnerable'})")
        return OpenedTarget(target, merge_context(demo_context(hardened), context))
    if isinstance(spec, Target) and not callable(spec):
        return OpenedTarget(spec, context or ProbeContext())
    if callable(spec) and not isinstance(spec, str):
        return OpenedTarget(callable_target(spec, **options), context or ProbeContext())
    target = resolve_target(str(spec), namespace=namespace, **options)
    close = getattr(target, "close", None)
    return OpenedTarget(target, context or ProbeContext(), close if callable(close) else (lambda: None))
