"""The whole rule catalogue: scanner rules and the rules of the runners that are not file scanners.

File scanners register their rules when `nbsec.scanners.registry()` loads them. The
adversarial runners and the lineage verifier produce findings too, but from objects
and stores rather than from scanned files, so they are not in the scanner registry;
their rules live in light modules (stdlib + nbsec.model) imported here. `nbsec rules`,
`nbsec explain`, the reporters and the rule contract test all read this one catalogue.
"""

from __future__ import annotations

import importlib

from nbsec.model import Rule, all_rules

# Producer name (Rule.scanner) -> the module that registers its rules.
RUNNER_RULE_MODULES: dict[str, str] = {
    "adversarial": "nbsec.adversarial.rules",
    "lineage": "nbsec.lineage.rules",
}


def load_catalogue() -> list[Rule]:
    """Register every rule nbsec can report and return them, sorted by id."""
    from nbsec.scanners import registry

    registry()
    for module in RUNNER_RULE_MODULES.values():
        importlib.import_module(module)
    return all_rules()
