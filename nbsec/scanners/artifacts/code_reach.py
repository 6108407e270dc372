"""Does a global run code? Read its source on disk, never import it, and follow what it calls.

A pickle may name any function of any installed library. A denylist cannot know them all, so for a
global outside both lists we find the module's `.py` file by walking `sys.path` ourselves
(importlib.util.find_spec would import the parent packages, running their code), parse it with `ast`
and look for calls that reach eval/exec/compile, process creation, file writes, imports or another
deserializer. Calls to functions of the same module (and `obj.method()` to methods defined in it) are
followed to a bounded depth; a name re-exported from another module is followed once.

Everything is bounded (file size, functions visited, total time per process) and cached per module
file (path, size, mtime: a new installed version is a new file), in memory and in
$XDG_CACHE_HOME/nbsec/code-reach-v1.json, so a module is parsed once per installed version, not once per
process. The file holds only answers about library code (a call path, or "none found"); losing it, or an
unwritable cache folder, costs time, never a finding.
A compiled module, a missing file or a spent budget is "unknown": the caller keeps its medium finding.
"""

from __future__ import annotations

import ast
import json
import os
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 4
MAX_FUNCTIONS = 200  # function bodies visited for one global
TIME_BUDGET_S = 2.0  # per process: past it, globals stay "unknown"
MODULE_CACHE = 64

# Calls that run code, by what they do. Qualified names after import aliases are resolved.
PROCESS = "process creation"
EVAL = "eval/exec of code"
IMPORT = "import of a module"
WRITE = "file write"
LOAD = "deserialization"
_SINKS: dict[str, str] = {
    **{f"builtins.{n}": EVAL for n in ("eval", "exec", "compile", "execfile")},
    "builtins.__import__": IMPORT,
    **{f"os.{n}": PROCESS for n in ("system", "popen", "fork", "forkpty", "startfile", "posix_spawn", "posix_spawnp")},
    **{f"os.exec{s}": PROCESS for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")},
    **{f"os.spawn{s}": PROCESS for s in ("l", "le", "lp", "lpe", "v", "ve", "vp", "vpe")},
    **{
        f"subprocess.{n}": PROCESS
        for n in ("run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput")
    },
    "pty.spawn": PROCESS,
    "importlib.import_module": IMPORT,
    "importlib.__import__": IMPORT,
    "importlib.util.spec_from_file_location": IMPORT,
    "importlib.util.module_from_spec": IMPORT,
    "pkgutil.resolve_name": IMPORT,
    "runpy.run_path": EVAL,
    "runpy.run_module": EVAL,
    "code.InteractiveInterpreter": EVAL,
    "ctypes.CDLL": PROCESS,
    **{f"os.{n}": WRITE for n in ("remove", "unlink", "rmdir", "removedirs", "rename", "replace", "truncate")},
    **{f"shutil.{n}": WRITE for n in ("rmtree", "copy", "copy2", "copyfile", "copytree", "move")},
    **{f"pickle.{n}": LOAD for n in ("load", "loads")},
    **{f"_pickle.{n}": LOAD for n in ("load", "loads")},
    **{f"dill.{n}": LOAD for n in ("load", "loads")},
    "marshal.loads": LOAD,
    "marshal.load": LOAD,
    "torch.load": LOAD,
    "yaml.unsafe_load": LOAD,
    "yaml.unsafe_load_all": LOAD,
}
_SAFE_YAML_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
_WRITE_METHODS = frozenset({"write_text", "write_bytes"})
_CLASS_ENTRY = ("__new__", "__init__", "__setstate__")


class Reach(NamedTuple):
    path: str  # "pkg.mod.helper -> pkg.mod._run -> subprocess.run"
    what: str  # PROCESS, EVAL, ...
    source: str  # file:line of the sink


class _Module(NamedTuple):
    name: str
    path: Path
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]  # "f" and "Class.method"
    classes: dict[str, ast.ClassDef]
    methods: dict[str, list[str]]  # method name -> ["Class.method", ...]
    aliases: dict[str, str]  # local name -> qualified (from every import in the file)


_modules: OrderedDict[tuple[str, int, int], _Module | None] = OrderedDict()
_answers: dict[tuple[str, str, str, int, int], Reach | None] = {}
_spent = 0.0
DISK_CACHE_ENTRIES = 4096
_disk: dict[str, list[str] | None] | None = None  # loaded on first use


def cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nbsec" / "code-reach-v1.json"


def _disk_cache() -> dict[str, list[str] | None]:
    global _disk
    if _disk is None:
        _disk = {}
        try:
            data = json.loads(cache_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict):
            _disk = {
                k: v
                for k, v in data.items()
                if v is None or (isinstance(v, list) and len(v) == 3 and all(isinstance(x, str) for x in v))
            }
    return _disk


def _remember(key: tuple[str, str, str, int, int], answer: Reach | None) -> None:
    """Keep the answer on disk (atomically; best effort: a read-only home just means no cache)."""
    disk = _disk_cache()
    disk[":".join(map(str, key))] = list(answer) if answer else None
    while len(disk) > DISK_CACHE_ENTRIES:
        disk.pop(next(iter(disk)))
    target = cache_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp") as handle:
            json.dump(disk, handle)
        os.replace(handle.name, target)
    except OSError:
        return


def find_source(module: str) -> Path | None:
    """The `.py` file Python would import for `module`, found by walking sys.path (nothing imported)."""
    parts = module.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    for entry in sys.path:
        base = Path(entry or ".")
        folder = base.joinpath(*parts[:-1])
        for candidate in (folder / parts[-1] / "__init__.py", folder / f"{parts[-1]}.py"):
            try:
                if candidate.is_file():
                    return candidate
            except OSError:
                continue
    return None


def _source_version(module: str) -> tuple[Path, int, int] | None:
    """The module's source file with its size and mtime: what identifies an installed version."""
    path = find_source(module)
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return path, stat.st_size, stat.st_mtime_ns


def reaches(module: str, name: str) -> Reach | None:
    """A path from `module.name` to a call that runs code, or None (none found, or not analysable)."""
    global _spent
    version = _source_version(module)
    if version is None:
        return None
    path, size, mtime = version
    key = (module, name, str(path), size, mtime)
    if key in _answers:
        return _answers[key]
    disk, disk_key = _disk_cache(), ":".join(map(str, key))
    if disk_key in disk:
        stored = disk[disk_key]
        _answers[key] = Reach(*stored) if stored is not None else None
        return _answers[key]
    if _spent > TIME_BUDGET_S:
        return None  # not remembered: another run, with time left, will look
    started = time.perf_counter()
    try:
        answer = _Search(module).start(name)
    finally:
        _spent += time.perf_counter() - started
    _answers[key] = answer
    _remember(key, answer)
    return answer


def _load(module: str) -> _Module | None:
    version = _source_version(module)
    if version is None:
        return None
    path, size, mtime = version
    key = (str(path), size, mtime)
    if key in _modules:
        _modules.move_to_end(key)
        return _modules[key]
    parsed = _parse(module, path) if size <= MAX_SOURCE_BYTES else None
    _modules[key] = parsed
    if len(_modules) > MODULE_CACHE:
        _modules.popitem(last=False)
    return parsed


def _parse(module: str, path: Path) -> _Module | None:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
        return None
    return index_module(tree, module, path)


def index_module(tree: ast.Module, module: str, path: Path) -> _Module:
    """Functions, classes and import aliases of a parsed module (what the search follows)."""
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    classes: dict[str, ast.ClassDef] = {}
    methods: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            classes[node.name] = node
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    functions[f"{node.name}.{item.name}"] = item
                    methods.setdefault(item.name, []).append(f"{node.name}.{item.name}")
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return _Module(module, path, functions, classes, methods, _aliases(tree, package))


def _statements(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every statement, nested ones included, without descending into expressions: imports are statements,
    and a module's expressions are most of its nodes (walking them all doubled the cost of a parse)."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            stack.extend(getattr(node, field, None) or ())


def _aliases(tree: ast.Module, package: str) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parents = package.split(".")
                parents = parents[: len(parents) - (node.level - 1)] if node.level > 1 else parents
                base = ".".join([*parents, base] if base else parents)
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
    return aliases


class _Search:
    def __init__(self, module: str) -> None:
        self.root = module
        self.visited: set[tuple[str, str]] = set()

    def start(self, name: str) -> Reach | None:
        mod = _load(self.root)
        if mod is None:
            return None
        return self.entry(mod, name, (f"{self.root}.{name}",), 0)

    def entry(self, mod: _Module, name: str, trail: tuple[str, ...], depth: int) -> Reach | None:
        """`name` in `mod`: a function, a method, a class (what runs when it is called or restored)."""
        if name in mod.classes:
            for dunder in _CLASS_ENTRY:
                found = self.function(mod, f"{name}.{dunder}", trail, depth)
                if found:
                    return found
            return None
        if name in mod.functions:
            return self.function(mod, name, trail, depth)
        target = mod.aliases.get(name)  # re-exported: `from .impl import helper`
        if target and depth < MAX_DEPTH and "." in target:
            other_module, _, other_name = target.rpartition(".")
            other = _load(other_module)
            if other is not None and other_module != mod.name:
                return self.entry(other, other_name, trail, depth + 1)
        return None

    def function(self, mod: _Module, qualname: str, trail: tuple[str, ...], depth: int) -> Reach | None:
        node = mod.functions.get(qualname)
        if node is None or (mod.name, qualname) in self.visited or len(self.visited) >= MAX_FUNCTIONS:
            return None
        self.visited.add((mod.name, qualname))
        follow: list[tuple[str, str]] = []
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            sink = _sink(call, mod)
            if sink is not None:
                target, what = sink
                return Reach(" -> ".join((*trail, target)), what, f"{mod.path}:{call.lineno}")
            follow.extend(_local_targets(call.func, mod))
        if depth >= MAX_DEPTH:
            return None
        for target, label in follow:
            found = self.function(mod, target, (*trail, f"{mod.name}.{label}"), depth + 1)
            if found:
                return found
        return None


def _dotted(expr: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def _qualify(dotted: str, mod: _Module) -> str:
    head, _, rest = dotted.partition(".")
    if head in mod.aliases:
        return f"{mod.aliases[head]}.{rest}" if rest else mod.aliases[head]
    if head in mod.functions or head in mod.classes:
        return f"{mod.name}.{dotted}"  # yaml's own `load(stream, UnsafeLoader)` is the sink yaml.load
    return f"builtins.{head}" if not rest else dotted


def sink(call: ast.Call, mod: _Module) -> tuple[str, str] | None:
    """(what is called, what it does) when the call runs code, writes files, imports or deserializes."""
    return _sink(call, mod)


def _sink(call: ast.Call, mod: _Module) -> tuple[str, str] | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _WRITE_METHODS:
        return f".{func.attr}()", WRITE
    dotted = _dotted(func)
    if dotted is None:
        return None
    qualified = _qualify(dotted, mod)
    if qualified in _SINKS:
        return qualified, _SINKS[qualified]
    if qualified in ("builtins.open", "io.open", "os.open") and _writes(call):
        return f"{qualified}(..., write mode)", WRITE
    if qualified in ("yaml.load", "yaml.load_all") and not _safe_yaml(call):
        return f"{qualified} (unsafe loader)", LOAD
    return None


def _writes(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return any(flag in mode.value for flag in "wax+")
    return False


def _safe_yaml(call: ast.Call) -> bool:
    loader = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "Loader"), None)
    name = _dotted(loader) if loader is not None else None
    return name is not None and name.rpartition(".")[2] in _SAFE_YAML_LOADERS


def _local_targets(func: ast.expr, mod: _Module) -> list[tuple[str, str]]:
    """Functions of this module a call may land in: `helper()`, `Class()`, `obj.method()`."""
    if isinstance(func, ast.Name):
        if func.id in mod.functions:
            return [(func.id, func.id)]
        if func.id in mod.classes:
            return [(f"{func.id}.{d}", f"{func.id}.{d}") for d in _CLASS_ENTRY]
        return []
    if isinstance(func, ast.Attribute):
        base = func.value
        if isinstance(base, ast.Name) and base.id in mod.aliases:
            return []  # a call into another module: only sinks count there
        return [(q, q) for q in mod.methods.get(func.attr, [])[:8]]
    return []
