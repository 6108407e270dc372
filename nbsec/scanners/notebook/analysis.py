"""Static analysis of code units: IPython syntax to Python, imports resolved, rules run.

Nothing here executes the code it reads: sources are transformed as text by
IPython's input transformer and parsed with `ast`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from nbsec.scanners.notebook.reader import CodeUnit
from nbsec.scanners.notebook.rule_base import NOT_CONSTANT
from nbsec.scanners.notebook.rules import EVAL_EXEC, FACTORIES, LLM_OUTPUT_EXECUTED, Hit, checks_for

# Magics whose argument is Python code that will run: analyse it too.
CODE_LINE_MAGICS = frozenset({"time", "timeit", "prun", "debug", "capture"})
CODE_CELL_MAGICS = frozenset({"time", "timeit", "prun", "debug", "capture"})
# Calls whose result is text a language model wrote (OpenAI, Anthropic, LangChain, HF, Gemini ...).
LLM_METHODS = frozenset(
    {"generate", "generate_text", "generate_content", "completion", "complete", "invoke", "ainvoke", "predict",
     "chat", "text_generation", "chat_completion"}
)  # fmt: skip
LLM_CREATE_PARENTS = frozenset({"completions", "messages", "responses", "chat"})
# Substrings that must appear in a cell for it to call a model at all (a cheap pre-filter).
LLM_WORDS = ("generate", "complet", "invoke", "predict", "chat", "create")
# Sinks that execute a string as code or a command.
EXEC_SINKS = frozenset(
    {"eval", "exec", "compile", "builtins.eval", "builtins.exec", "os.system", "os.popen", "subprocess.run",
     "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen",
     "subprocess.getoutput", "subprocess.getstatusoutput"}
)  # fmt: skip
MAX_SNIPPET = 160
MAX_LITERAL = 32
# Methods that write a model or dataset to a folder: that folder, loaded later, is local, not a hub id.
SAVE_METHODS = frozenset({"save_pretrained", "save_model", "save_to_disk"})
# Calls that return a path on this machine.
PATH_CALLS = frozenset({"os.getcwd", "os.fspath", "os.path.join", "os.path.abspath", "os.path.expanduser"})
PATH_MODULES = ("os.path.", "pathlib.", "tempfile.")
LOCAL_PREFIXES = ("./", "../", "/", "~", ".\\", "..\\")
LOCAL_SUFFIXES = (".bin", ".safetensors", ".pt", ".pth", ".ckpt", ".gguf", ".onnx", ".json", ".h5", ".pkl", ".zip")
WINDOWS_DRIVE = re.compile(r"[A-Za-z]:[\\/]")
# Archive listings: for NAME in zf.namelist() binds a member name; for INFO in zf.infolist() a member record.
MEMBER_NAMES = frozenset({"namelist", "getnames"})
MEMBER_RECORDS = frozenset({"infolist", "getmembers"})
MEMBER_NAME_FIELDS = frozenset({"filename", "name", "path"})
MAX_TEXT_DEPTH = 16


def local_text(text: str) -> bool:
    """A string that names a file or folder here rather than a hub repository ('org/name' or 'name')."""
    return (
        text.startswith(LOCAL_PREFIXES)
        or text in (".", "..")
        or "\\" in text
        or text.count("/") >= 2
        or text.lower().endswith(LOCAL_SUFFIXES)
        or WINDOWS_DRIVE.match(text) is not None
        or any(part.startswith("checkpoint-") for part in text.split("/"))
    )


@lru_cache(maxsize=1)
def _transformer() -> Any:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # IPython is a dependency, but a broken install must not crash scans
        return None
    return TransformerManager()


def to_python(source: str) -> str:
    """Turn magics and `!shell` lines into Python calls, keeping line numbers."""
    manager = _transformer()
    if manager is None or ("%" not in source and "!" not in source and "?" not in source):
        return source
    try:
        return str(manager.transform_cell(source))
    except Exception:  # noqa: BLE001 - IPython chokes on some invalid input; ast then reports it
        return source


@dataclass
class ParseFailure:
    unit: CodeUnit
    line: int | None
    message: str


@dataclass
class UnitHit:
    unit: CodeUnit
    hit: Hit
    line: int
    column: int
    end_line: int | None
    end_column: int | None
    snippet: str


_BINDING_NODES = frozenset({ast.Import, ast.ImportFrom, ast.Assign, ast.withitem, ast.For})


@dataclass
class Analyzer:
    """Carries import aliases from cell to cell, as a kernel running them in order would."""

    aliases: dict[str, str] = field(default_factory=dict)
    tainted: set[str] = field(default_factory=set)  # names holding LLM output, across cells
    constants: dict[str, object] = field(default_factory=dict)  # names bound to a literal
    local_names: set[str] = field(default_factory=set)  # names bound to a path here (Path(...), a saved folder)
    saved: set[str] = field(default_factory=set)  # folders the code saves models to (literals)
    members: dict[str, bool] = field(default_factory=dict)  # archive member names (True) and records (False)

    def analyze(self, unit: CodeUnit) -> Iterator[UnitHit | ParseFailure]:
        yield from self._analyze_source(unit, to_python(unit.source), line_offset=0, magic_call=None)

    def _analyze_source(
        self, unit: CodeUnit, source: str, line_offset: int, magic_call: ast.Call | None
    ) -> Iterator[UnitHit | ParseFailure]:
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            line = (exc.lineno or 1) + line_offset if magic_call is None else line_offset + 1
            yield ParseFailure(unit, line, f"invalid Python ({exc.msg})")
            return
        except (ValueError, RecursionError, MemoryError) as exc:
            yield ParseFailure(unit, None, f"cannot parse ({type(exc).__name__})")
            return
        nodes = list(ast.walk(tree))  # one walk, reused: the walk is most of the cost per cell
        self._collect_aliases(nodes)
        if self.tainted or any(word in source for word in LLM_WORDS):
            self._propagate_taint(nodes)
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            yield from self._magic_body(unit, node, line_offset)
            func = node.func
            name = self.resolve(func) or ""
            if not name and isinstance(func, ast.Attribute):
                name = f"<expr>.{func.attr}"  # get_model().from_pretrained(...): the method is still known
            elif isinstance(func, ast.Attribute) and func.attr in SAVE_METHODS:
                self._note_saved(node)
            llm_sink = name in EXEC_SINKS and any(self._carries_llm_output(arg) for arg in node.args)
            if llm_sink:
                hit = Hit(LLM_OUTPUT_EXECUTED, node, f"{name}() runs text a language model produced")
                yield self._place(unit, hit, node, line_offset, magic_call)
            for check in checks_for(name.rpartition(".")[2], bool(node.keywords)):
                for hit in check(name, node, self):
                    if not (llm_sink and hit.rule is EVAL_EXEC):  # the stronger finding covers it
                        yield self._place(unit, hit, node, line_offset, magic_call)

    def _place(
        self, unit: CodeUnit, hit: Hit, node: ast.Call, line_offset: int, magic_call: ast.Call | None
    ) -> UnitHit:
        if magic_call is not None and line_offset == magic_call.lineno - 1:
            # Code inside a line magic's string: point at the magic's line.
            return UnitHit(unit, hit, magic_call.lineno, magic_call.col_offset + 1, None, None, snippet(node))
        line = node.lineno + line_offset
        end_line = (node.end_lineno + line_offset) if node.end_lineno else None
        end_column = None
        if end_line is not None and node.end_col_offset is not None:
            end_column = char_column(unit.source, end_line, node.end_col_offset)
        return UnitHit(
            unit, hit, line, char_column(unit.source, line, node.col_offset), end_line, end_column, snippet(node)
        )

    def _magic_body(self, unit: CodeUnit, call: ast.Call, line_offset: int) -> Iterator[UnitHit | ParseFailure]:
        """get_ipython().run_line_magic('time', 'torch.load(p)') hides code in a string."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("run_line_magic", "run_cell_magic")):
            return
        args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in call.args]
        if not args or args[0] is None:
            return
        magic = args[0].lstrip("%")
        if func.attr == "run_line_magic" and magic in CODE_LINE_MAGICS and len(args) > 1 and args[1]:
            code = args[1].split(" ", 1)[1] if magic == "timeit" and args[1].startswith("-") else args[1]
            yield from self._analyze_source(unit, code, call.lineno + line_offset - 1, call)
        elif func.attr == "run_cell_magic" and magic in CODE_CELL_MAGICS and len(args) > 2 and args[2]:
            # The cell body starts on the line after the %%magic line.
            yield from self._analyze_source(unit, args[2], call.lineno + line_offset, None)

    def _is_llm_call(self, node: ast.AST) -> bool:
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            return False
        method = node.func.attr
        if method in LLM_METHODS:
            return True
        parent = node.func.value
        return method == "create" and isinstance(parent, ast.Attribute) and parent.attr in LLM_CREATE_PARENTS

    def _carries_llm_output(self, expr: ast.AST) -> bool:
        """True when the expression is, or is built from, a model's output (a call or a tainted name)."""
        for node in ast.walk(expr):
            if isinstance(node, ast.Name) and node.id in self.tainted:
                return True
            if self._is_llm_call(node):
                return True
        return False

    def _propagate_taint(self, nodes: list[ast.AST]) -> None:
        """Names assigned from model output, and from expressions over them (to a fixed point)."""
        assigns = [n for n in nodes if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None]
        for _ in range(5):
            before = len(self.tainted)
            for node in assigns:
                value = node.value
                if value is not None and self._carries_llm_output(value):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        self.tainted.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            if len(self.tainted) == before:
                break

    def _collect_aliases(self, nodes: list[ast.AST]) -> None:
        for node in nodes:
            if type(node) not in _BINDING_NODES:
                continue  # one set lookup for the many nodes that bind nothing (this loop sees every node)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.aliases[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name != "*":
                        self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self._bind(node.targets[0].id, node.value)
            elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                self._bind(node.optional_vars.id, node.context_expr)  # with tarfile.open(p) as tar:
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
                self._bind_loop(node.target.id, node.iter)

    def _bind(self, target: str, value: ast.expr) -> None:
        """What a name holds after `target = value`, as far as the rules care."""
        self.constants.pop(target, None)
        self.local_names.discard(target)
        if self.aliases.get(target, "").endswith("()"):
            del self.aliases[target]  # no longer that instance (an import alias stays, as it always has)
        if self.members:
            self.members.pop(target, None)
        if isinstance(value, ast.Constant):
            self.constants[target] = value.value
        elif isinstance(value, (ast.Name, ast.Attribute)):
            # loader = pickle.loads; loader(data) -- an alias by assignment.
            resolved = self.resolve(value)
            if resolved and "." in resolved:
                self.aliases[target] = resolved
            elif isinstance(value, ast.Name) and value.id in self.constants:
                self.constants[target] = self.constants[value.id]
        elif isinstance(value, ast.Call):
            called = self.resolve(value.func)
            if called in FACTORIES:
                self.aliases[target] = f"{called}()"  # an instance: tar = tarfile.open(p)
            elif called is not None and self._path_call(called, value):
                self.local_names.add(target)
        elif isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
            self.local_names.add(target)  # Path(root) / "model"
        if self.members and self.is_archive_member(value):
            self.members[target] = True  # out = os.path.join(dest, name): a path named by the archive

    def _bind_loop(self, target: str, iterable: ast.expr) -> None:
        """for NAME in zf.namelist() / for INFO in zf.infolist() / for MEMBER in tar: archive members."""
        self.members.pop(target, None)
        func = iterable.func if isinstance(iterable, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr in MEMBER_NAMES | MEMBER_RECORDS:
            archive = self.resolve(func.value) or ""
            if archive.startswith(("zipfile.", "tarfile.")) and archive.endswith("()"):
                self.members[target] = func.attr in MEMBER_NAMES
        elif isinstance(iterable, ast.Name) and self.aliases.get(iterable.id, "").startswith("tarfile."):
            self.members[target] = False  # iterating a TarFile yields TarInfo records

    def _note_saved(self, call: ast.Call) -> None:
        """model.save_pretrained(folder): loading from that folder later is local, not a hub download."""
        folder = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg), None)
        if isinstance(folder, ast.Name):
            self.local_names.add(folder.id)
        known = self.text(folder)
        if known is not None and known[1]:
            self.saved.add(known[0])

    # -- the Scope the rule checks read (nbsec.scanners.notebook.rule_base.Scope) --------------

    def value(self, node: ast.AST | None) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id, NOT_CONSTANT)
        return NOT_CONSTANT

    def text(self, node: ast.AST | None, depth: int = 0) -> tuple[str, bool] | None:
        value = self.value(node)
        if isinstance(value, str):
            return value, True
        if depth > MAX_TEXT_DEPTH:
            return None
        if isinstance(node, ast.JoinedStr):  # f"https://{host}/x": its literal head
            head = ""
            for part in node.values:
                if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                    return head, False
                head += part.value
            return head, True
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
            left = self.text(node.left, depth + 1)
            if left is None:
                return None
            if isinstance(node.op, ast.Mod) or not left[1]:  # "file://%s" % path: the head up to the first %
                return left[0].split("%", 1)[0] if isinstance(node.op, ast.Mod) else left[0], False
            right = self.text(node.right, depth + 1)
            if right is None:
                return left[0], False
            return left[0] + right[0], right[1]
        return None

    def is_local_path(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name) and node.id in self.local_names:
            return True
        known = self.text(node)
        if known is not None:
            text, exact = known
            return local_text(text) or (exact and text in self.saved)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return True
        if isinstance(node, ast.Call):
            called = self.resolve(node.func)
            return called is not None and self._path_call(called, node)
        return False

    def _path_call(self, called: str, call: ast.Call) -> bool:
        """Path(...), os.path.join(...), tempfile.mkdtemp(), str(<a local path>): a path on this machine."""
        if called in PATH_CALLS or called.startswith(PATH_MODULES):
            return True
        return called == "str" and len(call.args) == 1 and self.is_local_path(call.args[0])

    def is_archive_member(self, node: ast.AST) -> bool:
        if not self.members:
            return False
        for part in ast.walk(node):
            if isinstance(part, ast.Name) and self.members.get(part.id):
                return True
            if (
                isinstance(part, ast.Attribute)
                and part.attr in MEMBER_NAME_FIELDS
                and isinstance(part.value, ast.Name)
                and self.members.get(part.value.id) is False
            ):
                return True
        return False

    def resolve(self, node: ast.AST) -> str | None:
        """Dotted name of an expression through the import aliases: t.load -> torch.load."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "__import__":
                if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    return node.args[0].value.split(".")[0]  # __import__('pickle').loads
                return None
            made = self.resolve(node.func)
            if made in FACTORIES:
                return f"{made}()"  # an instance: tarfile.open(p).extractall -> tarfile.open().extractall
        return None


def char_column(source: str, line: int, byte_offset: int) -> int:
    """1-based column in Unicode code points: ast counts UTF-8 bytes, people and SARIF count characters."""
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return byte_offset + 1
    return len(lines[line - 1].encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1


class _ShortenLiterals(ast.NodeTransformer):
    """Long string literals are cut in evidence: they may be data, paths or secrets."""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, str) and len(value) > MAX_LITERAL:
            return ast.copy_location(ast.Constant(value[:12] + "…"), node)
        if isinstance(value, bytes) and len(value) > MAX_LITERAL:
            return ast.copy_location(ast.Constant(value[:12] + b"..."), node)
        return node


def snippet(node: ast.AST) -> str:
    import copy

    try:
        text = ast.unparse(_ShortenLiterals().visit(copy.deepcopy(node)))
    except Exception:  # noqa: BLE001 - unparse of exotic nodes; evidence is a courtesy
        return "<call>"
    text = " ".join(text.split())
    return text if len(text) <= MAX_SNIPPET else text[: MAX_SNIPPET - 1] + "…"
