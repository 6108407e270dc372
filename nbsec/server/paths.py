"""Turning a path from the browser into a file under the server's root, or refusing it.

The browser sends paths relative to Jupyter's root (as the contents API does). A path is refused
before the file system is touched when it is absolute or climbs with `..`, so a client cannot even
probe what exists outside the root; then it must exist and, with symlinks resolved, still lie under
the root. Hidden parts (a name starting with ".") are refused when Jupyter hides them
(`ContentsManager.allow_hidden = False`, its default), checked on the path as given and as resolved,
so a visible link to `.env` does not open it.

Stdlib only: no tornado here, so the rules are plain functions the unit tests can call.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

MAX_PATH_CHARS = 4096  # longer than any real path; keeps a hostile body from costing anything


class PathRefused(Exception):
    """Why a path cannot be scanned: the HTTP status and the JSON error body the handler sends."""

    def __init__(self, status: int, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint


def resolve_under_root(root: str | os.PathLike[str], raw: object, *, allow_hidden: bool) -> Path:
    """The resolved file or folder `raw` names under `root`; raises PathRefused for anything else.

    `""` and `"."` name the root itself (a scan of the whole project from the file browser's top).
    """
    if not isinstance(raw, str):
        raise PathRefused(400, "bad-request", '"path" must be a string', 'send {"path": "folder/file.ipynb"}')
    if len(raw) > MAX_PATH_CHARS or "\x00" in raw:
        raise PathRefused(400, "bad-path", "the path is too long or contains a NUL character", "send a real path")
    _refuse_absolute(raw)
    parts = PurePosixPath(raw.replace("\\", "/")).parts
    if ".." in parts:
        raise PathRefused(
            403,
            "path-outside-root",
            f"{raw}: '..' is not allowed in a path",
            "send the path relative to the Jupyter root, as the file browser shows it",
        )
    if not allow_hidden:
        _refuse_hidden(raw, parts)
    base = Path(root).resolve()
    candidate = base.joinpath(*parts)
    if not os.path.lexists(candidate):
        raise PathRefused(404, "not-found", f"{raw}: no such file or folder", "refresh the file browser and retry")
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link, a loop, or a folder we may not enter
        raise PathRefused(
            404, "not-found", f"{raw}: cannot be opened", "check the file exists and is readable"
        ) from None
    try:
        inside = resolved.relative_to(base)
    except ValueError:
        raise PathRefused(
            403,
            "path-outside-root",
            f"{raw}: resolves outside the Jupyter root (a symbolic link?)",
            "copy the file under the Jupyter root to scan it here, or scan it with the nbsec CLI",
        ) from None
    if not allow_hidden:
        _refuse_hidden(raw, inside.parts)
    return resolved


def _refuse_absolute(raw: str) -> None:
    # Windows forms too ("C:\\x", "\\\\host\\share"): the server may run there, and a browser may send them anywhere.
    if PurePosixPath(raw).is_absolute() or PureWindowsPath(raw).drive or raw.startswith(("/", "\\")):
        raise PathRefused(
            403,
            "path-outside-root",
            f"{raw}: absolute paths are not allowed",
            "send the path relative to the Jupyter root, as the file browser shows it",
        )


def _refuse_hidden(raw: str, parts: tuple[str, ...]) -> None:
    if any(part.startswith(".") and part != "." for part in parts):
        raise PathRefused(
            403,
            "hidden-path",
            f"{raw}: hidden files and folders are not served by this Jupyter server",
            "set ContentsManager.allow_hidden = True in the server's config to scan them here, or use the nbsec CLI",
        )
