"""Load every rule nbsec can report, wherever it is registered.

Rules register themselves on import: the scanners through `nbsec.scanners.registry()`,
feature packages (threat model, adversarial, lineage, ...) from a light module of their
own. To find those without importing every module of nbsec (some pull in torch), the
package folder is walked and only two kinds of module are imported: those named
`rules.py` / `*_rules.py`, and those whose source calls `register_rule(` (the threat
library registers from `library.py`). Surfaces (commands, magics, widgets) are left
out: they register nothing. A module that fails to import is reported, never fatal: a
compliance table built without its rules still shows what the findings themselves cite.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import nbsec
from nbsec.model import Rule, all_rules

# Folders that hold no rule modules: data, the model that defines register_rule, surfaces, this package.
_SKIP_DIRS = {"data", "__pycache__", "schema", "static", "model", "commands", "magics", "widgets", "compliance"}
_REGISTERS = "register_rule("


@dataclass(frozen=True)
class RuleIndex:
    """All registered rules, and the rule modules that could not be imported (module, error)."""

    rules: tuple[Rule, ...]
    modules: tuple[str, ...]
    failures: tuple[tuple[str, str], ...] = field(default=())

    def by_scanner(self) -> dict[str, list[Rule]]:
        out: dict[str, list[Rule]] = {}
        for rule in self.rules:
            out.setdefault(rule.scanner, []).append(rule)
        return out


def rule_module_names(root: Path | None = None) -> list[str]:
    """Dotted names of the modules under the nbsec package that declare or register rules, sorted."""
    base = root or Path(nbsec.__file__).resolve().parent
    names = []
    for path in base.rglob("*.py"):
        rel = path.relative_to(base)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        named = path.stem == "rules" or path.stem.endswith("_rules")
        if named or _REGISTERS in path.read_text(encoding="utf-8", errors="replace"):
            parts = rel.parts[:-1] if path.stem == "__init__" else (*rel.parts[:-1], path.stem)
            names.append(".".join(("nbsec", *parts)))
    return sorted(names)


def load_rules() -> RuleIndex:
    """Register every rule (scanners first, then every rule module) and return the catalogue."""
    failures: list[tuple[str, str]] = []
    try:
        from nbsec.scanners import registry

        registry()
    except Exception as exc:  # noqa: BLE001 - reported in the index, the rest still loads
        failures.append(("nbsec.scanners", f"{type(exc).__name__}: {exc}"))
    modules = rule_module_names()
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - one broken feature package must not hide the others
            failures.append((name, f"{type(exc).__name__}: {exc}"))
    return RuleIndex(rules=tuple(all_rules()), modules=tuple(modules), failures=tuple(failures))
