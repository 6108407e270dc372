"""Applying a plan: each file written atomically, after its old bytes are safe in a backup.

Per file, in this order:
1. refuse when the file on disk is no longer what the plan read (someone edited it since: the diff
   shown would not be the change made); a new file must still not exist;
2. back up the old bytes under `<root>/.nbsec/backups/<UTC time>/<path relative to root>` (unless told
   not to), with a `.gitignore` holding `*` in `.nbsec/backups/` so backups (which hold the very secrets
   the fix removed) never reach a commit; the backup names are the files' own paths, never a value found;
3. write the new bytes to a temporary file in the same folder, fsync it, give it the old file's
   permissions, and `os.replace` it over the file (atomic on POSIX and Windows), then fsync the folder.
A process killed at any moment leaves the file with its old bytes or its new bytes, never a mix
(tests/functional/test_fix_kill.py kills one mid-write). `_NBSEC_TEST_FIX_PAUSE` (seconds) is a test
hook (not an NBSEC_* setting, so the config never reads it): it sleeps between the fsync of the temporary
file and the rename, so a test can kill the process exactly there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from nbsec.fix.plan import PLANNED, Plan, PlannedChange, changes_for, dry_outcomes, file_of, key_of, label_of
from nbsec.model import Finding, FixChange, FixOutcome, FixSection

BACKUP_DIR = Path(".nbsec") / "backups"
PAUSE_ENV = "_NBSEC_TEST_FIX_PAUSE"
APPLIED, REFUSED, FAILED = "applied", "refused", "failed"


@dataclass
class Applied:
    """What the apply step did: one record per planned change, the files written, the backups."""

    records: list[tuple[PlannedChange, FixChange]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    backups: list[str] = field(default_factory=list)


def apply_plan(plan: Plan, *, backup: bool = True, when: float | None = None) -> Applied:
    """Write every planned change (module docstring); refused changes stay refused, with their reason."""
    result = Applied()
    by_file: dict[Path, list[PlannedChange]] = {}
    for planned in plan.changes:
        if planned.status == PLANNED:
            by_file.setdefault(planned.path, []).append(planned)
        else:
            result.records.append((planned, planned.record()))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when if when is not None else time.time()))
    folders: dict[Path, Path] = {}
    for path, changes in by_file.items():
        status, reason, saved = _apply_file(plan, path, changes[0].root, backup, stamp, folders)
        if status == APPLIED:
            result.written.append(path)
        if saved is not None:
            result.backups.append(saved)
        for planned in changes:
            result.records.append((planned, planned.record(status, reason, saved)))
    order = {id(p): i for i, p in enumerate(plan.changes)}
    result.records.sort(key=lambda item: order[id(item[0])])
    return result


def _apply_file(
    plan: Plan, path: Path, root: Path, backup: bool, stamp: str, folders: dict[Path, Path]
) -> tuple[str, str, str | None]:
    original = plan.originals.get(path)
    final = plan.overlay[path]
    if final is None:
        return REFUSED, "nothing to write", None
    try:
        current: bytes | None = path.read_bytes()
    except FileNotFoundError:
        current = None
    except OSError as exc:
        return FAILED, f"cannot read the file ({exc.strerror or exc})", None
    if current != original:
        what = "was created" if original is None else "changed"
        return REFUSED, f"the file {what} since the fix was planned; run nbsec fix again", None
    saved: str | None = None
    try:
        if backup and original is not None:
            saved = label_of(_backup(root, path, original, stamp, folders))
        mode = path.stat().st_mode & 0o7777 if original is not None else _new_file_mode()
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, final, mode)
    except OSError as exc:
        return FAILED, f"cannot write ({exc.strerror or exc}); the file is unchanged", saved
    return APPLIED, "", saved


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def backup_folder(root: Path, stamp: str, folders: dict[Path, Path]) -> Path:
    """`<root>/.nbsec/backups/<stamp>` (a new one per run: `-2`, `-3` when a run in the same second made one)."""
    if root in folders:
        return folders[root]
    base = root / BACKUP_DIR
    base.mkdir(parents=True, exist_ok=True)
    ignore = base / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# nbsec fix backups: old file contents, secrets included. Never commit them.\n*\n")
    for n in range(1, 1000):
        folder = base / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        folders[root] = folder
        return folder
    raise OSError(f"{base}: too many backup folders for {stamp}")


def _backup(root: Path, path: Path, content: bytes, stamp: str, folders: dict[Path, Path]) -> Path:
    folder = backup_folder(root, stamp, folders)
    relative = path.relative_to(root)
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, content, 0o600, hook=False)  # the old bytes may hold the secret the fix removed: owner only
    _record(folder, relative, content)
    return target


def _record(folder: Path, relative: Path, content: bytes) -> None:
    """MANIFEST.json in the backup folder: which files, and the SHA-256 of the bytes backed up."""
    manifest = folder / "MANIFEST.json"
    entries = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else []
    entries.append({"path": relative.as_posix(), "sha256": hashlib.sha256(content).hexdigest()})
    manifest.write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")


def write_atomic(path: Path, data: bytes, mode: int, *, hook: bool = True) -> None:
    """Replace `path` by `data` so a reader (or a crash) sees the old bytes or the new, never a mix.

    `hook`: whether the test pause (PAUSE_ENV) applies; backups are written without it.
    """
    directory = path.parent
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".nbsec-tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        pause = os.environ.get(PAUSE_ENV) if hook else None
        if pause:
            time.sleep(float(pause))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_folder(directory)


def _fsync_folder(directory: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open a folder for fsync and needs no more."""
    if os.name == "nt":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- after the re-scan ------------------------------------------------------------------------------------------


def applied_section(plan: Plan, applied: Applied, after: list[Finding]) -> FixSection:
    """The Report's fixes after --apply: each change's fate, and per finding fixed or remains (and why).

    `after` holds the re-scan's findings of the files written. Each finding in scope was meant either to go (the
    plan gave it a change, `changes_for`, and that change was applied) or to stay (refused, no fixer, its change
    not applied), each for its own reason, even when a twin (same fingerprint, another place) went. The re-scan
    cannot say which of two equal findings of a file is still there (a fix may move lines: `import os` on top),
    so in a written file the findings are counted per fingerprint: those meant to stay take the occurrences
    still found first; one meant to go that is still counted remains ("still found after the change"); the
    others are fixed. A finding of a file not written keeps the dry run's reason, or the apply step's.
    """
    written = set(applied.written)
    left = Counter((f.location.path, f.fingerprint) for f in after)
    records = {id(planned): record for planned, record in applied.records}
    changes = changes_for(plan)
    dry = {id(o.finding): o for o in dry_outcomes(plan)}
    meant: dict[int, PlannedChange] = {}  # id(finding) -> the applied change meant to remove it
    for finding in plan.scope:
        planned = changes.get(key_of(finding))
        if planned is not None and records[id(planned)].status == APPLIED:
            meant[id(finding)] = planned
    decided: dict[int, FixOutcome] = {}
    for finding in sorted(plan.scope, key=lambda f: id(f) in meant):  # stable: those meant to stay count first
        key = (finding.location.path, finding.fingerprint)
        planned = meant.get(id(finding))
        if file_of(finding) in written:
            if left[key] == 0:
                summary = planned.change.summary if planned is not None else "its file was fixed"
                decided[id(finding)] = FixOutcome(finding, "fixed", summary)
                continue
            left[key] -= 1
        if planned is not None:
            note = planned.change.notes[0] if planned.change.notes else None  # e.g. a conversion keeps the original
            reason = "still found after the change" + (f" ({note})" if note else "")
        else:
            wanted = changes.get(key_of(finding))
            if wanted is not None and wanted.status == PLANNED:  # planned, but the apply step did not write it
                reason = f"not applied: {records[id(wanted)].reason}"
            else:
                reason = dry[id(finding)].reason
        decided[id(finding)] = FixOutcome(finding, "remains", reason)
    outcomes = [decided[id(f)] for f in plan.scope]
    return FixSection("apply", [record for _, record in applied.records], outcomes, list(applied.backups))
