"""`nbsec compliance`: a Report mapped onto NIST AI RMF, ISO/IEC 42001, the EU AI Act, ATLAS, OWASP; EU AI Act tier."""

from __future__ import annotations

import json
from pathlib import Path

import click

from nbsec.commands._group import NbsecGroup
from nbsec.errors import UsageError

FRAMEWORK_CHOICES = ("nist-ai-rmf", "iso42001", "eu-ai-act", "atlas", "owasp-llm", "owasp-ml")
TABLE_FORMATS = ("md", "html", "json")


class _DefaultMapGroup(NbsecGroup):
    """`nbsec compliance REPORT.json ...` is `nbsec compliance map REPORT.json ...`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["map", *args]
        return super().parse_args(ctx, args)


COMPLIANCE_HELP = """\
Map a JSON report onto a framework: for each NIST AI RMF subcategory, ISO/IEC
42001 Annex A control, EU AI Act article, MITRE ATLAS technique or mitigation,
or OWASP risk, which nbsec rules ran and found nothing (evidence), which found
problems (findings), and which nothing tested. And the EU AI Act risk-tier
questionnaire.

\b
Examples:
  nbsec scan . -f json -o report.json
  nbsec compliance report.json --framework nist-ai-rmf
  nbsec compliance report.json --framework iso42001 -f html -o iso42001.html
  nbsec compliance report.json --framework atlas -f json | jq .summary
  nbsec compliance eu-ai-act-tier                     answer the questions interactively
  nbsec compliance eu-ai-act-tier --answers answers.yaml -f json
  nbsec compliance frameworks                         the catalogues, versions and sources

\b
Exit codes: 0 done; 2 bad input (not an nbsec JSON report, unknown framework, incomplete answers).
"""


@click.group(
    "compliance",
    cls=_DefaultMapGroup,
    help=COMPLIANCE_HELP,
    short_help="Map a report onto NIST AI RMF, ISO 42001, EU AI Act, ATLAS, OWASP.",
)
def compliance_group() -> None:
    pass


MAP_HELP = """\
The compliance table of REPORT (the file `nbsec scan -f json` writes; `-` reads
stdin) for one framework; the output names that report. An item has *findings*
when a finding maps to it, *evidence* when a rule mapped to it ran in this
report (a check that covers it passed or failed) and found nothing, and is *not
tested* otherwise (a rule whose check did not run is never evidence). Rules map through their references and
nbsec's reviewed crosswalk from OWASP ids. Evidence is not a statement of
compliance: policies and processes are outside what a scanner sees.

\b
Examples:
  nbsec compliance report.json --framework eu-ai-act
  nbsec compliance map report.json --framework owasp-llm -f json -o owasp.json
"""


@compliance_group.command("map", help=MAP_HELP, short_help="The compliance table of a JSON report.")
@click.argument("report_file", metavar="REPORT", type=click.Path(path_type=str, dir_okay=False, allow_dash=True))
@click.option(
    "--framework",
    required=True,
    type=click.Choice(FRAMEWORK_CHOICES, case_sensitive=False),
    help="The framework to map onto.",
)
@click.option(
    "--format", "-f", "fmt", type=click.Choice(TABLE_FORMATS), help="md, html or json [default: from -o, else md]"
)
@click.option("--output", "-o", type=click.Path(path_type=str, dir_okay=False), help="Write to FILE instead of stdout.")
def map_command(report_file: str, framework: str, fmt: str | None, output: str | None) -> None:
    from nbsec.compliance import map_report
    from nbsec.compliance.inputs import read_report
    from nbsec.compliance.render import render

    report = read_report(report_file)
    chosen = fmt or _format_from(output) or "md"
    result = map_report(report, framework.lower(), source="standard input" if report_file == "-" else report_file)
    text = render(result, chosen)
    _emit(text, output)
    if output is not None:
        click.echo(f"nbsec: wrote {chosen} compliance table to {output}", err=True)
    click.echo(f"nbsec: mapped {result.input_line()}", err=True)
    click.echo(f"nbsec: {result.summary_line()}", err=True)


def _format_from(output: str | None) -> str | None:
    if output is None:
        return None
    suffix = Path(output).suffix.lower().lstrip(".")
    return {"md": "md", "markdown": "md", "html": "html", "htm": "html", "json": "json"}.get(suffix)


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{output}: cannot write ({exc.strerror or exc})", "check that the folder exists") from None


# -- eu-ai-act-tier ---------------------------------------------------------------------------

TIER_HELP = """\
Answer questions about an AI system (prohibited practices of Art. 5, Annex I
products and Annex III use cases, the Art. 6(3) filter, Art. 50 transparency
cases, general-purpose AI models) and get its EU AI Act risk tier (prohibited,
high-risk, limited risk, minimal) with the obligations that follow: article,
who carries it, what it asks, and from when it applies. Interactive by
default; --answers FILE (YAML or JSON, question id -> yes/no) for CI.
A first reading to scope the work, not legal advice.

\b
Examples:
  nbsec compliance eu-ai-act-tier
  nbsec compliance eu-ai-act-tier --template > answers.yaml
  nbsec compliance eu-ai-act-tier --answers answers.yaml -f json -o tier.json
"""


@compliance_group.command("eu-ai-act-tier", help=TIER_HELP, short_help="EU AI Act risk tier and obligations.")
@click.option("--answers", "answers_file", type=click.Path(path_type=str, dir_okay=False), help="YAML/JSON answers.")
@click.option("--format", "-f", "fmt", type=click.Choice(("md", "json")), help="md or json [default: from -o, else md]")
@click.option("--output", "-o", type=click.Path(path_type=str, dir_okay=False), help="Write to FILE instead of stdout.")
@click.option("--template", is_flag=True, help="Print an answers file to fill in, and exit.")
def tier_command(answers_file: str | None, fmt: str | None, output: str | None, template: bool) -> None:
    from nbsec.compliance import questionnaire

    if template:
        _emit(questionnaire.template(), output)
        return
    from nbsec.compliance.inputs import read_answers

    raw = read_answers(answers_file) if answers_file is not None else ask_interactively()
    result = questionnaire.assess(questionnaire.normalize_answers(raw))
    chosen = fmt or ("json" if _format_from(output) == "json" else "md")
    text = questionnaire.to_json(result) if chosen == "json" else questionnaire.to_markdown(result)
    _emit(text, output)
    click.echo(f"nbsec: {result.tier_title}; {len(result.obligations)} obligation(s)", err=True)


def ask_interactively() -> dict[str, object]:
    """Ask each question that applies given the earlier answers (click prompts; stdin when piped)."""
    from nbsec.compliance import questionnaire

    answers: dict[str, str] = {}
    section = ""
    for question in questionnaire.questions():
        if not questionnaire.asked(question, answers):
            continue
        if question.section != section:
            section = question.section
            click.echo(f"\n{section}", err=True)
        prompt = f"{question.text} [{', '.join(question.refs)}]"
        if question.type == "choice":
            value = click.prompt(prompt, type=click.Choice(question.choices), err=True)
        else:  # no default: Enter alone asks again, a missing answer is never taken as "no"
            value = "yes" if click.confirm(prompt, default=None, err=True) else "no"
        answers[question.id] = question.parse(value)
    click.echo("", err=True)
    return dict(answers)


# -- frameworks -----------------------------------------------------------------------------


@compliance_group.command("frameworks", short_help="List the bundled catalogues, versions and sources.")
@click.option("--format", "-f", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
def frameworks_command(fmt: str) -> None:
    """The framework catalogues nbsec ships: key, name, version, ids and where they come from."""
    from nbsec.compliance import FRAMEWORKS, catalogue

    described = [catalogue(key).describe() for key in FRAMEWORKS]
    if fmt == "json":
        click.echo(json.dumps(described, indent=2, ensure_ascii=False))
        return
    for d in described:
        counts = ", ".join(f"{n} {kind}" for kind, n in d["ids"].items())
        click.echo(f"{d['key']:<12} {d['framework']} {d['version']}: {counts}")
        click.echo(f"{'':<12} {d['title']}")
