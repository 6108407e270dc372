"""What a project declares it depends on: requirements files, pyproject.toml, setup.cfg, Pipfile.

The project of a notebook is the nearest folder above it (at most MAX_UP
levels, never past a repository root) that holds a declaration file. Its
requirements*.txt (and requirements/*.txt), pyproject.toml [project] tables,
setup.cfg install_requires and Pipfile [packages] together are "declared".
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path

from nbsec.supply_chain.osv import normalize_name
from nbsec.supply_chain.requirements import (
    load_toml,
    parse_requirement,
    parse_requirements_file,
    project_name,
    pyproject_dependencies,
)
from nbsec.supply_chain.rules import REQUIREMENTS_NAME

MAX_UP = 4
DECLARATION_FILES = ("pyproject.toml", "setup.cfg", "Pipfile")
_REPO_MARKERS = (".git", ".hg")


@dataclass(frozen=True)
class Declarations:
    root: Path
    files: tuple[Path, ...]
    names: frozenset[str]  # normalized distribution names (and the project's own name)


_FOLDER_CACHE: dict[tuple[str, int], list[Path]] = {}


def declaration_files(folder: Path) -> list[Path]:
    """The declaration files in one folder; cached until the folder's listing changes (its mtime)."""
    try:
        key = (str(folder), folder.stat().st_mtime_ns)
    except OSError:
        return []
    cached = _FOLDER_CACHE.get(key)
    if cached is None:
        cached = _list_declarations(folder)
        if len(_FOLDER_CACHE) > 1024:
            _FOLDER_CACHE.clear()
        _FOLDER_CACHE[key] = cached
    return list(cached)


def _list_declarations(folder: Path) -> list[Path]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    found = [p for p in entries if p.is_file() and (p.name in DECLARATION_FILES or REQUIREMENTS_NAME.match(p.name))]
    nested = folder / "requirements"
    if nested.is_dir():
        found.extend(sorted(p for p in nested.glob("*.txt") if p.is_file()))
    return found


def find_project(start: Path) -> tuple[Path, list[Path]] | None:
    """(project root, its declaration files) for a file or folder, or None when there is none."""
    folder = start if start.is_dir() else start.parent
    for _ in range(MAX_UP + 1):
        files = declaration_files(folder)
        if files:
            return folder, files
        if any((folder / marker).exists() for marker in _REPO_MARKERS) or folder.parent == folder:
            return None
        folder = folder.parent
    return None


_CACHE: dict[tuple[tuple[str, int, int], ...], frozenset[str]] = {}


def declarations_for(start: Path) -> Declarations | None:
    """The declarations of the project `start` belongs to; cached while its files are unchanged."""
    project = find_project(start)
    if project is None:
        return None
    root, files = project
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    names = _CACHE.get(key)
    if names is None:
        names = frozenset(n for p in files for n in _names_in(p))
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = names
    return Declarations(root, tuple(files), names)


def _names_in(path: Path) -> set[str]:
    if path.name == "pyproject.toml":
        names = {d.name for d in pyproject_dependencies(path) if d.name}
        own = project_name(path)
        names |= {own} if own else set()
        return names | _poetry_names(path)
    if path.name == "setup.cfg":
        return _setup_cfg_names(path)
    if path.name == "Pipfile":
        loaded = load_toml(path)
        data = loaded[1] if loaded else {}
        return {normalize_name(n) for key in ("packages", "dev-packages") for n in (data.get(key) or {})}
    parsed = parse_requirements_file(path)
    return {d.name for d in parsed.dependencies if d.name and not d.constraint}


def _poetry_names(path: Path) -> set[str]:
    loaded = load_toml(path)
    poetry = (loaded[1].get("tool") or {}).get("poetry") if loaded else None
    if not isinstance(poetry, dict):
        return set()
    tables = [poetry.get("dependencies") or {}, poetry.get("dev-dependencies") or {}]
    tables += [g.get("dependencies") or {} for g in (poetry.get("group") or {}).values() if isinstance(g, dict)]
    return {normalize_name(n) for table in tables if isinstance(table, dict) for n in table if n != "python"}


def _setup_cfg_names(path: Path) -> set[str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return set()
    chunks = [parser.get("options", "install_requires", fallback="")]
    if parser.has_section("options.extras_require"):
        chunks.extend(v for _, v in parser.items("options.extras_require"))
    names = {normalize_name(parser.get("metadata", "name", fallback=""))} - {""}
    for line in "\n".join(chunks).splitlines():
        dep = parse_requirement(re.sub(r"\s+#.*$", "", line).strip(), path, 0) if line.strip() else None
        if dep is not None and dep.name:
            names.add(dep.name)
    return names
