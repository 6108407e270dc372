"""Unsafe calls rewritten in place: torch.load, yaml.load, trust_remote_code=True, verify=False, tar extraction.

The call a finding points at (its line and column in the cell or the file) is rewritten on the
concrete syntax tree (libcst, imported on use), so comments, quotes, line breaks and the module
alias the author used (`import yaml as y`) stay as they were, and calls elsewhere are untouched:

    torch.load(path)                               -> torch.load(path, weights_only=True)
    y.load(text, Loader=y.Loader)                  -> y.safe_load(text)
    AutoModel.from_pretrained(m, trust_remote_code=True)   -> ..., trust_remote_code=False)
    requests.get(url, verify=False)                -> requests.get(url, verify=True)
    tar.extractall(dest)                           -> tar.extractall(dest, filter="data")

Notebook cells may hold IPython syntax (`%pip install x`, `!ls`, `x = !ls`, a leading `%%time`), which
is not Python: nbsec.fix.ipython_lines swaps each such line for a placeholder statement before parsing
and puts it back verbatim after. A finding on such a line is refused: its call lives in a string
IPython runs, not in Python code. The result is checked with
`ast.parse` (parsed, never run) and refused when it does not parse; a notebook is also re-read and,
when it was valid before, validated with nbformat.

NBSEC-NB-013 findings on `tarfile` `extract()`/`extractall()` and `shutil.unpack_archive()` get
`filter="data"`; one that already passes a filter (`'fully_trusted'`), or that writes archive members
by hand (`open(os.path.join(dest, name), "wb")`), is refused with the reason: that needs a person.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbsec.errors import NbsecError
from nbsec.fix import notebook_json
from nbsec.fix.base import Change, FixContext, FixerSpec, FixResult, Refusal, Unfixable
from nbsec.fix.checks import valid_notebook
from nbsec.fix.ipython_lines import mask_ipython, python_error
from nbsec.model import Finding

if TYPE_CHECKING:
    import libcst as cst

INSTALL_HINT = "libcst is not installed here (pip install libcst); nbsec rewrites calls only on a syntax tree"
YAML_UNSAFE_LOADERS = frozenset({"Loader", "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader", "CFullLoader"})
YAML_SAFE_NAMES = {
    "load": "safe_load",
    "load_all": "safe_load_all",
    "unsafe_load": "safe_load",
    "unsafe_load_all": "safe_load_all",
}


@dataclass(frozen=True)
class Transform:
    """How one kind of call is rewritten. `rewrite` returns the new call and what changed, or raises Unfixable."""

    applies: Callable[[cst.Call], bool]
    rewrite: Callable[[cst.Call], tuple[cst.Call, str]]
    note: str = ""


# -- small libcst helpers -------------------------------------------------------------------------


def _code(node: cst.CSTNode, limit: int = 80) -> str:
    """The node's source, on one line and cut short: it is shown in summaries and reasons."""
    import libcst as cst

    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _last_name(node: cst.BaseExpression) -> str:
    """`load` for `torch.load` and `load`, `Loader` for `y.Loader`; "" for anything else."""
    import libcst as cst

    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else ""


def _func_name(call: cst.Call) -> str:
    return _last_name(call.func)


def _keyword(call: cst.Call, name: str) -> int | None:
    return next((i for i, a in enumerate(call.args) if a.keyword is not None and a.keyword.value == name), None)


def _has_star_kwargs(call: cst.Call) -> bool:
    return any(a.star == "**" for a in call.args)


def _literal(node: cst.BaseExpression) -> object:
    """The value of a literal True/False/None/number, else the sentinel NOT_LITERAL (computed at run time)."""
    import libcst as cst

    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, (cst.Integer, cst.Float)):
        return node.evaluated_value
    return NOT_LITERAL


NOT_LITERAL = object()


def _set_value(call: cst.Call, index: int, code: str) -> cst.Call:
    import libcst as cst

    args = list(call.args)
    args[index] = args[index].with_changes(value=cst.parse_expression(code))
    return call.with_changes(args=args)


def _append_keyword(call: cst.Call, name: str, code: str) -> cst.Call:
    """`f(a, b)` -> `f(a, b, name=code)`, in the call's layout: one argument per line stays one per line."""
    import libcst as cst

    new = cst.Arg(
        keyword=cst.Name(name),
        value=cst.parse_expression(code),
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if not isinstance(last.comma, cst.Comma):  # f(a, b  # comment\n) -> f(a, b, name=code  # comment\n)
        args[-1] = last.with_changes(comma=space, whitespace_after_arg=cst.SimpleWhitespace(""))
        args.append(new.with_changes(whitespace_after_arg=last.whitespace_after_arg))
        return call.with_changes(args=args)
    after = last.comma.whitespace_after  # a trailing comma: what follows it (a comment, the line break)
    before = args[-2].comma.whitespace_after if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else None
    before = before if isinstance(before, cst.ParenthesizedWhitespace) else call.whitespace_before_args
    if isinstance(after, cst.ParenthesizedWhitespace) and isinstance(before, cst.ParenthesizedWhitespace):
        # The comment stays on its argument's line; the new argument gets a line of its own, indented the same.
        kept = after.with_changes(indent=before.indent, last_line=before.last_line)
        args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=kept))
        closing = cst.ParenthesizedWhitespace(indent=after.indent, last_line=after.last_line)
        args.append(new.with_changes(comma=cst.Comma(whitespace_after=closing)))
    else:  # f(a, b,) -> f(a, b, name=code,)
        args[-1] = last.with_changes(comma=space)
        args.append(new.with_changes(comma=last.comma))
    return call.with_changes(args=args)


def _remove_arg(call: cst.Call, index: int) -> cst.Call:
    """Drop one argument; when it was the last, the one before takes its comma (none, or a trailing one)."""
    args = list(call.args)
    removed = args.pop(index)
    if index == len(args) and args:
        args[-1] = args[-1].with_changes(comma=removed.comma)
    return call.with_changes(args=args)


# -- the rewrites ---------------------------------------------------------------------------------


def _torch_weights_only(call: cst.Call) -> tuple[cst.Call, str]:
    index = _keyword(call, "weights_only")
    if index is None:
        if _has_star_kwargs(call):
            raise Unfixable(
                "the call passes **kwargs, which may already set weights_only: set weights_only=True by hand"
            )
        return _append_keyword(call, "weights_only", "True"), "now passes weights_only=True"
    value = _literal(call.args[index].value)
    if value is NOT_LITERAL:
        raise Unfixable("weights_only is computed at run time; set it to True by hand if that is what you mean")
    return _set_value(call, index, "True"), f"weights_only={value!r} is now weights_only=True"


def _yaml_safe_load(call: cst.Call) -> tuple[cst.Call, str]:
    import libcst as cst

    func = call.func
    if not isinstance(func, cst.Attribute):
        raise Unfixable(
            f"{_code(func)} was imported by name (from yaml import ...): call yaml.safe_load instead, by hand"
        )
    name = func.attr.value
    if name not in YAML_SAFE_NAMES:
        raise Unfixable(f"{_code(func)} is yaml.load under another name: call yaml.safe_load instead, by hand")
    loader_index = _keyword(call, "Loader")
    if loader_index is None and len(call.args) > 1 and call.args[1].keyword is None and not call.args[1].star:
        loader_index = 1
    if _has_star_kwargs(call) or any(a.star == "*" for a in call.args):
        raise Unfixable("the call passes *args/**kwargs: nbsec cannot see which Loader it uses; change it by hand")
    if loader_index is not None:
        loader = call.args[loader_index].value
        if _last_name(loader) not in YAML_UNSAFE_LOADERS:
            raise Unfixable(f"Loader={_code(loader)} is not one of PyYAML's own loaders: choose a safe one by hand")
        call = _remove_arg(call, loader_index)
    if len(call.args) != 1:
        raise Unfixable(f"{_code(func)}(...) has arguments yaml.{YAML_SAFE_NAMES[name]} does not take")
    safe = YAML_SAFE_NAMES[name]
    call = call.with_changes(func=func.with_changes(attr=cst.Name(safe)))
    return call, f"is now {_code(call.func)}(...)"


def _flag(keyword: str, bad: bool, good: str) -> Callable[[cst.Call], tuple[cst.Call, str]]:
    """`keyword=<bad literal>` -> `keyword=good`, as a keyword or inside a kwargs dict literal."""

    def rewrite(call: cst.Call) -> tuple[cst.Call, str]:
        import libcst as cst

        index = _keyword(call, keyword)
        if index is not None and _literal(call.args[index].value) is bad:
            return _set_value(call, index, good), f"now passes {keyword}={good}"
        for i, arg in enumerate(call.args):  # model_kwargs={"trust_remote_code": True}, **{...}
            if not isinstance(arg.value, cst.Dict):
                continue
            elements = list(arg.value.elements)
            for j, element in enumerate(elements):
                if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
                    continue
                key = element.key
                if key.evaluated_value == keyword and _literal(element.value) is bad:
                    elements[j] = element.with_changes(value=cst.parse_expression(good))
                    args = list(call.args)
                    args[i] = arg.with_changes(value=arg.value.with_changes(elements=elements))
                    return call.with_changes(args=args), f"now passes {keyword}: {good} in {_code(key)}"
        raise Unfixable(f"no literal {keyword}={bad!r} in this call (it is computed, or the file changed)")

    return rewrite


def _tar_filter(call: cst.Call) -> tuple[cst.Call, str]:
    if _func_name(call) not in ("extract", "extractall", "unpack_archive"):
        raise Unfixable(
            f"{_code(call.func)}(...) writes archive members by hand: check that each target path stays inside "
            "the destination folder (or use the archive's own extract with filter='data'), by hand"
        )
    if _keyword(call, "filter") is not None:
        raise Unfixable("the call already passes filter= (e.g. 'fully_trusted'): choose filter='data' by hand")
    if _has_star_kwargs(call):
        raise Unfixable("the call passes **kwargs, which may already set filter: set filter='data' by hand")
    return _append_keyword(call, "filter", '"data"'), 'now passes filter="data"'


TRANSFORMS: dict[str, Transform] = {
    # The scanner resolved the name (aliases, `from torch import load as tl`); the place is the guard here.
    "NBSEC-NB-001": Transform(lambda c: True, _torch_weights_only),
    "NBSEC-NB-003": Transform(lambda c: True, _yaml_safe_load),
    "NBSEC-NB-004": Transform(
        lambda c: True,
        _flag("trust_remote_code", True, "False"),
        "the model may need code from its repository: review that code and vendor it (or pick a model whose "
        "architecture ships with transformers) before it loads again",
    ),
    "NBSEC-NB-007": Transform(
        lambda c: True,
        _flag("verify", False, "True"),
        "if the server uses a private CA, pass verify='/path/ca.pem' (its certificate bundle) instead",
    ),
    "NBSEC-NB-013": Transform(
        lambda c: True,
        _tar_filter,
        'filter= needs Python >= 3.12 (or 3.8.17+, 3.9.17+, 3.10.12+, 3.11.4+); "data" refuses links and paths '
        "outside the target folder",
    ),
}


# -- one piece of source: a cell or a file --------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a call is: 1-based line and column (code points), as in Location; the end when known."""

    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None


@dataclass
class Edited:
    source: str
    done: list[tuple[int, str, str]]  # (index of the request, what changed, note)
    refused: list[tuple[int, str]]  # (index of the request, why)


def rewrite_calls(source: str, requests: Sequence[tuple[Target, str]]) -> Edited:
    """Apply TRANSFORMS[key] to the call at each Target; what could not be done is refused with a reason."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        masked = mask_ipython(source)
    except Unfixable as exc:
        return Edited(source, [], [(i, str(exc)) for i in range(len(requests))])
    try:
        wrapper = MetadataWrapper(cst.parse_module(masked.python))
    except (cst.ParserSyntaxError, RecursionError) as exc:
        reason = f"libcst cannot parse this code ({str(exc).splitlines()[0][:120]}); edit it by hand"
        return Edited(source, [], [(i, reason) for i in range(len(requests))])
    positions = wrapper.resolve(PositionProvider)
    calls = [(node, positions[node]) for node in positions if isinstance(node, cst.Call)]
    magic = masked.lines
    planned: dict[int, list[Transform]] = {}  # id(call) -> its rewrites, applied in order
    described: dict[tuple[int, str], str] = {}  # (id(call), rule) -> what its rewrite does
    done: list[tuple[int, str, str]] = []
    refused: list[tuple[int, str]] = []
    for index, (target, key) in enumerate(requests):
        transform = TRANSFORMS[key]
        if target.line in magic:
            refused.append((index, "the call is inside an IPython magic or shell line (a string IPython runs)"))
            continue
        found = [n for n, r in calls if (r.start.line, r.start.column + 1) == (target.line, target.column)]
        if target.end_line is not None and target.end_column is not None:
            end = (target.end_line, target.end_column)
            found = [n for n in found if (positions[n].end.line, positions[n].end.column + 1) == end]
        found = [n for n in found if transform.applies(n)]
        if len(found) != 1:
            where = f"line {target.line}, column {target.column}"
            what = "no such call" if not found else "several calls"
            refused.append((index, f"{what} at {where}: the file changed since it was scanned? scan it again"))
            continue
        node = found[0]
        if (id(node), key) in described:  # a second finding of the same call and rule: the same rewrite fixes it
            done.append((index, described[id(node), key], transform.note))
            continue
        current = node
        for earlier in planned.get(id(node), []):
            current = earlier.rewrite(current)[0]
        try:
            _, what = transform.rewrite(current)
        except Unfixable as exc:
            refused.append((index, str(exc)))
            continue
        planned.setdefault(id(node), []).append(transform)
        described[id(node), key] = f"{_code(node.func)}(...) {what}"
        done.append((index, described[id(node), key], transform.note))
    if not done:
        return Edited(source, [], refused)

    class Rewriter(cst.CSTTransformer):
        def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
            for transform in planned.get(id(original_node), []):
                updated_node = transform.rewrite(updated_node)[0]
            return updated_node

    new_python = wrapper.module.visit(Rewriter()).code
    failed = python_error(new_python)
    try:
        if failed:
            raise Unfixable(f"the rewritten code does not parse ({failed}); not changed")
        new_source = masked.unmask(new_python)
    except Unfixable as exc:
        return Edited(source, [], refused + [(i, str(exc)) for i, _, _ in done])
    return Edited(new_source, done, refused)


# -- files ------------------------------------------------------------------------------------------


def _target(finding: Finding) -> Target | None:
    loc = finding.location
    if loc.line is None or loc.column is None:
        return None
    return Target(loc.line, loc.column, loc.end_line, loc.end_column)


def _edit_unit(
    source: str, findings: Sequence[Finding], label: str, *, with_line: bool = False
) -> tuple[str, list[tuple[Finding, str, str]], list[Refusal]]:
    """Rewrite the calls of `findings` in one source; (new source, [(finding, summary, note)], refusals)."""
    refusals: list[Refusal] = []
    asked: list[Finding] = []
    requests: list[tuple[Target, str]] = []
    for finding in findings:
        target = _target(finding)
        if target is None:
            refusals.append(Refusal(finding, "the finding has no line and column to rewrite"))
            continue
        asked.append(finding)
        requests.append((target, finding.rule_id))
    if not requests:
        return source, [], refusals
    edited = rewrite_calls(source, requests)
    refusals += [Refusal(asked[i], why) for i, why in edited.refused]
    done = []
    for i, what, note in edited.done:
        where = f"line {asked[i].location.line}" if with_line else label
        done.append((asked[i], f"{where}: {what}", note))
    return edited.source, done, refusals


def _change(ctx: FixContext, kind: str, after: bytes, done: list[tuple[Finding, str, str]]) -> Change:
    def place(item: tuple[Finding, str, str]) -> tuple[int, int, int]:
        loc = item[0].location
        return (loc.cell or 0, loc.line or 0, loc.column or 0)

    done = sorted(done, key=place)
    summaries = [s for _, s, _ in done]  # "cell 5: torch.load(...) now passes weights_only=True"
    shown = ctx.shown
    if len(summaries) == 1:
        summary = f"{shown} {summaries[0]}"
    else:
        summary = f"{shown}: {len(summaries)} calls rewritten ({'; '.join(summaries)})"
    return Change(
        path=ctx.path,
        kind=kind,
        after=after,
        before=ctx.content,
        summary=summary,
        fixes=tuple(f.fingerprint for f, _, _ in done),
        rule_ids=tuple(dict.fromkeys(f.rule_id for f, _, _ in done)),
        notes=tuple(dict.fromkeys(n for _, _, n in done if n)),
    )


def _fix_text(ctx: FixContext, findings: Sequence[Finding]) -> FixResult:
    try:
        text = ctx.content.decode("utf-8")
    except UnicodeDecodeError:
        return [], [
            Refusal(f, "the file is not UTF-8 text; nbsec edits only what it can read exactly") for f in findings
        ]
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    source, done, refusals = _edit_unit(text[len(bom) :], findings, "", with_line=True)
    if not done:
        return [], refusals
    return [_change(ctx, "text", (bom + source).encode("utf-8"), done)], refusals


def _fix_notebook(ctx: FixContext, findings: Sequence[Finding]) -> FixResult:
    try:
        data, style = notebook_json.load(ctx.content, source=ctx.shown)
    except (ValueError, NbsecError) as exc:  # not JSON, too large, too deep, no cells: refuse, with the reason
        return [], [Refusal(f, f"cannot read the notebook ({str(exc)[:160]})") for f in findings]
    cells = data["cells"]
    refusals: list[Refusal] = []
    done: list[tuple[Finding, str, str]] = []
    by_cell: dict[int, list[Finding]] = {}
    for finding in findings:
        loc = finding.location
        cell = cells[loc.cell] if loc.cell is not None and 0 <= loc.cell < len(cells) else None
        same = isinstance(cell, dict) and cell.get("cell_type") == "code"
        same = same and (loc.cell_id is None or cell is not None and cell.get("id") in (None, loc.cell_id))
        if loc.cell is None or not same:
            refusals.append(
                Refusal(finding, "the notebook changed since it was scanned (no such code cell); scan again")
            )
            continue
        by_cell.setdefault(loc.cell, []).append(finding)
    for index, cell_findings in by_cell.items():
        cell = cells[index]
        label = f"cell {index + 1}"
        source, cell_done, cell_refused = _edit_unit(notebook_json.source(cell), cell_findings, label)
        refusals += cell_refused
        if cell_done:
            notebook_json.set_source(cell, source)
            done += cell_done
    if not done:
        return [], refusals
    after = notebook_json.dump(data, style)
    problem = notebook_problem(ctx.content, after)
    if problem:
        return [], refusals + [Refusal(f, f"{problem}; not changed") for f, _, _ in done]
    return [_change(ctx, "notebook", after, done)], refusals


def notebook_problem(before: bytes, after: bytes) -> str | None:
    """Why the edited notebook is worse than the original (unreadable, or invalid where it was valid), else None."""
    try:
        now, _ = notebook_json.load(after)
    except Exception as exc:  # noqa: BLE001 - any failure to read it back is a refusal
        return f"the edited notebook cannot be read back ({type(exc).__name__})"
    if valid_notebook(now):
        return None
    try:
        was_valid = valid_notebook(notebook_json.load(before)[0])
    except Exception:  # noqa: BLE001 - a notebook unreadable before: its schema is not the fix's fault
        was_valid = False
    return "the edited notebook is not a valid nbformat notebook" if was_valid else None


def fix_calls(ctx: FixContext) -> FixResult:
    """Rewrite each finding's call in ctx.path; one Change for the file, a Refusal (with why) for the rest."""
    findings = [f for f in ctx.findings if f.rule_id in TRANSFORMS]
    refusals = [Refusal(f, "no call rewrite for this rule") for f in ctx.findings if f.rule_id not in TRANSFORMS]
    try:
        import libcst  # noqa: F401 - imported on use: `import nbsec` must not pay for it
    except ImportError:
        return [], refusals + [Refusal(f, INSTALL_HINT) for f in findings]
    notebook = ctx.path.suffix.lower() == ".ipynb" or any(f.location.cell is not None for f in findings)
    changes, refused = (_fix_notebook if notebook else _fix_text)(ctx, findings)
    return changes, refusals + refused


def _rules() -> tuple[str, ...]:
    return tuple(key for key in TRANSFORMS if key.startswith("NBSEC-"))


FIXERS: tuple[FixerSpec, ...] = (
    FixerSpec(
        name="code-calls",
        rule_ids=_rules(),
        # filter="data" (NBSEC-NB-013) is not listed: this text is in the golden demo reports (tests/golden).
        describe="rewrites the call: weights_only=True, yaml.safe_load, trust_remote_code=False, verify=True",
        fix=fix_calls,
    ),
)
