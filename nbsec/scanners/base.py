"""The Scanner contract and `register`; `nbsec.scanners.loader` loads the built-ins and the plugins.

A scanner turns one file into Findings. It never prints, never exits, never
imports a surface. What it cannot scan it yields as a ScanError; what a person
suppressed inline it yields as a Suppressed; how it scanned, as a Note; a secret value it found, as a
SecretValue (for the engine's redaction of the other findings, never reported); exceptions it raises are
caught by the engine and become ScanErrors too, so one bad file never stops a scan.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import ClassVar, NamedTuple

from nbsec.config import Config
from nbsec.model import Finding, Rule, ScanError, Suppressed
from nbsec.targets import FileTarget


class Note(NamedTuple):
    """Something a reviewer should know about how a target was scanned (not a finding, not an error)."""

    text: str


class SecretValue(NamedTuple):
    """A secret value a scanner found, for the scanning loop only: never stored in a Report, never printed.

    The loop redacts it from every other finding of the same file (a dependency line or a `pickle.load`
    line that also holds a token) and, when a baseline imported from detect-secrets is in use, matches
    its SHA-1 against that baseline. `fingerprint` is the finding that reports it ("" when none does).
    """

    value: str
    fingerprint: str = ""

    def __repr__(self) -> str:
        return f"SecretValue(<hidden>, fingerprint={self.fingerprint!r})"


ScanResult = Finding | ScanError | Suppressed | Note | SecretValue


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


def register(scanner: type[Scanner]) -> type[Scanner]:
    """Add a scanner class (usable as a decorator); `nbsec.rule_catalogue` lists its rules.

    Built-in scanners call this when `nbsec.scanners.loader` imports them; plugins are
    registered from their entry point.
    """
    if not getattr(scanner, "name", ""):
        raise ValueError(f"{scanner.__qualname__} has no `name`")
    existing = _REGISTRY.get(scanner.name)
    if existing is not None and existing is not scanner:
        raise ValueError(f"a scanner named {scanner.name!r} is already registered ({existing.__module__})")
    _REGISTRY[scanner.name] = scanner
    return scanner


def registered() -> dict[str, type[Scanner]]:
    """The scanners registered so far (`nbsec.scanners.loader.registry()` loads them all first)."""
    return dict(_REGISTRY)
