"""Import a `dvc.lock` into the lineage store: one event per stage, its deps as inputs and outs as outputs.

DVC identifies files by MD5 only (and folders by the MD5 of a listing,
"<md5>.dir"). The import keeps those hashes as they are and verify flags them
as weak (NBSEC-LIN-008); verify still compares a file's MD5 with today's
content. With `rehash=True`, a file whose MD5 still matches dvc.lock also gets
its SHA-256 recorded, so later verifications no longer rest on MD5.

The file is read with nbsec's bounded YAML reader (safe loader; size, depth and
alias expansion bounded): a dvc.lock may come from anyone's repository.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from nbsec.errors import InputError, NbsecError
from nbsec.lineage.artifacts import HashedArtifact, hash_path, relative_to_root, role_for_path
from nbsec.lineage.recording import build_body, commit, load_signer
from nbsec.lineage.store import Appended, Store, open_store
from nbsec.model import utc_now_iso
from nbsec.safe_input import read_yaml

MAX_LOCK_BYTES = 16 * 1024 * 1024


class DvcLockError(NbsecError):
    """The dvc.lock file is missing, too large, or not a DVC lock file."""


def _md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _artifact(entry: dict[str, Any], base: Path, root: Path, rehash: bool) -> HashedArtifact:
    raw_path = str(entry.get("path", ""))
    target = base / raw_path
    shown, outside = relative_to_root(target, root)
    md5 = str(entry.get("md5") or "")  # DVC 2 and 3 both write `md5:`; DVC 3 adds `hash: md5`
    meta: dict[str, Any] = {"md5": md5, "source": "dvc.lock"}
    if "nfiles" in entry:
        meta["files"] = entry["nfiles"]
    size = entry.get("size") if isinstance(entry.get("size"), int) else None
    kind = "folder" if md5.endswith(".dir") else "file"
    item = HashedArtifact(shown, kind, role_for_path(shown), None, size, shown, None, outside, meta)
    if rehash and md5 and not md5.endswith(".dir") and target.is_file() and _md5_file(target) == md5:
        _, item.sha256, item.size, _ = hash_path(target)
        meta["sha256_added"] = "md5 matched dvc.lock at import"
    return item


def read_lock(path: Path) -> dict[str, Any]:
    try:
        data = read_yaml(
            path, what="dvc.lock", hint="pass the dvc.lock that `dvc repro` wrote", max_bytes=MAX_LOCK_BYTES
        )
    except InputError as exc:
        raise DvcLockError(exc.message, exc.hint) from None
    if not isinstance(data, dict) or not isinstance(data.get("stages"), dict):
        raise DvcLockError(
            f"{path}: no `stages:` mapping, so not a dvc.lock", "pass the dvc.lock that `dvc repro` wrote"
        )
    return data


def import_dvc_lock(
    lock: str | os.PathLike[str],
    store: str | os.PathLike[str] | Store | None = None,
    *,
    key: str | os.PathLike[str] | None = None,
    rehash: bool = False,
) -> list[Appended]:
    """Record each stage of `lock` as an `import` event; return what was appended."""
    path = Path(lock)
    data = read_lock(path)
    target = open_store(store)
    signer = load_signer(key)
    base = path.parent
    root = target.project_root
    done: list[Appended] = []
    now = utc_now_iso()
    for stage_name, stage in data["stages"].items():
        if not isinstance(stage, dict):
            continue
        deps = [_artifact(d, base, root, rehash) for d in stage.get("deps", []) or [] if isinstance(d, dict)]
        outs = [_artifact(o, base, root, rehash) for o in stage.get("outs", []) or [] if isinstance(o, dict)]
        params = stage.get("params") if isinstance(stage.get("params"), dict) else {}
        body = build_body(
            str(stage_name),
            deps,
            outs,
            params=params,
            root=root,
            started=now,
            ended=now,
            event_type="import",
            extra={
                "source": {"tool": "dvc", "file": relative_to_root(path, root)[0], "cmd": str(stage.get("cmd", ""))}
            },
        )
        appended = commit(body, target, signer)
        if appended is not None:
            done.append(appended)
    return done
