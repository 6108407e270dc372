"""`nbsec fix` for requirements: pinned to the installed or the first fixed version, one line at a time.

Files are written by each test; the advisories are nbsec's bundled offline data (torch 2.5.1 and PyYAML 5.3
have published fixes in it). After the Change's bytes are written the re-scan no longer reports the finding,
and the diff holds only the pinned lines: comments, markers, extras, options and line order stay.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.metadata
import sys
from pathlib import Path

import pytest

from nbsec import api
from nbsec.fix.base import Change, FixContext, Refusal
from nbsec.fix.requirements import HASH_NOTE, INSTALLED_NOTE, fix_requirements
from nbsec.model import Finding

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

PINS = ("NBSEC-DEP-001", "NBSEC-DEP-002")
YAML = importlib.metadata.version("PyYAML")  # installed: nbsec depends on it
CLICK = importlib.metadata.version("click")


@pytest.fixture(autouse=True)
def _bundled_advisories_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The developer's own `nbsec db update` store must not change which version is "first fixed"."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def findings_of(path: Path) -> tuple[Finding, ...]:
    return tuple(f for f in api.scan([path]).findings if f.rule_id in PINS)


def run_fixer(path: Path, findings: tuple[Finding, ...] | None = None) -> tuple[list[Change], list[Refusal]]:
    found = findings_of(path) if findings is None else findings
    return fix_requirements(FixContext(path.parent, path, path.read_bytes(), found))


def changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


REQUIREMENTS = """\
# the ML stack
PyYAML>=5  # configs
torch==2.5.1 ; python_version >= "3.8"
requests[socks] == 2.30.0  # http, pinned by ops
surely-not-installed-pkg>=1
git+https://github.com/example/tool@main#egg=tool
pyyaml[c]==5.3 \\
    # continued
"""


def test_each_line_is_pinned_and_everything_else_stays(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(REQUIREMENTS, encoding="utf-8")
    changes, refusals = run_fixer(path)
    [change] = changes
    assert change.kind == "text" and change.before == path.read_bytes()
    assert changed_lines(change.before or b"", change.after) == [
        "-PyYAML>=5  # configs",
        '-torch==2.5.1 ; python_version >= "3.8"',
        "-requests[socks] == 2.30.0  # http, pinned by ops",
        f"+PyYAML=={YAML}  # configs",
        '+torch==2.6.0 ; python_version >= "3.8"',
        "+requests[socks] == 2.31.0  # http, pinned by ops",
        "-pyyaml[c]==5.3 \\",
        "+pyyaml[c]==5.4 \\",
    ]
    assert "line 7: pyyaml ==5.3 -> ==5.4 (first release fixing PYSEC-2020-96, PYSEC-2021-142)" in change.summary
    # The file uses no --hash: none is added (pip would then demand one on every line), so no hash note.
    assert change.notes == (INSTALLED_NOTE.format(python=sys.executable),)
    reasons = {r.finding.location.line: r.reason for r in refusals}
    assert reasons == {
        5: "surely-not-installed-pkg is not installed here: pin it by hand",
        6: "a VCS requirement: pin it by hand to a full commit hash (git+https://...@<40-hex sha>) "
        "or a URL with #sha256=",
    }
    path.write_bytes(change.after)
    assert sorted(f.location.line or 0 for f in findings_of(path)) == [5, 6]


def test_a_range_the_installed_version_does_not_satisfy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements-dev.txt"
    path.write_text("pyyaml<5\nPyYAML>=5 ; sys_platform == 'nonexistent'\n", encoding="utf-8")
    changes, refusals = run_fixer(path)
    assert changes == []
    assert "outside <5" in refusals[0].reason and "does not apply" in refusals[1].reason


def test_a_hashed_file_gets_hashes_of_the_files_at_hand_and_refuses_stale_ones(tmp_path: Path) -> None:
    wheel = tmp_path / "wheelhouse" / f"pyyaml-{YAML}-cp311-cp311-manylinux_2_17_x86_64.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"not really a wheel, but its bytes are what pip would hash")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    path = tmp_path / "requirements.txt"
    path.write_text(f"pyyaml  # configs\ntorch==2.5.1 --hash=sha256:{'a' * 64}\nclick>=8\n", encoding="utf-8")
    changes, refusals = run_fixer(path)
    [change] = changes
    assert changed_lines(change.before or b"", change.after) == [
        "-pyyaml  # configs",
        f"+pyyaml=={YAML} --hash=sha256:{digest}  # configs",
        "-click>=8",
        f"+click=={CLICK}",
    ]
    assert HASH_NOTE in change.notes  # click: pinned, but no wheel at hand to hash
    torch_refusal = next(r for r in refusals if r.finding.location.line == 2)
    assert "--hash values" in torch_refusal.reason and "pip-compile --generate-hashes" in torch_refusal.reason


def test_pyproject_dependency_strings_change_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    text = """\
[project]
name = "demo"
dependencies = [
  "torch==2.5.1",  # pinned for CUDA 12
  'pyyaml==5.3; python_version >= "3.9"',
  "numpy>=1",
]

[project.optional-dependencies]
tools = ["requests[socks]==2.30.0"]

[tool.other]
keep = "torch==2.5.1"
"""
    path.write_text(text, encoding="utf-8")
    assert len(findings_of(path)) >= 3
    changes, refusals = run_fixer(path)
    [change] = changes
    assert refusals == []
    assert changed_lines(change.before or b"", change.after) == [
        '-  "torch==2.5.1",  # pinned for CUDA 12',
        "-  'pyyaml==5.3; python_version >= \"3.9\"',",
        '+  "torch==2.6.0",  # pinned for CUDA 12',
        "+  'pyyaml==5.4; python_version >= \"3.9\"',",
        '-tools = ["requests[socks]==2.30.0"]',
        '+tools = ["requests[socks]==2.31.0"]',
    ]
    data = tomllib.loads(change.after.decode())
    assert data["tool"]["other"]["keep"] == "torch==2.5.1"
    path.write_bytes(change.after)
    assert findings_of(path) == ()


def test_a_vcs_dependency_in_pyproject_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\ndependencies = ["tool @ git+https://github.com/e/tool@main"]\n')
    changes, refusals = run_fixer(path)
    assert changes == [] and "full commit hash" in refusals[0].reason


def test_a_file_edited_after_the_scan_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("torch==2.5.1\n", encoding="utf-8")
    found = findings_of(path)
    path.write_text("# moved\ntorch==2.5.1\n", encoding="utf-8")
    changes, refusals = run_fixer(path, found)
    assert changes == [] and "changed since it was scanned" in refusals[0].reason


def test_through_nbsec_fix(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("numpy>=1\ntorch==2.5.1  # gpu\n", encoding="utf-8")
    report = api.fix([tmp_path], rules=["NBSEC-DEP-001"], apply=True, backup=False)
    assert report.fixes is not None and len(report.fixes.changes) == 1
    assert path.read_text(encoding="utf-8") == "numpy>=1\ntorch==2.6.0  # gpu\n"
