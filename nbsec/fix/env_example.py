"""`.env.example`: where the credentials fix lists the names of the variables the code now reads (never values).

A module of its own because it edits a second file, with rules of its own:

* the nearest existing `.env.example` between the fixed file's folder and the scanned root is extended
  with the missing `NAME=` lines (a name already there, `NAME=...` or `export NAME=...`, is not repeated);
* when there is none, one is created beside the file, with a two-line header saying what it is for (the
  notebook's folder is its working directory, where python-dotenv's `load_dotenv()` starts looking);
* a `.env.example` that is a symlink or not a plain file, or a folder outside the root, is left alone:
  a note says what to add by hand;
* the file is read with `FixContext.read`, so an earlier fix of the same plan (another notebook of the
  folder) and this one both keep their lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nbsec.fix.base import Change, FixContext

ENV_FILE = ".env.example"
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=", re.MULTILINE)


def env_example_change(ctx: FixContext, names: Sequence[str], rule_id: str) -> tuple[Change | None, str | None]:
    """The Change that lists `names` in the nearest .env.example (created beside the file when none), or None and
    the note to show instead (None too when every name is listed already)."""
    if not names:
        return None, None
    wanted = ", ".join(names)
    root = ctx.root.resolve()
    folder = ctx.path.parent.resolve()
    if not root.is_dir() or not folder.is_relative_to(root):
        return None, f"add {wanted} to a {ENV_FILE} (not written: it would be outside {ctx.root})"
    target = folder / ENV_FILE
    for probe in (folder, *folder.parents):
        candidate = probe / ENV_FILE
        if candidate.is_symlink() or (candidate.exists() and not candidate.is_file()):
            return None, f"add {wanted} to {candidate} (not a plain file: nbsec does not write through it)"
        if ctx.read(candidate) is not None:  # on disk, or planned by an earlier fix of this run
            target = candidate
            break
        if probe == root:
            break
    before = ctx.read(target)
    text = before.decode("utf-8", "replace") if before is not None else ""
    present = set(_ENV_LINE.findall(text))
    missing = [n for n in names if n not in present]
    if not missing:
        return None, None
    newline = "\r\n" if "\r\n" in text else "\n"
    if before is None:
        text = (
            f"# Environment variables the code reads (added by nbsec fix). Put the values in your shell{newline}"
            f"# or in a .env file that git ignores; never in this file.{newline}"
        )
    elif text and not text.endswith("\n"):
        text += newline
    text += "".join(f"{n}={newline}" for n in missing)
    change = Change(
        path=target,
        kind="new-file" if before is None else "text",
        after=text.encode("utf-8"),
        before=before,
        summary=f"{target.name}: {', '.join(missing)} listed (names only, no values)",
        fixes=(),
        rule_ids=(rule_id,),
        source=ctx.path if before is None else None,
    )
    return change, None
