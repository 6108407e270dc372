"""The Scanner contract and the registry (built-ins plus entry points `nbsec.scanners`).

A scanner turns one file into Findings. It never prints, never exits, never
imports a surface. What it cannot scan it yields as a ScanError; what a person
suppressed inline it yields as a Suppressed; how it scanned, as a Note; exceptions it raises are caught by
the engine and become ScanErrors too, so one bad file never stops a scan.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import ClassVar

from nbsec.config import Config
from nbsec.model import Finding, Rule, ScanError, Suppressed
from nbsec.targets import FileTarget

ENTRY_POINT_GROUP = "nbsec.scanners"


@dataclass(frozen=True)
class Note:
    """Something a reviewer should know about how a target was scanned (not a finding, not an error)."""

    text: str


ScanResult = Finding | ScanError | Suppressed | Note


class Scanner(abc.ABC):
    """Subclass, set the class attributes, implement `scan`, then `register()` it."""

    name: ClassVar[str]
    description: ClassVar[str]
    kinds: ClassVar[frozenset[str]]
    rules: ClassVar[tuple[Rule, ...]] = ()

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()

    def applies_to(self, target: FileTarget) -> bool:
        return target.kind in self.kinds

    @abc.abstractmethod
    def scan(self, target: FileTarget) -> Iterable[ScanResult]:
        """Yield findings, errors and inline-suppressed findings for one file."""


_REGISTRY: dict[str, type[Scanner]] = {}
_PLUGIN_ERRORS: list[ScanError] = []
_loaded = False


def register(scanner: type[Scanner]) -> type[Scanner]:
    """Add a scanner class (usable as a decorator); `nbsec.rule_catalogue` lists its rules."""
    if not getattr(scanner, "name", ""):
        raise ValueError(f"{scanner.__qualname__} has no `name`")
    existing = _REGISTRY.get(scanner.name)
    if existing is not None and existing is not scanner:
        raise ValueError(f"a scanner named {scanner.name!r} is already registered ({existing.__module__})")
    _REGISTRY[scanner.name] = scanner
    return scanner


def _load(reload: bool = False) -> None:
    global _loaded
    if _loaded and not reload:
        return
    _loaded = True
    _PLUGIN_ERRORS.clear()
    # Built-ins first, so a plugin cannot take a built-in's name.
    from nbsec.scanners import artifacts, notebook  # noqa: F401  (register on import)
    from nbsec.supply_chain import scanner as _dependencies  # noqa: F401  (registers "dependencies")
    from nbsec.threatmodel import scanner as _threat_model  # noqa: F401  (registers "threat-model")

    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = entry.load()
            if plugin not in _REGISTRY.values():
                register(plugin)
        except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, never fatal
            _PLUGIN_ERRORS.append(
                ScanError(
                    scanner=f"plugin:{entry.name}",
                    target=entry.value,
                    message=f"could not load scanner plugin: {type(exc).__name__}: {exc}",
                    hint=f"fix or uninstall the package that provides entry point {entry.name!r}",
                )
            )


def registry(reload: bool = False) -> dict[str, type[Scanner]]:
    """All scanners by name, loading built-ins and entry points on first use (or on reload)."""
    _load(reload)
    return dict(_REGISTRY)


def plugin_errors() -> list[ScanError]:
    _load()
    return list(_PLUGIN_ERRORS)
