"""`nbsec manifest create|verify|sign|keygen`: integrity of model folders."""

from __future__ import annotations

import click

from nbsec.commands._group import NbsecGroup
from nbsec.commands._output import (
    OutputOptions,
    PolicyOptions,
    ProgressBar,
    finish,
    output_options,
    policy_options,
    settings,
    stderr_is_tty,
)

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


@click.group("manifest", cls=NbsecGroup, help=MANIFEST_HELP, short_help="Hash, sign and verify model folders.")
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

    bar = ProgressBar("hashing") if not no_progress and stderr_is_tty() else None
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
# Any difference from the manifest fails unless the config or --fail-on says otherwise.
@output_options(default_fail_on="info")
@policy_options
@click.pass_context
def manifest_verify_command(
    ctx: click.Context,
    path: str,
    manifest: str,
    public_key: str | None,
    signature: str | None,
    out: OutputOptions,
    policy: PolicyOptions,
) -> None:
    from nbsec import api

    plan, cfg = out.plan(), settings(path, out, policy)
    bar = ProgressBar("hashing") if out.show_progress() else None
    try:
        report = api.verify_manifest(
            path, manifest, public_key=public_key, signature=signature, progress=bar, config=cfg
        )
    finally:
        if bar is not None:
            bar.close()
    finish(ctx, report, out, cfg, plan)


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
