"""`nbsec sbom` and `nbsec db`: the environment's packages, model files and advisories."""

from __future__ import annotations

from pathlib import Path

import click

from nbsec.commands._group import NbsecGroup, echo_err

# -- supply chain: sbom, db ---------------------------------------------------------------------

SBOM_HELP = """\
Write a CycloneDX 1.6 JSON SBOM: every package installed in this Python, with
version and purl, and every model file found under PATH (recognised by its
bytes) as a machine-learning-model component with its SHA-256. The document
is validated against the CycloneDX 1.6 schema before it is written.

\b
Examples:
  nbsec sbom -o sbom.cdx.json
  nbsec sbom models/ -o ml-bom.cdx.json
  nbsec sbom --no-models > env.cdx.json
"""


@click.command("sbom", help=SBOM_HELP, short_help="Write a CycloneDX 1.6 SBOM of packages and model files.")
@click.argument("path", default=".", type=click.Path(path_type=str))
@click.option("--output", "-o", type=click.Path(path_type=str), help="File to write [default: stdout].")
@click.option("--no-models", is_flag=True, help="Only the installed packages; do not look for model files.")
@click.option("--site-packages", type=click.Path(path_type=Path, file_okay=False, exists=True), hidden=True)
def sbom_command(path: str, output: str | None, no_models: bool, site_packages: Path | None) -> None:
    from nbsec.api import configure
    from nbsec.supply_chain.sbom import build_sbom, write_sbom

    cfg = configure(path)
    result = build_sbom(None if no_models else path, site_packages=site_packages, config=cfg)
    if output is None:
        click.echo(result.text)
    else:
        write_sbom(result, output)
    where = f" to {output}" if output else ""
    echo_err(f"nbsec: SBOM{where}: {result.libraries} packages, {result.models} model files; {result.note}")


DB_HELP = """\
The offline advisory database `nbsec scan --env` and requirements checks
match against: a bundled PyPA snapshot of the ML stack, a small curated
supplement, and what you import with `db update`.

\b
Examples:
  nbsec db info
  nbsec db update --from all.zip      osv.dev's PyPI export, downloaded elsewhere
"""


@click.group("db", cls=NbsecGroup, help=DB_HELP, short_help="Show or update the offline advisory database.")
def db_group() -> None:
    pass


@db_group.command("update", short_help="Import an OSV export (zip, folder or JSON file).")
@click.option("--from", "source", required=True, type=click.Path(path_type=str), help="OSV export to import.")
@click.option("--merge", is_flag=True, help="Add to the advisories imported before instead of replacing them.")
def db_update_command(source: str, merge: bool) -> None:
    """Import OSV advisories (PyPI entries only) into the user's store, offline.

    \b
    Examples:
      nbsec db update --from all.zip
      nbsec db update --from advisories/ --merge
    """
    from nbsec.supply_chain.update import update_from

    result = update_from(source, merge=merge)
    click.echo(f"imported {result.kept} PyPI advisories for {result.packages} packages into {result.path}")
    skipped = f"{result.other_ecosystems} for other ecosystems, {result.invalid} not OSV"
    click.echo(f"data date {result.date}; left out: {skipped}")


@db_group.command("info", short_help="Show the advisory sources, their dates and counts.")
def db_info_command() -> None:
    """Show each advisory source, how many advisories it holds and how current it is."""
    from nbsec.supply_chain.update import info_lines

    click.echo("\n".join(info_lines()))
