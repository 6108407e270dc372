"""`%aisec compliance`: a report of this kernel mapped onto a framework, as a widget or a rendered table.

    %aisec compliance                                   # widget over the last report; pick another in it
    %aisec compliance --list                            # the reports this kernel kept, numbered
    %aisec compliance --report 2 --framework iso42001   # report #2 of the list (or a JSON file, or a variable)
    %aisec compliance --framework atlas --format md     # the table as Markdown
    %aisec compliance --framework eu-ai-act -o eu.html  # written to a file
    %aisec compliance --eu-ai-act-tier                  # the EU AI Act risk-tier questionnaire (widget)
    %aisec compliance --eu-ai-act-tier --answers answers.yaml

Every table names the report it maps (the last one of a kernel is not always the one a user just
looked at). nbsec.compliance and the widgets are imported inside the handler only.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from nbsec.magics import NO_REPORT_MESSAGE, AisecMagics, KeptReport, Subcommand, register_subcommand

if TYPE_CHECKING:
    from nbsec.compliance.inputs import ReportSource

FRAMEWORK_CHOICES = ("nist-ai-rmf", "iso42001", "eu-ai-act", "atlas", "owasp-llm", "owasp-ml")
USER_NS_RESULT = "_aisec_compliance"


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--framework", choices=FRAMEWORK_CHOICES, type=str.lower, default="nist-ai-rmf")
    parser.add_argument("--format", "-f", dest="fmt", choices=("md", "html", "json"), help="render instead of a widget")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the table (or tier result) to FILE")
    parser.add_argument(
        "--report",
        metavar="N|PATH|VAR",
        help="the report to map: N from --list, a JSON report file, or a variable holding a Report (default: the last)",
    )
    parser.add_argument("--list", action="store_true", help="list the reports this kernel kept, numbered")
    parser.add_argument("--eu-ai-act-tier", action="store_true", help="the EU AI Act risk-tier questionnaire")
    parser.add_argument("--answers", metavar="FILE", help="with --eu-ai-act-tier: YAML/JSON answers, no widget")


def _run(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> Any:
    if args.eu_ai_act_tier:
        return _tier(magics, args)
    kept = _kept(magics)
    if args.list:
        _print_list(kept)
        return None
    choices = [_kernel_source(entry, last=entry is kept[-1]) for entry in kept]
    if args.report is not None:
        chosen = _chosen(magics, args.report, kept, choices)
    elif choices:
        chosen = choices[-1]
    else:
        print(NO_REPORT_MESSAGE)
        return None
    from nbsec.compliance import map_report
    from nbsec.compliance.render import render

    if args.fmt is None and args.output is None:
        from nbsec.display.views import ComplianceWidget

        selected = next((i for i, source in enumerate(choices) if source is chosen), None)
        if selected is None:  # a file or a variable: offered with the kernel's reports, and shown first
            choices.append(chosen)
            selected = len(choices) - 1
        widget = ComplianceWidget(framework=args.framework, choices=choices, selected=selected)
        _keep(magics, widget.result)
        return widget
    result = map_report(chosen.report, args.framework, source=chosen.label)
    _keep(magics, result)
    fmt = args.fmt or _format_for(args.output) or "md"
    text = render(result, fmt)
    if args.output is not None:
        _write(args.output, text)
        print(f"wrote {fmt} compliance table of {result.input_line()} to {args.output}; {result.summary_line()}")
        return None
    return _shown(text, fmt)


def _kept(magics: AisecMagics) -> list[KeptReport]:
    """The kernel's kept Reports, oldest first; a last_report set without `remember` counts as the last."""
    kept = list(magics.history)
    last = magics.last_report
    if last is not None and not any(entry.report is last for entry in kept):
        kept.append(KeptReport(kept[-1].number + 1 if kept else 1, last))
    return kept


def _kernel_source(entry: KeptReport, *, last: bool) -> ReportSource:
    from nbsec.compliance.inputs import ReportSource

    made_by = f"from `{entry.command}`" if entry.command else ""
    if last:
        where = f"#{entry.number}, {made_by}" if made_by else f"#{entry.number}"
        return ReportSource(entry.report, f"the last report in this kernel ({where})")
    return ReportSource(entry.report, f"report #{entry.number} in this kernel" + (f" ({made_by})" if made_by else ""))


def _chosen(magics: AisecMagics, wanted: str, kept: list[KeptReport], choices: list[ReportSource]) -> ReportSource:
    """--report: a number from --list, a variable holding a Report, or a JSON report file."""
    from nbsec.errors import UsageError
    from nbsec.model import Report

    text = wanted.strip()
    if text.lstrip("#").isdigit():
        number = int(text.lstrip("#"))
        for entry, source in zip(kept, choices, strict=True):
            if entry.number == number:
                return source
        numbers = ", ".join(f"#{entry.number}" for entry in kept) or "none yet"
        raise UsageError(f"no report #{number} in this kernel (kept: {numbers})", "see %aisec compliance --list")
    namespace = magics.shell.user_ns if magics.shell is not None else {}
    if text.isidentifier() and isinstance(namespace.get(text), Report):
        from nbsec.compliance.inputs import ReportSource

        return ReportSource(namespace[text], f"the Report in the variable {text}")
    from nbsec.compliance.inputs import report_file

    return report_file(text)


def _print_list(kept: list[KeptReport]) -> None:
    from nbsec.compliance.coverage import describe_run

    if not kept:
        print(NO_REPORT_MESSAGE)
        return
    print(f"Reports kept in this kernel (the last {len(kept)}; %aisec compliance --report N maps one):")
    for entry in kept:
        mark = "  (last)" if entry is kept[-1] else ""
        print(f"  #{entry.number}  {describe_run(entry.report)}{mark}")
        if entry.command:
            print(f"       from `{entry.command}`")


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
        "a report of this kernel (default: the last) mapped onto NIST AI RMF, ISO 42001, EU AI Act, ATLAS, OWASP; "
        "EU AI Act tier",
        (
            "%aisec compliance --framework iso42001",
            "%aisec compliance --list                  # the kernel's reports; --report N maps one",
            "%aisec compliance --framework atlas --format md",
            "%aisec compliance --eu-ai-act-tier",
        ),
        _arguments,
        _run,
    )
)
