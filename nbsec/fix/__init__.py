"""`nbsec fix`: findings turned into safe, reviewable changes (a diff to read, then an atomic write).

    from nbsec import api
    plan = api.fix(["notebooks/"])                 # dry run: the changes, as diffs, nothing written
    plan = api.fix(["notebooks/"], apply=True)     # written atomically, backups under .nbsec/backups/

The fixers live in the modules of `FIXER_MODULES`, each exposing `FIXERS` (see nbsec.fix.base);
`load_fixers()` is the one table of which rule has a fixer, read by `nbsec rules`, the reports
("fixable") and `nbsec fix`.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from nbsec.fix.base import FixerSpec, fixer_table

# Module -> what it fixes. Each exposes FIXERS: tuple[FixerSpec, ...].
FIXER_MODULES: dict[str, str] = {
    "nbsec.fix.notebook_outputs": "secrets and personal data in cell outputs: redact in place, clear, strip outputs",
    "nbsec.fix.credentials": "credential literals in code: an environment lookup, the name added to .env.example",
    "nbsec.fix.code_calls": "unsafe calls rewritten (torch.load, yaml.load, trust_remote_code, verify=False)",
    "nbsec.fix.checkpoints": "pickle/torch checkpoints holding only tensors: converted to .safetensors",
    "nbsec.fix.requirements": "unpinned or vulnerable requirements: pinned (installed or first fixed version)",
}


@lru_cache(maxsize=1)
def load_fixers() -> dict[str, FixerSpec]:
    """Rule id -> the fixer of that rule, from every module in FIXER_MODULES."""
    specs: list[FixerSpec] = []
    for module in FIXER_MODULES:
        specs.extend(importlib.import_module(module).FIXERS)
    return fixer_table(specs)


def fixable(rule_id: str) -> bool:
    """Whether nbsec can fix findings of this rule (`nbsec fix`)."""
    return rule_id in load_fixers()


def describe(rule_id: str) -> str | None:
    """How `nbsec fix` fixes findings of this rule (its fixer's one line), or None when it has no fixer."""
    spec = load_fixers().get(rule_id)
    return spec.describe if spec is not None else None


def fix_command(path: str, rule_id: str) -> str:
    """The command that fixes one finding: `nbsec fix PATH --rule RULE` (the path quoted for a POSIX shell)."""
    import shlex

    return f"nbsec fix {shlex.quote(path)} --rule {rule_id}"
