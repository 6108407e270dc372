"""`%aisec compliance`: the last report mapped onto a framework, as a widget or a rendered table.

    %aisec compliance                                   # widget: NIST AI RMF, switch framework in it
    %aisec compliance --framework iso42001
    %aisec compliance --framework atlas --format md     # the table as Markdown
    %aisec compliance --framework eu-ai-act -o eu.html  # written to a file
    %aisec compliance --eu-ai-act-tier                  # the EU AI Act risk-tier questionnaire (widget)
    %aisec compliance --eu-ai-act-tier --answers answers.yaml

nbsec.compliance and the widgets are imported inside the handler only.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nbsec.magics import NO_REPORT_MESSAGE, AisecMagics, Subcommand, register_subcommand

FRAMEWORK_CHOICES = ("nist-ai-rmf", "iso42001", "eu-ai-act", "atlas", "owasp-llm", "owasp-ml")
USER_NS_RESULT = "_aisec_compliance"


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--framework", choices=FRAMEWORK_CHOICES, type=str.lower, default="nist-ai-rmf")
    parser.add_argument("--format", "-f", dest="fmt", choices=("md", "html", "json"), help="render instead of a widget")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the table (or tier result) to FILE")
    parser.add_argument("--eu-ai-act-tier", action="store_true", help="the EU AI Act risk-tier questionnaire")
    parser.add_argument("--answers", metavar="FILE", help="with --eu-ai-act-tier: YAML/JSON answers, no widget")


def _run(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> Any:
    if args.eu_ai_act_tier:
        return _tier(magics, args)
    report = magics.last_report
    if report is None:
        print(NO_REPORT_MESSAGE)
        return None
    from nbsec.compliance import map_report
    from nbsec.compliance.render import render

    if args.fmt is None and args.output is None:
        from nbsec.display.views import ComplianceWidget

        widget = ComplianceWidget(report, args.framework)
        _keep(magics, widget.result)
        return widget
    result = map_report(report, args.framework)
    _keep(magics, result)
    fmt = args.fmt or _format_for(args.output) or "md"
    text = render(result, fmt)
    if args.output is not None:
        _write(args.output, text)
        print(f"wrote {fmt} compliance table to {args.output}; {result.summary_line()}")
        return None
    return _shown(text, fmt)


def _tier(magics: AisecMagics, args: argparse.Namespace) -> Any:
    from nbsec.compliance import questionnaire

    if args.answers is None:
        from nbsec.display.views import TierQuestionnaire

        return TierQuestionnaire()
    from nbsec.compliance.inputs import read_answers

    result = questionnaire.assess(questionnaire.normalize_answers(read_answers(args.answers)))
    _keep(magics, result)
    if args.fmt == "json" or (args.output or "").endswith(".json"):
        text, fmt = questionnaire.to_json(result), "json"
    else:
        text, fmt = questionnaire.to_markdown(result), "md"
    if args.output is not None:
        _write(args.output, text)
        print(f"wrote {fmt} EU AI Act tier to {args.output}: {result.tier_title}")
        return None
    return _shown(text, fmt)


def _keep(magics: AisecMagics, result: object) -> None:
    if magics.shell is not None:
        magics.shell.user_ns[USER_NS_RESULT] = result


def _format_for(output: str | None) -> str | None:
    if output is None:
        return None
    lowered = output.lower()
    for suffix, fmt in ((".md", "md"), (".html", "html"), (".htm", "html"), (".json", "json")):
        if lowered.endswith(suffix):
            return fmt
    return None


def _write(path: str, text: str) -> None:
    from pathlib import Path

    from nbsec.errors import UsageError

    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({exc.strerror or exc})", "check that the folder exists") from None


def _shown(text: str, fmt: str) -> Any:
    from IPython.display import HTML, Markdown

    if fmt == "html":
        return HTML(text)
    if fmt == "md":
        return Markdown(text)
    sys.stdout.write(text)
    return None


register_subcommand(
    Subcommand(
        "compliance",
        "the last report mapped onto NIST AI RMF, ISO 42001, EU AI Act, ATLAS, OWASP; EU AI Act tier",
        (
            "%aisec compliance --framework iso42001",
            "%aisec compliance --framework atlas --format md",
            "%aisec compliance --eu-ai-act-tier",
        ),
        _arguments,
        _run,
    )
)
