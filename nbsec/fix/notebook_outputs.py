"""Secrets and personal data in what a notebook saved beside its code: outputs, tracebacks, metadata.

A credential printed by a cell (NBSEC-NB-011) or personal data shown in a DataFrame (NBSEC-PRIV-001)
lives in the notebook's JSON, not in its code, so the fix edits that JSON and nothing else. Three
ways, chosen with `options["outputs"]`:

* "redact" (default): each value found is replaced where it is stored by `nbsec.redact.redact(value)`,
  the same text the reports show ("sk-p…[sha256:1a2b3c4d]"), in every copy inside that output: plain
  text, HTML, JSON, stream text, the error's `evalue` and its traceback lines (whose ANSI colour codes
  are kept). The reader still sees which key or which e-mail was there, never the value.
      before: "evalue": "could not connect: postgresql://admin:LnQL…@db:5432/prod"   (value in full)
      after:  "evalue": "could not connect: postgresql://admin:LnQ…[sha256:b1164dec]@db:5432/prod"
* "clear": the outputs that hold a finding are removed and the others kept; a cell whose outputs all
  went gets `execution_count: null`, as Jupyter's "Clear Output" does.
* "strip": what nbstripout does, for the cells involved only: every output, the execution count and
  the execution metadata (`execution`, `ExecuteTime`, `collapsed`, `scrolled`).

Cell and notebook metadata, widget state and text attachments are redacted in every mode (there is
no output to clear), except that "clear" and "strip" drop the whole widget state, as nbstripout does.
Personal data written in a code, markdown or raw cell is refused: that is the author's text, to be
edited by hand. Images cannot be redacted (pixels); an output that pairs one with a redacted text gets
a note saying so, and "clear" removes it whole.

The spans come from nbsec's own detectors, re-run on the same parts the scanner read
(`notebook_parts` / `expand_html` / `find_matches`), and each finding is matched by its location and
fingerprint, so the fix touches exactly what was reported. Every other cell is left as it was
(notebook_json keeps the file's JSON style), and the result is checked: the values are gone from the
edited places, the findings do not come back, and a notebook that validated with nbformat still does.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nbsec.errors import NbsecError
from nbsec.fix import notebook_json
from nbsec.fix.base import Change, FixContext, FixerSpec, FixResult, Refusal
from nbsec.fix.checks import valid_notebook
from nbsec.fix.diff import json_spellings
from nbsec.model import Finding
from nbsec.redact import redact
from nbsec.scanners.notebook.content import MAX_FINDINGS_PER_PART, find_matches
from nbsec.scanners.notebook.content import _finding as build_finding  # the scanner's own Finding, to match on
from nbsec.scanners.notebook.detectors import TextContext
from nbsec.scanners.notebook.parts import ANSI, TextPart, expand_html, notebook_parts

SECRET_IN_SOURCE = "NBSEC-NB-010"
SECRET_IN_OUTPUT = "NBSEC-NB-011"
PII = "NBSEC-PRIV-001"
MODES = ("redact", "clear", "strip")
EXECUTION_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")
SOURCE_PARTS = ("code", "markdown", "raw")
MAX_SUMMARY_PLACES = 3


@dataclass(frozen=True)
class Located:
    """A finding matched to the part it was found in, with the raw value (kept in memory only)."""

    finding: Finding
    part: TextPart
    value: str = field(repr=False)
    kind: str
    start: int  # offsets of the value in part.text
    end: int


def locate(
    parts: Iterable[TextPart], findings: Sequence[Finding], *, with_pii: bool
) -> tuple[list[Located], list[Finding]]:
    """Re-run the scanner's detectors on `parts` and match each finding (rule, location, fingerprint).

    Returns the located findings and those no longer found (the file changed since the scan).
    """
    pending: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        pending.setdefault((finding.rule_id, finding.fingerprint), []).append(finding)
    wanted = {(f.location.cell, f.location.output) for f in findings}
    located: list[Located] = []
    for raw in parts:
        if not pending:
            break
        if (raw.cell, raw.output) not in wanted:
            continue
        for part in expand_html(raw) if raw.html else (raw,):
            located.extend(_locate_part(part, pending, with_pii))
    missing = [f for group in pending.values() for f in group]
    return located, missing


def _locate_part(part: TextPart, pending: dict[tuple[str, str], list[Finding]], with_pii: bool) -> list[Located]:
    context = TextContext(part=part.part, mime=part.mime, column=part.column)
    matches = find_matches(part.text, context, with_pii)
    spans = [(m.start, m.end) for m in matches]
    paths = {f.location.path for group in pending.values() for f in group}
    out: list[Located] = []
    for match in sorted(matches, key=lambda m: m.start)[:MAX_FINDINGS_PER_PART]:
        for path in paths:
            built = build_finding(path, part, match, spans)
            key = (built.rule_id, built.fingerprint)
            group = pending.get(key, [])
            same = next((f for f in group if f.location == built.location), None)
            if same is None:
                continue
            group.remove(same)
            if not group:
                del pending[key]
            out.append(Located(same, part, match.value, match.kind, match.start, match.end))
            break
    return out


# -- replacing values in stored strings --------------------------------------------------------------


def value_forms(value: str) -> list[str]:
    """How a value found in a part's text may be stored: as is, HTML-escaped, or JSON-escaped text unescaped."""
    forms = [value, html.escape(value, quote=False), html.escape(value)]
    if "\\" in value:
        try:
            unescaped = json.loads(f'"{value}"')
        except ValueError:
            unescaped = None
        if isinstance(unescaped, str):
            forms.append(unescaped)
    return list(dict.fromkeys(f for f in forms if f))


def stored_forms(values: Iterable[str]) -> tuple[str, ...]:
    """The values and every escaped form they may take in a diff of the file (for Change.secrets)."""
    out = [spelling for value in values for form in value_forms(value) for spelling in json_spellings(form)]
    return tuple(dict.fromkeys(v for v in out if v))


def replace_values(text: str, values: Sequence[str], *, ansi: bool = False) -> str:
    """Every stored copy of each value replaced by its redaction (longest first, so no value is cut)."""
    for value in sorted(values, key=len, reverse=True):
        for form in value_forms(value):
            if form in text:
                text = text.replace(form, redact(value))
        if ansi and "\x1b" in text:
            text = _replace_across_ansi(text, value)
    return text


def _replace_across_ansi(text: str, value: str) -> str:
    """A traceback line may colour part of a value: match on the visible text, keep the codes."""
    index: list[int] = []  # visible character i is text[index[i]]
    pos = 0
    for code in ANSI.finditer(text):
        index.extend(range(pos, code.start()))
        pos = code.end()
    index.extend(range(pos, len(text)))
    visible = "".join(text[i] for i in index)
    out: list[str] = []
    last = 0
    hit = visible.find(value)
    while hit >= 0:
        lo, hi = index[hit], index[hit + len(value) - 1] + 1
        out += [text[last:lo], redact(value), "".join(ANSI.findall(text[lo:hi]))]
        last = hi
        hit = visible.find(value, hit + len(value))
    out.append(text[last:])
    return "".join(out)


def _multiline(value: Any, values: Sequence[str], ansi: bool = False) -> Any:
    """An nbformat multiline string (one string, or a list of lines): edited as one text, stored in its form."""
    if isinstance(value, str):
        return replace_values(value, values, ansi=ansi)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        joined = "".join(value)
        edited = replace_values(joined, values, ansi=ansi)
        return value if edited == joined else _lines(edited)
    return _json(value, values)


def _lines(text: str) -> list[str]:
    """Split after each "\\n" only (nbformat's on-disk lines), so unchanged lines stay identical."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    return out + ([lines[-1]] if lines[-1] else [])


def _json(value: Any, values: Sequence[str]) -> Any:
    if isinstance(value, str):
        return replace_values(value, values)
    if isinstance(value, list):
        return [_json(v, values) for v in value]
    if isinstance(value, dict):
        return {replace_values(k, values): _json(v, values) for k, v in value.items()}
    return value


def _is_image(mime: str) -> bool:
    return mime.startswith("image/") and "svg" not in mime


def redact_output(output: dict[str, Any], values: Sequence[str]) -> dict[str, Any]:
    """A copy of one output with the values redacted wherever a person could read them."""
    out = dict(output)
    if "text" in out:
        out["text"] = _multiline(out["text"], values)
    for key in ("ename", "evalue"):
        if isinstance(out.get(key), str):
            out[key] = replace_values(out[key], values)
    if isinstance(out.get("traceback"), list):
        out["traceback"] = [replace_values(v, values, ansi=True) if isinstance(v, str) else v for v in out["traceback"]]
    data = out.get("data")
    if isinstance(data, dict):
        out["data"] = {
            mime: payload
            if _is_image(mime)
            else (_json(payload, values) if mime.endswith("json") else _multiline(payload, values))
            for mime, payload in data.items()
        }
    if isinstance(out.get("metadata"), dict):
        out["metadata"] = _json(out["metadata"], values)
    return out


def still_holds(value: Any, values: Iterable[str]) -> bool:
    """Whether any value (in any stored form) is still somewhere in this JSON data."""
    text = json.dumps(value, ensure_ascii=False)
    return any(s in text for v in values for form in value_forms(v) for s in json_spellings(form))


# -- one notebook edit -------------------------------------------------------------------------------


@dataclass
class Edit:
    """What changed in one place of the notebook, for the summary and the Change."""

    where: str
    what: str
    fixes: list[Finding]  # the findings it removes (the objects given: twins in other places are not among them)
    values: list[str] = field(repr=False)


@dataclass
class Outcome:
    edits: list[Edit] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def cell_label(nb: dict[str, Any], index: int) -> str:
    return notebook_json.cell_label(nb["cells"][index], index)


def _counted(items: Sequence[Located]) -> str:
    secrets = {x.value for x in items if x.finding.rule_id != PII}
    personal = {x.value for x in items if x.finding.rule_id == PII}
    words = []
    if secrets:
        words.append(f"{len(secrets)} credential" + ("s" if len(secrets) > 1 else ""))
    if personal:
        words.append(f"{len(personal)} personal data value" + ("s" if len(personal) > 1 else ""))
    return " and ".join(words)


def _edit(where: str, items: Sequence[Located], template: str) -> Edit:
    """`template` holds "{}" for the count ("{} redacted", "cleared (it held {})")."""
    values = list(dict.fromkeys(x.value for x in items))
    return Edit(where, template.format(_counted(items)), [x.finding for x in items], values)


def edit_notebook(nb: dict[str, Any], located: Sequence[Located], mode: str) -> Outcome:
    """Apply the fix for every located finding that is not in a code cell's source; edits `nb` in place.

    Code-cell credentials (NBSEC-NB-010) are the credentials fixer's; personal data in any source is refused.
    """
    outcome = Outcome()
    places: dict[tuple[str, Any], list[Located]] = {}
    for item in located:
        part = item.part
        if part.part in SOURCE_PARTS:
            if item.finding.rule_id == PII:
                where = "code" if part.part == "code" else f"a {part.part} cell"
                outcome.refusals.append(Refusal(item.finding, f"personal data in {where}: edit it by hand"))
                continue
            if part.part == "code":
                outcome.refusals.append(Refusal(item.finding, "a credential in code is fixed by the credentials fixer"))
                continue
            places.setdefault(("source", part.cell), []).append(item)
        elif part.part.startswith("output-"):
            places.setdefault(("output", (part.cell, part.output)), []).append(item)
        elif part.part == "widget-state":
            places.setdefault(("widgets", None), []).append(item)
        elif part.part == "attachment":
            places.setdefault(("attachment", (part.cell, (part.element or "")[len("attachment ") :])), []).append(item)
        elif part.part == "metadata":
            places.setdefault(("metadata", part.cell), []).append(item)
        else:
            outcome.refusals.append(Refusal(item.finding, f"nbsec does not edit this part of a notebook ({part.part})"))
    if mode == "strip":
        _strip(nb, places, outcome)
    for (kind, key), items in places.items():
        if kind == "output" and mode == "strip":
            continue  # done by _strip
        if kind == "output":
            _fix_output(nb, key, items, mode, outcome)
        elif kind == "widgets":
            _fix_widgets(nb, items, mode, outcome)
        elif kind == "attachment":
            _fix_attachment(nb, key, items, outcome)
        elif kind == "metadata":
            _fix_metadata(nb, key, items, outcome)
        else:
            _fix_prose(nb, key, items, outcome)
    if mode == "clear":
        for index in sorted({key[0] for (kind, key) in places if kind == "output"}):
            _drop_cleared(nb["cells"][index])
    return outcome


def _fix_output(nb: dict[str, Any], key: tuple[int, int], items: list[Located], mode: str, outcome: Outcome) -> None:
    index, number = key
    cell = nb["cells"][index]
    outputs = cell["outputs"]
    where = f"{cell_label(nb, index)}, output {number + 1}"
    values = [x.value for x in items]
    if mode == "clear":
        outcome.edits.append(_edit(where, items, "cleared (it held {})"))
        outputs[number] = None  # removed once every output is decided (edit_notebook), so indexes hold
        return
    edited = redact_output(outputs[number], values)
    if still_holds(edited, values):
        reason = "the value is stored in a form nbsec could not redact in place; use --outputs clear"
        outcome.refusals += [Refusal(x.finding, reason) for x in items]
        return
    outputs[number] = edited
    outcome.edits.append(_edit(where, items, "{} redacted"))
    data = edited.get("data")
    if isinstance(data, dict) and any(_is_image(mime) for mime in data):
        outcome.notes.append(
            f"{where} also holds an image, which nbsec cannot redact: if it shows the same data, use --outputs clear"
        )


def _drop_cleared(cell: dict[str, Any]) -> None:
    """Remove the outputs marked None; a cell left with none gets execution_count null (Clear Output)."""
    if any(o is None for o in cell["outputs"]):
        cell["outputs"] = [o for o in cell["outputs"] if o is not None]
        if not cell["outputs"] and "execution_count" in cell:
            cell["execution_count"] = None


def _strip(nb: dict[str, Any], places: dict[tuple[str, Any], list[Located]], outcome: Outcome) -> None:
    by_cell: dict[int, list[Located]] = {}
    for (kind, key), items in places.items():
        if kind == "output":
            by_cell.setdefault(key[0], []).extend(items)
    for index in sorted(by_cell):
        cell = nb["cells"][index]
        where = cell_label(nb, index)
        cell["outputs"] = []
        if "execution_count" in cell:
            cell["execution_count"] = None
        metadata = cell.get("metadata")
        if isinstance(metadata, dict):
            for name in EXECUTION_METADATA:
                metadata.pop(name, None)
        outcome.edits.append(_edit(where, by_cell[index], "outputs and execution metadata stripped (they held {})"))


def _fix_widgets(nb: dict[str, Any], items: list[Located], mode: str, outcome: Outcome) -> None:
    metadata = nb["metadata"]
    values = [x.value for x in items]
    if mode in ("clear", "strip"):
        del metadata["widgets"]
        outcome.edits.append(_edit("widget state", items, "dropped (it held {})"))
        return
    widgets = metadata["widgets"]
    edited = _json(widgets, values)
    if still_holds(edited, values):
        reason = "the value is stored in the widget state in a form nbsec could not redact; use --outputs clear"
        outcome.refusals += [Refusal(x.finding, reason) for x in items]
        return
    metadata["widgets"] = edited
    outcome.edits.append(_edit("widget state", items, "{} redacted"))


def _fix_metadata(nb: dict[str, Any], index: int | None, items: list[Located], outcome: Outcome) -> None:
    values = [x.value for x in items]
    if index is None:
        owner, where = nb, "notebook metadata"
        kept = {k: v for k, v in nb["metadata"].items() if k != "widgets"}
        edited = _json(kept, values)
        if "widgets" in nb["metadata"]:
            edited["widgets"] = nb["metadata"]["widgets"]
    else:
        owner, where = nb["cells"][index], f"{cell_label(nb, index)} metadata"
        edited = _json(owner["metadata"], values)
    if still_holds({k: v for k, v in edited.items() if k != "widgets"}, values):
        outcome.refusals += [Refusal(x.finding, f"could not redact the value in the {where}") for x in items]
        return
    owner["metadata"] = edited
    outcome.edits.append(_edit(where, items, "{} redacted"))


def _fix_attachment(nb: dict[str, Any], key: tuple[int, str], items: list[Located], outcome: Outcome) -> None:
    index, name = key
    bundle = nb["cells"][index]["attachments"][name]
    where = f"{cell_label(nb, index)}, attachment {name}"
    values = [x.value for x in items]
    edited = dict(bundle)
    for mime in {x.part.mime for x in items if x.part.mime}:
        try:
            text = base64.b64decode(bundle[mime], validate=False).decode("utf-8")
        except (binascii.Error, ValueError, KeyError, TypeError):
            reason = f"attachment {name} is not UTF-8 text nbsec can re-encode; remove it by hand"
            outcome.refusals += [Refusal(x.finding, reason) for x in items]
            return
        edited[mime] = base64.b64encode(replace_values(text, values).encode("utf-8")).decode("ascii")
    nb["cells"][index]["attachments"][name] = edited
    outcome.edits.append(_edit(where, items, "{} redacted"))


def _fix_prose(nb: dict[str, Any], index: int, items: list[Located], outcome: Outcome) -> None:
    """A credential written in a markdown or raw cell: prose, so the value is redacted in place."""
    cell = nb["cells"][index]
    text = notebook_json.source(cell)
    edited = replace_values(text, [x.value for x in items])
    notebook_json.set_source(cell, edited)
    outcome.edits.append(_edit(cell_label(nb, index), items, "{} redacted in the text"))


# -- checks and the Change ---------------------------------------------------------------------------


def summary_of(edits: Sequence[Edit]) -> str:
    shown = [f"{e.where}: {e.what}" for e in edits[:MAX_SUMMARY_PLACES]]
    more = len(edits) - MAX_SUMMARY_PLACES
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def recheck(after: bytes, fixed: Sequence[Finding], *, with_pii: bool = True) -> list[Finding]:
    """Those of the `fixed` findings that the scanner's detectors still find, in the same place, in `after`.

    Returned as the very Finding objects given: two identical findings (one fingerprint) in two places are told
    apart, so one still found does not take its fixed twin with it.
    """
    nb, _ = notebook_json.load(after)
    found, _ = locate(notebook_parts(nb), fixed, with_pii=with_pii)
    return [x.finding for x in found]


def still_found(fixed: Sequence[Finding], remaining: Sequence[Finding]) -> tuple[list[Refusal], tuple[str, ...]]:
    """After a recheck: a Refusal for each finding still found, and the fingerprints of the others (Change.fixes)."""
    left = {id(f) for f in remaining}
    refusals = [Refusal(f, "still found after the edit; not fixed") for f in fixed if id(f) in left]
    return refusals, tuple(dict.fromkeys(f.fingerprint for f in fixed if id(f) not in left))


def fix_outputs(ctx: FixContext) -> FixResult:
    mode = ctx.options.get("outputs", "redact")
    if mode not in MODES:
        reason = f"unknown outputs mode {mode!r} (choose one of: {', '.join(MODES)})"
        return [], [Refusal(f, reason) for f in ctx.findings]
    try:
        nb, style = notebook_json.load(ctx.content, source=str(ctx.path))
    except (NbsecError, ValueError) as exc:
        reason = f"cannot read the notebook: {exc}"
        return [], [Refusal(f, reason) for f in ctx.findings]
    was_valid = valid_notebook(nb)
    located, missing = locate(notebook_parts(nb), ctx.findings, with_pii=True)
    refusals = [Refusal(f, "no longer where the scan found it (the file changed): scan again") for f in missing]
    outcome = edit_notebook(nb, located, mode)
    refusals += outcome.refusals
    if not outcome.edits:
        return [], refusals
    after = notebook_json.dump(nb, style)
    if was_valid and not valid_notebook(notebook_json.load(after)[0]):
        reason = "the edited notebook would not validate against the nbformat schema; not changed"
        return [], refusals + [Refusal(f, reason) for e in outcome.edits for f in e.fixes]
    edited = {id(f) for e in outcome.edits for f in e.fixes}
    fixed = [x.finding for x in located if id(x.finding) in edited]
    refused, fixes = still_found(fixed, recheck(after, fixed))
    refusals += refused
    change = Change(
        path=ctx.path,
        kind="notebook",
        after=after,
        before=ctx.content,
        summary=summary_of(outcome.edits),
        fixes=fixes,
        rule_ids=tuple(sorted({f.rule_id for f in fixed})),
        secrets=stored_forms(v for e in outcome.edits for v in e.values),
        notes=tuple(dict.fromkeys(outcome.notes)),
    )
    return [change], refusals


FIXERS: tuple[FixerSpec, ...] = (
    FixerSpec(
        name="notebook-outputs",
        rule_ids=(SECRET_IN_OUTPUT, PII),
        describe="redact the value in the output, traceback, metadata or widget state (or clear/strip those outputs)",
        fix=fix_outputs,
    ),
)
