"""`nbsec fix` on the command line, end to end on the demo workspace, with the real fixers.

What the user relies on: the dry run shows every fix as a diff and writes nothing; `--apply` then `nbsec scan`
leaves no finding that has a fixer (or lists it as refused, with why); the notebooks are still valid nbformat
and their JSON style is kept (a small `git diff`); Python files still parse; SARIF with fixes validates and its
replacements turn the file into what --apply wrote; and no planted secret appears in any output: console, JSON,
SARIF, HTML, diffs, backup names.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli import invoke

from nbsec.demo import FAKE_AWS_KEY_ID, FAKE_DB_URL, FAKE_OPENAI_KEY, build_demo
from nbsec.fix import load_fixers
from nbsec.fix.diff import apply_edits
from nbsec.model import TextEdit

DATA = Path(__file__).resolve().parents[1] / "data"
SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
# The raw values the demo plants (nbsec/demo/__init__.py): credentials, the password inside the URL, the people.
DB_PASSWORD = FAKE_DB_URL.split("admin:", 1)[1].split("@", 1)[0]
PLANTED = (
    FAKE_OPENAI_KEY,
    FAKE_AWS_KEY_ID,
    FAKE_DB_URL,
    DB_PASSWORD,
    "ada.brightwater@fjordmail.io",
    "t.quill@northwind-post.net",
    "mina.okafor@kestrel-mail.org",
    "+44 20 7946 0958",
    "+1 415 555 0142",
    "+49 30 901820 77",
)


def _no_planted_value(text: str, where: str) -> None:
    for value in PLANTED:
        assert value not in text, f"a planted value ({value[:3]}…) reached {where}"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    build_demo(tmp_path / "demo")
    return tmp_path / "demo"


def test_help_teaches_with_examples() -> None:
    result = invoke("fix", "--help")
    assert result.exit_code == 0
    for text in ("Examples:", "nbsec fix notebooks/ --apply", "--rule", "--no-backup", "--outputs", "Exit codes:"):
        assert text in result.output


def test_dry_run_and_apply_together_is_a_usage_error(demo: Path) -> None:
    result = invoke("fix", "demo", "--dry-run", "--apply")
    assert result.exit_code == 2 and "cannot be used together" in result.stderr


def test_the_dry_run_shows_diffs_writes_nothing_and_exits_1(demo: Path) -> None:
    before = _files(demo)
    result = invoke("fix", "demo")
    assert result.exit_code == 1  # fixable findings are there
    assert _files(demo) == before
    assert "PLANNED" in result.stdout and "--- a/demo/demo.ipynb" in result.stdout
    assert '+OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]' in result.stdout
    assert "dry run: nothing written; add --apply to write" in result.stdout
    _no_planted_value(result.stdout + result.stderr, "the dry run's console output")


def test_a_rule_scope_fixes_only_that_rule(demo: Path) -> None:
    result = invoke("fix", "demo", "--rule", "NBSEC-NB-003", "--apply", "-f", "json")
    report = json.loads(result.stdout)
    assert {c["status"] for c in report["fixes"]["changes"]} == {"applied"}
    assert {r for c in report["fixes"]["changes"] for r in c["rule_ids"]} == {"NBSEC-NB-003"}
    text = (demo / "demo.ipynb").read_text()
    assert 'yaml.safe_load(open(\\"config.yaml\\"))' in text and FAKE_OPENAI_KEY in text  # the rest untouched
    assert result.exit_code == 0  # nothing of NBSEC-NB-003 left


def test_the_demo_end_to_end(demo: Path, tmp_path: Path) -> None:
    fixable = set(load_fixers())
    original = _files(demo)
    # 1. The fixes as SARIF: valid 2.1.0, every fixable result carries its fix, no secret.
    sarif_run = invoke("fix", "demo", "-f", "sarif", "-o", "fixes.sarif")
    sarif_text = (tmp_path / "fixes.sarif").read_text(encoding="utf-8")
    _no_planted_value(sarif_text + sarif_run.stderr, "the SARIF")
    log = json.loads(sarif_text)
    errors = list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log))
    assert errors == [], errors[0].message
    results = log["runs"][0]["results"]
    with_fixes = [r for r in results if r.get("fixes")]
    assert with_fixes and all(r["ruleId"] in fixable for r in with_fixes)
    # 2. Apply, with every format written, and the console shown.
    applied = invoke("fix", "demo", "--apply", "-f", "console,json,html,sarif,md,junit", "-o", "out/")
    outputs = [applied.stdout, applied.stderr] + [p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir()]
    for text in outputs:
        _no_planted_value(text, "an --apply output")
    report = json.loads((tmp_path / "out" / "nbsec-report.json").read_text())
    fixes = report["fixes"]
    assert fixes["mode"] == "apply" and fixes["backups"]
    assert all(c["status"] == "applied" for c in fixes["changes"]), [c for c in fixes["changes"] if c["reason"]]
    # 3. The re-scan: every finding whose rule has a fixer is gone, or listed as remaining with why.
    remaining = {(o["finding"]["fingerprint"], o["reason"]) for o in fixes["outcomes"] if o["status"] == "remains"}
    scan = json.loads(invoke("scan", "demo", "-f", "json").stdout)
    for finding in scan["findings"]:
        if finding["rule_id"] in fixable:
            reasons = [r for fp, r in remaining if fp == finding["fingerprint"]]
            assert reasons and reasons[0].startswith("refused"), finding
    assert {o["finding"]["rule_id"] for o in fixes["outcomes"] if o["status"] == "fixed"} >= {
        "NBSEC-NB-001",
        "NBSEC-NB-003",
        "NBSEC-NB-004",
        "NBSEC-NB-010",
        "NBSEC-NB-011",
        "NBSEC-PRIV-001",
    }
    assert applied.exit_code == (1 if any(r.startswith("refused") for _, r in remaining) else 0)
    # 4. Files still whole: notebooks valid and in their own JSON style, Python parses.
    import nbformat

    for path in demo.rglob("*.ipynb"):
        if ".nbsec" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        nbformat.validate(nbformat.reads(text, as_version=4))
        assert json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n" == text
        old = original[path.relative_to(demo).as_posix()].decode().splitlines()
        changed = [line for line in difflib.unified_diff(old, text.splitlines(), n=0) if line[:1] in "+-"]
        assert len(changed) < 40, "a careful edit touches few lines of the notebook JSON"
    for path in demo.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"))
    # 5. The SARIF replacements say what --apply wrote (applied to the original files).
    _check_sarif_fixes(with_fixes, original, demo)
    # 6. No planted value in any file nbsec wrote outside the backups, nor in a backup's name.
    backups = demo / ".nbsec" / "backups"
    for name, content in _files(demo).items():
        if name.startswith(".nbsec/backups/"):
            _no_planted_value(name, "a backup's name")
        elif name not in original or original[name] != content:
            _no_planted_value(content.decode("utf-8", "replace"), f"{name} as nbsec fix wrote it")
    assert (backups / ".gitignore").read_text().splitlines()[-1] == "*"
    assert {p.name for p in backups.glob("*/*") if p.name != "MANIFEST.json"} == {"demo.ipynb"}


def _check_sarif_fixes(results: list[dict[str, Any]], original: dict[str, bytes], demo: Path) -> None:
    """The last fix of each file, applied to the file as it was, gives the file --apply wrote."""
    last: dict[str, list[TextEdit]] = {}
    for result in results:
        for fix in result["fixes"]:
            for change in fix["artifactChanges"]:
                uri = change["artifactLocation"]["uri"]
                edits = [
                    TextEdit(
                        r["deletedRegion"]["startLine"],
                        r["deletedRegion"]["startColumn"],
                        r["deletedRegion"]["endLine"],
                        r["deletedRegion"]["endColumn"],
                        r["insertedContent"]["text"],
                    )
                    for r in change["replacements"]
                ]
                if len(edits) >= len(last.get(uri, [])):
                    last[uri] = edits
    assert last
    for uri, edits in last.items():
        name = uri.removeprefix("demo/")
        before = original.get(name, b"").decode("utf-8")
        assert apply_edits(before, edits) == (demo / name).read_text(encoding="utf-8"), uri


def test_backups_are_ignored_by_git(demo: Path) -> None:
    git = shutil.which("git")
    assert git is not None, "git is needed for this test (CI clones the repository with it)"
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(demo.parent)}
    subprocess.run([git, "init", "-q", str(demo)], check=True, env=env)
    invoke("fix", "demo", "--apply", "-q")
    status = subprocess.run(
        [git, "-C", str(demo), "status", "--porcelain", "--untracked-files=all"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    assert ".nbsec/backups" not in status and "demo.ipynb" in status


def test_quiet_prints_the_summary_lines(demo: Path) -> None:
    result = invoke("fix", "demo", "-q")
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and "findings" in lines[0] and "fixable" in lines[1]


def test_scan_verbose_and_the_html_report_say_fixable_and_how(demo: Path, tmp_path: Path) -> None:
    console = invoke("scan", "demo", "-v")
    assert "fixable: nbsec fix demo/demo.ipynb --rule NBSEC-NB-010" in console.stdout
    invoke("scan", "demo", "-f", "html", "-o", "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "nbsec-fixable" in html and "nbsec fix demo/demo.ipynb --rule NBSEC-NB-011" in html
    _no_planted_value(html, "the HTML report")


def test_rules_and_explain_say_whether_a_rule_has_a_fixer() -> None:
    table = invoke("rules").stdout.splitlines()
    row = next(line for line in table if line.startswith("NBSEC-NB-011"))
    assert "  yes  " in row
    assert "  -    " in next(line for line in table if line.startswith("NBSEC-NB-005"))
    as_json = {r["id"]: r["fix"] for r in json.loads(invoke("rules", "-f", "json").stdout)}
    assert as_json["NBSEC-NB-005"] is None and as_json["NBSEC-NB-011"]
    assert "Automatic fix" in invoke("explain", "NBSEC-NB-001").stdout
    assert "nbsec fix PATH --rule NBSEC-NB-001" in invoke("explain", "NBSEC-NB-001").stdout
    assert "none: nbsec fix has no fixer" in invoke("explain", "NBSEC-NB-005").stdout


def test_exit_codes_follow_what_remains_fixable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fix_helpers import ENV_FIXER, use_fixers, write_app

    use_fixers(monkeypatch, ENV_FIXER)
    write_app(tmp_path / "proj")
    (tmp_path / "proj" / "load.py").write_text("import pickle\npickle.load(open('m.pkl', 'rb'))\n")  # no fixer
    assert invoke("fix", "proj", "-q").exit_code == 1  # dry run: fixable findings are still there
    assert invoke("fix", "proj", "-q", "--fail-on", "never").exit_code == 0
    assert invoke("fix", "proj", "-q", "--rule", "NBSEC-NB-002").exit_code == 0  # in scope: nothing fixable
    applied = invoke("fix", "proj", "--apply", "-q")
    assert applied.exit_code == 0, applied.stdout  # all applied and confirmed; the pickle.load has no fixer
    assert "2 findings fixed" in applied.stdout
    (tmp_path / "proj" / "more.py").write_text(f'TOKEN = "{FAKE_OPENAI_KEY}"  # left over\n')
    refused = invoke("fix", "proj", "--apply", "-q")  # the test fixer refuses a line with a comment after it
    assert refused.exit_code == 1 and "1 remain" in refused.stdout
    _no_planted_value(refused.stdout + refused.stderr, "the console")
