"""The README's LLM coverage tables are exactly what the probe registry and the rule catalogue say today."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def coverage() -> ModuleType:
    spec = importlib.util.spec_from_file_location("llm_coverage", ROOT / "scripts" / "llm_coverage.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_tables_match_the_registries() -> None:
    module = coverage()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert module.readme_block(readme) == module.tables(), "run: python scripts/llm_coverage.py --write"


def test_every_probe_family_and_every_llm_rule_appears() -> None:
    from nbsec.llm.probes import all_probes
    from nbsec.llm.rules import RULES

    text = coverage().tables()
    for probe in all_probes():
        if probe.garak:
            assert f"`{probe.id}`" in text
    assert all(rule.id in text for rule in RULES)
