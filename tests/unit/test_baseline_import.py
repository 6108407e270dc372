"""`nbsec baseline import-detect-secrets`: a detect-secrets `.secrets.baseline` becomes an nbsec baseline.

The detect-secrets files here are written by the tests, in both shapes detect-secrets has written
(1.x: entries carry their `filename`; 0.x: only the key they sit under), with the SHA-1s of secrets
generated at run time. A secret detect-secrets accepted is baselined; one it audited as a false positive
(`is_secret: false`) is suppressed as such; one it never saw is still new. No file nbsec writes holds a
secret, and bad input fails with exit code 2, the file's name and a hint.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
from pathlib import Path
from typing import Any

import pytest
from cli import invoke

from nbsec.baseline_detect_secrets import Entry, secret_digests


def token(seed: int) -> str:
    rng = random.Random(seed)
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


def sha1(value: str) -> str:
    return hashlib.sha1(value.encode()).hexdigest()  # noqa: S324 - detect-secrets' own hash, for matching


KNOWN, AUDITED_FALSE, UNSEEN = token(1), token(2), token(3)


def project(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "settings.py").write_text(
        f'KNOWN_TOKEN = "{KNOWN}"\nTEST_FIXTURE_TOKEN = "{AUDITED_FALSE}"\nNEW_TOKEN = "{UNSEEN}"\n'
    )
    return src


def detect_secrets_v1(entries: list[dict[str, Any]]) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        results.setdefault(entry["filename"], []).append(entry)
    return {"version": "1.5.0", "plugins_used": [{"name": "GitHubTokenDetector"}], "filters_used": [],
            "results": results, "generated_at": "2024-01-01T00:00:00Z"}  # fmt: skip


def v1_entries() -> list[dict[str, Any]]:
    return [
        {"type": "GitHub Token", "filename": "src/settings.py", "hashed_secret": sha1(KNOWN),
         "is_verified": False, "line_number": 1},
        {"type": "Secret Keyword", "filename": "src/settings.py", "hashed_secret": sha1(KNOWN),
         "is_verified": False, "line_number": 1},
        {"type": "GitHub Token", "filename": "src/settings.py", "hashed_secret": sha1(AUDITED_FALSE),
         "is_verified": False, "line_number": 2, "is_secret": False},
        {"type": "GitHub Token", "filename": "elsewhere/other.py", "hashed_secret": sha1(UNSEEN),
         "is_verified": False, "line_number": 9},  # same value, another file: does not cover src/settings.py
    ]  # fmt: skip


def scan_json(*args: object) -> tuple[int, dict[str, Any]]:
    result = invoke("scan", *args, "-f", "json")
    return result.exit_code, json.loads(result.stdout)


def test_import_then_scan_baselines_known_secrets_and_honours_audits(tmp_path: Path) -> None:
    src = project(tmp_path)
    source = tmp_path / ".secrets.baseline"
    source.write_text(json.dumps(detect_secrets_v1(v1_entries())))
    result = invoke("baseline", "import-detect-secrets", source, "-o", tmp_path / "nb.json")
    assert result.exit_code == 0, result.output
    assert "imported 4 detect-secrets entries (1 audited as false positives)" in result.output

    written = (tmp_path / "nb.json").read_text()
    data = json.loads(written)
    assert data["format"] == "nbsec-baseline" and data["findings"] == []
    assert {e["hashed_secret"] for e in data["detect_secrets"]} == {sha1(KNOWN), sha1(AUDITED_FALSE), sha1(UNSEEN)}
    for value in (KNOWN, AUDITED_FALSE, UNSEEN):
        assert value not in written and value[4:20] not in written

    code, report = scan_json(src, "--baseline", tmp_path / "nb.json")
    assert code == 1  # the unseen secret is new
    assert [(f["rule_id"], f["location"]["line"]) for f in report["findings"]] == [("NBSEC-NB-010", 3)]
    why = {s["finding"]["location"]["line"]: (s["reason"], s["detail"]) for s in report["suppressed"]}
    assert why[1][0] == "baseline" and why[1][1].startswith("detect-secrets baseline (")
    assert "src/settings.py:1" in why[1][1]
    assert why[2] == (
        "baseline",
        "detect-secrets baseline: audited as not a secret (is_secret: false; GitHub Token, src/settings.py:2)",
    )
    assert report["baseline"]["new"] == 1 and report["baseline"]["unchanged"] == 1
    assert report["baseline"]["fixed"] == 0  # an unmatched imported entry is not "fixed": nbsec may not see it


def test_the_old_keyed_shape_and_a_scan_from_inside_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = project(tmp_path)
    old = {"exclude": {"files": None, "lines": None}, "plugins_used": [{"name": "KeywordDetector"}],
           "results": {"src/settings.py": [{"hashed_secret": sha1(KNOWN), "is_verified": False,
                                             "line_number": 1, "type": "Secret Keyword"}]},
           "version": "0.14.3"}  # fmt: skip
    (tmp_path / "old.baseline").write_text(json.dumps(old))
    assert (
        invoke("baseline", "import-detect-secrets", tmp_path / "old.baseline", "-o", tmp_path / "b.json").exit_code == 0
    )
    monkeypatch.chdir(src)  # nbsec's paths are now "settings.py"; detect-secrets said "src/settings.py"
    _, report = scan_json("settings.py", "--baseline", tmp_path / "b.json")
    assert sorted(f["location"]["line"] for f in report["findings"]) == [2, 3]
    assert [s["finding"]["location"]["line"] for s in report["suppressed"]] == [1]


def test_an_existing_nbsec_baseline_keeps_its_findings_and_create_keeps_the_import(tmp_path: Path) -> None:
    src = project(tmp_path)
    (src / "load.py").write_text("import pickle\nobj = pickle.loads(blob)\n")
    out = tmp_path / ".nbsec-baseline.json"
    assert invoke("baseline", "create", src / "load.py", "-o", out).exit_code == 0
    fingerprints = [e["fingerprint"] for e in json.loads(out.read_text())["findings"]]
    assert len(fingerprints) == 1
    source = tmp_path / ".secrets.baseline"
    source.write_text(json.dumps(detect_secrets_v1(v1_entries())))
    result = invoke("baseline", "import-detect-secrets", source, "-o", out)
    assert result.exit_code == 0 and f"updated {out}" in result.output
    data = json.loads(out.read_text())
    assert [e["fingerprint"] for e in data["findings"]] == fingerprints and len(data["detect_secrets"]) == 4
    # Re-creating the baseline from a scan keeps what was imported.
    assert invoke("baseline", "create", src / "load.py", "-o", out).exit_code == 0
    assert len(json.loads(out.read_text())["detect_secrets"]) == 4
    code, report = scan_json(src, "--baseline", out)
    assert [f["location"]["line"] for f in report["findings"]] == [3]
    assert sorted(s["finding"]["rule_id"] for s in report["suppressed"]) == [
        "NBSEC-NB-002",
        "NBSEC-NB-010",
        "NBSEC-NB-010",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "detect-secrets baseline not found"),
        ("{not json", "invalid JSON"),
        ("[1, 2]", "not a detect-secrets baseline (no `results` object)"),
        ('{"results": {"a.py": {"hashed_secret": "x"}}}', "results['a.py'] is not a list of secrets"),
        (
            '{"results": {"a.py": [{"type": "Secret Keyword"}]}}',
            "needs a `filename` and a 40-hex-digit `hashed_secret`",
        ),
        ('{"results": {"a.py": [{"hashed_secret": "not-a-sha1"}]}}', "40-hex-digit `hashed_secret`"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path: Path, content: str | None, message: str) -> None:
    source = tmp_path / "in.baseline"
    if content is not None:
        source.write_text(content)
    out = tmp_path / "out.json"
    result = invoke("baseline", "import-detect-secrets", source, "-o", out)
    assert result.exit_code == 2
    assert str(source) in result.output and message in result.output
    assert "hint:" in result.output and "detect-secrets scan" in result.output
    assert not out.exists()


def test_an_output_that_is_not_an_nbsec_baseline_is_not_overwritten(tmp_path: Path) -> None:
    source = tmp_path / ".secrets.baseline"
    source.write_text(json.dumps(detect_secrets_v1(v1_entries())))
    out = tmp_path / "notes.json"
    out.write_text('{"mine": true}')
    result = invoke("baseline", "import-detect-secrets", source, "-o", out)
    assert result.exit_code == 2 and "not an nbsec baseline" in result.output
    assert out.read_text() == '{"mine": true}'


def test_a_detect_secrets_file_given_to_scan_says_to_import_it(tmp_path: Path) -> None:
    src = project(tmp_path)
    source = tmp_path / ".secrets.baseline"
    source.write_text(json.dumps(detect_secrets_v1(v1_entries())))
    result = invoke("scan", src, "--baseline", source)
    assert result.exit_code == 2
    assert "nbsec baseline import-detect-secrets" in result.output


def test_help_teaches_the_command() -> None:
    result = invoke("baseline", "import-detect-secrets", "--help")
    assert result.exit_code == 0
    for words in ("hashed_secret", "is_secret: false", "never a secret", "nbsec scan . --baseline"):
        assert words in " ".join(result.output.split()), words
    assert "import-detect-secrets" in invoke("baseline", "--help").output


def test_digests_cover_what_detect_secrets_hashes() -> None:
    assert sha1("hunter2pass") in secret_digests("'hunter2pass'")
    assert sha1("s3cr3t-pw") in secret_digests("https://user:s3cr3t-pw@db.example.com/x")
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"
    assert sha1("BEGIN RSA PRIVATE KEY") in secret_digests(pem)
    assert sha1('a"b') in secret_digests('a"b') and sha1('a\\"b') in secret_digests('a"b')


@pytest.mark.parametrize(
    ("filename", "path", "covers"),
    [
        ("src/settings.py", "src/settings.py", True),
        ("src/settings.py", "/home/u/repo/src/settings.py", True),
        ("src/settings.py", "settings.py", True),
        ("./src/settings.py", "src\\settings.py", True),
        ("src/settings.py", "other/settings.py", False),
        ("settings.py", "my_settings.py", False),
    ],
)
def test_paths_match_by_whole_trailing_components(filename: str, path: str, covers: bool) -> None:
    assert Entry(filename, "0" * 40).covers(path) is covers
