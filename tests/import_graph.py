"""The import graph of the nbsec package, read from source (AST), every import form included.

An edge A -> B means module A names module B in:
  - `import B`, `from B import x`, relative imports, imports inside functions and classes;
  - `importlib.import_module("B")`, `__import__("B")`;
  - a string in a dict, list, tuple or set literal that is exactly the name of an nbsec module, or
    "B:attribute" (lazy maps such as the CLI's command table and `nbsec.__getattr__`'s, which
    import a module named in a string).
`from B import x` where `B.x` is itself a module is an edge to `B.x`; a package's `__init__`
that runs on the way is not counted (it would join every module to the root package).
Imports under `if TYPE_CHECKING:` are kept apart: they shape the layers (a type a module
names is a dependency) but never run, so they make no cycle.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "nbsec"


@dataclass
class Graph:
    modules: set[str] = field(default_factory=set)
    runtime: dict[str, set[str]] = field(default_factory=dict)  # module -> modules it imports when it runs
    typing_only: dict[str, set[str]] = field(default_factory=dict)  # under `if TYPE_CHECKING:`

    def edges(self, module: str) -> set[str]:
        return self.runtime.get(module, set()) | self.typing_only.get(module, set())


def module_name(path: Path, root: Path = PACKAGE) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def build(root: Path = PACKAGE) -> Graph:
    graph = Graph()
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    graph.modules = set(files)
    for name, path in files.items():
        visitor = _Visitor(name, path.name == "__init__.py", graph.modules)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        graph.runtime[name] = visitor.runtime - {name}
        graph.typing_only[name] = visitor.typing_only - visitor.runtime - {name}
    return graph


class _Visitor(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, known: set[str]) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.known = known
        self.runtime: set[str] = set()
        self.typing_only: set[str] = set()
        self._typing_depth = 0

    # -- where an import counts
    def _add(self, target: str) -> None:
        found = self._resolve(target)
        if found:
            (self.typing_only if self._typing_depth else self.runtime).update(found)

    def _resolve(self, target: str) -> set[str]:
        """The nbsec module `target` names (the longest known prefix: `nbsec.model.Report` is nbsec.model)."""
        if target != "nbsec" and not target.startswith("nbsec."):
            return set()
        parts = target.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in self.known:
                return {candidate}
        return set()

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        is_typing = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        )
        if is_typing:
            self._typing_depth += 1
            for child in node.body:
                self.visit(child)
            self._typing_depth -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            source = ".".join([*base, node.module] if node.module else base)
        else:
            source = node.module or ""
        submodules = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in self.known]
        # `from nbsec import api` names the module nbsec.api; `from nbsec.model import Report` names nbsec.model.
        for target in submodules:
            self._add(target)
        if len(submodules) < len(node.names):
            self._add(source)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in ("import_module", "__import__") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self._add(first.value)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        self._lazy_names([*node.keys, *node.values])
        self.generic_visit(node)

    def visit_Tuple(self, node: ast.Tuple) -> None:
        self._lazy_names(node.elts)
        self.generic_visit(node)

    def visit_List(self, node: ast.List) -> None:
        self._lazy_names(node.elts)
        self.generic_visit(node)

    def visit_Set(self, node: ast.Set) -> None:
        self._lazy_names(node.elts)
        self.generic_visit(node)

    def _lazy_names(self, items: list[ast.expr | None]) -> None:
        # Lazy maps and lists name the modules they import in strings: {"scan": "nbsec.api"},
        # {"scan": "nbsec.commands.scan:scan_command"}, RULE_MODULES.
        for item in items:
            if isinstance(item, ast.Constant) and isinstance(item.value, str) and item.value.startswith("nbsec."):
                target = item.value.split(":", 1)[0]
                if target in self.known:
                    self._add(target)


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one module (runtime edges only), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def strongconnect(start: str) -> None:
        nonlocal counter
        # Iterative Tarjan: the package has a few hundred modules, recursion would be fine, but be safe.
        work = [(start, iter(sorted(graph.runtime.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.runtime.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            strongconnect(module)
    return found
