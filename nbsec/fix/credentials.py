"""A credential written in code (NBSEC-NB-010) becomes an environment lookup; its name goes to .env.example.

    before:  OPENAI_API_KEY = "sk-proj-…"                    client = OpenAI(api_key="sk-proj-…")
    after:   OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]   client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])

The value is never written anywhere: the code reads it at run time, `.env.example` gets `NAME=` (no
value), and the Change lists the value in `secrets` only so that every surface can redact its diff.

This module is the fixer: it reads the file (a `.py`/`.pyw`/`.ipy` file, or a notebook's code cells),
finds each credential's span with nbsec's own detectors (`notebook_outputs.locate`), and turns the
planned edits into Changes. The parts live beside it, one job each:

* nbsec.fix.credential_edits: the literal at the span, on libcst's tree, and the text replacing it
  (only the literal changes, so formatting and comments stay), or why it is refused;
* nbsec.fix.env_names: the variable's name (from the variable, keyword or key; the provider's
  documented variable; NBSEC_SECRET_<n>; no two values share one);
* nbsec.fix.os_import: `import os`, where a careful person would put it, when none runs before;
* nbsec.fix.env_example: the names listed in the nearest `.env.example` (created when there is none);
* nbsec.fix.ipython_lines: IPython syntax (`%pip`, `!curl`, `x = !ls`, a leading `%%time`) set aside
  for parsing; a credential in such a line, or in a cell magic that is not Python (`%%bash`), is refused.

Credentials in markdown/raw cells, metadata, widget state and attachments are redacted in place by the
notebook-outputs machinery (the same as NBSEC-NB-011). A file that is neither Python nor a notebook is
refused. Every edited cell or file is checked with `ast.parse` (parsed, never run), the findings are
re-detected to confirm they are gone, and a notebook that validated with nbformat must still validate.
"""

from __future__ import annotations

from collections.abc import Sequence

from nbsec.errors import NbsecError
from nbsec.fix import notebook_json
from nbsec.fix.base import Change, FixContext, FixerSpec, FixResult, Refusal, Unfixable
from nbsec.fix.checks import valid_notebook
from nbsec.fix.credential_edits import Planned, apply_edits, plan_source
from nbsec.fix.env_example import ENV_FILE, env_example_change
from nbsec.fix.env_names import Names
from nbsec.fix.ipython_lines import cell_parses, parses
from nbsec.fix.notebook_outputs import (
    MODES,
    Edit,
    Located,
    cell_label,
    edit_notebook,
    locate,
    recheck,
    still_found,
    stored_forms,
    summary_of,
)
from nbsec.fix.os_import import file_with_import, notebook_with_import
from nbsec.scanners.notebook.parts import TextPart, notebook_parts

RULE = "NBSEC-NB-010"
PYTHON_SUFFIXES = (".py", ".pyw", ".ipy")


def _file_kind(ctx: FixContext) -> str:
    if ctx.path.suffix.lower() == ".ipynb":
        return "notebook"
    head = ctx.content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{") and b'"cells"' in ctx.content[:65536]:
        return "notebook"
    if ctx.path.suffix.lower() in PYTHON_SUFFIXES or (head.startswith(b"#!") and b"python" in head.split(b"\n")[0]):
        return "python"
    return "text"


def fix_credentials(ctx: FixContext) -> FixResult:
    """One Change for the file (and one for `.env.example` when a name is new to it); a Refusal, with why, for the
    findings it does not fix."""
    kind = _file_kind(ctx)
    if kind == "notebook":
        return _fix_notebook(ctx)
    if kind == "python":
        return _fix_python(ctx)
    reason = (
        "not Python or a notebook: move the value out of this file by hand (into the environment or a secrets "
        "manager) and revoke it"
    )
    return [], [Refusal(f, reason) for f in ctx.findings]


def _notes(names: Sequence[str], extra: str | None) -> tuple[str, ...]:
    notes = []
    if names:
        notes.append(f"set {', '.join(names)} in your environment (see {ENV_FILE})")
    notes.append("revoke these credentials: they were saved in this file (and in git history if it was committed)")
    if extra:
        notes.append(extra)
    return tuple(notes)


def _described(done: Sequence[tuple[Located, str | None]]) -> str:
    looked_up = list(dict.fromkeys(name for _, name in done if name))
    redacted = {x.value for x, name in done if name is None}
    values = {x.value for x, name in done if name}
    words = []
    if values:
        plural = "s" if len(values) > 1 else ""
        words.append(f"{len(values)} credential{plural} replaced by os.environ lookups ({', '.join(looked_up)})")
    if redacted:
        plural = "s" if len(redacted) > 1 else ""
        words.append(f"{len(redacted)} credential{plural} redacted in a comment or docstring")
    return "; ".join(words)


def _refusals(plan: Planned) -> list[Refusal]:
    return [Refusal(x.finding, reason) for x, reason in plan.refused]


def _fix_python(ctx: FixContext) -> FixResult:
    try:
        text = ctx.content.decode("utf-8")
    except UnicodeDecodeError:
        return [], [Refusal(f, "the file is not UTF-8: edit it by hand") for f in ctx.findings]
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    part = TextPart("code", text)
    located, missing = locate([part], ctx.findings, with_pii=False)
    refusals = [Refusal(f, "no longer where the scan found it (the file changed): scan again") for f in missing]
    names = Names()
    body = text[len(bom) :]
    shifted = [Located(x.finding, x.part, x.value, x.kind, x.start - len(bom), x.end - len(bom)) for x in located]
    ipython = ctx.path.suffix.lower() == ".ipy"
    plan = plan_source(body, shifted, names, ipython=ipython)
    refusals += _refusals(plan)
    if not plan.done:
        return [], refusals
    new = apply_edits(body, plan.edits)
    used = list(dict.fromkeys(name for _, name in plan.done if name))
    summary = _described(plan.done)
    if used:
        first = min(body.count("\n", 0, x.start) + 1 for x, _ in plan.done)
        with_import = file_with_import(body, new, first, ipython=ipython)
        if with_import is not None:
            new = with_import
            summary += "; import os added"
    if not (cell_parses(new) if ipython else parses(new)):
        reason = "the rewritten file would not parse as Python; not changed"
        return [], refusals + [Refusal(x.finding, reason) for x, _ in plan.done]
    after = (bom + new).encode("utf-8")
    fixed = [x.finding for x, _ in plan.done]
    still, _ = locate([TextPart("code", bom + new)], fixed, with_pii=False)
    refused, fixes = still_found(fixed, [x.finding for x in still])
    refusals += refused
    env_change, extra = env_example_change(ctx, used, RULE)
    change = Change(
        path=ctx.path,
        kind="text",
        after=after,
        before=ctx.content,
        summary=f"{ctx.path.name}: {summary}",
        fixes=fixes,
        rule_ids=(RULE,),
        secrets=stored_forms(x.value for x, _ in plan.done),
        notes=_notes(used, extra),
    )
    return [change] + ([env_change] if env_change else []), refusals


def _fix_notebook(ctx: FixContext) -> FixResult:
    try:
        nb, style = notebook_json.load(ctx.content, source=str(ctx.path))
    except (NbsecError, ValueError) as exc:
        return [], [Refusal(f, f"cannot read the notebook: {exc}") for f in ctx.findings]
    was_valid = valid_notebook(nb)
    located, missing = locate(notebook_parts(nb), ctx.findings, with_pii=True)
    refusals = [Refusal(f, "no longer where the scan found it (the file changed): scan again") for f in missing]
    mode = ctx.options.get("outputs", "redact")
    elsewhere = edit_notebook(nb, [x for x in located if x.part.part != "code"], mode if mode in MODES else "redact")
    refusals += elsewhere.refusals
    edits: list[Edit] = []
    done: list[tuple[Located, str | None]] = []
    names = Names()
    by_cell: dict[int, list[Located]] = {}
    for item in located:
        if item.part.part == "code" and item.part.cell is not None:
            by_cell.setdefault(item.part.cell, []).append(item)
    new_sources: dict[int, str] = {}
    for index in sorted(by_cell):
        text = notebook_json.source(nb["cells"][index])
        plan = plan_source(text, by_cell[index], names, ipython=True)
        refusals += _refusals(plan)
        if not plan.done:
            continue
        new = apply_edits(text, plan.edits)
        if not cell_parses(new):
            reason = "the rewritten cell would not parse as Python; not changed"
            refusals += [Refusal(x.finding, reason) for x, _ in plan.done]
            continue
        new_sources[index] = new
        done += plan.done
        values = list(dict.fromkeys(x.value for x, _ in plan.done))
        edits.append(Edit(cell_label(nb, index), _described(plan.done), [x.finding for x, _ in plan.done], values))
    used = list(dict.fromkeys(name for _, name in done if name))
    if used:
        first_edit = min(new_sources)
        first_use = min((x.start for x, name in done if name and x.part.cell == first_edit), default=None)
        try:
            target = notebook_with_import(nb, new_sources, first_use)
            where = cell_label(nb, target) if target is not None else None
        except Unfixable as exc:
            refusals += [Refusal(x.finding, str(exc)) for x, _ in done]
            new_sources, done, edits, used = {}, [], [], []
            where = None
        if where is not None and edits:
            edits[0].what += "; import os added" + ("" if where == edits[0].where else f" to {where}")
    for index, new in new_sources.items():
        notebook_json.set_source(nb["cells"][index], new)
    edits = elsewhere.edits + edits
    if not edits:
        return [], refusals
    after = notebook_json.dump(nb, style)
    fixed_elsewhere = {id(f) for e in elsewhere.edits for f in e.fixes}
    fixed = [x.finding for x, _ in done]
    fixed += [x.finding for x in located if x.part.part != "code" and id(x.finding) in fixed_elsewhere]
    if was_valid and not valid_notebook(notebook_json.load(after)[0]):
        reason = "the edited notebook would not validate against the nbformat schema; not changed"
        return [], refusals + [Refusal(f, reason) for f in fixed]
    refused, fixes = still_found(fixed, recheck(after, fixed))
    refusals += refused
    env_change, extra = env_example_change(ctx, used, RULE)
    change = Change(
        path=ctx.path,
        kind="notebook",
        after=after,
        before=ctx.content,
        summary=summary_of(edits),
        fixes=fixes,
        rule_ids=(RULE,),
        secrets=stored_forms([x.value for x, _ in done] + [v for e in elsewhere.edits for v in e.values]),
        notes=_notes(used, extra) + tuple(elsewhere.notes),
    )
    return [change] + ([env_change] if env_change else []), refusals


FIXERS: tuple[FixerSpec, ...] = (
    FixerSpec(
        name="credentials",
        rule_ids=(RULE,),
        describe='replace the literal with os.environ["NAME"] (name from the variable), list NAME in .env.example',
        fix=fix_credentials,
    ),
)
