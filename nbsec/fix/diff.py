"""How a Change is shown: a unified diff a person can review, with every secret redacted.

- text files: a plain unified diff (difflib), `a/PATH` / `b/PATH`;
- notebooks: one hunk per changed part, labelled like git's function context
  (`@@ -1,3 +1,3 @@ cell 3 [2], source`): a cell's source as lines of code, an output as the text
  it shows (stream text, each MIME type's text, an error's name, value and traceback; binary data
  as its size and a short hash), metadata as indented JSON; an output that is removed is one line
  saying what it was, never its content. Diffing the raw .ipynb JSON would show escaped strings and
  base64 a reviewer cannot read;
- a new file: its name, its size, and its content when it is small text.

Redaction happens twice, because a diff is shown in terminals, reports and notebooks: first every
value in `Change.secrets` (and its JSON-escaped forms) is replaced by `[hidden: <nbsec.redact.redact(value)>]`
in both texts before they are compared; then nbsec's own secret detectors run over every line of
the diff (one implementation, `nbsec.scanners.notebook.secrets`), so a secret the change does not
touch (a context line, a second cell) is not shown in full either.

`text_edits` gives the same change as SARIF replacements (regions of the old text and the fixed
text), for code-scanning UIs.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from nbsec.fix.base import Change
from nbsec.fix.notebook_json import cell_label
from nbsec.model import TextEdit
from nbsec.redact import redact, redact_in

CONTEXT_LINES = 3
MAX_DIFF_CHARS = 200_000  # per change: a stripped 50 MB output is described, not printed
MAX_NEW_FILE_SHOWN = 20_000
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_TEXT_MIME = re.compile(r"^(text/|application/(json|javascript|xml|.*\+json|.*\+xml)$|image/svg\+xml$)")

Redactor = Callable[[str], str]


# -- redaction -------------------------------------------------------------------------------------------------


def json_spellings(value: str) -> tuple[str, ...]:
    """How a text may be spelled inside a JSON string: as is, JSON-escaped, and escaped with non-ASCII as \\uXXXX."""
    return tuple(dict.fromkeys((value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1])))


def secret_forms(secrets: Iterable[str]) -> list[tuple[str, str]]:
    """(form, replacement) for each secret: the raw value and its JSON-escaped spellings, longest first.

    The replacement is `[hidden: <redacted>]`, not the bare redacted form: a fix that redacts an output in place
    writes `redact(value)` there, and the old side must still read differently from the new one.
    """
    forms: dict[str, str] = {}
    for value in secrets:
        if len(value) < 2:
            continue
        shown = f"[hidden: {redact(value)}]"
        for form in json_spellings(value):
            forms.setdefault(form, shown)
    return sorted(forms.items(), key=lambda item: -len(item[0]))


def redactor(secrets: Iterable[str]) -> Redactor:
    """A function that replaces every known secret (raw or JSON-escaped) in a text by its redacted form."""
    forms = secret_forms(secrets)

    def apply(text: str) -> str:
        for form, shown in forms:
            if form in text:
                text = text.replace(form, shown)
        return text

    return apply


def redact_detected(line: str, part: str) -> str:
    """Redact what nbsec's secret detectors find in one diff line (its body after the -/+/space marker)."""
    from nbsec.scanners.notebook.detectors import TextContext
    from nbsec.scanners.notebook.secrets import find_secrets

    if len(line) < 9 or line.startswith(("@@", "--- ", "+++ ")):
        return line
    marker, body = line[:1], line[1:]
    spans = [(m.start, m.end) for m in find_secrets(body, TextContext(part=part))]
    return marker + redact_in(body, spans) if spans else line


# -- the diff of one change ---------------------------------------------------------------------------------------


def show(change: Change, label: str, source_label: str | None = None) -> str:
    """The change as redacted diff text; `label` is how the file is named to the user (its report path)."""
    clean = redactor(change.secrets)
    if change.kind == "new-file" or change.before is None:
        text = _new_file(change, label, source_label, clean)
    elif change.kind == "notebook":
        notebook = _notebook_diff(change.before, change.after, label, clean)
        text = notebook if notebook is not None else _text_diff(change.before, change.after, label, clean)
    else:
        text = _text_diff(change.before, change.after, label, clean)
    return _capped(text)


def _capped(text: str) -> str:
    if len(text) <= MAX_DIFF_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_DIFF_CHARS)
    rest = text.count("\n", cut)
    return text[:cut] + f"\n@@ diff truncated: {rest} more lines (the change itself is complete) @@"


def decode(content: bytes) -> str | None:
    """UTF-8 text, or None for binary content (a NUL byte, or not UTF-8)."""
    if b"\x00" in content[:8192]:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _text_diff(before: bytes, after: bytes, label: str, clean: Redactor) -> str:
    old, new = decode(before), decode(after)
    if old is None or new is None:
        return f"--- a/{label}\n+++ b/{label}\n@@ binary file: {len(before):,} -> {len(after):,} bytes @@"
    lines = [f"--- a/{label}", f"+++ b/{label}"]
    lines += _hunks(clean(old), clean(new), part="code" if label.endswith((".py", ".pyw", ".ipy")) else "text")
    return "\n".join(lines)


def _hunks(old: str, new: str, *, part: str, title: str = "", context: int = CONTEXT_LINES) -> list[str]:
    """Unified-diff hunks of two texts, without the ---/+++ header; `title` goes after each @@ (git's context)."""
    out: list[str] = []
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=context)
    for line in diff:
        if line.startswith(("--- ", "+++ ")) and not out:
            continue
        if line.startswith("@@"):
            out.append(f"{line} {title}".rstrip())
        else:
            out.append(redact_detected(line, part))
    return out


def _new_file(change: Change, label: str, source_label: str | None, clean: Redactor) -> str:
    origin = f" (from {source_label})" if source_label else ""
    text = decode(change.after)
    head = ["--- /dev/null", f"+++ b/{label}"]
    if change.before is not None:  # a text change the fixer called new-file: show it as a diff anyway
        return _text_diff(change.before, change.after, label, clean)
    if text is None or len(text) > MAX_NEW_FILE_SHOWN:
        kind = "binary" if text is None else "text"
        digest = hashlib.sha256(change.after).hexdigest()[:16]
        return "\n".join(
            [*head, f"@@ new {kind} file{origin}: {len(change.after):,} bytes, sha256 {digest}… @@ {change.summary}"]
        )
    body = [redact_detected("+" + line, "code") for line in clean(text).splitlines()]
    return "\n".join([*head, f"@@ -0,0 +1,{len(body)} @@ new file{origin}", *body])


# -- notebooks: one hunk per changed part ------------------------------------------------------------------------


def _notebook_diff(before: bytes, after: bytes, label: str, clean: Redactor) -> str | None:
    """The notebook diff by parts, or None when either side is not a notebook or the cells were added/removed."""
    from nbsec.fix.notebook_json import load

    try:
        old, _ = load(before, label)
        new, _ = load(after, label)
    except Exception:  # noqa: BLE001 - not a readable notebook: the caller shows the plain text diff
        return None
    old_cells, new_cells = old["cells"], new["cells"]
    if len(old_cells) != len(new_cells):
        return None
    lines = [f"--- a/{label}", f"+++ b/{label}"]
    for index, (a, b) in enumerate(zip(old_cells, new_cells, strict=True)):
        if a != b and isinstance(a, dict) and isinstance(b, dict):
            lines += _cell_diff(index, a, b, clean)
    lines += _json_hunks(old.get("metadata"), new.get("metadata"), "notebook metadata", clean)
    return "\n".join(lines)


def _cell_diff(index: int, a: dict[str, Any], b: dict[str, Any], clean: Redactor) -> list[str]:
    from nbsec.fix.notebook_json import source

    name = cell_label(a, index)
    out: list[str] = []
    if source(a) != source(b):
        part = "code" if a.get("cell_type") == "code" else "text"
        out += _hunks(clean(source(a)), clean(source(b)), part=part, title=f"{name}, source")
    if a.get("execution_count") != b.get("execution_count"):
        out.append(f"@@ {name}: execution count {_count(a)} -> {_count(b)} @@")
    out += _outputs_diff(name, a.get("outputs") or [], b.get("outputs") or [], clean)
    out += _json_hunks(a.get("metadata"), b.get("metadata"), f"{name}, metadata", clean)
    for key in sorted((set(a) | set(b)) - {"source", "execution_count", "outputs", "metadata"}):
        if a.get(key) != b.get(key):
            out.append(f"@@ {name}: {key} {'removed' if key not in b else 'changed'} @@")
    return out


def _count(cell: dict[str, Any]) -> str:
    value = cell.get("execution_count")
    return str(value) if value is not None else "none"


def _outputs_diff(name: str, old: Sequence[Any], new: Sequence[Any], clean: Redactor) -> list[str]:
    out: list[str] = []
    old_text = [_output_text(o) for o in old]
    new_text = [_output_text(o) for o in new]
    matcher = difflib.SequenceMatcher(None, old_text, new_text, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            where = f"{name}, output {i1 + k + 1} ({_output_kind(old[i1 + k])})"
            hunks = _hunks(clean(old_text[i1 + k]), clean(new_text[j1 + k]), part="output-text", title=where)
            out += hunks or [f"@@ {where}: changed (only in what is shown redacted here) @@"]
        for k in range(i1 + paired, i2):
            size = len(old_text[k])
            out.append(f"@@ {name}, output {k + 1} ({_output_kind(old[k])}) removed ({size:,} characters) @@")
        for k in range(j1 + paired, j2):
            out.append(f"@@ {name}, new output {k + 1} ({_output_kind(new[k])}) @@")
            out += [redact_detected("+" + line, "output-text") for line in clean(new_text[k]).splitlines()]
    return out


def _output_kind(output: Any) -> str:
    if not isinstance(output, dict):
        return "unknown"
    kind = str(output.get("output_type", "unknown"))
    if kind == "stream":
        return f"stream {output.get('name', '')}".strip()
    if kind == "error":
        return f"error {output.get('ename', '')}".strip()
    data = output.get("data")
    if isinstance(data, dict) and data:
        return f"{kind}: {', '.join(sorted(str(k) for k in data))}"
    return kind


def _joined(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)


def _output_text(output: Any) -> str:
    """What an output shows, as lines a reviewer can read (binary data as its size and a short hash)."""
    if not isinstance(output, dict):
        return json.dumps(output, ensure_ascii=False)
    kind = output.get("output_type")
    lines: list[str] = []
    if kind == "stream":
        lines.append(_joined(output.get("text", "")))
    elif kind == "error":
        lines.append(f"{output.get('ename', '')}: {output.get('evalue', '')}")
        lines += [_ANSI.sub("", str(line)) for line in output.get("traceback") or []]
    else:
        data = output.get("data") or {}
        for mime in sorted(data) if isinstance(data, dict) else []:
            value = _joined(data[mime])
            if _TEXT_MIME.match(mime):
                lines.append(f"[{mime}]")
                lines.append(value)
            else:
                digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]
                lines.append(f"[{mime}] {len(value):,} characters, sha256 {digest}…")
    if output.get("metadata"):
        lines.append("[metadata] " + json.dumps(output["metadata"], sort_keys=True, ensure_ascii=False))
    return "\n".join(lines)


def _json_hunks(old: Any, new: Any, title: str, clean: Redactor) -> list[str]:
    if old == new:
        return []
    return _hunks(clean(_dump(old)), clean(_dump(new)), part="output-text", title=title, context=1)


def _dump(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) if value is not None else ""


# -- SARIF: the change as replacements of regions of the old text ------------------------------------------------


def text_edits(before: bytes, after: bytes) -> tuple[TextEdit, ...] | None:
    """The change as (region of the old text, new text) pairs, or None when it cannot be said that way (binary).

    Regions are whole lines where possible. A region may not start or end past the last line of the old text,
    so an edit that reaches the end of a file ending in a newline stops before that newline (and its text
    without it). A change that cannot be said so (the new text no longer ends with a line ending where the old
    one did, or only a line added after it) gives None: no SARIF fix rather than a wrong one.
    """
    old, new = decode(before), decode(after)
    if old is None or new is None:
        return None
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))
    spans: list[tuple[int, int, str]] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        begin, end, text = starts[i1], starts[i2], "".join(new_lines[j1:j2])
        if old_lines and end == len(old) and old_lines[-1] != old_lines[-1].rstrip("\r\n"):
            # The region would end past the last line: end it before the last line ending instead.
            ending = _ending(old_lines[-1])
            if begin == end:  # an insertion after the last line: before its line ending
                text = ending + text
                begin -= len(ending)
            elif not text.endswith(ending) and i1 > 0:  # the last lines removed: start before the line ending above
                text = _ending(old_lines[i1 - 1]) + text
                begin -= len(_ending(old_lines[i1 - 1]))
            if not text.endswith(ending):
                return None
            text, end = text[: -len(ending)], end - len(ending)
        if spans and begin < spans[-1][1]:
            return None  # cannot happen with difflib's opcodes; never emit overlapping regions
        if spans and begin == spans[-1][1]:  # touching the edit before (after a move to a line ending): one edit
            first, _, earlier = spans.pop()
            begin, text = first, earlier + text
        spans.append((begin, end, text))
    return tuple(
        TextEdit(*_position(starts, begin, len(old_lines)), *_position(starts, end, len(old_lines)), text)
        for begin, end, text in spans
    )


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _position(starts: list[int], offset: int, lines: int) -> tuple[int, int]:
    """1-based (line, column) of a code-point offset in a text whose line starts are `starts`."""
    if lines == 0:
        return 1, 1
    index = min(bisect.bisect_right(starts, offset) - 1, lines - 1)
    return index + 1, offset - starts[index] + 1


def apply_edits(before: str, edits: Sequence[TextEdit]) -> str:
    """Apply TextEdits to a text (what a SARIF viewer does): the check that they say what the change says."""
    lines = before.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return (starts[line - 1] if line - 1 < len(starts) else len(before)) + column - 1

    out = before
    for edit in sorted(edits, key=lambda e: (e.start_line, e.start_column), reverse=True):
        begin, end = offset(edit.start_line, edit.start_column), offset(edit.end_line, edit.end_column)
        out = out[:begin] + edit.text + out[end:]
    return out
