"""`%aisec lineage ...`: record, verify and show data lineage from a notebook.

    %aisec lineage record prepare -i data/raw.csv -o data/clean.csv -p seed=1
    %%aisec lineage record train -i train_df -o models/clf.pt     # runs the cell inside the step
    %aisec lineage verify                                          # -> Report
    %aisec lineage show models/clf.pt                              # interactive graph + its snapshot
    %aisec lineage hooks on                                        # record pd.read_csv, np.load, torch.save/load

An input or output word that names a DataFrame, array, tensor or module in
the notebook's namespace is that object (hashed in memory); any other word is
a path or URL. The lineage package is imported inside the handlers only.

`show` returns the explorer (nbsec.widgets.lineage.LineageExplorer); displayed, it shows the live
widget and then its static twin (the graph as inline SVG with its legend, and the tampered and
missing nodes), which stays readable after the notebook is closed and reopened.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from typing import TYPE_CHECKING, Any

from nbsec.magics import AisecMagics, Subcommand, add_report_options, present, register_subcommand, settings

if TYPE_CHECKING:
    pass

ACTIONS = ("record", "verify", "show", "log", "hooks", "export", "import-dvc", "use")


def _arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    record = sub.add_parser("record", help="record a step (with %%aisec: run the cell inside it)")
    record.add_argument("name")
    record.add_argument("-i", "--input", dest="inputs", action="append", default=[], metavar="PATH|VAR")
    record.add_argument("-o", "--output", dest="outputs", action="append", default=[], metavar="PATH|VAR")
    record.add_argument("-p", "--param", dest="params", action="append", default=[], metavar="KEY=VALUE")
    record.add_argument("--key", metavar="FILE", help="Ed25519 private key to sign the event")
    verify = sub.add_parser("verify", help="check the chain and re-hash artifacts; returns the Report")
    verify.add_argument("--public-key", metavar="FILE")
    verify.add_argument("--expect-head", metavar="HASH")
    verify.add_argument("--no-artifacts", action="store_true")
    add_report_options(verify)
    show = sub.add_parser("show", help="interactive lineage graph and its static snapshot (NODE: focus on it)")
    show.add_argument("node", nargs="?")
    show.add_argument("--depth", type=int)
    show.add_argument("--collapse", action="store_true", help="one node per step name")
    show.add_argument("--filter", dest="filter_text", metavar="TEXT")
    log = sub.add_parser("log", help="list the recorded events")
    log.add_argument("-n", "--last", type=int, default=20)
    hooks = sub.add_parser("hooks", help="auto-record pd.read_csv, np.load, torch.save/torch.load")
    hooks.add_argument("state", choices=("on", "off"))
    export = sub.add_parser("export", help="write OpenLineage RunEvents (JSON Lines)")
    export.add_argument("-o", "--output", required=True, metavar="FILE")
    imported = sub.add_parser("import-dvc", help="import the stages of a dvc.lock")
    imported.add_argument("lock")
    imported.add_argument("--rehash", action="store_true")
    use = sub.add_parser("use", help="make PATH this session's default store")
    use.add_argument("path")
    for child in (record, verify, show, log, hooks, export, imported):
        child.add_argument("--store", metavar="PATH", help="lineage store [default: .nbsec/lineage.db]")


def _resolve(words: list[str], namespace: dict[str, Any]) -> list[Any]:
    from nbsec.lineage.artifacts import artifact, memory_kind

    out: list[Any] = []
    for word in words:
        value = namespace.get(word)
        out.append(artifact(value, name=word) if value is not None and memory_kind(value) is not None else word)
    return out


def _params(values: list[str]) -> dict[str, Any]:
    from nbsec.errors import UsageError

    out: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param {item!r}: expected KEY=VALUE", "e.g. -p lr=0.01")
        try:
            out[key.strip()] = json.loads(raw)
        except ValueError:
            out[key.strip()] = raw
    return out


class _CellFailed(Exception):
    """The cell run inside `%%aisec lineage record` raised: the step is recorded as FAIL."""


def _record(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> None:
    from nbsec.lineage.recording import Step

    namespace = magics.shell.user_ns if magics.shell is not None else {}
    inputs, params = _resolve(args.inputs, namespace), _params(args.params)
    if cell is None or not cell.strip():
        step = Step(args.name, inputs, _resolve(args.outputs, namespace), params, store=args.store, key=args.key)
        with step:
            pass
        _say_recorded(step)
        return
    code = {"cell_sha256": hashlib.sha256(cell.encode("utf-8")).hexdigest()}
    step = Step(args.name, inputs, (), params, store=args.store, key=args.key, code=code)
    try:
        with step:
            result = magics.shell.run_cell(cell) if magics.shell is not None else None
            # Outputs named after variables exist only once the cell has run.
            for item in _resolve(args.outputs, namespace):
                step.add_output(item)
            if result is not None and not result.success:
                raise _CellFailed
    except _CellFailed:
        print(f"nbsec: the cell failed; step {args.name!r} was recorded with status FAIL", file=sys.stderr)
        return
    _say_recorded(step)


def _say_recorded(step: Any) -> None:
    if step.result is not None:
        print(f"recorded event #{step.result.seq} ({step.name}): {step.result.hash[:16]}…")


def _run(magics: AisecMagics, args: argparse.Namespace, cell: str | None) -> Any:
    action = getattr(args, "action", None)
    if action is None:
        print("usage: %aisec lineage {" + ",".join(ACTIONS) + "} ...  (%aisec lineage -h for help)")
        return None
    if action == "record":
        return _record(magics, args, cell)
    if action == "verify":
        return _verify(magics, args)
    if action == "show":
        from nbsec.display.views import show_lineage

        return show_lineage(
            args.store, args.node, depth=args.depth, collapse=args.collapse or None, filter_text=args.filter_text
        )
    if action == "log":
        return _log(args)
    if action == "hooks":
        from nbsec.lineage import hooks

        if args.state == "on":
            print("recording: " + ", ".join(hooks.install_hooks(args.store)))
        else:
            print("stopped recording: " + (", ".join(hooks.uninstall_hooks()) or "nothing was hooked"))
        return None
    if action == "export":
        from nbsec.lineage.openlineage import export_openlineage

        print(f"wrote {export_openlineage(args.output, args.store)} OpenLineage RunEvents to {args.output}")
        return None
    if action == "import-dvc":
        from nbsec.lineage.dvc import import_dvc_lock

        print(f"imported {len(import_dvc_lock(args.lock, args.store, rehash=args.rehash))} stages from {args.lock}")
        return None
    from nbsec.lineage.store import set_default_store

    set_default_store(args.path)
    print(f"lineage store for this session: {args.path}")
    return None


def _verify(magics: AisecMagics, args: argparse.Namespace) -> Any:
    from nbsec import api

    report = api.verify_lineage(
        args.store,
        public_key=args.public_key,
        expect_head=args.expect_head,
        artifacts=not args.no_artifacts,
        config=settings(args, args.store),
    )
    return present(magics, report, args)


def _log(args: argparse.Namespace) -> None:
    from collections import deque

    from nbsec.lineage.store import open_store

    for row in deque(open_store(args.store, create=False).rows(), maxlen=max(1, args.last)):
        try:
            body = json.loads(row.body)
        except ValueError:
            print(f"#{row.seq:<5} {row.name}  (unreadable: edited?)")
            continue
        ins = [str(i.get("path") or i.get("uri") or i.get("name")) for i in body.get("inputs", [])]
        outs = [str(o.get("path") or o.get("uri") or o.get("name")) for o in body.get("outputs", [])]
        flow = f"{', '.join(ins) or '-'} -> {', '.join(outs) or '-'}"
        print(f"#{row.seq:<5} {body.get('ended', '')}  {body.get('name')}  {flow}")


register_subcommand(
    Subcommand(
        "lineage",
        "record, verify and show data lineage (tamper-evident)",
        (
            "%aisec lineage record prepare -i data/raw.csv -o data/clean.csv -p seed=1",
            "%%aisec lineage record train -i train_df -o model   # the cell runs inside the step",
            "r = %aisec lineage verify",
            "%aisec lineage show models/model.pt",
            "%aisec lineage hooks on",
        ),
        _arguments,
        _run,
        takes_cell=True,
    )
)
