"""Unpinned or vulnerable requirements pinned, as a careful text edit of the one line.

    torch>=2  # ml                       -> torch==2.6.0  # ml          (NBSEC-DEP-002: the installed version)
    pyyaml[c]==5.3 ; python_version<"3.11"  -> pyyaml[c]==5.4 ; python_version<"3.11"   (NBSEC-DEP-001)
    "torch==2.5.1",   in pyproject.toml   -> "torch==2.6.0",            (NBSEC-DEP-001)

Only the version specifier of the requirement the finding points at changes: its name as written, extras,
environment marker, options, comment, line ending and the order of lines stay. The line is read with the
scanner's own parser (nbsec.supply_chain.requirements) and the result is read again to check it says
what was meant; a pyproject.toml is parsed with tomllib before and after, and refused unless the only
difference is that dependency string.

- NBSEC-DEP-002 (requirements*.txt): the version installed in the environment nbsec runs in
  (`importlib.metadata`), when it satisfies the line's range and its marker applies here, and has no
  known advisory (a pin that trades DEP-002 for DEP-001 is no fix). URL/VCS requirements are refused:
  they are pinned to a commit hash, by hand. (In pyproject.toml DEP-002 reports only those.)
- NBSEC-DEP-001: the first release that every advisory matching the pinned version calls fixed (checked
  against the database again: a fix of one advisory may sit in the range of another); refused when an
  advisory has no fixed release.
- Hashes: `--hash=sha256:...` is added only for distribution files at hand (wheelhouse/, wheels/, dist/
  beside the file or at the scanned root), hashed here. A line that already carries hashes is refused when
  its version changes (those hashes name the old files): regenerate them with pip-compile.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbsec.fix.base import Change, FixContext, FixerSpec, FixResult, Refusal
from nbsec.model import Finding

VULNERABLE, UNPINNED = "NBSEC-DEP-001", "NBSEC-DEP-002"
WHEEL_FOLDERS = ("wheelhouse", "wheels", "dist")
MAX_FILES_LISTED = 2000
MAX_ROUNDS = 10  # re-checks of a candidate fixed version against the advisories
HASH_NOTE = (
    "the file uses --hash, but no distribution files are at hand to hash, so the pinned line has none (pip's "
    "hash-checking mode will refuse it): generate hashes with "
    "`pip-compile --generate-hashes` (or `uv pip compile --generate-hashes`)"
)
INSTALLED_NOTE = (
    "unpinned requirements were pinned to the versions installed where nbsec runs ({python}): "
    "check that is the environment this project runs in"
)
_SPEC_END = re.compile(r";|\s+-|\s*\\$|$")  # a marker, an option, a continuation, or the end


class Refused(Exception):
    """The line is not pinned; the message is the reason."""


@dataclass(frozen=True)
class Pin:
    version: str
    why: str  # "the installed version", "the first release fixing GHSA-..."


def fix_requirements(ctx: FixContext) -> FixResult:
    """Pin each finding's requirement; one Change for the file, a Refusal (with why) for each of the rest."""
    try:
        text = ctx.content.decode("utf-8")
    except UnicodeDecodeError:
        return [], [
            Refusal(f, "the file is not UTF-8 text; nbsec edits only what it can read exactly") for f in ctx.findings
        ]
    by_line: dict[int, list[Finding]] = {}
    refusals: list[Refusal] = []
    for finding in ctx.findings:
        line = finding.location.line
        if (
            line is None
            or finding.rule_id not in (VULNERABLE, UNPINNED)
            or Path(finding.location.path).name != ctx.path.name
        ):
            refusals.append(Refusal(finding, "the finding points at no line of this file (an included file?)"))
            continue
        by_line.setdefault(line, []).append(finding)
    pyproject = ctx.path.name == "pyproject.toml"
    lines = text.splitlines(keepends=True)
    done: list[tuple[list[Finding], str, str]] = []
    notes: list[str] = []
    for number, findings in sorted(by_line.items()):
        try:
            if pyproject:
                lines, summary = _pin_pyproject(lines, number, findings)
            else:
                lines, summary, extra = _pin_requirement(ctx, lines, number, findings)
                notes += extra
        except Refused as exc:
            refusals += [Refusal(f, str(exc)) for f in findings]
            continue
        done.append((findings, summary, ""))
    if not done:
        return [], refusals
    after = "".join(lines)
    if pyproject:
        problem = _toml_difference(text, after)
        if problem:
            return [], refusals + [Refusal(f, f"{problem}; not changed") for fs, _, _ in done for f in fs]
    shown = ctx.shown
    summaries = [s for _, s, _ in done]
    fixed = [f for fs, _, _ in done for f in fs]
    change = Change(
        path=ctx.path,
        kind="text",
        after=after.encode("utf-8"),
        before=ctx.content,
        summary=f"{shown}: " + "; ".join(summaries),
        fixes=tuple(f.fingerprint for f in fixed),
        rule_ids=tuple(dict.fromkeys(f.rule_id for f in fixed)),
        notes=tuple(dict.fromkeys(notes)),
    )
    return [change], refusals


# -- requirements*.txt ------------------------------------------------------------------------------


def _pin_requirement(
    ctx: FixContext, lines: list[str], number: int, findings: list[Finding]
) -> tuple[list[str], str, list[str]]:
    """(the lines with line `number` pinned, a summary, notes: where the version came from, hashes)."""
    from nbsec.supply_chain.requirements import logical_lines, parse_requirement

    logical = next((line for start, line, _ in logical_lines("".join(lines)) if start == number), None)
    if logical is None or number > len(lines):
        raise Refused("no requirement starts on this line: the file changed since it was scanned? scan it again")
    dep = parse_requirement(logical, ctx.path, number)
    if dep is None or dep.name is None:
        raise Refused("not a requirement nbsec can pin (an option line, or a path)")
    if dep.url or dep.editable:
        kind = "a VCS" if dep.vcs else "a URL" if not dep.editable else "an editable"
        raise Refused(
            f"{kind} requirement: pin it by hand to a full commit hash (git+https://...@<40-hex sha>) "
            "or a URL with #sha256="
        )
    rules = {f.rule_id for f in findings}
    if rules == {UNPINNED}:
        pin = _installed_pin(dep.name, dep.specifier, dep.marker)
    elif rules == {VULNERABLE} and dep.pinned_version:
        pin = _fixed_pin(dep.name, dep.pinned_version)
    else:
        raise Refused("the line no longer says what was scanned (pinned or not): scan it again")
    if dep.hashes:
        raise Refused(
            f"the line carries --hash values of {dep.name}'s current files, which a new version does not match: "
            "regenerate the file with `pip-compile --generate-hashes`"
        )
    physical = lines[number - 1]
    # pip's hash-checking mode is all or nothing: hashes go only into a file that already uses them.
    hashed = _uses_hashes("".join(lines))
    hashes = _hashes_at_hand(ctx, dep.name, pin.version) if hashed else ()
    edited = _replace_specifier(physical, pin.version, hashes)
    check = parse_requirement(_joined(lines, number, edited), ctx.path, number)
    if check is None or check.name != dep.name or check.pinned_version != pin.version or check.marker != dep.marker:
        raise Refused("the edited line does not read back as the pin (an unusual layout); pin it by hand")
    lines = [*lines[: number - 1], edited, *lines[number:]]
    old = dep.specifier or "any version"
    summary = f"line {number}: {dep.name} {old} -> =={pin.version} ({pin.why})"
    notes = [HASH_NOTE] if hashed and not hashes else []
    if rules == {UNPINNED}:
        notes.append(INSTALLED_NOTE.format(python=sys.executable))
    return lines, summary, notes


def _uses_hashes(text: str) -> bool:
    from nbsec.supply_chain.requirements import logical_lines

    return any("--hash" in line or line.split()[0] == "--require-hashes" for _, line, _ in logical_lines(text))


def _joined(lines: list[str], number: int, edited: str) -> str:
    """The logical line starting at `number`, with its first physical line replaced (for the read-back check)."""
    from nbsec.supply_chain.requirements import logical_lines

    text = "".join([*lines[: number - 1], edited, *lines[number:]])
    return next(line for start, line, _ in logical_lines(text) if start == number)


def _replace_specifier(physical: str, version: str, hashes: tuple[str, ...]) -> str:
    """`name[extras] <spec> ; marker --opts  # comment` with <spec> replaced by `==version` (and hashes added)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    body = physical.rstrip("\r\n")
    ending = physical[len(body) :]
    comment = re.search(r"(^|\s+)#.*$", body)
    code, tail = (body[: comment.start()], body[comment.start() :]) if comment else (body, "")
    continued = code.rstrip().endswith("\\")
    name = re.match(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*(\s*\[[^\]]*\])?", code)
    if name is None:
        raise Refused("the requirement's name is not at the start of its line; pin it by hand")
    rest = code[name.end() :]
    end = _SPEC_END.search(rest)
    stop = end.start() if end else len(rest)
    spec = rest[:stop]
    try:
        SpecifierSet(spec.strip())
    except InvalidSpecifier:
        raise Refused("the version range is not on the requirement's first line; pin it by hand") from None
    lead = spec[: len(spec) - len(spec.lstrip())] if spec.strip() else ""
    trail = spec[len(spec.rstrip()) :] if spec.strip() else ""
    exact = re.fullmatch(r"(\s*===?\s*)[^\s,]+(\s*)", spec)
    pinned = f"{exact.group(1)}{version}{exact.group(2)}" if exact else f"{lead}=={version}{trail}"
    after = rest[stop:]
    added = "".join(f" --hash={h}" for h in hashes)
    if added and continued:
        raise Refused("the line continues on the next one; add hashes by hand")
    if added:
        after = after.rstrip() + added + after[len(after.rstrip()) :]
    return code[: name.end()] + pinned + after + tail + ending


# -- the version to pin -----------------------------------------------------------------------------


def _installed_pin(name: str, specifier: str, marker: str) -> Pin:
    import importlib.metadata

    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

    if marker and not Marker(marker).evaluate():
        raise Refused(
            f"its marker ({marker}) does not apply to this Python, so nbsec cannot see the version: pin it by hand"
        )
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        raise Refused(f"{name} is not installed here: pin it by hand") from None
    if specifier and not SpecifierSet(specifier).contains(version, prereleases=True):
        raise Refused(
            f"the installed {name} {version} is outside {specifier}: install a version in range, then fix again"
        )
    matches = _database().matches(name, version)
    if matches:
        ids = ", ".join(m.advisory.id for m in matches[:3])
        raise Refused(f"the installed {name} {version} has known advisories ({ids}): upgrade it, then fix again")
    where = "the installed version" if sys.prefix == sys.base_prefix else f"the version in {Path(sys.prefix).name}"
    return Pin(version, where)


def _fixed_pin(name: str, version: str) -> Pin:
    from packaging.version import Version

    from nbsec.supply_chain.osv import parse_version

    db = _database()
    current = version
    ids: list[str] = []
    for _ in range(MAX_ROUNDS):
        matches = db.matches(name, current)
        if not matches:
            break
        unfixed = [m.advisory.id for m in matches if not m.fixed]
        if unfixed:
            raise Refused(f"no fixed release of {name} is published for {', '.join(unfixed)}: remove or isolate it")
        ids += [m.advisory.id for m in matches]
        current = max((m.fixed for m in matches if m.fixed), key=lambda v: parse_version(v) or Version("0"))
    else:
        raise Refused(f"no release of {name} clears every advisory within {MAX_ROUNDS} steps; pin it by hand")
    if current == version:
        raise Refused(f"{name} {version} has no advisory any more: scan it again")
    return Pin(current, "first release fixing " + ", ".join(dict.fromkeys(ids)))


def _database() -> Any:
    from nbsec.supply_chain.store import load_database

    return load_database()


def _hashes_at_hand(ctx: FixContext, name: str, version: str) -> tuple[str, ...]:
    """sha256 of the wheels/sdists of name==version in wheelhouse/, wheels/ or dist/ beside the file or at the root."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import Version

    top = ctx.root if ctx.root.is_dir() else ctx.root.parent
    folders = dict.fromkeys(base / sub for base in (ctx.path.parent, top) for sub in WHEEL_FOLDERS)
    wanted = (canonicalize_name(name), Version(version))
    found: list[str] = []
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        for count, path in enumerate(sorted(folder.iterdir())):
            if count >= MAX_FILES_LISTED:
                break
            try:
                if path.name.endswith(".whl"):
                    parsed = parse_wheel_filename(path.name)[:2]
                elif path.name.endswith((".tar.gz", ".zip")):
                    parsed = parse_sdist_filename(path.name)
                else:
                    continue
            except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
                continue
            if (parsed[0], parsed[1]) == wanted and path.is_file() and not path.is_symlink():
                found.append("sha256:" + hashlib.sha256(path.read_bytes()).hexdigest())
    return tuple(dict.fromkeys(found))


# -- pyproject.toml ---------------------------------------------------------------------------------


def _pin_pyproject(lines: list[str], number: int, findings: list[Finding]) -> tuple[list[str], str]:
    """Change the quoted dependency string on line `number` ("torch==2.5.1" -> "torch==2.6.0")."""
    from nbsec.supply_chain.requirements import parse_requirement

    if {f.rule_id for f in findings} != {VULNERABLE}:
        raise Refused(
            "a VCS or URL dependency in pyproject.toml: pin it by hand to a full commit hash "
            "(git+https://...@<40-hex sha>) or a URL with #sha256="
        )
    if number > len(lines):
        raise Refused("the file changed since it was scanned: scan it again")
    line = lines[number - 1]
    strings = re.findall(r"\"((?:[^\"\\]|\\.)*)\"|'([^']*)'", line)
    for double, single in strings:
        spec = double or single
        dep = parse_requirement(spec, Path("pyproject.toml"), number)
        if dep is None or dep.name is None or not dep.pinned_version or dep.url:
            continue
        pin = _fixed_pin(dep.name, dep.pinned_version)
        new_spec = _replace_specifier(spec, pin.version, ())
        quote = '"' if double else "'"
        old, new = f"{quote}{spec}{quote}", f"{quote}{new_spec}{quote}"
        if line.count(old) != 1:
            continue
        return [*lines[: number - 1], line.replace(old, new), *lines[number:]], (
            f"line {number}: {dep.name} =={dep.pinned_version} -> =={pin.version} ({pin.why})"
        )
    raise Refused("no pinned dependency string on this line: the file changed since it was scanned? scan it again")


def _toml_difference(before: str, after: str) -> str | None:
    """None when the two TOML texts parse and differ only in strings of dependency arrays, else what is wrong."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]
    try:
        old, new = tomllib.loads(before), tomllib.loads(after)
    except ValueError as exc:
        return f"the edited pyproject.toml does not parse ({exc})"
    changed: list[str] = []
    _diff(old, new, "", changed)
    allowed = ("project.dependencies", "project.optional-dependencies.", "dependency-groups.")
    odd = [c for c in changed if not c.startswith(allowed)]
    return f"the edit changed more than a dependency string ({', '.join(odd[:3])})" if odd else None


def _diff(old: Any, new: Any, where: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old.keys() | new.keys():
            _diff(old.get(key), new.get(key), f"{where}.{key}" if where else str(key), out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for a, b in zip(old, new, strict=True):
            _diff(a, b, where, out)
    elif old != new:
        out.append(where if isinstance(old, str) and isinstance(new, str) else f"the structure of {where}")


FIXERS: tuple[FixerSpec, ...] = (
    FixerSpec(
        name="requirements-pin",
        rule_ids=(VULNERABLE, UNPINNED),
        describe="pins the requirement: the installed version (unpinned) or the first fixed version (vulnerable)",
        fix=fix_requirements,
    ),
)
