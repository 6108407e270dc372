"""`nbsec schema`: the JSON schema every JSON report validates against."""

from __future__ import annotations

from pathlib import Path

import click

SCHEMA_HELP = """\
Print the JSON schema that every JSON report (`nbsec scan -f json`)
validates against, or with --path where the schema file is installed.

\b
Examples:
  nbsec schema > report.v1.json
  nbsec schema --path
"""


@click.command("schema", help=SCHEMA_HELP, short_help="Print the JSON report schema.")
@click.option("--path", "show_path", is_flag=True, help="Print the schema file's path instead of its content.")
def schema_command(show_path: bool) -> None:
    from nbsec.model import schema_path

    path = Path(schema_path())
    click.echo(str(path) if show_path else path.read_text(encoding="utf-8").rstrip("\n"))
