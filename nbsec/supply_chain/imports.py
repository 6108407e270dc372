"""Top-level imports of a notebook (or .py file), mapped to the distributions that provide them.

Imports are read from the AST after IPython's transforms, in every cell,
including those inside functions. Left out: the standard library, relative
imports, modules that sit in the project (a `utils.py` beside the notebook),
and imports guarded by `try: ... except ImportError` (optional by design).
`%pip install x` in the notebook declares x for the notebook.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from nbsec.scanners.notebook.analysis import to_python
from nbsec.scanners.notebook.reader import CodeUnit
from nbsec.supply_chain.osv import normalize_name

# Import names whose distribution is named differently, for packages not installed where nbsec runs.
ALIASES: dict[str, tuple[str, ...]] = {
    "sklearn": ("scikit-learn",),
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"),
    "PIL": ("pillow",),
    "yaml": ("pyyaml",),
    "bs4": ("beautifulsoup4",),
    "skimage": ("scikit-image",),
    "attr": ("attrs",),
    "dateutil": ("python-dateutil",),
    "jwt": ("pyjwt",),
    "Crypto": ("pycryptodome", "pycryptodomex"),
    "dotenv": ("python-dotenv",),
    "git": ("gitpython",),
    "docx": ("python-docx",),
    "fitz": ("pymupdf",),
    "serial": ("pyserial",),
    "zmq": ("pyzmq",),
    "OpenSSL": ("pyopenssl",),
    "umap": ("umap-learn",),
    "faiss": ("faiss-cpu", "faiss-gpu"),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos", "tf-nightly"),
    "keras": ("keras", "tensorflow", "tensorflow-cpu", "tensorflow-gpu"),
    "pytorch_lightning": ("pytorch-lightning", "lightning"),
    "mpl_toolkits": ("matplotlib",),
    "pkg_resources": ("setuptools",),
    "google": ("protobuf", "google-cloud-storage", "google-api-python-client", "google-generativeai"),
}
# Provided by the Jupyter kernel itself: a notebook can import them without declaring them.
KERNEL_PROVIDED = frozenset({"IPython", "ipykernel", "google.colab"})
_PIP_INSTALL = re.compile(r"^\s*[!%]{1,2}\s*(?:python\d*\s+-m\s+)?(?:uv\s+)?(?:pip3?|conda|mamba)\s+install\s+(.+)$")
_OPTIONAL_GUARDS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


@dataclass(frozen=True)
class Import:
    module: str  # the top-level name, as imported
    unit: CodeUnit
    line: int
    column: int


@lru_cache(maxsize=1)
def _installed_map() -> dict[str, tuple[str, ...]]:
    """Top-level import name -> normalized distributions, for the running interpreter."""
    try:
        mapping = metadata.packages_distributions()
    except (OSError, ValueError):
        return {}
    return {k: tuple(normalize_name(d) for d in v) for k, v in mapping.items()}


def distributions_for(module: str) -> tuple[tuple[str, ...], bool]:
    """(candidate distribution names, whether the module is installed here)."""
    installed = _installed_map().get(module, ())
    candidates = dict.fromkeys((*installed, *ALIASES.get(module, ()), normalize_name(module)))
    return tuple(candidates), bool(installed)


class _ImportVisitor(ast.NodeVisitor):
    def __init__(self, unit: CodeUnit) -> None:
        self.unit = unit
        self.found: list[Import] = []
        self._guarded = 0

    def visit_Try(self, node: ast.Try) -> None:
        optional = any(_catches_import_error(h.type) for h in node.handlers)
        self._guarded += optional
        for child in node.body:
            self.visit(child)
        self._guarded -= optional
        for handler in node.handlers:
            self.visit(handler)
        for child in (*node.orelse, *node.finalbody):
            self.visit(child)

    visit_TryStar = visit_Try  # except* (3.11+) guards the same way

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self._add(node.module, node)

    def _add(self, dotted: str, node: ast.stmt) -> None:
        if self._guarded or dotted == "__future__":
            return
        top = dotted.split(".")[0]
        if top in sys.stdlib_module_names or dotted in KERNEL_PROVIDED or top in KERNEL_PROVIDED:
            return
        self.found.append(Import(top, self.unit, node.lineno, node.col_offset + 1))


def _catches_import_error(handler: ast.expr | None) -> bool:
    if handler is None:
        return True  # a bare except
    names = handler.elts if isinstance(handler, ast.Tuple) else [handler]
    return any(isinstance(n, ast.Name) and n.id in _OPTIONAL_GUARDS for n in names)


def imports_in(units: list[CodeUnit]) -> Iterator[Import]:
    """Third-party top-level imports, in cell order; cells that do not parse are skipped."""
    for unit in units:
        try:
            tree = ast.parse(to_python(unit.source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # the notebook-code scanner reports the syntax error
        visitor = _ImportVisitor(unit)
        visitor.visit(tree)
        yield from visitor.found


def pip_installed_in(units: list[CodeUnit]) -> set[str]:
    """Names a notebook installs itself with `%pip install` / `!pip install`."""
    names: set[str] = set()
    for unit in units:
        for line in unit.source.splitlines():
            match = _PIP_INSTALL.match(line)
            if not match:
                continue
            for word in match.group(1).split():
                if word.startswith("-") or "/" in word:
                    continue
                name = re.split(r"[\[<>=!~;@ ]", word.strip("'\""), maxsplit=1)[0]
                if name:
                    names.add(normalize_name(name))
    return names


def is_local_module(module: str, folders: list[Path]) -> bool:
    """A module file or package in the notebook's folder or the project root (or its src/)."""
    for folder in folders:
        for base in (folder, folder / "src"):
            if (base / f"{module}.py").is_file() or (base / module).is_dir():
                return True
    return False
