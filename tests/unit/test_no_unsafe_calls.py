"""Nothing in nbsec/ runs what it reads: no eval/exec/compile, no unpickling, no unsafe YAML, no shell.

Checked on the AST of every module, with import aliases resolved (`import torch as t; t.load(...)`,
`from pickle import loads`), so the scanners' rule samples -- strings that contain such code -- are not
calls. A few call sites need a guarded call (a process start, a weights-only torch.load of the demo's own
models); ALLOWED lists exactly those, by module and function with the reason, so a new one fails here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "nbsec"

BUILTINS = {"eval", "exec", "compile", "__import__"}  # code from text, whatever the text is
PICKLERS = ("pickle", "_pickle", "cPickle", "dill", "cloudpickle")
NEVER = {
    *(f"{m}.{f}" for m in PICKLERS for f in ("load", "loads", "Unpickler")),
    "joblib.load", "shelve.open", "pandas.read_pickle", "marshal.load", "marshal.loads",
    "yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load", "yaml.full_load_all",
    "yaml.Loader", "yaml.UnsafeLoader", "yaml.FullLoader", "yaml.CLoader", "yaml.CUnsafeLoader", "yaml.CFullLoader",
    "runpy.run_path", "runpy.run_module", "code.interact",
}  # fmt: skip
PROCESS_STARTS = {
    *(f"subprocess.{f}" for f in ("run", "Popen", "call", "check_call", "check_output")),
    "subprocess.getoutput", "subprocess.getstatusoutput",
    *(f"os.{f}" for f in ("system", "popen", "execv", "execve", "execl", "execle", "execlp", "execlpe", "execvp")),
    *(f"os.{f}" for f in ("execvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp")),
    "os.spawnvpe", "os.posix_spawn", "os.posix_spawnp", "os.startfile", "pty.spawn",
    "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell",
}  # fmt: skip
GUARDED = PROCESS_STARTS | {"torch.load"}  # allowed only where ALLOWED says; torch.load only with weights_only=True

# (module, function, callee) -> why that call site needs it.
ALLOWED = {
    ("nbsec.lineage.context", "_run_git", "subprocess.run"): "lineage records the git commit: fixed argv, no shell",
    ("nbsec.runner.execute", "run_notebook", "subprocess.Popen"): "`nbsec run` starts its child that runs the kernel",
    ("nbsec.adversarial.demo_models", "load_demo_model", "torch.load"): "the demo's own weights, weights_only=True",
    ("nbsec.adversarial.demo_models", "load_demo_data", "torch.load"): "the demo's own tensors, weights_only=True",
    ("nbsec.adversarial.loading", "_read_weights", "torch.load"): "a model file nbsec scanned first, weights_only=True",
}


@dataclass(frozen=True)
class Site:
    module: str
    function: str
    callee: str
    line: int
    problem: str
    guarded: bool = False  # allowed where ALLOWED lists (module, function, callee); the others never are

    @property
    def allowed(self) -> bool:
        return self.guarded and (self.module, self.function, self.callee) in ALLOWED

    def __str__(self) -> str:
        return f"{self.module} ({self.function}, line {self.line}): {self.callee}: {self.problem}"


class _Finder(ast.NodeVisitor):
    """Every reference to a forbidden or guarded name, and every call with shell=True, in one module."""

    def __init__(self, module: str, is_package: bool = False) -> None:
        self.module = module
        self.package = module.split(".") if is_package else module.split(".")[:-1]  # what `from .` names
        self.aliases: dict[str, str] = {}  # local name -> what it was imported as
        self.bound: set[str] = set()  # every name the module binds (a local `compile` is not the builtin)
        self.scope: list[str] = []
        self.sites: list[Site] = []
        self.annotations: set[int] = set()  # `proc: subprocess.Popen[str]` names a type, it calls nothing

    def run(self, tree: ast.Module) -> list[Site]:
        for node in ast.walk(tree):  # imports first, wherever they are (many are inside functions)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        self.aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(node)
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.bound.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.bound.add(node.name)
            elif isinstance(node, ast.arg):
                self.bound.add(node.arg)
            for annotation in _annotations(node):
                self.annotations.update(id(n) for n in ast.walk(annotation))
        self.visit(tree)
        return self.sites

    def _absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = ".".join(self.package[: len(self.package) - node.level + 1])
        return f"{base}.{node.module}" if node.module else base

    def _add(self, node: ast.AST, callee: str, problem: str, guarded: bool = False) -> None:
        function = ".".join(self.scope) or "<module>"
        self.sites.append(Site(self.module, function, callee, getattr(node, "lineno", 0), problem, guarded))

    def _reference(self, node: ast.AST, name: str) -> None:
        if name in NEVER:
            self._add(node, name, "runs code from the data it reads")
        elif name in GUARDED:
            self._add(node, name, "a guarded call: only the call sites in ALLOWED", guarded=True)

    def _qualified(self, node: ast.expr) -> str | None:
        """`pickle.loads` for `pickle.loads`, `p.loads` (import pickle as p) or `loads` (from pickle import loads)."""
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        return ".".join([self.aliases[node.id], *reversed(attrs)])

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node)
        for alias in node.names:
            name = f"{base}.{alias.name}"
            if name in NEVER:
                self._add(node, name, "imported")

    def visit_Call(self, node: ast.Call) -> None:
        name = self._qualified(node.func)
        for keyword in node.keywords:  # shell=True anywhere; for a process start, any shell= but a literal False
            value = keyword.value.value if isinstance(keyword.value, ast.Constant) else None
            if keyword.arg == "shell" and (value is True or (name in PROCESS_STARTS and value is not False)):
                self._add(node, ast.unparse(node.func), "shell=True: a command line is parsed by a shell")
        if name == "torch.load" and not any(
            k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        ):
            self._add(node, name, "torch.load without weights_only=True unpickles")
        elif name == "numpy.load" and any(
            k.arg == "allow_pickle" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
            for k in node.keywords
        ):
            self._add(node, name, "numpy.load with allow_pickle unpickles object arrays")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if id(node) in self.annotations:
            return
        name = self._qualified(node)
        if name in NEVER or name in GUARDED:
            self._reference(node, name)
        else:
            self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load) or id(node) in self.annotations:
            return
        if node.id in BUILTINS and node.id not in self.bound and node.id not in self.aliases:
            self._add(node, node.id, "runs text as Python code")
        elif node.id in self.aliases:  # `from pickle import loads` ... `loads(...)`
            self._reference(node, self.aliases[node.id])


def _annotations(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.arg):
        return [node.annotation] if node.annotation else []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [node.returns] if node.returns else []
    if isinstance(node, ast.AnnAssign):
        return [node.annotation]
    return []


def unsafe_sites(source: str, module: str, is_package: bool = False) -> list[Site]:
    return _Finder(module, is_package).run(ast.parse(source))


def not_allowed(sites: list[Site]) -> list[Site]:
    return [s for s in sites if not s.allowed]


def package_sites() -> list[Site]:
    sites: list[Site] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        sites += unsafe_sites(path.read_text(encoding="utf-8"), module, is_package)
    return sites


def test_nothing_in_the_package_runs_what_it_reads() -> None:
    sites = package_sites()
    bad = not_allowed(sites)
    assert not bad, "unsafe calls in nbsec/ (or add a guarded one to ALLOWED with its reason):\n" + "\n".join(
        map(str, bad)
    )
    found = {(s.module, s.function, s.callee) for s in sites}
    stale = set(ALLOWED) - found
    assert not stale, f"ALLOWED lists call sites that no longer exist; remove them: {sorted(stale)}"


@pytest.mark.parametrize(
    "source",
    [
        "eval(text)",
        "exec(text)",
        "code = compile(text, 'x', 'exec')",
        "mod = __import__(name)",
        "run = eval\nrun(text)",
        "import pickle\npickle.loads(data)",
        "import pickle as p\np.load(f)",
        "from pickle import loads\nloads(data)",
        "from pickle import Unpickler as U",
        "import _pickle\n_pickle.loads(data)",
        "import marshal\nmarshal.loads(data)",
        "import dill\ndill.load(f)",
        "import joblib\njoblib.load(path)",
        "import pandas as pd\npd.read_pickle(path)",
        "import shelve\nshelve.open(path)",
        "import yaml\nyaml.load(text)",
        "import yaml\nyaml.load(text, Loader=yaml.SafeLoader)",
        "import yaml\nyaml.unsafe_load(text)",
        "import yaml\nyaml.full_load(text)",
        "import yaml\nyaml.safe_load(text, Loader=yaml.Loader)",
        "from yaml import unsafe_load",
        "import torch\ntorch.load(path)",
        "import torch as t\nt.load(path, weights_only=False)",
        "import torch\ntorch.load(path, weights_only=flag)",
        "import torch\ntorch.load(path, weights_only=True)",  # weights-only, but not a listed call site
        "import numpy as np\nnp.load(path, allow_pickle=True)",
        "import subprocess\nsubprocess.run(['git', 'status'])",  # no shell, but not a listed call site
        "import subprocess\nsubprocess.run('ls', shell=True)",
        "import subprocess\nsubprocess.run(cmd, shell=use_shell)",
        "import asyncio\nasyncio.create_subprocess_shell(cmd)",
        "helper(cmd, shell=True)",
        "from subprocess import Popen as P\nP(['x'])",
        "import os\nos.system('ls')",
        "import os\nos.execv(path, args)",
        "def run(cmd):\n    import subprocess\n    return subprocess.check_output(cmd, shell=True)",
    ],
)
def test_the_guard_catches(source: str) -> None:
    assert not_allowed(unsafe_sites(source, "nbsec.example")), source


@pytest.mark.parametrize(
    "source",
    [
        "import re\nre.compile('x')",
        "model.eval()",
        "self.exec(x)",
        "import yaml\nyaml.safe_load(text)",
        "import json\njson.loads(text)",
        "import numpy as np\nnp.load(path)",
        "import numpy as np\nnp.load(path, allow_pickle=False)",
        "import pickletools\npickletools.genops(data)",
        "RULE_SAMPLE = \"import pickle\\npickle.load(open('m.pkl', 'rb'))\\n\"",  # a rule's sample is text
        "def compile(rules):\n    return rules\ncompile([])",  # a function of the module's own
        "import subprocess\ndef stop(proc: subprocess.Popen[str]) -> None:\n    proc.kill()",  # a type, not a call
        "super().__init__(shell=shell)",  # IPython's shell object, not a subprocess flag
    ],
)
def test_the_guard_leaves_alone(source: str) -> None:
    assert not_allowed(unsafe_sites(source, "nbsec.example")) == [], source


def test_an_allowed_site_is_allowed_only_where_it_is_listed() -> None:
    source = "import torch\ndef load_demo_model(path):\n    return torch.load(path, weights_only=True)\n"
    assert not_allowed(unsafe_sites(source, "nbsec.adversarial.demo_models")) == []
    assert not_allowed(unsafe_sites(source, "nbsec.adversarial.other"))  # same code, another module
    unsafe = source.replace("weights_only=True", "weights_only=False")
    assert not_allowed(unsafe_sites(unsafe, "nbsec.adversarial.demo_models"))  # listed, but not weights-only
