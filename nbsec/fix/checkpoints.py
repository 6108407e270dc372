"""Pickle/torch checkpoints that hold only weights, converted to `.safetensors` beside the original.

A safetensors file is a JSON header and raw tensor bytes: loading it runs nothing. A pickle checkpoint
can run code when loaded, so nbsec converts one only when that cannot happen:

1. nbsec's own static artifact scan, with the built-in settings (a project's exclude_rules or baseline
   cannot switch it off), reads the bytes first: any code-on-load finding (critical or high
   NBSEC-ART-*), or a file it could not read, refuses the conversion and the file is never loaded.
   This is `nbsec.adversarial.loading.refuse_code_on_load`, the same gate `load_model` uses.
2. Only then `torch.load(..., weights_only=True, map_location="cpu")` reads it (torch's restricted
   unpickler: tensors and plain containers, never a Python object); a whole pickled nn.Module is refused.
3. The content must be a state dict (names -> tensors), or hold one under "state_dict",
   "model_state_dict" or "model"; what else the checkpoint held (optimizer state, epoch) is not copied.

Steps 1 and 2 read a private copy of the exact bytes the fix was planned from (a temporary folder only
this user can read, removed after), so the file scanned is the file loaded. The result is a
"new-file" Change for `<stem>.safetensors`; the original is kept (a fix never deletes a file), which is
why the finding stays until the user switches to the new file and removes the old one.

Manifests: when an nbsec manifest (nbsec/integrity) of the folder lists the checkpoint, is unsigned,
and the checkpoint still matches it, a second Change adds the new file's record (size and hash) and
recomputes the Merkle root, so `nbsec manifest verify` does not report the new file as added. A signed
manifest is never edited (that would break its signature): the notes say how to re-create and re-sign
it. Without a manifest the notes give both hashes and the command that creates one. The safetensors
header's metadata records the original's name and SHA-256 as well.

Which rule: a plain `torch.save(model.state_dict(), path)` produces no finding at all, and nbsec has no
"pickle-based format" rule. NBSEC-ART-002 (a global outside the allowlist, medium) is the one ART rule
that fires on a pickle whose scan shows no code on load, so this fixer is registered for it. In practice
torch's weights-only set is inside nbsec's allowlist, so an ART-002 file usually holds a pickled object
(a whole nn.Module): it is refused, with the reason and what to save instead.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbsec.fix.base import Change, FixContext, FixerSpec, FixResult, Refusal
from nbsec.model import Finding

RULE_IDS = ("NBSEC-ART-002",)
INSTALL_HINT = "converting a checkpoint needs torch and safetensors: pip install 'nbsec[torch]'"
NEVER_LOAD = "this file runs code on load; never load it"
MANIFEST_NAMES = ("manifest.json", "*.manifest.json")
MAX_MANIFESTS = 64  # manifest files looked at, from the checkpoint's folder up to the scanned root


def convert_checkpoint(ctx: FixContext) -> FixResult:
    """A .safetensors beside the checkpoint (and its manifest record), or a Refusal for every finding."""
    findings = list(ctx.findings)

    def refuse(reason: str) -> FixResult:
        return [], [Refusal(f, reason) for f in findings]

    try:
        import safetensors.torch  # noqa: F401 - imported on use: `import nbsec` must not pay for it
        import torch  # noqa: F401
    except ImportError:
        return refuse(INSTALL_HINT)
    shown = ctx.shown
    target = ctx.path.with_name(f"{ctx.path.stem}.safetensors")
    if target.is_symlink() or ctx.read(target) is not None:  # on disk, or planned by another fix
        return refuse(f"{target.name} already exists beside {shown}; nbsec does not overwrite it")
    try:
        tensors, dropped = _read_state_dict(ctx.content, ctx.path.name, shown)
    except CheckpointRefused as exc:
        return refuse(str(exc))
    source_sha256 = _digest(ctx.content, "sha256")
    try:
        metadata = {"format": "pt", "converted_from": ctx.path.name, "converted_from_sha256": source_sha256}
        data = _safetensors_bytes(tensors, metadata)
    except (RuntimeError, ValueError) as exc:  # shared storage (tied weights), exotic tensors
        return refuse(f"safetensors cannot store these tensors ({' '.join(str(exc).split())[:200]})")
    manifest_change, manifest_notes, manifest_refusal = _manifest_update(ctx, target, data, findings)
    if manifest_refusal:
        return refuse(manifest_refusal)
    notes = [
        f"load it with safetensors.torch.load_file({target.name!r}) and model.load_state_dict(...); the original "
        f"{ctx.path.name} is kept: delete it once nothing loads it (until then its finding remains)",
        *manifest_notes,
    ]
    if dropped:
        notes.append(f"only the weights were converted; not copied: {', '.join(dropped)}")
    change = Change(
        path=target,
        kind="new-file",
        after=data,
        before=None,
        source=ctx.path,
        summary=f"{shown}: converted to {target.name} ({len(tensors)} tensors, weights only, nothing runs on load)",
        fixes=tuple(f.fingerprint for f in findings),
        rule_ids=tuple(dict.fromkeys(f.rule_id for f in findings)),
        notes=tuple(notes),
    )
    return [change, *([manifest_change] if manifest_change else [])], []


class CheckpointRefused(Exception):
    """The checkpoint is not converted; the message says why."""


def _read_state_dict(content: bytes, name: str, shown: str) -> tuple[dict[str, Any], list[str]]:
    """(tensors by name, the checkpoint's other keys) from a private copy of `content`, gated by the scan."""
    try:
        from nbsec.adversarial.loading import (
            CHECKPOINT_KEYS,
            _read_weights,
            is_torchscript,
            refuse_code_on_load,
            state_dict_of,
        )
    except ImportError:  # torch missing or broken
        raise CheckpointRefused(INSTALL_HINT) from None
    from nbsec.errors import NbsecError

    folder = Path(tempfile.mkdtemp(prefix="nbsec-fix-"))  # 0700: only this user reads the copy
    try:
        copy = folder / name
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        if is_torchscript(copy):
            raise CheckpointRefused(
                f"{shown} is a TorchScript archive: nbsec converts state dicts only; save one with "
                "torch.save(model.state_dict(), path)"
            )
        try:
            refuse_code_on_load(copy)
        except NbsecError as exc:
            detail = exc.message.replace(str(copy), shown)
            if "code execution on load" in exc.message:
                raise CheckpointRefused(f"{NEVER_LOAD} ({detail})") from None
            raise CheckpointRefused(detail) from None
        try:
            state = _read_weights(copy)  # torch.load(weights_only=True, map_location="cpu")
        except NbsecError as exc:  # a pickled object (a whole nn.Module), or not a torch file
            raise CheckpointRefused(f"{exc.message}; {exc.hint}".replace(str(copy), shown)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    weights = state_dict_of(state)
    if weights is None or not all(isinstance(k, str) for k in weights):
        keys = ", ".join(sorted(str(k) for k in state)[:8]) if isinstance(state, dict) else type(state).__name__
        raise CheckpointRefused(
            f"{shown} holds no state dict of tensors ({keys}); save one with torch.save(model.state_dict(), path)"
        )
    if set(weights) == set(state):  # the file is the state dict itself
        return weights, []
    used = next(k for k in CHECKPOINT_KEYS if isinstance(state.get(k), Mapping) and set(state[k]) == set(weights))
    return weights, sorted(str(k) for k in state if k != used)  # optimizer state, epoch, ...: not copied


def _safetensors_bytes(tensors: dict[str, Any], metadata: dict[str, str]) -> bytes:
    import safetensors.torch

    contiguous = {name: tensor.detach().contiguous() for name, tensor in tensors.items()}
    data: bytes = safetensors.torch.save(contiguous, metadata=metadata)
    return data


def _digest(data: bytes, algorithm: str) -> str:
    from nbsec.integrity.hashing import digest_fileobj

    return digest_fileobj(io.BufferedReader(io.BytesIO(data)), algorithm)  # type: ignore[arg-type]


# -- the manifest -------------------------------------------------------------------------------


def _manifest_update(
    ctx: FixContext, target: Path, data: bytes, findings: list[Finding]
) -> tuple[Change | None, list[str], str | None]:
    """(a Change to the manifest that lists the checkpoint, notes, a reason to refuse the whole conversion)."""
    from nbsec.integrity.manifest import merkle_root, signature_path_for

    source_sha = _digest(ctx.content, "sha256")
    new_sha = _digest(data, "sha256")
    hashes = f"{ctx.path.name} sha256 {source_sha}; {target.name} sha256 {new_sha}"
    found = _covering_manifest(ctx)
    if found is None:
        folder = _rel(ctx, ctx.path.parent) or "."
        create = f"nbsec manifest create {folder} -o {folder}/manifest.json"
        return None, [f"no nbsec manifest lists {ctx.path.name}; to pin both files: {create} ({hashes})"], None
    path, manifest, covered, raw = found
    algorithm = str(manifest["algorithm"])
    rel_source = ctx.path.relative_to(covered).as_posix() if covered != ctx.path else ctx.path.name
    record = next(r for r in manifest["files"] if r.get("path") == rel_source)
    try:
        digest = _digest(ctx.content, algorithm)
    except Exception as exc:  # noqa: BLE001 - UsageError: blake3 not installed
        return None, [f"{path.name} uses {algorithm}, which cannot be computed here ({exc}); {hashes}"], None
    if record.get("size") != len(ctx.content) or record.get(algorithm) != digest:
        return (
            None,
            [],
            (
                f"{ctx.path.name} differs from its manifest {path.name}: verify it first (nbsec manifest verify) and "
                "convert only the file the manifest pins"
            ),
        )
    if covered == ctx.path:  # a manifest of this one file
        return (
            None,
            [
                f"{path.name} pins {ctx.path.name} alone; pin the new file too: nbsec manifest create {target.name} "
                f"-o {target.stem}.manifest.json ({hashes})"
            ],
            None,
        )
    if signature_path_for(path).exists():
        return (
            None,
            [
                f"{path.name} is signed: nbsec does not edit it (the signature would break); re-create and re-sign it: "
                f"nbsec manifest create {covered.name} -o {path.name} && nbsec manifest sign {path.name} --key KEY "
                f"({hashes})"
            ],
            None,
        )
    rel_target = target.relative_to(covered).as_posix()
    if _excluded(rel_target, manifest.get("exclude", [])):
        return None, [f"{path.name} excludes {rel_target}; {hashes}"], None
    files = [r for r in manifest["files"] if r.get("path") != rel_target]
    files.append({"path": rel_target, "size": len(data), algorithm: _digest(data, algorithm)})
    files.sort(key=lambda r: str(r["path"]).encode("utf-8"))
    updated = {**manifest, "files": files, "merkle_root": merkle_root(files, algorithm)}
    after = (json.dumps(updated, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    change = Change(
        path=path,
        kind="text",
        after=after,
        before=raw,
        source=ctx.path,
        summary=f"{_rel(ctx, path)}: lists {rel_target} ({algorithm} {new_sha[:16]}…) beside {rel_source}",
        fixes=(),
        rule_ids=tuple(dict.fromkeys(f.rule_id for f in findings)),
        notes=(f"apply together with the conversion of {ctx.path.name}; {hashes}",),
    )
    return change, [f"{path.name} now lists {target.name} too ({hashes})"], None


def _covering_manifest(ctx: FixContext) -> tuple[Path, dict[str, Any], Path, bytes] | None:
    """(manifest file, its data, the folder or file it covers, its bytes) for the first manifest listing ctx.path.

    Looked for in the checkpoint's folder and each folder above it up to the scanned root: a manifest
    whose "root" is the name of its own folder, of a sub-folder, or of the checkpoint itself, that lists it.
    """
    from nbsec.errors import NbsecError
    from nbsec.integrity.manifest import MAX_MANIFEST_BYTES, validate_manifest
    from nbsec.safe_input import parse_json

    top = ctx.root if ctx.root.is_dir() else ctx.root.parent
    folders = [f for f in [ctx.path.parent, *ctx.path.parent.parents] if f == top or top in f.parents]
    seen = 0
    for folder in folders:
        candidates = sorted({p for pattern in MANIFEST_NAMES for p in folder.glob(pattern) if p.is_file()})
        for path in candidates:
            seen += 1
            if seen > MAX_MANIFESTS or path.is_symlink():
                continue
            raw = ctx.read(path)  # as the fixes planned so far leave it (two conversions in one folder)
            try:
                manifest = parse_json(raw or b"", source=path.name, max_bytes=MAX_MANIFEST_BYTES)
                validate_manifest(manifest, path.name)
            except (NbsecError, ValueError):  # not JSON, not an nbsec manifest
                continue
            root_name = manifest.get("root")
            for covered in (folder, folder / str(root_name), ctx.path):
                if covered.name != root_name or not (covered == ctx.path or covered in ctx.path.parents):
                    continue
                rel = ctx.path.name if covered == ctx.path else ctx.path.relative_to(covered).as_posix()
                if any(r.get("path") == rel for r in manifest["files"]):
                    return path, manifest, covered, raw or b""
    return None


def _excluded(rel: str, patterns: list[str]) -> bool:
    import fnmatch

    parts = rel.split("/")
    return any(fnmatch.fnmatchcase(part, p) or fnmatch.fnmatchcase(rel, p) for p in patterns for part in parts)


def _rel(ctx: FixContext, path: Path) -> str:
    top = ctx.root if ctx.root.is_dir() else ctx.root.parent
    try:
        rel = path.relative_to(top).as_posix()
    except ValueError:
        return path.name
    return "" if rel == "." else rel


FIXERS: tuple[FixerSpec, ...] = (
    FixerSpec(
        name="checkpoint-to-safetensors",
        rule_ids=RULE_IDS,
        describe="converts a weights-only pickle checkpoint to .safetensors beside it (after a static scan)",
        fix=convert_checkpoint,
    ),
)
