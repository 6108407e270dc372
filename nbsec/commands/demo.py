"""`nbsec demo [DIR]`: build the demo workspace (nothing downloaded), scan it, write its reports;
`nbsec demo serve-llm`: the deliberately vulnerable demo LLM app, OpenAI-compatible, on 127.0.0.1."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from nbsec.commands._group import NbsecGroup

DEMO_HELP = """\
Build a small demo workspace (a notebook with fake credentials, unsafe model
and data loading, trust_remote_code and eval on model output; nothing is
downloaded), scan it, and write HTML, JSON and SARIF reports into DIR/reports/.
Exits 0 although the demo has findings: it is a demo. `nbsec demo serve-llm`
serves the demo LLM app for `nbsec llm` to probe.

\b
Examples:
  nbsec demo
  nbsec demo /tmp/nbsec-demo
  nbsec demo --no-scan && nbsec scan nbsec-demo
  nbsec demo serve-llm                      the vulnerable demo LLM app on 127.0.0.1:8765
  nbsec demo serve-llm --hardened           the same app behind nbsec's guards
"""

DEMO_FORMATS = ("html", "json", "sarif")


class _DemoGroup(NbsecGroup):
    """`nbsec demo [DIR]` builds the workspace (the `build` command); `nbsec demo serve-llm` is a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["build", *args]
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return ["[DIR] [--no-scan]", "|", "serve-llm [OPTIONS]"]


@click.group("demo", cls=_DemoGroup, help=DEMO_HELP, short_help="Build a demo workspace, scan it, write reports.")
def demo_command() -> None:
    pass


@demo_command.command("build", help=DEMO_HELP, short_help="Build the demo workspace, scan it (what `nbsec demo` does).")
@click.argument("directory", default="nbsec-demo", type=click.Path(path_type=str, file_okay=False))
@click.option("--no-scan", is_flag=True, help="Only write the demo files.")
def build_command(directory: str, no_scan: bool) -> None:
    from nbsec.demo import build_demo

    root = Path(directory)
    files = build_demo(root)
    click.echo(f"demo workspace: {root.resolve()} ({len(files)} files)")
    if no_scan:
        click.echo(f"scan it with: nbsec scan {shlex.quote(directory)}")
        return
    from nbsec import api
    from nbsec.display import formats

    # Scan exactly the demo's files, not DIR: reports from an earlier run are not part of the demo.
    report = api.scan([str(f) for f in files], config=api.configure(root))
    formats.print_console(report)
    written = {
        fmt: formats.write(report, fmt, root / "reports" / f"{formats.DEFAULT_REPORT_STEM}{formats.extension(fmt)}")
        for fmt in DEMO_FORMATS
    }
    for fmt in ("json", "sarif"):
        click.echo(f"{fmt.upper()} report: {written[fmt].resolve()}")
    html = written["html"].resolve()
    click.echo(f"HTML report: {html}")
    click.echo(f"open it with: python -m webbrowser {html.as_uri()}")


SERVE_LLM_HELP = """\
Serve nbsec's demo LLM app: a small shop assistant, rule-based and
deterministic (no model weights), OpenAI-compatible (POST /v1/chat/completions,
GET /v1/models) on 127.0.0.1. It is deliberately vulnerable: its system prompt
holds a canary and a fake key, its documents have roles it ignores, it has
tools it can be talked into calling, and its endpoint has no auth, no rate
limit, leaky errors and CORS *. --hardened puts nbsec's guards in front,
enforces roles and validates tool calls, and asks for a bearer key. It binds
only to loopback. Ctrl-C stops it.

\b
Examples:
  nbsec demo serve-llm
  nbsec demo serve-llm --port 9000 --hardened --api-key-env DEMO_KEY
  # then, in another terminal (the server prints these commands):
  nbsec llm --target http://127.0.0.1:8765/v1 --demo-context
  nbsec llm audit http://127.0.0.1:8765/v1
"""


@demo_command.command("serve-llm", help=SERVE_LLM_HELP, short_help="Serve the vulnerable demo LLM app on 127.0.0.1.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port (0: any free one).")
@click.option("--hardened", is_flag=True, help="Put nbsec's guards in front (and require a bearer key).")
@click.option("--api-key-env", metavar="VAR", help="Environment variable holding the bearer key (--hardened).")
def serve_llm_command(port: int, hardened: bool, api_key_env: str | None) -> None:
    import os

    from nbsec.errors import UsageError
    from nbsec.llm.demo_server import serve

    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise UsageError(f"--api-key-env {api_key_env}: the variable is not set", f"export {api_key_env}=...")
    serve("127.0.0.1", port, hardened=hardened, api_key=api_key, key_env=api_key_env)
