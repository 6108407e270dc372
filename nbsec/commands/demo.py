"""`nbsec demo`: build the demo workspace (nothing downloaded), scan it, write its reports."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

DEMO_HELP = """\
Build a small demo workspace (a notebook with fake credentials, unsafe model
and data loading, trust_remote_code and eval on model output; nothing is
downloaded), scan it, and write HTML, JSON and SARIF reports into DIR/reports/.
Exits 0 although the demo has findings: it is a demo.

\b
Examples:
  nbsec demo
  nbsec demo /tmp/nbsec-demo
  nbsec demo --no-scan && nbsec scan nbsec-demo
"""

DEMO_FORMATS = ("html", "json", "sarif")


@click.command("demo", help=DEMO_HELP, short_help="Build a demo workspace, scan it, write reports.")
@click.argument("directory", default="nbsec-demo", type=click.Path(path_type=str, file_okay=False))
@click.option("--no-scan", is_flag=True, help="Only write the demo files.")
def demo_command(directory: str, no_scan: bool) -> None:
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
