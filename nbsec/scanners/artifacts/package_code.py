"""The `.py` members of a torch.package archive: code that PackageImporter runs while unpickling.

torch.package stores the source of every interned module next to the pickles; loading a pickle from
the archive imports those modules from the archive. So they are scanned as code (parsed with `ast`,
never run): statements at module level beyond imports, definitions, docstrings and constant
assignments run on import, and a call anywhere that reaches eval/exec, a process, a file write, an
import or a deserializer runs when the objects are used.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import PurePosixPath

from nbsec.model import Severity
from nbsec.scanners.artifacts import rules
from nbsec.scanners.artifacts.base import Issue
from nbsec.scanners.artifacts.code_reach import index_module, sink

MAX_SOURCE = 2 * 1024 * 1024
_SHOWN = 4
_QUIET_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)


def check_source(source: bytes, name: str) -> Iterator[Issue]:
    """One PACKAGE_CODE issue for a member whose code runs on import or reaches a dangerous call."""
    if len(source) > MAX_SOURCE:
        yield Issue(rules.PACKAGE_CODE, f"{name}: {len(source):,} bytes of Python source, too large to check")
        return
    try:
        tree = ast.parse(source, filename=name)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        yield Issue(rules.PACKAGE_CODE, f"{name}: Python source that does not parse (checked as untrusted code)")
        return
    module = ".".join(PurePosixPath(name).with_suffix("").parts[1:]) or "module"
    index = index_module(tree, module, PurePosixPath(name))  # type: ignore[arg-type]
    top_level = [s for s in tree.body if not _is_quiet(s)]
    top_calls = {id(c) for s in top_level for c in ast.walk(s) if isinstance(c, ast.Call)}
    dangers: list[str] = []
    import_time_danger = False
    for call in (c for c in ast.walk(tree) if isinstance(c, ast.Call)):
        found = sink(call, index)
        if found is not None:
            dangers.append(f"{found[0]} ({found[1]}) at line {call.lineno}")
            import_time_danger = import_time_danger or id(call) in top_calls
    if not dangers and not top_level:
        return
    parts = []
    if top_level:
        lines = ", ".join(str(s.lineno) for s in top_level[:_SHOWN])
        parts.append(f"{len(top_level)} statement(s) run on import (line {lines})")
    if dangers:
        parts.append("calls " + "; ".join(dangers[:_SHOWN]))
    severity = Severity.CRITICAL if import_time_danger else (None if dangers else Severity.MEDIUM)
    yield Issue(rules.PACKAGE_CODE, f"{name}: " + "; ".join(parts), severity=severity)


def _is_quiet(statement: ast.stmt) -> bool:
    """Imports, definitions, docstrings and constant assignments: nothing of the archive's choosing runs."""
    if isinstance(statement, _QUIET_STATEMENTS):
        return not isinstance(statement, ast.ClassDef) or all(_is_quiet(s) for s in statement.body)
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Constant)
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return statement.value is None or _is_constant(statement.value)
    if isinstance(statement, ast.If) and _is_type_checking(statement.test):
        return True
    if isinstance(statement, ast.Try):  # try: import x / except ImportError: x = None
        body = [*statement.body, *(s for h in statement.handlers for s in h.body), *statement.orelse]
        return all(_is_quiet(s) for s in body)
    return False


def _is_constant(value: ast.expr) -> bool:
    return all(not isinstance(node, (ast.Call, ast.Lambda, ast.Await, ast.Yield)) for node in ast.walk(value))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )
