"""`%aisec llm TARGET`: probe an LLM app from the notebook; `%aisec llm monitor LOG`; `%aisec llm audit URL`.

    %aisec llm demo                                    every probe against nbsec's vulnerable demo app
    r = %aisec llm chat --probes prompt-injection      `chat` is a variable: a function str -> str (or messages)
    %aisec llm http://127.0.0.1:8765/v1 --canary CANARY --known-prompt prompt.txt
    %aisec llm monitor guard.db                        what the guard blocked, and who looks like extraction
    %aisec llm audit http://127.0.0.1:8765/v1          auth, rate limit, error leaks, TLS, CORS

TARGET is a variable of this notebook (a callable), `demo` / `demo-hardened`, an OpenAI-compatible base URL or
`module:callable`. Shows a progress bar while probing and, after, a plotly chart of the attack success rate
per probe family (the Report's own figure is drawn as SVG in its view, which survives closing the notebook).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nbsec.magics import AisecMagics, Subcommand, add_report_options, present, register_subcommand, settings

ACTIONS = ("monitor", "audit")
EPILOG = """\
TARGET: a variable holding a callable (str -> str, or messages -> str/dict), demo, demo-hardened,
an OpenAI-compatible base URL (http://HOST:PORT/v1) or module:callable.
  %aisec llm demo --probes encoding --attempts 10
  %aisec llm monitor guard.db
  %aisec llm audit http://127.0.0.1:8765/v1
"""


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="TARGET", help="what to probe, or 'monitor LOG' / 'audit URL'")
    parser.add_argument("path", metavar="LOG|URL", nargs="?", help="after monitor: the guard log; after audit: a URL")
    parser.add_argument("--probes", "-p", action="append", default=[], metavar="NAME",
                        help="probe id or family (repeatable; default all)")  # fmt: skip
    parser.add_argument("--attempts", "-n", type=int, default=5, help="attempts per probe (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--canary", action="append", default=[], metavar="TEXT",
                        help="a value planted in the app that must never be answered (repeatable)")  # fmt: skip
    parser.add_argument("--restricted", action="append", default=[], metavar="TEXT",
                        help="a value only another role may see (repeatable)")  # fmt: skip
    parser.add_argument("--known-prompt", metavar="FILE", help="the app's system prompt, to measure leaks of it")
    parser.add_argument("--system-prompt", metavar="FILE", help="a system prompt nbsec sends (with a canary)")
    parser.add_argument("--allowed-host", action="append", default=[], metavar="HOST")
    parser.add_argument("--model", help="model name for an OpenAI-compatible endpoint")
    parser.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the API key")
    parser.add_argument("--bucket", type=float, metavar="SECONDS", help="monitor: timeline bucket width")
    parser.add_argument("--burst", type=int, default=30, help="audit: requests in the burst (at most 100)")
    parser.add_argument("--no-plots", action="store_true", help="return the Report without the plotly chart")
    add_report_options(parser)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG


def _text(path: str | None, option: str) -> str | None:
    from nbsec.errors import UsageError

    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{option} {path}: cannot read it ({exc})", f"{option} takes a UTF-8 text file") from None


def _probe(magics: AisecMagics, args: argparse.Namespace) -> Any:
    from nbsec import api
    from nbsec.display.progress import progress_bar
    from nbsec.llm.types import ProbeContext

    context = ProbeContext(
        canaries=tuple(args.canary),
        restricted=tuple(args.restricted),
        known_prompt=_text(args.known_prompt, "--known-prompt"),
        system_prompt=_text(args.system_prompt, "--system-prompt"),
        allowed_hosts=tuple(args.allowed_host),
    )
    options: dict[str, Any] = {}
    if args.target.startswith(("http://", "https://")):
        options = {k: v for k, v in (("model", args.model), ("api_key_env", args.api_key_env)) if v is not None}
    bar: list[Any] = []

    def progress(done: int, total: int, label: str) -> None:
        if not bar:
            bar.append(progress_bar(total, "nbsec llm", enabled=not (args.quiet or args.no_progress)))
        bar[0].update(1)
        bar[0].set_postfix_str(label)

    namespace = magics.shell.user_ns if magics.shell is not None else {}
    try:
        report = api.probe_llm(
            args.target, probes=args.probes or None, context=context, attempts=args.attempts, seed=args.seed,
            concurrency=args.concurrency, progress=progress, namespace=namespace, target_options=options,
            config=settings(args),
        )  # fmt: skip
    finally:
        if bar:
            bar[0].close()
    return report


def _in_kernel() -> bool:
    """Plotly only where a front end draws it: in plain IPython fig.show() would open a web browser."""
    from nbsec.display.progress import in_jupyter_kernel

    return in_jupyter_kernel()


def _run(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> Any:
    from nbsec import api
    from nbsec.errors import UsageError

    if args.target in ACTIONS:
        if not args.path:
            raise UsageError(f"%aisec llm {args.target}: what to read", f"e.g. %aisec llm {args.target} " +
                             ("guard.db" if args.target == "monitor" else "http://127.0.0.1:8765/v1"))  # fmt: skip
        if args.target == "monitor":
            report = api.monitor_llm(args.path, bucket_seconds=args.bucket, config=settings(args))
        else:
            report = api.audit_llm_endpoint(args.path, api_key_env=args.api_key_env, model=args.model,
                                            burst=args.burst, config=settings(args))  # fmt: skip
    else:
        if args.path:
            raise UsageError(f"%aisec llm {args.target} {args.path}: one TARGET only", "e.g. %aisec llm demo")
        report = _probe(magics, args)
    if report.figures and not (args.no_plots or args.quiet) and _in_kernel():
        try:
            from nbsec.display.views import show_robustness as show_figures

            report = show_figures(report, plotly=True)
        except ImportError as exc:  # plotly missing: the Report's SVG figures still say everything
            print(f"nbsec: interactive chart not shown ({exc}); pip install plotly", file=sys.stderr)
    return present(magics, report, args)


register_subcommand(
    Subcommand(
        "llm",
        "probe an LLM app (injection, leaks, exfiltration, tool misuse); also `monitor LOG`, `audit URL`",
        (
            "%aisec llm demo",
            "r = %aisec llm chat --probes prompt-injection --attempts 10",
            "%aisec llm monitor guard.db",
            "%aisec llm audit http://127.0.0.1:8765/v1",
        ),
        _arguments,
        _run,
    )
)
