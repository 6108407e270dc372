"""Where a credential literal sits in Python code, and the text that replaces it: planned on libcst's tree.

A module of its own because this is the delicate part of the credentials fix: reading the concrete syntax
tree (libcst, imported on use) to find the exact string node at the finding's span and what it is stored
under, and deciding the replacement, while the fixer (nbsec.fix.credentials) deals with files, notebooks
and the Change. Only the literal changes: the new text replaces that node's characters in the original
source, so formatting and comments stay.

    OPENAI_API_KEY = "sk-proj-…"        ->  OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]
    OpenAI(api_key="sk-proj-…")         ->  OpenAI(api_key=os.environ["OPENAI_API_KEY"])
    DATABASE_URL = "postgresql://admin:LnQL…@db.internal:5432/prod"
                                        ->  DATABASE_URL = f"postgresql://admin:{os.environ['DATABASE_PASSWORD']}@…"

A literal that is one piece of an implicit concatenation, or holds the secret among other text, becomes
an f-string (braces escaped; the inner quotes differ from the outer ones, as Python < 3.12 requires); an
f-string gets a replacement field in its text. A bytes literal becomes `os.environ["NAME"].encode()`.
`os.getenv("NAME", "<key>")` and `os.environ.get("NAME", "<key>")` become `os.environ["NAME"]`: a missing
variable then fails loudly instead of falling back to the leaked key. A credential in a comment or a
docstring is redacted in place (`nbsec.redact`): nothing reads it at run time. The names come from
nbsec.fix.env_names.

Refused, with the reason shown: a credential in an IPython line (nbsec.fix.ipython_lines sets those
aside); a line that itself sets the variable (`os.environ["K"] = "..."`, `os.environ.setdefault`,
`os.putenv`: delete it); a partial secret in a bytes literal; a value inside an f-string's expression or
outside any string; code that does not parse; bare carriage returns as line ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nbsec.fix.base import Unfixable
from nbsec.fix.env_names import Names, env_name, is_env_name, partial_name, refine
from nbsec.fix.ipython_lines import Masked, line_starts, mask_ipython
from nbsec.fix.notebook_outputs import Located
from nbsec.redact import redact

if TYPE_CHECKING:
    import libcst as cst

ENV_OBJECTS = ("os.environ", "environ")
ENV_SETTERS = frozenset({"os.environ.setdefault", "environ.setdefault", "os.putenv", "putenv",
                         "os.environ.update", "environ.update"})  # fmt: skip
ENV_GETTERS = frozenset({"os.getenv", "getenv", "os.environ.get", "environ.get"})


@dataclass
class Planned:
    """The edits to one source text (offsets into it) and what they do."""

    edits: list[tuple[int, int, str]] = field(default_factory=list)
    done: list[tuple[Located, str | None]] = field(default_factory=list)  # (finding, env name or None if redacted)
    refused: list[tuple[Located, str]] = field(default_factory=list)


def _code(node: cst.CSTNode) -> str:
    """A node's code (for names such as `os.environ.get`; never compared with the source's own text)."""
    import libcst as cst

    return cst.Module(body=[]).code_for_node(node)


@dataclass
class _Tree:
    """The parsed text with what the planner asks of it: a node's offsets, its parents."""

    positions: Any  # libcst node -> CodeRange (1-based lines, 0-based columns in characters)
    parents: Any  # libcst node -> its parent
    starts: list[int]

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        where = self.positions[node]
        start = self.starts[where.start.line - 1] + where.start.column
        return start, self.starts[where.end.line - 1] + where.end.column

    def lines(self, node: cst.CSTNode) -> range:
        where = self.positions[node]
        return range(where.start.line, where.end.line + 1)

    def ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        out: list[cst.CSTNode] = []
        current = self.parents.get(node)
        while current is not None:
            out.append(current)
            current = self.parents.get(current)
        return out


def plan_source(text: str, items: Sequence[Located], names: Names, *, ipython: bool) -> Planned:
    """Decide how each located credential in this Python text is replaced; nothing is applied yet."""
    plan = Planned()
    try:
        import libcst as cst
        from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider
    except ImportError:
        plan.refused += [(x, "libcst is not installed (pip install libcst): nbsec edits code only on a syntax tree")
                         for x in items]  # fmt: skip
        return plan
    if "\r" in text.replace("\r\n", ""):
        plan.refused += [(x, "the file uses bare carriage returns as line ends: edit it by hand") for x in items]
        return plan
    try:
        masked = mask_ipython(text) if ipython else Masked(text)
    except Unfixable as exc:
        plan.refused += [(x, str(exc)) for x in items]
        return plan
    try:
        wrapper = MetadataWrapper(cst.parse_module(masked.python))
    except (cst.ParserSyntaxError, RecursionError):
        plan.refused += [(x, "the code does not parse as Python: edit it by hand") for x in items]
        return plan
    tree = _Tree(wrapper.resolve(PositionProvider), wrapper.resolve(ParentNodeProvider), line_starts(text))
    magic = masked.lines
    holders = [(*tree.span(n), n) for n in tree.positions if isinstance(n, (cst.SimpleString, cst.FormattedString,
                                                                            cst.Comment))]  # fmt: skip
    groups: dict[int, tuple[cst.CSTNode, list[Located]]] = {}
    for item in items:
        if text.count("\n", 0, item.start) + 1 in magic:
            reason = "the credential is in an IPython magic or shell line (%env, !cmd): delete it and set the "
            plan.refused.append((item, reason + "variable in the environment Jupyter starts from"))
            continue
        around = [h for h in holders if h[0] <= item.start and item.end <= h[1]]
        if not around:
            plan.refused.append((item, "the credential is not inside a string literal or comment: edit it by hand"))
            continue
        holder: cst.CSTNode = min(around, key=lambda h: h[1] - h[0])[2]
        if any(line in magic for line in tree.lines(holder)):
            plan.refused.append((item, "the literal spans an IPython line: edit it by hand"))
            continue
        groups.setdefault(id(holder), (holder, []))[1].append(item)
    for holder, group in groups.values():
        try:
            _plan_node(plan, text, tree, holder, group, names)
        except Unfixable as exc:
            plan.refused += [(x, str(exc)) for x in group]
    return plan


def _plan_node(plan: Planned, text: str, tree: _Tree, node: cst.CSTNode, items: list[Located], names: Names) -> None:
    import libcst as cst

    ancestors = tree.ancestors(node)
    start, end = tree.span(node)
    if isinstance(node, cst.Comment) or _is_docstring(node, ancestors):
        if isinstance(node, cst.SimpleString) and "b" in node.prefix.lower():
            raise Unfixable("a credential in a bytes docstring: edit it by hand")
        for item in items:
            plan.edits.append((item.start, item.end, redact(item.value)))
            plan.done.append((item, None))
        return
    if any(isinstance(a, cst.FormattedStringExpression) for a in ancestors):
        raise Unfixable("the credential is inside an f-string expression: edit it by hand")
    context, holder = _context(node, ancestors)
    literal = text[start:end]
    if isinstance(node, cst.FormattedString):
        if any(set(text[x.start : x.end]) & set("{}") for x in items):
            raise Unfixable("the credential overlaps an f-string expression: edit it by hand")
        inner = "'" if node.end[0] == '"' else '"'
        for item in items:
            name = names.claim(partial_name(context, item.kind, literal), item.value)
            plan.edits.append((item.start, item.end, "{os.environ[" + inner + name + inner + "]}"))
            plan.done.append((item, name))
        return
    assert isinstance(node, cst.SimpleString)
    prefix, quote = node.prefix, node.quote
    body_start, body_end = start + len(prefix) + len(quote), end - len(quote)
    concatenated = isinstance(tree.parents.get(node), cst.ConcatenatedString)
    if len(items) == 1 and text[body_start:body_end].strip() == items[0].value and not concatenated:
        item = items[0]
        getter = _getter_call(holder, ancestors)
        if getter is not None:
            call, wanted = getter
            name = names.claim(wanted, item.value)
            plan.edits.append((*tree.span(call), f'os.environ["{name}"]'))
        else:
            name = names.claim(refine(context, item.kind), item.value)
            lookup = f'os.environ["{name}"]' + (".encode()" if "b" in prefix.lower() else "")
            plan.edits.append((start, end, lookup))
        plan.done.append((item, name))
        return
    if "b" in prefix.lower():
        raise Unfixable("part of a bytes literal: edit it by hand (an f-string cannot be bytes)")
    inner = "'" if quote[0] == '"' else '"'
    pieces: list[str] = []
    pos = body_start
    done: list[tuple[Located, str | None]] = []
    for item in sorted(items, key=lambda x: x.start):
        name = names.claim(partial_name(context, item.kind, literal[len(prefix) + len(quote) :]), item.value)
        pieces += [_braces(text[pos : item.start]), "{os.environ[" + inner + name + inner + "]}"]
        pos = item.end
        done.append((item, name))
    pieces.append(_braces(text[pos:body_end]))
    new_prefix = prefix.replace("u", "").replace("U", "") + "f"
    plan.edits.append((start, end, new_prefix + quote + "".join(pieces) + quote))
    plan.done += done


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _is_docstring(node: cst.CSTNode, ancestors: list[cst.CSTNode]) -> bool:
    import libcst as cst

    if not isinstance(node, cst.SimpleString):
        return False
    for parent in ancestors:
        if isinstance(parent, cst.ConcatenatedString):
            continue
        return isinstance(parent, cst.Expr)
    return False


def _context(node: cst.CSTNode, ancestors: list[cst.CSTNode]) -> tuple[str | None, cst.CSTNode | None]:
    """The name the literal is stored under (env-style), and the node that names it.

    Raises Unfixable for a statement that sets the environment variable itself.
    """
    import libcst as cst

    child = node
    for parent in ancestors:
        if isinstance(parent, (cst.ConcatenatedString, cst.FormattedString)):
            child = parent
            continue
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is child:
            target = parent.targets[0].target if isinstance(parent, cst.Assign) else parent.target
            return _target_name(target), parent
        if isinstance(parent, cst.Arg):
            call = ancestors[ancestors.index(parent) + 1] if parent is not ancestors[-1] else None
            if isinstance(call, cst.Call) and _code(call.func) in ENV_SETTERS:
                raise _sets_environment(call)
            if parent.keyword is not None:
                return env_name(parent.keyword.value), parent
            return None, parent
        if isinstance(parent, cst.DictElement) and parent.value is child:
            if isinstance(parent.key, cst.SimpleString) and isinstance(parent.key.evaluated_value, str):
                _refuse_env_update(ancestors[ancestors.index(parent) :])
                return env_name(parent.key.evaluated_value), parent
            return None, parent
        if isinstance(parent, cst.Param) and parent.default is child:
            return env_name(parent.name.value), parent
        return None, None
    return None, None


def _refuse_env_update(above: list[cst.CSTNode]) -> None:
    import libcst as cst

    for parent in above:
        if isinstance(parent, cst.Call) and _code(parent.func) in ENV_SETTERS:
            raise _sets_environment(parent)


def _sets_environment(call: cst.Call) -> Unfixable:
    return Unfixable(
        f"{_code(call.func)}(...) puts the credential into the environment itself: delete that line and set "
        "the variable outside the code (your shell, or a .env file loaded with python-dotenv)"
    )


def _target_name(target: cst.BaseExpression) -> str | None:
    import libcst as cst

    if isinstance(target, cst.Name):
        return env_name(target.value)
    if isinstance(target, cst.Attribute):
        return env_name(target.attr.value)
    if isinstance(target, cst.Subscript):
        if _code(target.value) in ENV_OBJECTS:
            raise Unfixable(
                f"{_code(target)} = ... puts the credential into the environment itself: delete that line and set "
                "the variable outside the code (your shell, or a .env file loaded with python-dotenv)"
            )
        element = target.slice[0].slice if len(target.slice) == 1 else None
        if isinstance(element, cst.Index) and isinstance(element.value, cst.SimpleString):
            key = element.value.evaluated_value
            return env_name(key) if isinstance(key, str) else None
    return None


def _getter_call(holder: cst.CSTNode | None, ancestors: list[cst.CSTNode]) -> tuple[cst.Call, str] | None:
    """`os.getenv("NAME", "<key>")` / `os.environ.get("NAME", "<key>")`: the call and NAME."""
    import libcst as cst

    if not isinstance(holder, cst.Arg):
        return None
    call = ancestors[ancestors.index(holder) + 1]
    if not isinstance(call, cst.Call) or _code(call.func) not in ENV_GETTERS or len(call.args) != 2:
        return None
    first, second = call.args
    default = second is holder and (second.keyword is None or second.keyword.value == "default")
    if not default or first.keyword is not None or not isinstance(first.value, cst.SimpleString):
        return None
    name = first.value.evaluated_value
    return (call, name) if isinstance(name, str) and is_env_name(name) else None


def apply_edits(text: str, edits: Sequence[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, new text) edit made; overlapping edits are Unfixable."""
    out: list[str] = []
    pos = 0
    for start, end, new in sorted(edits):
        if start < pos:
            raise Unfixable("two edits overlap: edit it by hand")
        out += [text[pos:start], new]
        pos = end
    out.append(text[pos:])
    return "".join(out)


# -- import os --------------------------------------------------------------------------------------
