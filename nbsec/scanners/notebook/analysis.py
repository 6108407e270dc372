"""Static analysis of code units: IPython syntax to Python, imports resolved, rules run.

Nothing here executes the code it reads: sources are transformed as text by
IPython's input transformer and parsed with `ast`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from nbsec.scanners.notebook.reader import CodeUnit
from nbsec.scanners.notebook.rules import CHECKS, EVAL_EXEC, LLM_OUTPUT_EXECUTED, Hit

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


@dataclass
class Analyzer:
    """Carries import aliases from cell to cell, as a kernel running them in order would."""

    aliases: dict[str, str] = field(default_factory=dict)
    tainted: set[str] = field(default_factory=set)  # names holding LLM output, across cells

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
            name = self.resolve(node.func) or ""
            llm_sink = name in EXEC_SINKS and any(self._carries_llm_output(arg) for arg in node.args)
            if llm_sink:
                hit = Hit(LLM_OUTPUT_EXECUTED, node, f"{name}() runs text a language model produced")
                yield self._place(unit, hit, node, line_offset, magic_call)
            for check in CHECKS:
                for hit in check(name, node, self.resolve):
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
                # loader = pickle.loads; loader(data) -- an alias by assignment.
                value = node.value
                if isinstance(value, (ast.Name, ast.Attribute)):
                    resolved = self.resolve(value)
                    if resolved and "." in resolved:
                        self.aliases[node.targets[0].id] = resolved

    def resolve(self, node: ast.AST) -> str | None:
        """Dotted name of an expression through the import aliases: t.load -> torch.load."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                return node.args[0].value.split(".")[0]  # __import__('pickle').loads
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
