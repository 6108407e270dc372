"""Saving an edited threat model into the file it came from: only what changed is rewritten.

A threat model is a reviewed, hand-written file: comments, flow-style lists, blank lines
and quoting are the author's, and a save from the builder that rewrites all of it turns a
one-line decision into a 200-line diff nobody can review. So a save into an existing file:

1. reads the file with nbsec's bounded reader (`yamlio.read_text` + `yamlio.parse`: size,
   depth, alias expansion, tags) and validates it as a model: ruamel.yaml only ever sees
   text that passed those limits;
2. loads it again with ruamel.yaml's round-trip loader and refuses anything but plain
   mappings, lists and scalars (no tag, no set, no binary);
3. applies the model-level differences (a new element, flow, control or threat entry; a
   changed value) to that document in place;
4. dumps the document before and after the edit and carries only the lines that differ
   over to the original text, so lines ruamel would re-flow (long flow mappings) but the
   edit did not touch stay exactly as they were;
5. re-reads the result with the bounded reader and writes it only if it is the edited
   model; otherwise the whole file in nbsec's clean block style (never a wrong file).

A new file, or one that cannot be read as a threat model, is written in the clean block
style (`yamlio.dump`). ruamel.yaml is imported here, on save only, never by `import nbsec`.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbsec.errors import NbsecError
from nbsec.threatmodel import yamlio
from nbsec.threatmodel.document import FORMAT_KEY, Flow, ThreatModel
from nbsec.threatmodel.loader import ELEMENT_KEYS, FLOW_KEYS, THREAT_KEYS, TOP_KEYS, ZONE_KEYS, model_from_data

_ITEM = re.compile(r"^\s*- ")
_INERT = re.compile(r"^\s*(#.*)?$")  # a blank or comment-only line


class NotRoundTrippable(Exception):
    """The text cannot be edited in place (a tag, an odd structure); the caller writes it afresh."""


@dataclass(frozen=True)
class Saved:
    """What a save did: `how` is "new", "unchanged", "kept" (edited in place) or "rewritten" (clean style)."""

    path: Path
    how: str
    added: int = 0
    removed: int = 0
    reason: str = ""

    def describe(self) -> str:
        if self.how == "new":
            return f"saved {self.path} (new file)"
        if self.how == "unchanged":
            return f"saved {self.path}: nothing changed, the file already holds this model"
        lines = f"{self.added} line{'s' * (self.added != 1)} added, {self.removed} removed"
        if self.how == "kept":
            return f"saved {self.path}: {lines}; comments and formatting kept"
        return f"saved {self.path}: {lines}; rewritten in nbsec's block style ({self.reason})"


def save_keeping_format(model: ThreatModel, path: str | os.PathLike[str]) -> Saved:
    """Write `model` to `path`, editing the existing file in place where it can (see the module docstring)."""
    target = Path(path)
    clean = yamlio.dump(model.to_dict())
    if not target.exists():
        return Saved(yamlio.write_atomic(target, clean), "new", clean.count("\n"))
    try:
        text = yamlio.read_text(target)
    except (yamlio.YamlProblem, OSError) as exc:
        return _rewrite(target, "", clean, f"the file could not be read: {getattr(exc, 'message', exc)}")
    try:
        data, lines = yamlio.parse(text)
        old = model_from_data(data, lines, str(target))
    except yamlio.YamlProblem as exc:
        return _rewrite(target, text, clean, f"it was not YAML nbsec reads: {exc.message}")
    except NbsecError as exc:
        return _rewrite(target, text, clean, f"it was not a valid threat model: {exc.message.splitlines()[0]}")
    if old == model:
        return Saved(target, "unchanged")
    try:
        updated = update_text(text, old, model)
    except NotRoundTrippable as exc:
        return _rewrite(target, text, clean, str(exc))
    added, removed = _counts(text, updated)
    return Saved(yamlio.write_atomic(target, updated), "kept", added, removed)


def _rewrite(target: Path, text: str, clean: str, reason: str) -> Saved:
    added, removed = _counts(text, clean)
    return Saved(yamlio.write_atomic(target, clean), "rewritten", added, removed, reason)


def _counts(before: str, after: str) -> tuple[int, int]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return sum(line.startswith("+ ") for line in diff), sum(line.startswith("- ") for line in diff)


# -- the edit -------------------------------------------------------------------------------------


def update_text(text: str, old: ThreatModel, new: ThreatModel) -> str:
    """`text` (which reads as `old`) edited to read as `new`; NotRoundTrippable where that cannot be done safely."""
    from ruamel.yaml.error import YAMLError

    try:
        yamlio.parse(text)  # the bounded reader's limits first, whoever calls this: ruamel never sees a hostile text
    except yamlio.YamlProblem as exc:
        raise NotRoundTrippable(f"not YAML nbsec reads: {exc.message}") from None
    yaml = _round_tripper(text)
    try:
        document = yaml.load(text)
        _refuse_odd_nodes(document)
        if not isinstance(document, dict):
            raise NotRoundTrippable("the file is not a mapping")
        before = _dump(yaml, document)
        _apply(document, old, new)
        after = _dump(yaml, document)
    except YAMLError as exc:  # e.g. a key written twice, which ruamel refuses and PyYAML reads as the last one
        raise NotRoundTrippable(f"ruamel.yaml cannot edit it: {str(exc).splitlines()[0]}") from None
    newline = "\r\n" if "\r\n" in text else "\n"  # the file's own line ends
    merged = _merge(text.splitlines(), before.splitlines(), after.splitlines())
    for candidate in (merged.replace("\n", newline), after):
        candidate = candidate if candidate.endswith("\n") else candidate + "\n"
        if _reads_as(candidate, new):
            return candidate
    raise NotRoundTrippable("an in-place edit did not give the same model back")


def _round_tripper(text: str) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")  # round trip: CommentedMap/CommentedSeq and plain scalars, no Python objects
    yaml.preserve_quotes = True
    yaml.width = 4096  # a changed line stays one line; lines the edit does not touch are the file's own anyway
    mapping, sequence, offset = guess_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(yaml: Any, document: Any) -> str:
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _reads_as(text: str, model: ThreatModel) -> bool:
    try:
        data, lines = yamlio.parse(text)
        return model_from_data(data, lines, "the edited file") == model
    except (yamlio.YamlProblem, NbsecError):
        return False


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file writes them, for ruamel's emitter."""
    mapping, sequence, offset = 0, 0, -1
    lines = [line for line in text.splitlines() if not _INERT.match(line)]
    for above, line in zip(lines, lines[1:], strict=False):
        if not above.rstrip().endswith(":"):
            continue
        parent = len(above) - len(above.lstrip(" ").lstrip("- "))
        indent = len(line) - len(line.lstrip(" "))
        if indent <= parent - (2 if above.lstrip().startswith("- ") else 0):
            continue
        stripped = line.lstrip(" ")
        if stripped.startswith("- ") and offset < 0:
            offset = indent - parent
            sequence = offset + len(stripped) - len(stripped[1:].lstrip(" "))
        elif not stripped.startswith("- ") and not mapping:
            mapping = indent - parent
    offset = max(offset, 0)
    mapping = mapping or 2
    sequence = sequence or offset + 2
    return mapping, max(sequence, offset + 2), offset


def _refuse_odd_nodes(node: Any, depth: int = 0) -> None:
    """Only plain mappings, lists and scalars: a tagged node, a set, an ordered map or binary is refused."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

    if depth > yamlio.MAX_DEPTH:
        raise NotRoundTrippable("nested too deeply")
    if isinstance(node, TaggedScalar):
        raise NotRoundTrippable(f"the file uses a YAML tag ({node.tag.value})")
    if type(node) in (CommentedMap, CommentedSeq):
        tag = getattr(node.tag, "value", None)
        if tag is not None:
            raise NotRoundTrippable(f"the file uses a YAML tag ({tag})")
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for key, value in children:
            _refuse_odd_nodes(key, depth + 1)
            _refuse_odd_nodes(value, depth + 1)
        return
    if node is None or isinstance(node, (str, bool, int, float, _dt.date)):
        return
    raise NotRoundTrippable(f"the file holds a {type(node).__name__}, not plain YAML data")


def _apply(document: Any, old: ThreatModel, new: ThreatModel) -> None:
    """Make the round-trip document say `new`, touching only what differs from `old`."""
    before, after = old.to_dict(), new.to_dict()
    for key in ("title", "owner", "description", "extra"):
        if before.get(key) != after.get(key):
            _set(document, key, after.get(key), TOP_KEYS)
    if before.get("controls") != after.get("controls"):
        _set_list(document, "controls", after.get("controls"), TOP_KEYS)
    _update_entries(document, "zones", old.zones, new.zones, ZONE_KEYS)
    _update_entries(document, "elements", old.elements, new.elements, ELEMENT_KEYS)
    _update_entries(document, "flows", old.flows, new.flows, FLOW_KEYS)
    _update_entries(document, "threats", old.threats, new.threats, THREAT_KEYS)
    if FORMAT_KEY not in document:
        raise NotRoundTrippable(f"no `{FORMAT_KEY}` key")


def _identity(item: Any) -> Any:
    return item.key if hasattr(item, "rule") else item.id


def _update_entries(
    document: Any, key: str, old: tuple[Any, ...], new: tuple[Any, ...], order: tuple[str, ...]
) -> None:
    if old == new:
        return
    sequence = document.get(key)
    if sequence is None:
        if new:
            _set(document, key, [item.to_dict() for item in new], TOP_KEYS)
        return
    if not isinstance(sequence, list):
        raise NotRoundTrippable(f"`{key}` is not a list")
    slots = [index for index, raw in enumerate(sequence) if isinstance(raw, dict) and raw]  # as the loader reads
    if len(slots) != len(old):
        raise NotRoundTrippable(f"`{key}` does not line up with the model")
    where = {_identity(item): (slot, item) for slot, item in zip(slots, old, strict=True)}
    wanted = {_identity(item) for item in new}
    hints = _style_hints(sequence)
    for item in new:
        found = where.get(_identity(item))
        if found is None:
            _append(sequence, _as_written(item, new), hints)
        elif found[1] != item:
            _update_mapping(sequence[found[0]], found[1].to_dict(), item.to_dict(), order, hints)
    for ident, (slot, _item) in sorted(where.items(), key=lambda pair: -pair[1][0]):
        if ident not in wanted:
            del sequence[slot]


def _as_written(item: Any, siblings: tuple[Any, ...]) -> dict[str, Any]:
    """A new entry as a person writes it: a flow's id left out where the loader gives it that id anyway."""
    entry: dict[str, Any] = item.to_dict()
    if isinstance(item, Flow) and item.id == f"{item.source}->{item.target}":
        if sum(1 for f in siblings if (f.source, f.target) == (item.source, item.target)) == 1:
            del entry["id"]
    return entry


def _style_hints(sequence: Any) -> dict[str, Any]:
    """For each key, the first list or mapping the entries hold under it: how this file writes such a value."""
    hints: dict[str, Any] = {}
    for raw in sequence:
        if isinstance(raw, dict):
            for key, value in raw.items():
                if isinstance(value, (dict, list)):
                    hints.setdefault(key, value)
    return hints


def _shared(node: Any) -> bool:
    """An anchored node (`&name`): other places may alias it, so it is replaced, never edited in place."""
    return getattr(getattr(node, "anchor", None), "value", None) is not None


def _update_mapping(
    node: Any, before: dict[str, Any], after: dict[str, Any], order: tuple[str, ...], hints: dict[str, Any]
) -> None:
    for key, value in after.items():
        if before.get(key) == value and key in before:
            continue
        current = node.get(key)
        if isinstance(value, dict) and isinstance(current, dict) and not _shared(current):
            _update_mapping(current, before.get(key) or {}, value, tuple(value), {})
        elif isinstance(value, list) and isinstance(current, list) and not _shared(current):
            _set_list(node, key, value, order)
        else:
            _set(node, key, value, order, hints.get(key))
    for key in before:
        if key not in after and key in node:
            del node[key]


def _set_list(node: Any, key: str, values: list[Any] | None, order: tuple[str, ...]) -> None:
    """Edit a list of names in place: keep the ones still there (and the list's style), append the new ones."""
    current = node.get(key)
    if not values:
        if key in node:
            del node[key]
        return
    if not isinstance(current, list) or _shared(current):
        _set(node, key, values, order)
        return
    keep = [value for value in current if value in values]
    for index in range(len(current) - 1, -1, -1):
        if current[index] not in keep:
            del current[index]
    for value in values:
        if value not in current:
            current.append(value)


def _set(node: Any, key: str, value: Any, order: tuple[str, ...], hint: Any = None) -> None:
    """Set (or, for an empty value, remove) `key`; a new key goes where the canonical key order puts it, written
    like the value it replaces or, for a new key, like `hint` (the same key in another entry)."""
    if value in (None, "", [], {}):
        if key in node:
            del node[key]
        return
    fresh = _plain(key, value, like=node.get(key) if key in node else hint)
    if key in node:
        node[key] = fresh
        return
    rank = order.index(key) if key in order else len(order)
    later = [i for i, k in enumerate(node) if (order.index(k) if k in order else len(order)) > rank]
    node.insert(later[0] if later else len(node), key, fresh)


def _append(sequence: Any, entry: dict[str, Any], hints: dict[str, Any]) -> None:
    """Append an entry styled like the entries already there (flow mappings stay flow mappings)."""
    from ruamel.yaml.comments import CommentedMap

    sibling = next((raw for raw in reversed(sequence) if isinstance(raw, CommentedMap)), None)
    node = _plain("", entry, like=sibling, hints=hints)
    if sequence.fa.flow_style() and not sequence:
        sequence.fa.set_block_style()
    sequence.append(node)


def _plain(key: str, value: Any, like: Any = None, hints: dict[str, Any] | None = None) -> Any:
    """Plain data as round-trip nodes, in the style of `like` (an existing sibling or old value) where given,
    and of `hints` (key -> how another entry writes that key) for the keys `like` lacks."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        node = CommentedMap()
        for name, item in value.items():
            model = like.get(name) if isinstance(like, dict) and name in like else (hints or {}).get(name)
            node[name] = _plain(name, item, model)
        if isinstance(like, CommentedMap) and like.fa.flow_style():
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_plain(key, item) for item in value)
        if isinstance(like, CommentedSeq) and like.fa.flow_style():
            seq.fa.set_flow_style()
        elif like is None and all(not isinstance(item, (dict, list)) for item in value):
            seq.fa.set_flow_style()  # a new list of names: `controls: [a, b]`
        return seq
    if key == "due" and isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value)  # written plain, as people write dates
        except ValueError:
            return value
    return value


# -- carrying the edit over to the original text ------------------------------------------------------


def _merge(original: list[str], before: list[str], after: list[str]) -> str:
    """`original` with the changes from `before` to `after` (two dumps of the same document) applied.

    `before` and `original` say the same thing but may differ in layout (ruamel re-flows long flow
    mappings); a change is carried over as is where `before` and `original` agree around it, and
    otherwise replaces the smallest stretch of `original` that corresponds to the changed lines.
    """
    blocks = _align(original, before)
    hunks = _hunks(before, after)
    out: list[str] = []
    done = 0  # lines of `original` already copied
    regions = _regions(hunks, blocks, before)
    width = max(100, *(len(line) for line in original)) if original else 100
    for start, end, lines in regions:
        a_start, a_end = _to_original(start, blocks, True), _to_original(end, blocks, False)
        if start == end:
            a_end = a_start
        out += original[done:a_start] + [part for line in lines for part in _wrap_flow(line, width, original)]
        done = max(done, a_end)
    out += original[done:]
    return "\n".join(out) + "\n"


_FLOW_ITEM = re.compile(r"^(\s*- )\{.*\}\s*$")


def _wrap_flow(line: str, width: int, original: list[str]) -> list[str]:
    """A list item written as one long flow mapping, broken at its top-level commas the way the file already
    breaks such items (ruamel writes it on one line), so a changed entry keeps the file's line width."""
    match = _FLOW_ITEM.match(line)
    if match is None or len(line) <= width:
        return [line]
    indent = len(match.group(1)) + 1  # under the first key, as `- {id: x,` / `   attributes: ...}` is written
    for above, below in zip(original, original[1:], strict=False):
        if above.lstrip().startswith("- {") and not above.rstrip().endswith("}") and below.strip():
            indent = len(below) - len(below.lstrip(" "))
            break
    pieces: list[str] = []
    depth, quote, start = 0, "", 0
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 1:
            pieces.append(line[start : index + 1])
            start = index + 1
    pieces.append(line[start:])
    out = [pieces[0]]
    for piece in pieces[1:]:
        if len(out[-1]) + len(piece) > width:
            out.append(" " * indent + piece.lstrip(" "))
        else:
            out[-1] += piece
    return out


Block = tuple[str, int, int, int, int]  # (tag, original start, original end, before start, before end)


def _align(original: list[str], before: list[str]) -> list[Block]:
    """Opcodes from `original` to `before`, with each re-flowed stretch split at list items where both agree."""
    out: list[Block] = []
    matcher = difflib.SequenceMatcher(None, original, before, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag != "replace":
            out.append((tag, a1, a2, b1, b2))
            continue
        starts_a = [i for i in range(a1, a2) if _ITEM.match(original[i])]
        starts_b = [i for i in range(b1, b2) if _ITEM.match(before[i])]
        if len(starts_a) != len(starts_b) or not starts_a or starts_a[0] != a1 or starts_b[0] != b1:
            out.append((tag, a1, a2, b1, b2))
            continue
        bounds = list(zip([*starts_a, a2], [*starts_b, b2], strict=True))
        for (x1, y1), (x2, y2) in zip(bounds, bounds[1:], strict=False):
            out.append(("equal" if original[x1:x2] == before[y1:y2] else "replace", x1, x2, y1, y2))
    return out


def _hunks(before: list[str], after: list[str]) -> list[tuple[int, int, list[str]]]:
    """(start, end, new lines) in `before`. ruamel attaches the blank lines and comments after an entry to that
    entry, so: a pure insertion after such lines is moved above them (a new entry joins the list it belongs to
    instead of following the comment that opens the next section), and such lines that go with a removed key are
    put back (a save never deletes a comment)."""
    out: list[tuple[int, int, list[str]]] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lines = after[j1:j2]
        tail = before[i1:i2]
        while tail and not _INERT.match(tail[0]):
            tail = tail[1:]
        if tag != "insert" and tail and all(_INERT.match(line) for line in tail) and lines[-len(tail) :] != tail:
            lines = lines + tail  # comments (and the blank lines before them) ruamel dropped with a removed key stay
        if tag == "insert":
            while i1 > 0 and _INERT.match(before[i1 - 1]) and not (out and out[-1][1] >= i1):
                i1 -= 1
            i2 = i1
        out.append((i1, i2, lines))
    return out


def _regions(
    hunks: list[tuple[int, int, list[str]]], blocks: list[Block], before: list[str]
) -> list[tuple[int, int, list[str]]]:
    """Hunks grown to cover every re-flowed stretch they touch, merged where they then overlap:
    (start, end, lines that replace before[start:end])."""
    changed = [(b1, b2) for tag, _a1, _a2, b1, b2 in blocks if tag != "equal"]
    grown_hunks: list[tuple[int, int, tuple[int, int, list[str]]]] = []
    for hunk in hunks:
        low, high = hunk[0], hunk[1]
        grown = True
        while grown:
            grown = False
            for b1, b2 in changed:
                touches = (b1 < high and low < b2) if low < high else (b1 < low < b2)
                if touches and (b1 < low or b2 > high):
                    low, high, grown = min(low, b1), max(high, b2), True
        grown_hunks.append((low, high, hunk))
    groups: list[tuple[int, int, list[tuple[int, int, list[str]]]]] = []
    for low, high, hunk in sorted(grown_hunks, key=lambda g: (g[0], g[1], g[2][0])):
        if groups and low < groups[-1][1]:
            p_low, p_high, members = groups.pop()
            groups.append((p_low, max(p_high, high), [*members, hunk]))
        else:
            groups.append((low, high, [hunk]))
    regions: list[tuple[int, int, list[str]]] = []
    for low, high, members in groups:
        lines: list[str] = []
        at = low
        for start, end, new in sorted(members, key=lambda h: (h[0], h[1])):
            lines += before[at:start] + new
            at = end
        regions.append((low, high, lines + before[at:high]))
    return regions


def _to_original(index: int, blocks: list[Block], start: bool) -> int:
    """The line of `original` that line `index` of `before` corresponds to (a region edge: never mid-block)."""
    for tag, a1, a2, b1, b2 in blocks:
        if b1 == b2 == index and tag == "delete":  # lines only the original has: keep them outside the region
            return a2 if start else a1
        if b1 <= index < b2:
            return a1 + (index - b1) if tag == "equal" else a1
    return blocks[-1][2] if blocks else 0
