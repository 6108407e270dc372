"""`nbsec lineage record|verify|log|show|export|import-dvc|head`: data lineage with tamper evidence."""

from __future__ import annotations

import json
from typing import Any

import click

from nbsec.commands._group import NbsecGroup
from nbsec.commands._output import OutputOptions, PolicyOptions, finish, output_options, policy_options, settings
from nbsec.errors import UsageError

STORE_HELP = "Lineage store [default: .nbsec/lineage.db in the current folder]."

LINEAGE_HELP = """\
Record where data and models came from, prove it has not changed, and show
it. Events (step name, inputs and outputs with full-content SHA-256, params,
git commit or notebook cell, user, host, time) form a hash chain in a SQLite
store, optionally signed with Ed25519 (keys from `nbsec manifest keygen`).
`verify` reports every changed artifact and every edited, deleted or
reordered event (rules NBSEC-LIN-*).

\b
Examples:
  nbsec lineage record prepare -i data/raw.csv -o data/clean.csv -p seed=1
  nbsec lineage verify
  nbsec lineage verify --format json --store other/.nbsec/lineage.db
  nbsec lineage show models/model.pt
  nbsec lineage export --openlineage lineage.jsonl
  nbsec lineage import-dvc dvc.lock
"""


@click.group("lineage", cls=NbsecGroup, help=LINEAGE_HELP, short_help="Record, verify and show data lineage.")
def lineage_group() -> None:
    pass


def _params(values: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {item!r}: expected KEY=VALUE", "e.g. --param lr=0.01 --param model=resnet")
        try:
            out[key.strip()] = json.loads(raw)  # numbers, true/false, lists stay typed
        except ValueError:
            out[key.strip()] = raw
    return out


RECORD_HELP = """\
Record one step that ran outside Python (a shell command, a tool): its
inputs and outputs are hashed now. Files and folders (Merkle root) are hashed
over their full content; URLs are recorded as given.

\b
Examples:
  nbsec lineage record download -i https://example.com/raw.csv -o data/raw.csv
  nbsec lineage record train -i data/train.csv -o models/clf.pt -p epochs=20 --key signing.key
"""


@lineage_group.command("record", help=RECORD_HELP, short_help="Record one step and its inputs/outputs.")
@click.argument("name")
@click.option("--input", "-i", "inputs", multiple=True, metavar="PATH|URL", help="An input (repeatable).")
@click.option("--output", "-o", "outputs", multiple=True, metavar="PATH", help="An output (repeatable).")
@click.option("--param", "-p", "params", multiple=True, metavar="KEY=VALUE", help="A parameter (repeatable).")
@click.option("--store", type=click.Path(path_type=str), help=STORE_HELP)
@click.option("--key", type=click.Path(path_type=str), help="Ed25519 private key to sign the event.")
def record_command(
    name: str,
    inputs: tuple[str, ...],
    outputs: tuple[str, ...],
    params: tuple[str, ...],
    store: str | None,
    key: str | None,
) -> None:
    from nbsec.lineage import record

    appended = record(name, list(inputs), list(outputs), _params(params), store=store, key=key)
    assert appended is not None
    click.echo(f"recorded event #{appended.seq} ({name}): {appended.hash}")


VERIFY_HELP = """\
Walk the hash chain and re-hash every recorded file and folder that still
exists. Each edited, deleted, reordered or inserted event and each changed or
missing artifact is a finding that names the event and the artifact. Exit 0
when clean, 1 on findings at or above --fail-on, 2 on usage errors.

\b
Examples:
  nbsec lineage verify
  nbsec lineage verify --format json
  nbsec lineage verify --public-key signing.pub --expect-head 3f2a...
  nbsec lineage verify -f sarif -o lineage.sarif
"""


@lineage_group.command("verify", help=VERIFY_HELP, short_help="Check the chain and re-hash the artifacts.")
@click.option("--store", type=click.Path(path_type=str), help=STORE_HELP)
@click.option("--public-key", type=click.Path(path_type=str), help="Ed25519 public key: every event must be signed.")
@click.option(
    "--expect-head", metavar="HASH", help="A head hash kept elsewhere (`nbsec lineage head`) that must be in the chain."
)
@click.option("--no-artifacts", is_flag=True, help="Check the chain only; do not re-hash artifacts.")
# Provenance that cannot be shown intact fails, down to a missing artifact, unless configured otherwise.
@output_options(default_fail_on="low")
@policy_options
@click.pass_context
def verify_command(
    ctx: click.Context,
    store: str | None,
    public_key: str | None,
    expect_head: str | None,
    no_artifacts: bool,
    out: OutputOptions,
    policy: PolicyOptions,
) -> None:
    from nbsec import api

    plan, cfg = out.plan(), settings(store or ".", out, policy)
    report = api.verify_lineage(
        store, public_key=public_key, expect_head=expect_head, artifacts=not no_artifacts, config=cfg
    )
    finish(ctx, report, out, cfg, plan)


@lineage_group.command("log", short_help="List the recorded events.")
@click.option("--store", type=click.Path(path_type=str), help=STORE_HELP)
@click.option("--last", "-n", type=click.IntRange(min=1), help="Only the last N events.")
@click.option("--json", "as_json", is_flag=True, help="One JSON event body per line.")
def log_command(store: str | None, last: int | None, as_json: bool) -> None:
    """List events: sequence number, time, step, inputs -> outputs, who.

    \b
    Examples:
      nbsec lineage log -n 20
      nbsec lineage log --json | jq .params
    """
    from collections import deque

    from nbsec.lineage.store import open_store

    rows = deque(open_store(store, create=False).rows(), maxlen=last)
    for row in rows:
        if as_json:
            click.echo(row.body)
            continue
        try:
            body = json.loads(row.body)
        except ValueError:
            click.echo(f"#{row.seq:<5} {row.name}  (unreadable: edited?)")
            continue
        names = [str(i.get("path") or i.get("uri") or i.get("name")) for i in body.get("inputs", [])]
        outs = [str(o.get("path") or o.get("uri") or o.get("name")) for o in body.get("outputs", [])]
        env = body.get("env", {})
        click.echo(
            f"#{row.seq:<5} {body.get('ended', '')}  {body.get('name', '')} [{body.get('status', '')}]  "
            f"{', '.join(names) or '-'} -> {', '.join(outs) or '-'}  ({env.get('user', '?')}@{env.get('host', '?')})"
        )


@lineage_group.command("show", short_help="Show what a node came from and what it fed.")
@click.argument("node", required=False)
@click.option("--store", type=click.Path(path_type=str), help=STORE_HELP)
@click.option("--depth", type=click.IntRange(min=1), help="Hops to follow upstream and downstream.")
def show_command(node: str | None, store: str | None, depth: int | None) -> None:
    """Text view of the lineage graph (the notebook's `%aisec lineage show` draws it).

    Without NODE: counts of datasets, models, reports and steps. With NODE (a
    path, URL, step name or part of one): its upstream and downstream, with
    changed [CHANGED], missing [MISSING] and broken-chain [TAMPERED] marks.

    \b
    Examples:
      nbsec lineage show
      nbsec lineage show models/model.pt --depth 3
    """
    from collections import Counter

    from nbsec.lineage.graph import build_graph, downstream, upstream
    from nbsec.lineage.verifier import verify_detailed

    result = verify_detailed(store)
    graph = build_graph(
        result.events,
        broken_events=result.broken_events,
        changed_paths=result.changed_paths,
        missing_paths=result.missing_paths,
    )
    if node is None:
        kinds = Counter(n.kind for n in graph.nodes.values())
        click.echo(", ".join(f"{count} {kind}{'s' if count != 1 else ''}" for kind, count in sorted(kinds.items())))
        click.echo(f"{len(graph.edges)} edges; {result.report.summary_line()}")
        return
    found = graph.find(node)
    if found is None:
        raise UsageError(f"{node}: no such node in the lineage", "see `nbsec lineage log` for recorded paths and steps")

    def mark(node_id: str) -> str:
        item = graph.nodes[node_id]
        flag = {"tampered": " [TAMPERED]" if item.kind == "step" else " [CHANGED]", "missing": " [MISSING]"}
        return f"{item.kind:<8} {item.label}{flag.get(item.status, '')}"

    click.echo(mark(found))
    click.echo("upstream:")
    for other in sorted(upstream(graph, found, depth) - {found}, key=lambda n: graph.nodes[n].label):
        click.echo(f"  {mark(other)}")
    click.echo("downstream:")
    for other in sorted(downstream(graph, found, depth) - {found}, key=lambda n: graph.nodes[n].label):
        click.echo(f"  {mark(other)}")


@lineage_group.command("export", short_help="Export events as OpenLineage RunEvents (JSON Lines).")
@click.option("--openlineage", "output", required=True, type=click.Path(path_type=str), help="Output .jsonl file.")
@click.option("--store", type=click.Path(path_type=str), help=STORE_HELP)
@click.option("--namespace", default="nbsec", show_default=True, help="OpenLineage job namespace.")
def export_command(output: str, store: str | None, namespace: str) -> None:
    """Write a START and a COMPLETE/FAIL RunEvent per event; dataset versions are `sha256:<hex>`.

    \b
    Examples:
      nbsec lineage export --openlineage lineage.jsonl
    """
    from nbsec.lineage.openlineage import export_openlineage

    count = export_openlineage(output, store, namespace=namespace)
    click.echo(f"wrote {count} OpenLineage RunEvents to {output}")


@lineage_group.command("import-dvc", short_help="Import the stages of a dvc.lock.")
@click.argument("lock", type=click.Path(path_type=str))
@click.option("--store", type=click.Path(path_type=str), help=STORE_HELP)
@click.option("--key", type=click.Path(path_type=str), help="Ed25519 private key to sign the events.")
@click.option("--rehash", is_flag=True, help="Add SHA-256 for files whose MD5 still matches dvc.lock.")
def import_dvc_command(lock: str, store: str | None, key: str | None, rehash: bool) -> None:
    """Record each dvc.lock stage as an event (deps -> outs). MD5-only hashes are flagged as weak by verify.

    \b
    Examples:
      nbsec lineage import-dvc dvc.lock
      nbsec lineage import-dvc dvc.lock --rehash && nbsec lineage verify
    """
    from nbsec.lineage.dvc import import_dvc_lock

    done = import_dvc_lock(lock, store, key=key, rehash=rehash)
    click.echo(f"imported {len(done)} stage{'s' if len(done) != 1 else ''} from {lock}")


@lineage_group.command("head", short_help="Print the chain head to keep outside the store.")
@click.option("--store", type=click.Path(path_type=str), help=STORE_HELP)
def head_command(store: str | None) -> None:
    """Print the last event's sequence number and hash. Keep it elsewhere (a commit, a ticket) and pass
    it to `verify --expect-head` later: a store rewritten from that point on then fails.
    """
    from nbsec.lineage.store import open_store

    seq, digest = open_store(store, create=False).head()
    click.echo(f"{seq} {digest}")
