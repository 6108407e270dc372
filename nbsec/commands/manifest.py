"""`nbsec manifest create|verify|sign|keygen`: integrity of model folders."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from nbsec.cli import (
    _NbsecGroup,
    _ProgressBar,
    _stderr_is_tty,
    cli,
    emit,
    exit_code,
    output_plan,
    parse_formats,
)

if TYPE_CHECKING:
    pass


# -- manifest ----------------------------------------------------------------------------

MANIFEST_HELP = """\
Pin a model folder's exact content: a manifest records the SHA-256 and size
of every file and a Merkle root over them; an Ed25519 signature proves who
made it. `verify` reports each changed, added or missing file, and a bad or
missing signature or an edited manifest (rules NBSEC-ART-020 and 021).

\b
Examples:
  nbsec manifest keygen --private signing.key --public signing.pub
  nbsec manifest create model/ -o model.manifest.json
  nbsec manifest sign model.manifest.json --key signing.key
  nbsec manifest verify model/ -m model.manifest.json --public-key signing.pub
"""


@cli.group("manifest", cls=_NbsecGroup, help=MANIFEST_HELP, short_help="Hash, sign and verify model folders.")
def manifest_group() -> None:
    pass


MANIFEST_CREATE_HELP = """\
Hash every file below PATH (or PATH itself, if it is a file) into a manifest.
Symlinks are recorded, never followed; .git, __pycache__ and
.ipynb_checkpoints are left out, and so is the manifest itself when it is
written inside PATH.

\b
Examples:
  nbsec manifest create model/
  nbsec manifest create model/ -o model/manifest.json --exclude '*.log'
  nbsec manifest create weights.safetensors -o weights.manifest.json
"""


@manifest_group.command("create", help=MANIFEST_CREATE_HELP, short_help="Write a manifest of a folder or file.")
@click.argument("path", type=click.Path(path_type=str))
@click.option("--output", "-o", default="manifest.json", show_default=True, type=click.Path(path_type=str))
@click.option("--algorithm", type=click.Choice(("sha256", "blake3")), default="sha256", show_default=True)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Also leave out names or paths matching GLOB.")
@click.option("--no-progress", is_flag=True, help="Never show the progress bar.")
def manifest_create_command(
    path: str, output: str, algorithm: str, exclude: tuple[str, ...], no_progress: bool
) -> None:
    from nbsec.integrity import DEFAULT_EXCLUDE, create_manifest_file

    bar = _ProgressBar() if not no_progress and _stderr_is_tty() else None
    try:
        manifest = create_manifest_file(
            path, output, algorithm=algorithm, exclude=(*DEFAULT_EXCLUDE, *exclude), progress=bar
        )
    finally:
        if bar is not None:
            bar.close()
    count = len(manifest["files"])
    click.echo(f"wrote {output}: {count} file{'s' if count != 1 else ''}, {algorithm}")
    click.echo(f"merkle root: {manifest['merkle_root']}")


MANIFEST_VERIFY_HELP = """\
Check PATH against a manifest and report every changed, added or missing
file. With --public-key, the manifest's signature (MANIFEST.sig unless
--signature names another file) must verify. Exit 0 when intact, 1 on any
finding or unreadable file, 2 on usage errors (missing manifest, bad key).

\b
Examples:
  nbsec manifest verify model/ -m model.manifest.json
  nbsec manifest verify model/ -m model.manifest.json --public-key signing.pub
  nbsec manifest verify model/ -f sarif -o integrity.sarif
"""


@manifest_group.command("verify", help=MANIFEST_VERIFY_HELP, short_help="Verify a folder against its manifest.")
@click.argument("path", type=click.Path(path_type=str))
@click.option("--manifest", "-m", default="manifest.json", show_default=True, type=click.Path(path_type=str))
@click.option("--public-key", type=click.Path(path_type=str), help="Ed25519 public key (PEM or OpenSSH).")
@click.option("--signature", type=click.Path(path_type=str), help="Signature file [default: MANIFEST.sig].")
@click.option("--format", "-f", "formats", multiple=True, metavar="FMT", help="As for `nbsec scan`.")
@click.option("--output", "-o", type=click.Path(path_type=str), help="File for one format; folder or stem for several.")
@click.option("--quiet", "-q", is_flag=True, help="Console format: only the summary line. No progress bar.")
@click.option("--no-progress", is_flag=True, help="Never show the progress bar.")
@click.pass_context
def manifest_verify_command(
    ctx: click.Context,
    path: str,
    manifest: str,
    public_key: str | None,
    signature: str | None,
    formats: tuple[str, ...],
    output: str | None,
    quiet: bool,
    no_progress: bool,
) -> None:
    from nbsec.integrity import verify_path
    from nbsec.model import Severity

    plan = output_plan(parse_formats(formats, output), output)
    bar = _ProgressBar() if not (quiet or no_progress) and _stderr_is_tty() else None
    try:
        report = verify_path(path, manifest, public_key=public_key, signature_path=signature, progress=bar)
    finally:
        if bar is not None:
            bar.close()
    emit(report, plan, quiet=quiet)
    ctx.exit(exit_code(report, Severity.INFO))  # any difference from the manifest fails


@manifest_group.command("sign", short_help="Sign a manifest with an Ed25519 private key.")
@click.argument("manifest", type=click.Path(path_type=str))
@click.option("--key", required=True, type=click.Path(path_type=str), help="Private key from `manifest keygen`.")
def manifest_sign_command(manifest: str, key: str) -> None:
    """Sign MANIFEST's canonical JSON with an Ed25519 key; writes MANIFEST.sig (base64).

    \b
    Examples:
      nbsec manifest sign model.manifest.json --key signing.key
    """
    from nbsec.integrity import sign_manifest

    click.echo(f"wrote {sign_manifest(manifest, key)}")


@manifest_group.command("keygen", short_help="Create an Ed25519 key pair for signing manifests.")
@click.option("--private", "private", required=True, type=click.Path(path_type=str), help="Private key file (0600).")
@click.option("--public", "public", type=click.Path(path_type=str), help="Public key file [default: PRIVATE.pub].")
@click.option("--force", is_flag=True, help="Replace existing key files.")
def manifest_keygen_command(private: str, public: str | None, force: bool) -> None:
    """Create an Ed25519 key pair (PEM). Keep the private key secret; share the public one.

    \b
    Examples:
      nbsec manifest keygen --private signing.key --public signing.pub
    """
    from nbsec.integrity import generate_keypair

    priv, pub = generate_keypair(private, public or f"{private}.pub", force=force)
    click.echo(f"wrote private key {priv} (mode 0600) and public key {pub}")
