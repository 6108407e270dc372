"""Two fixes of one plan that edit the same file: a line-based three-way merge, or a refusal.

A fixer that edits a file another fix of the plan already changed should read it with `FixContext.read`
(then its Change starts from the updated bytes and no merge is needed). One that read the disk instead
returns a Change whose `before` is older than the plan's current content; applying it as is would drop
the earlier edit. `merge3` keeps both when they touch different lines (and when both only insert lines at
the same place: both insertions are kept, the earlier fix's first), and says None when they overlap.
"""

from __future__ import annotations

import difflib

Edit = tuple[int, int, list[bytes]]  # base lines [start, end) replaced by these lines


def _edits(base: list[bytes], other: list[bytes]) -> list[Edit]:
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    return [(i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _conflict(a: Edit, b: Edit) -> bool:
    if a == b:
        return False  # the same edit twice is one edit
    (a1, a2, _), (b1, b2, _) = a, b
    if a1 == a2 and b1 == b2:
        return False  # two insertions at one place: both kept
    if a1 == a2:
        return b1 < a1 < b2  # an insertion inside the other's replaced lines
    if b1 == b2:
        return a1 < b1 < a2
    return a1 < b2 and b1 < a2


def merge3(base: bytes, ours: bytes, theirs: bytes) -> bytes | None:
    """`base` edited as both `ours` and `theirs` did, or None when their edits overlap."""
    lines = base.splitlines(keepends=True)
    mine = _edits(lines, ours.splitlines(keepends=True))
    other = _edits(lines, theirs.splitlines(keepends=True))
    if any(_conflict(a, b) for a in mine for b in other):
        return None
    # Insertions before replacements at the same line; on a tie, ours (the earlier fix) first.
    ordered = sorted(
        [(e, 0) for e in mine] + [(e, 1) for e in other if e not in mine],
        key=lambda item: (item[0][0], item[0][1] != item[0][0], item[1]),
    )
    out: list[bytes] = []
    position = 0
    for (start, end, replacement), _side in ordered:
        out.extend(lines[position:start])
        out.extend(replacement)
        position = max(position, end)
    out.extend(lines[position:])
    return b"".join(out)
