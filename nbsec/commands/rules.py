"""`nbsec rules` and `nbsec explain`: the rule catalogue on the command line."""

from __future__ import annotations

import difflib
import json
import textwrap
from typing import TYPE_CHECKING

import click

from nbsec.errors import UsageError

if TYPE_CHECKING:
    from nbsec.model import Rule


# -- rules / explain ---------------------------------------------------------------------

RULES_HELP = """\
List every rule nbsec checks: its id, default severity and confidence, and
title. Severity says how bad a true finding is; confidence how likely a
finding is true. Use `nbsec explain ID` for the full text of one rule.

\b
FIX says whether `nbsec fix` can fix a rule's findings.

\b
Examples:
  nbsec rules
  nbsec rules --format json | jq '.[].id'
"""


def _catalogue() -> list[Rule]:
    from nbsec.rule_catalogue import all_rules

    return all_rules()


@click.command("rules", help=RULES_HELP, short_help="List the rules nbsec checks.")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
def rules_command(fmt: str) -> None:
    from nbsec.fix import describe

    rules = _catalogue()
    if fmt == "json":
        click.echo(json.dumps([{**r.to_dict(), "fix": describe(r.id)} for r in rules], indent=2))
        return
    id_width = max((len(r.id) for r in rules), default=2)
    click.echo(f"{'ID':<{id_width}}  {'SEVERITY':<8}  {'CONFIDENCE':<10}  {'FIX':<3}  TITLE")
    for rule in rules:
        fix = "yes" if describe(rule.id) else "-"
        click.echo(
            f"{rule.id:<{id_width}}  {rule.severity.value:<8}  {rule.confidence.value:<10}  {fix:<3}  {rule.title}"
        )


EXPLAIN_HELP = """\
Show everything about one rule: what it detects and why it matters, how to
fix it, the framework references (CWE, MITRE ATLAS, OWASP, ...) with links,
a sample that triggers it and one that does not, and how to suppress it.

\b
Examples:
  nbsec explain NBSEC-NB-001
  nbsec explain nbsec-nb-002
"""


@click.command("explain", help=EXPLAIN_HELP, short_help="Explain one rule and how to fix it.")
@click.argument("rule_id")
def explain_command(rule_id: str) -> None:
    from nbsec.rule_catalogue import get_rule

    rules = _catalogue()
    rule = get_rule(rule_id)
    if rule is None:
        ids = [r.id for r in rules]
        close = difflib.get_close_matches(rule_id.strip().upper(), ids, n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise UsageError(f"{rule_id}: no such rule", f"{hint}list the rules with `nbsec rules`")
    click.echo(explain_text(rule))


def _paragraph(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), width=88, initial_indent=indent, subsequent_indent=indent)


def _code_block(code: str) -> str:
    return textwrap.indent(code.rstrip("\n"), "    ")


def _fix_text(rule_id: str) -> str:
    from nbsec.fix import describe

    how = describe(rule_id)
    if how is None:
        return "none: nbsec fix has no fixer for this rule; fix it by hand as the remediation says."
    return f"{how}. Review the diff with `nbsec fix PATH --rule {rule_id}`, then write it with --apply."


def explain_text(rule: Rule) -> str:
    lines = [
        f"{rule.id}  {rule.title}",
        f"severity: {rule.severity.value}   confidence: {rule.confidence.value}   "
        f"scanner: {rule.scanner or '-'}   category: {rule.category}",
        "",
        "Description",
        _paragraph(rule.description),
        "",
        "Remediation",
        _paragraph(rule.remediation),
        "",
        "Automatic fix",
        _paragraph(_fix_text(rule.id)),
    ]
    if rule.references:
        lines += ["", "References"]
        for ref in rule.references:
            url = f"  {ref.url}" if ref.url else ""
            lines.append(f"  {ref.framework} {ref.id}{url}")
    source_samples = "\n" in rule.sample_trigger  # code rules carry source; binary formats name a test builder
    if source_samples:
        lines += ["", "Triggers on", _code_block(rule.sample_trigger)]
        if rule.sample_clean:
            lines += ["", "Does not trigger on", _code_block(rule.sample_clean)]
    elif rule.sample_trigger:
        lines += [
            "",
            "Samples (binary; built at test time, never stored)",
            f"  triggers:          {rule.sample_trigger}",
            f"  does not trigger:  {rule.sample_clean}",
        ]
    lines += ["", "Suppress (after review, with a reason)"]
    if source_samples:
        lines.append(f"  on the line:   # nbsec: ignore[{rule.id}] <why this is safe>")
    lines.append(f'  in a config:   exclude_rules = ["{rule.id}"]   under [tool.nbsec]')
    if rule.id == "NBSEC-ART-002":
        lines.append("  trust a class: --allow-global MODULE.NAME, or allow_globals = [...] under [tool.nbsec]")
    return "\n".join(lines)
