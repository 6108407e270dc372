"""`nbsec threatmodel check|new|import|export|diagram`: threat models of AI systems as code."""

from __future__ import annotations

import json
from pathlib import Path

import click

from nbsec.commands._group import NbsecGroup
from nbsec.commands._output import OutputOptions, PolicyOptions, finish, output_options, policy_options, settings
from nbsec.errors import UsageError

DEFAULT_FILE = "threatmodel.nbsec.yaml"

THREATMODEL_HELP = """\
Threat models of AI systems as plain YAML: elements (datasets, training jobs,
model artifacts, registries, serving endpoints, LLMs, vector stores, agents,
tools, users), data flows, trust zones and controls. `check` matches the AI
threat library (NBSEC-TM-*: STRIDE, MITRE ATLAS, OWASP, NIST AI RMF, ISO/IEC
42001, EU AI Act) and scores each threat's inherent and residual risk.
In a notebook: `%aisec threatmodel FILE` opens the builder widget; a model
saved in a notebook's metadata (JupyterLab: "Save the threat model into
the notebook") is checked by `nbsec scan NOTEBOOK.ipynb` and imported as below.

\b
Examples:
  nbsec threatmodel new                                 write a commented starter file
  nbsec threatmodel check threatmodel.nbsec.yaml        findings; exit 1 at/above --fail-on
  nbsec threatmodel check tm.yaml -f md -o threats.md
  nbsec threatmodel import model.json -o tm.yaml        Threat Dragon v2 JSON or TM-BOM
  nbsec threatmodel import review.ipynb -o tm.yaml      the model saved in the notebook
  nbsec threatmodel export tm.yaml --to threat-dragon -o model.json
  nbsec threatmodel diagram tm.yaml -o dfd.html         data-flow diagram (plotly, offline)
"""


@click.group("threatmodel", cls=NbsecGroup, help=THREATMODEL_HELP, short_help="Threat models of AI systems as code.")
def threatmodel_group() -> None:
    pass


@threatmodel_group.command("check", short_help="Evaluate a threat model against the AI threat library.")
@click.argument("path", default=DEFAULT_FILE, type=click.Path(path_type=str))
@output_options()
@policy_options
@click.pass_context
def check_command(ctx: click.Context, path: str, out: OutputOptions, policy: PolicyOptions) -> None:
    """Validate PATH (errors name the line and the fix) and report its open threats.

    Open threats are findings whose severity is the residual risk (likelihood x
    impact after the declared controls); threats marked mitigated, accepted,
    transferred or not-applicable are listed as suppressed. Exit 0 when no open
    threat is at or above --fail-on, 1 otherwise, 2 when the file is invalid.
    """
    from nbsec import api

    plan, cfg = out.plan(), settings(path, out, policy)
    report = api.check_threat_model(path, config=cfg)
    finish(ctx, report, out, cfg, plan)


@threatmodel_group.command("new", short_help="Write a commented starter threat model.")
@click.argument("path", default=DEFAULT_FILE, type=click.Path(path_type=str))
@click.option("--force", is_flag=True, help="Replace an existing file.")
def new_command(path: str, force: bool) -> None:
    """Write a starter model (a small RAG chat service) to PATH, with comments on the format."""
    from nbsec.threatmodel.starter import STARTER

    target = Path(path)
    if target.exists() and not force:
        raise UsageError(f"{path} already exists", "pass --force to replace it, or choose another file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(STARTER, encoding="utf-8")
    click.echo(f"wrote {path}; check it with: nbsec threatmodel check {path}")


def _detect(data: object) -> str:
    if isinstance(data, dict) and isinstance(data.get("detail"), dict) and "summary" in data:
        return "threat-dragon"
    if isinstance(data, dict) and "scope" in data and ("trust_zones" in data or "components" in data):
        return "tmbom"
    raise UsageError("cannot tell the format of the input", "pass --from threat-dragon, tmbom or notebook")


@threatmodel_group.command("import", short_help="Import Threat Dragon v2 JSON, TM-BOM or a notebook's model.")
@click.argument("source", type=click.Path(path_type=str, exists=True, dir_okay=False))
@click.option("--output", "-o", default=DEFAULT_FILE, show_default=True, type=click.Path(path_type=str))
@click.option(
    "--from",
    "fmt",
    type=click.Choice(["auto", "threat-dragon", "tmbom", "notebook"]),
    default="auto",
    show_default=True,
)
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def import_command(source: str, output: str, fmt: str, force: bool) -> None:
    """Convert SOURCE to an nbsec threat model (YAML) at --output.

    From a notebook (.ipynb, or --from notebook): the model saved in its
    metadata by JupyterLab's "Save the threat model into the notebook" (command palette) command, or,
    when it has none, the newest `%aisec threatmodel` output saved in it.
    """
    from nbsec.threatmodel import save

    if Path(output).exists() and not force:
        raise UsageError(f"{output} already exists", "pass --force to replace it, or choose another --output")
    warnings: list[str] = []
    if fmt == "notebook" or (fmt == "auto" and source.endswith(".ipynb")):
        from nbsec.threatmodel.notebook import from_notebook

        model = from_notebook(source)
    else:
        from nbsec.safe_input import read_json

        hint = "export the model as JSON from its tool"
        data = read_json(source, what="threat model", hint=hint, max_bytes=20 * 1024 * 1024)
        kind = _detect(data) if fmt == "auto" else fmt
        if kind == "threat-dragon":
            from nbsec.threatmodel.threat_dragon import import_threat_dragon

            model = import_threat_dragon(data, source)
        else:
            from nbsec.threatmodel.tmbom import import_tmbom

            result = import_tmbom(data, source)
            model, warnings = result.model, result.warnings
    save(model, output)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"wrote {output}: {len(model.elements)} elements, {len(model.flows)} flows, {len(model.threats)} threat entries"
    )


@threatmodel_group.command("export", short_help="Export to Threat Dragon v2 JSON or Markdown.")
@click.argument("path", default=DEFAULT_FILE, type=click.Path(path_type=str))
@click.option("--to", "fmt", type=click.Choice(["threat-dragon", "markdown"]), required=True)
@click.option("--output", "-o", type=click.Path(path_type=str), help="Output file [default: stdout].")
def export_command(path: str, fmt: str, output: str | None) -> None:
    """Write PATH with its evaluated threats as Threat Dragon v2 JSON (re-importable) or Markdown."""
    from nbsec.threatmodel import evaluate, load

    model = load(path)
    assessment = evaluate(model)
    if fmt == "markdown":
        from nbsec.threatmodel.markdown import to_markdown

        text = to_markdown(model, assessment)
    else:
        from nbsec.threatmodel.threat_dragon_export import export_threat_dragon

        text = json.dumps(export_threat_dragon(model, assessment), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


@threatmodel_group.command("diagram", short_help="Write the data-flow diagram and risk matrix as HTML.")
@click.argument("path", default=DEFAULT_FILE, type=click.Path(path_type=str))
@click.option("--output", "-o", required=True, type=click.Path(path_type=str), help="HTML file (works offline).")
def diagram_command(path: str, output: str) -> None:
    """Draw PATH with plotly (no Graphviz, no Java): trust zones, flows, and the residual risk matrix."""
    from nbsec.threatmodel import load
    from nbsec.threatmodel.diagram import diagram_page

    Path(output).write_text(diagram_page(load(path)), encoding="utf-8")  # escaped, and a CSP: nbsec.escaping
    click.echo(f"wrote {output}")
