"""Read requirements files and pyproject.toml dependencies, the way pip reads them, without pip.

Handles comments, `\\` continuations, per-line options (`--hash`), environment
markers, `-r`/`-c` includes (bounded in depth and count, loops cut), editable
and local paths, direct URLs and VCS URLs. Nothing is installed or fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from nbsec.supply_chain.osv import normalize_name

MAX_INCLUDE_DEPTH = 5
MAX_FILES = 50
MAX_BYTES = 4 * 1024 * 1024
_COMMENT = re.compile(r"(^|\s+)#.*$")
_VCS = re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
_EGG = re.compile(r"#egg=([A-Za-z0-9][\w.-]*)")
_COMMIT = re.compile(r"@([0-9a-f]{40}|[0-9a-f]{64})(?:#|$)")  # a full hash: a short one can be made ambiguous
_INCLUDE_RE = re.compile(r"^(?P<opt>--requirement|--constraint|-r|-c)(?:\s*=\s*|\s+)?(?P<target>\S+)$")
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2")
_HASH = re.compile(r"--hash(?:=|\s+)(\S+)")


@dataclass(frozen=True)
class Dependency:
    """One requirement line, understood."""

    path: Path
    line: int
    raw: str
    name: str | None  # normalized; None for a bare URL or path without a name
    specifier: str = ""
    marker: str = ""
    url: str = ""
    hashes: tuple[str, ...] = ()
    editable: bool = False
    local: bool = False  # a path on disk: your own code, not a supply-chain dependency
    constraint: bool = False  # from a -c file: limits versions, installs nothing
    comment: str = ""  # the line's comment, where `# nbsec: ignore[...]` is written

    @property
    def pinned_version(self) -> str | None:
        """The exact version for `==X` / `===X` (not `==2.*`), else None."""
        if self.url or "," in self.specifier:
            return None
        match = re.fullmatch(r"\s*===?\s*([^\s*,;]+)\s*", self.specifier)
        return match.group(1) if match else None

    @property
    def vcs(self) -> str | None:
        match = _VCS.match(self.url)
        return match.group(1).lower() if match else None

    @property
    def vcs_commit_pinned(self) -> bool:
        return bool(_COMMIT.search(self.url))

    @property
    def url_hash_pinned(self) -> bool:
        return "#sha256=" in self.url or "&sha256=" in self.url


@dataclass
class RequirementsFile:
    """What a requirements file (and what it includes) declares."""

    path: Path
    dependencies: list[Dependency] = field(default_factory=list)
    require_hashes: bool = False
    problems: list[str] = field(default_factory=list)  # unreadable includes, loops, limits

    @property
    def uses_hashes(self) -> bool:
        return self.require_hashes or any(d.hashes for d in self.dependencies if not d.constraint)

    def constraint_pins(self) -> set[str]:
        return {d.name for d in self.dependencies if d.constraint and d.name and d.pinned_version}


def logical_lines(text: str) -> Iterator[tuple[int, str, str]]:
    """(first line number, joined line, its comments): `\\` continuations joined, comments split off.

    The comments are kept apart because `# nbsec: ignore[...]` lives there.
    """
    buffer: list[str] = []
    comments: list[str] = []
    start = 0
    for number, physical in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        match = _COMMENT.search(physical)
        code = physical[: match.start()] if match else physical
        if match:
            comments.append(match.group(0).strip())
        if code.endswith("\\"):
            buffer.append(code[:-1])
            continue
        buffer.append(code)
        line = " ".join(part.strip() for part in buffer).strip()
        comment = " ".join(comments)
        buffer, comments = [], []
        if line:
            yield start, line, comment
    line = " ".join(part.strip() for part in buffer).strip()
    if line:
        yield start, line, " ".join(comments)


def parse_requirement(text: str, path: Path, line: int, *, constraint: bool = False) -> Dependency | None:
    """One requirement (without -r/-c), or None for an option line nbsec does not judge."""
    editable = False
    match = re.match(r"^(-e|--editable)(?:\s*=\s*|\s+)(.*)$", text)
    if match:
        editable, text_spec = True, match.group(2)
    else:
        text_spec = text
    if text_spec.startswith("-"):
        return None  # an option line (index URLs, --pre, ...) nbsec does not judge
    # pip's own split: the requirement is every word before the first one that starts with "-",
    # so markers keep their quotes and `--hash` options are what follows.
    words = text_spec.split()
    first_option = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    spec = " ".join(words[:first_option])
    hashes = tuple(_HASH.findall(" ".join(words[first_option:])))
    if not spec:
        return None
    base = Dependency(path, line, text, None, hashes=hashes, editable=editable, constraint=constraint)
    target = spec.partition(";")[0].strip()
    if target.startswith((".", "/", "~")) or target.endswith(_ARCHIVES):
        return replace(base, url=target, local="://" not in target)
    try:
        req = Requirement(spec)  # names, specifiers, markers and PEP 508 `name @ url`
    except InvalidRequirement:
        if _VCS.match(target) or "://" in target:
            egg = _EGG.search(target)
            name = normalize_name(egg.group(1)) if egg else None
            return replace(base, name=name, url=target, marker=spec.partition(";")[2].strip())
        return replace(base, url=target)  # unreadable: judged as unpinned
    return replace(
        base,
        name=normalize_name(req.name),
        specifier=str(req.specifier),
        marker=str(req.marker) if req.marker else "",
        url=req.url or "",
    )


def parse_requirements_file(path: Path) -> RequirementsFile:
    """Read a requirements file and, bounded, what it includes with -r and -c."""
    result = RequirementsFile(path)
    seen: set[Path] = set()
    _read(path, result, seen, depth=0, constraint=False)
    return result


def _read(path: Path, result: RequirementsFile, seen: set[Path], depth: int, constraint: bool) -> None:
    resolved = path.resolve()
    if resolved in seen:
        result.problems.append(f"{path}: already read (an include loop or a repeated -r); read once")
        return
    if len(seen) >= MAX_FILES:
        result.problems.append(f"{path}: not read, over {MAX_FILES} included files")
        return
    seen.add(resolved)
    try:
        if path.stat().st_size > MAX_BYTES:
            result.problems.append(f"{path}: over {MAX_BYTES:,} bytes; not read")
            return
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        result.problems.append(f"{path}: cannot read ({exc.strerror or exc})")
        return
    for number, line, comment in logical_lines(text):
        include = _INCLUDE_RE.match(line)
        if include is not None:
            if depth >= MAX_INCLUDE_DEPTH:
                result.problems.append(f"{path}:{number}: include deeper than {MAX_INCLUDE_DEPTH} levels; not read")
                continue
            is_constraint = include.group("opt") in ("-c", "--constraint")
            _read(path.parent / include.group("target"), result, seen, depth + 1, constraint or is_constraint)
        elif line.split()[0] == "--require-hashes":
            result.require_hashes = True
        else:
            dep = parse_requirement(line, path, number, constraint=constraint)
            if dep is not None:
                result.dependencies.append(replace(dep, comment=comment))


def load_toml(path: Path) -> tuple[str, dict[str, Any]] | None:
    """(text, data) of a TOML file, or None when it cannot be read or parsed."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]
    try:
        text = path.read_text(encoding="utf-8")
        return text, tomllib.loads(text)
    except (OSError, ValueError):  # TOMLDecodeError is a ValueError
        return None


def pyproject_dependencies(path: Path) -> list[Dependency]:
    """[project] dependencies, optional-dependencies and [dependency-groups], with their line numbers."""
    loaded = load_toml(path)
    if loaded is None:
        return []
    text, data = loaded
    project = data["project"] if isinstance(data.get("project"), dict) else {}
    specs: list[str] = [s for s in project.get("dependencies") or [] if isinstance(s, str)]
    for group in (project.get("optional-dependencies") or {}).values():
        specs.extend(s for s in group if isinstance(s, str))
    groups = data.get("dependency-groups")
    for group in groups.values() if isinstance(groups, dict) else ():
        specs.extend(s for s in group if isinstance(s, str))  # include-group tables are skipped
    lines = text.splitlines()
    out = []
    for spec in specs:
        number = next((i for i, ln in enumerate(lines, start=1) if f'"{spec}"' in ln or f"'{spec}'" in ln), 0)
        dep = parse_requirement(spec, path, number)
        if dep is not None:
            out.append(dep)
    return out


def project_name(path: Path) -> str | None:
    """[project].name of a pyproject.toml: a notebook importing its own project is not undeclared."""
    loaded = load_toml(path)
    if loaded is None:
        return None
    data = loaded[1]
    name = data.get("project", {}).get("name") if isinstance(data.get("project"), dict) else None
    return normalize_name(name) if isinstance(name, str) else None
