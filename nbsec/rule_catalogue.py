"""The rule catalogue: every rule nbsec can report, built from one explicit list of rule modules.

`nbsec rules`, `nbsec explain`, the reporters (SARIF rule metadata, JUnit), compliance
mapping and the rule contract tests all read this one catalogue. A rule module is a light
module (stdlib + `nbsec.model`) whose `RULES` tuple holds its `Rule`s; importing it
registers nothing, so which rules exist never depends on what happened to be imported.
Scanner plugins (entry points `nbsec.scanners`) add their `Scanner.rules`.

To add a rule: put the `Rule` in its family's rule module's `RULES` (or add a new module
to `RULE_MODULES`), give it a trigger and a clean sample, and produce findings with
`rule.finding(location, evidence)`. docs/architecture.md walks through it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from nbsec.model import RULE_ID_PATTERN, Finding, Report, Rule

# Module -> what its rules cover. Order is only the order errors are reported in.
RULE_MODULES: dict[str, str] = {
    "nbsec.scanners.artifacts.rules": "model files, archives, manifests",
    "nbsec.scanners.notebook.rules": "unsafe code in notebooks and Python files",
    "nbsec.scanners.notebook.content_rules": "secrets and personal data in notebooks and files",
    "nbsec.supply_chain.rules": "dependencies and advisories",
    "nbsec.threatmodel.library": "the AI threat library (threat models)",
    "nbsec.adversarial.rules": "adversarial robustness, poisoning, privacy",
    "nbsec.lineage.rules": "data lineage verification",
    "nbsec.llm.rules": "LLM applications: probes, the guard's log, endpoints",
}
# Producers of findings that are not file scanners (they read objects and stores): a rule's
# `scanner` names either a registered scanner or one of these.
RUNNERS: frozenset[str] = frozenset({"adversarial", "lineage", "llm"})


@dataclass(frozen=True)
class FindingGroup:
    """A category reports group findings under: a key, what readers see, and the scanners whose rules it holds."""

    key: str
    label: str
    scanners: frozenset[str] = frozenset()


# How every surface groups findings (the notebook view, the HTML and Markdown reports), in one place: a rule
# belongs to the group naming its `scanner`. A plugin's rule, or a rule id this nbsec does not know, is "other".
FINDING_GROUPS: tuple[FindingGroup, ...] = (
    FindingGroup("code", "Code", frozenset({"notebook-code"})),
    FindingGroup("checkpoints", "Checkpoints and model files", frozenset({"model-artifacts"})),
    FindingGroup("secrets", "Secrets and personal data", frozenset({"notebook-content"})),
    FindingGroup("supply-chain", "Supply chain", frozenset({"dependencies"})),
    FindingGroup("threat-model", "Threat model", frozenset({"threat-model"})),
    FindingGroup("lineage", "Lineage", frozenset({"lineage"})),
    FindingGroup("adversarial", "Adversarial robustness, poisoning and privacy", frozenset({"adversarial"})),
    FindingGroup("llm", "LLM applications", frozenset({"llm"})),
)
OTHER_GROUP = FindingGroup("other", "Other")


@dataclass(frozen=True)
class RuleCatalogue:
    """All rules by id, and the plugins whose rules could not be loaded (name, error)."""

    rules: tuple[Rule, ...]
    failures: tuple[tuple[str, str], ...] = field(default=())

    def get(self, rule_id: str) -> Rule | None:
        wanted = rule_id.strip().upper()
        return next((rule for rule in self.rules if rule.id == wanted), None)

    def ids(self) -> list[str]:
        return [rule.id for rule in self.rules]

    def by_scanner(self) -> dict[str, list[Rule]]:
        out: dict[str, list[Rule]] = {}
        for rule in self.rules:
            out.setdefault(rule.scanner, []).append(rule)
        return out


_CATALOGUE: RuleCatalogue | None = None
_BY_ID: dict[str, Rule] = {}


def load_catalogue(*, reload: bool = False) -> RuleCatalogue:
    """Every rule nbsec can report (built once per process; `reload=True` rebuilds it)."""
    global _CATALOGUE
    if _CATALOGUE is not None and not reload:
        return _CATALOGUE
    by_id: dict[str, Rule] = {}
    for name in RULE_MODULES:
        # A built-in rule module that fails to import is a bug in nbsec: let it raise.
        module = importlib.import_module(name)
        for rule in module.RULES:
            _add(by_id, rule, name)
    failures = _add_plugin_rules(by_id)
    _BY_ID.clear()
    _BY_ID.update(by_id)
    _CATALOGUE = RuleCatalogue(tuple(sorted(by_id.values(), key=lambda r: r.id)), failures)
    return _CATALOGUE


def get_rule(rule_id: str) -> Rule | None:
    """The rule with this id (case-insensitive), or None."""
    if _CATALOGUE is None:
        load_catalogue()
    return _BY_ID.get(rule_id.strip().upper())


def all_rules() -> list[Rule]:
    return list(load_catalogue().rules)


def finding_group(rule_id: str) -> FindingGroup:
    """The group a finding of this rule is listed under (OTHER_GROUP for a plugin's or an unknown rule)."""
    rule = get_rule(rule_id)
    scanner = rule.scanner if rule is not None else ""
    return next((group for group in FINDING_GROUPS if scanner in group.scanners), OTHER_GROUP)


def report_order(report: Report) -> list[Finding]:
    """The one order findings are listed in: by group, the group with the worst finding first (ties in
    FINDING_GROUPS order), and inside a group `Report.sorted_findings()` order (worst first, then by place).

    `nbsec.api.finish` stores a Report's findings in this order, so `report.findings[0]` is the first row
    every surface shows, and a finding of the worst severity.
    """
    worst_first = report.sorted_findings()
    order = [group.key for group in (*FINDING_GROUPS, OTHER_GROUP)]
    keys = [finding_group(f.rule_id).key for f in worst_first]
    worst: dict[str, int] = {}
    for key, finding in zip(keys, worst_first, strict=True):
        worst.setdefault(key, finding.severity.rank)  # the first of a group is its worst
    ranked = sorted(zip(keys, worst_first, strict=True), key=lambda pair: (-worst[pair[0]], order.index(pair[0])))
    return [finding for _, finding in ranked]


def _add(by_id: dict[str, Rule], rule: Rule, origin: str) -> None:
    if not RULE_ID_PATTERN.match(rule.id):
        raise ValueError(f"{origin}: rule id {rule.id!r} must look like NBSEC-XX-001")
    existing = by_id.get(rule.id)
    if existing is not None and existing != rule:
        raise ValueError(f"{origin}: rule id {rule.id} is already used by {existing.scanner!r}; ids are never reused")
    by_id[rule.id] = rule


def _add_plugin_rules(by_id: dict[str, Rule]) -> tuple[tuple[str, str], ...]:
    """Rules of scanner plugins; a plugin that fails to load is a failure, never fatal."""
    from nbsec.scanners.loader import plugin_errors, registry

    failures = [(error.scanner, error.message) for error in plugin_errors()]
    for scanner in registry().values():
        for rule in scanner.rules:
            try:
                _add(by_id, rule, f"scanner {scanner.name!r} ({scanner.__module__})")
            except ValueError as exc:
                failures.append((scanner.name, str(exc)))
    return tuple(failures)
