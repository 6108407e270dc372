"""What every unsafe-code check is given and gives back: the resolved call, a Scope, Hits.

The rule modules (`rules.py`, `rules_downloads.py`, `rules_templates.py`) share these. A check
is registered with the last component of the call names it handles (`load` for `torch.load`),
so the analysis runs only the few checks a call can match: one dictionary lookup per call, in
the one walk over a cell's syntax tree.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from nbsec.model import Confidence, Rule, Severity

SCANNER = "notebook-code"
CATEGORY = "unsafe code"


@dataclass(frozen=True)
class Hit:
    """A rule firing on a call; severity/confidence override the rule default."""

    rule: Rule
    node: ast.AST
    message: str
    severity: Severity | None = None
    confidence: Confidence | None = None


class Scope(Protocol):
    """What the analysis knows about names at a call: imports, literals, paths, archive members."""

    def resolve(self, node: ast.AST) -> str | None:
        """Dotted name through the imports: `t.load` -> `torch.load`; `tarfile.open(p)` -> `tarfile.open()`."""

    def value(self, node: ast.AST | None) -> object:
        """The literal value of an expression or of a name bound to a literal, else NOT_CONSTANT."""

    def text(self, node: ast.AST | None) -> tuple[str, bool] | None:
        """(text, exact) of a string known statically; exact is False for a known prefix (f"https://{host}")."""

    def is_local_path(self, node: ast.AST) -> bool:
        """True when the expression is a path on this machine (Path(...), os.path.join(...), './x', a saved folder)."""

    def is_archive_member(self, node: ast.AST) -> bool:
        """True when the expression holds (or is built from) a member name read from a zip or tar archive."""


Check = Callable[[str, ast.Call, Scope], Iterator[Hit]]


@dataclass(frozen=True)
class CallCheck:
    """A check and the last name components of the calls it looks at (None: every call with keywords)."""

    check: Check
    last_names: frozenset[str] | None


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw
    return None


def argument(call: ast.Call, index: int | None, *names: str) -> ast.expr | None:
    """The argument at `index` (None: keyword only) or passed under one of `names`."""
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    if index is not None and 0 <= index < len(call.args) and not isinstance(call.args[index], ast.Starred):
        if not any(isinstance(a, ast.Starred) for a in call.args[:index]):
            return call.args[index]
    return None


def constant(node: ast.AST | None) -> object:
    """The value of a literal, or the sentinel NOT_CONSTANT."""
    if isinstance(node, ast.Constant):
        return node.value
    return NOT_CONSTANT


NOT_CONSTANT = object()
