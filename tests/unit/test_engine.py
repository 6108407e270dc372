"""The engine: registry, error isolation, timings, policy, baseline, bad input."""

from __future__ import annotations

import io
import json
import random
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import nbsec
from nbsec.baseline import write_baseline
from nbsec.errors import TargetNotFoundError, UsageError
from nbsec.rule_catalogue import load_catalogue
from nbsec.scanners import base, loader


def test_scan_finds_and_times(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import pickle\nx = pickle.loads(data)\n")
    report = nbsec.scan(tmp_path)
    assert [f.rule_id for f in report.findings] == ["NBSEC-NB-002"]
    assert report.findings[0].location.path == "a.py"  # relative to the working directory
    assert report.timings["notebook-code"] > 0 and report.timings["total"] >= report.timings["notebook-code"]
    assert report.checks[0].status == "failed"
    assert {m.name for m in report.metrics} >= {"files_scanned", "bytes_scanned"}
    assert report.started_at <= report.finished_at


def test_clean_file_is_a_passed_check(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("import json\nprint(json.loads('{}'))\n")
    report = nbsec.scan(tmp_path / "ok.py")
    assert report.findings == [] and report.errors == []
    assert sorted((c.scanner, c.status) for c in report.checks) == [
        ("notebook-code", "passed"),
        ("notebook-content", "passed"),
    ]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(TargetNotFoundError) as info:
        nbsec.scan(tmp_path / "nope")
    assert "nope" in info.value.message and info.value.hint


def test_directory_of_binary_junk_is_an_error_not_clean(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    rng = random.Random(20261122)  # seeded: random bytes that happen to open like a pickle would make this flaky
    for i in range(5):
        (junk / f"blob{i}").write_bytes(b"\x00" + rng.randbytes(2048))
    report = nbsec.scan(junk)
    assert report.findings == []
    assert len(report.errors) == 1 and "nothing scannable" in report.errors[0].message
    assert all(t.status == "skipped" and t.kind == "binary" for t in report.targets)


def test_ipynb_that_is_not_json(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (tmp_path / "binary.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "ok.py").write_text("eval(input())\n")
    report = nbsec.scan(tmp_path)
    messages = {e.target: e.message for e in report.errors}
    assert "line 1: invalid JSON" in messages["broken.ipynb"]
    assert "not a notebook" in messages["binary.ipynb"]
    assert [f.rule_id for f in report.findings] == ["NBSEC-NB-005"]  # the scan went on
    assert {t.path: t.status for t in report.targets}["broken.ipynb"] == "error"


def test_nbformat_v3_notebook_is_upgraded_and_scanned(tmp_path: Path) -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "markdown", "source": "# old", "metadata": {}},
                    {
                        "cell_type": "code",
                        "input": "import pickle\nm = pickle.load(open('m.pkl', 'rb'))",
                        "language": "python",
                        "outputs": [],
                        "prompt_number": 3,
                        "metadata": {},
                    },
                ],
                "metadata": {},
            }
        ],
    }
    (tmp_path / "old.ipynb").write_text(json.dumps(v3))
    report = nbsec.scan(tmp_path / "old.ipynb")
    assert report.errors == []
    assert [f.rule_id for f in report.findings] == ["NBSEC-NB-002"]
    assert report.findings[0].location.cell == 1
    assert "nbformat 3" in report.checks[0].detail


def test_deeply_nested_json_is_refused_not_crashed(tmp_path: Path) -> None:
    (tmp_path / "deep.ipynb").write_text("[" * 200_000 + "]" * 200_000)
    report = nbsec.scan(tmp_path / "deep.ipynb")
    assert len(report.errors) == 1 and "not a notebook" in report.errors[0].message


def test_oversized_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("x = 1\n" * 100)
    report = nbsec.scan(tmp_path, config={"max_file_size": 100})
    assert "over the 100-byte limit" in report.errors[0].message


def test_a_crashing_scanner_becomes_an_error_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Exploding(base.Scanner):
        name = "exploding"
        description = "always fails"
        kinds = frozenset({"python"})

        def scan(self, target):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    monkeypatch.setitem(base._REGISTRY, "exploding", Exploding)
    (tmp_path / "a.py").write_text("eval(input())\n")
    report = nbsec.scan(tmp_path)
    assert [f.rule_id for f in report.findings] == ["NBSEC-NB-005"]
    assert report.errors[0].scanner == "exploding" and "RuntimeError: boom" in report.errors[0].message
    assert "exploding" in report.timings


def test_entry_point_plugins_are_loaded_and_broken_ones_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    (site / "nbsec_fake_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "nbsec_fake_plugin-1.0.dist-info" / "METADATA").write_text("Name: nbsec-fake-plugin\nVersion: 1.0\n")
    (site / "nbsec_fake_plugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[nbsec.scanners]\nfake = nbsec_fake_plugin:FakeScanner\nbroken = nbsec_fake_plugin:Missing\n"
    )
    (site / "nbsec_fake_plugin.py").write_text(
        textwrap.dedent("""
        from nbsec.model import Finding, Location, Rule, Severity, reference
        from nbsec.scanners.base import Scanner

        RULE = Rule(id="NBSEC-SCAN-901", title="TODO marker", severity=Severity.LOW, category="demo",
                    description="d", remediation="r", references=(reference("CWE", "CWE-546"),),
                    sample_trigger="TODO", sample_clean="done", scanner="fake")

        class FakeScanner(Scanner):
            name = "fake"
            description = "finds TODO in text files"
            kinds = frozenset({"text"})
            rules = (RULE,)

            def scan(self, target):
                if b"TODO" in target.path.read_bytes():
                    yield Finding(RULE.id, RULE.title, RULE.severity, RULE.confidence,
                                  Location(target.display), "TODO", RULE.remediation, RULE.references)
    """)
    )
    monkeypatch.syspath_prepend(str(site))
    loader.registry()  # every built-in registered before the registry is copied, so undo() keeps them
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))
    try:
        scanners = loader.registry(reload=True)
        assert "fake" in scanners
        (tmp_path / "notes.txt").write_text("TODO: rotate keys\n")
        report = nbsec.scan(tmp_path / "notes.txt")
        assert [f.rule_id for f in report.findings] == ["NBSEC-SCAN-901"]
        assert any(e.scanner == "plugin:broken" for e in report.errors)
        # The plugin's rule joins the one catalogue (`nbsec rules`, `explain`, SARIF); the broken one is named.
        catalogue = load_catalogue(reload=True)
        assert catalogue.get("NBSEC-SCAN-901") is not None
        assert [name for name, _ in catalogue.failures] == ["plugin:broken"]
    finally:
        monkeypatch.undo()
        sys.modules.pop("nbsec_fake_plugin", None)
        loader.registry(reload=True)
        load_catalogue(reload=True)


def test_only_and_exclusions_keep_what_they_drop(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import pickle\npickle.loads(b)\neval(input())\n")
    only = nbsec.scan(tmp_path, only="NBSEC-NB-005")
    assert [f.rule_id for f in only.findings] == ["NBSEC-NB-005"]
    assert [(s.reason, s.finding.rule_id) for s in only.suppressed] == [("config", "NBSEC-NB-002")]
    threshold = nbsec.scan(tmp_path, config={"min_severity": "high"})
    assert [f.rule_id for f in threshold.findings] == ["NBSEC-NB-002"]
    assert threshold.suppressed[0].reason == "severity-threshold"
    with pytest.raises(UsageError, match="unknown scanner"):
        nbsec.scan(tmp_path, only="nonsense")


def test_baseline_reports_only_new_findings(tmp_path: Path) -> None:
    code = tmp_path / "a.py"
    code.write_text("import pickle\npickle.loads(b)\neval(input_blob_xyz)\n")
    baseline = tmp_path / "baseline.json"
    assert write_baseline(nbsec.scan(code), baseline) == 2
    assert "input_blob_xyz" not in baseline.read_text()  # fingerprints, never evidence

    code.write_text("# a comment shifts every line\nimport pickle\npickle.loads(b)\nexec(payload)\n")
    # eval(input_blob_xyz) is gone: fixed. pickle.loads(b) moved a line down: unchanged.
    report = nbsec.scan(code, config={"baseline": str(baseline)})
    assert [f.rule_id for f in report.findings] == ["NBSEC-NB-005"]
    assert "exec" in report.findings[0].evidence
    assert report.baseline == {"path": str(baseline), "new": 1, "fixed": 1, "unchanged": 1}


def test_progress_callback(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    write_notebook("a.ipynb", ["x = 1"])
    (tmp_path / "b.py").write_text("y = 2\n")
    seen: list[tuple[int, int, str]] = []
    nbsec.scan(tmp_path, progress=lambda done, total, path: seen.append((done, total, path)))
    assert seen == [(1, 2, "a.ipynb"), (2, 2, "b.py")]


def test_excluded_folders_and_symlinks_are_not_walked(tmp_path: Path) -> None:
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "x.py").write_text("eval(input())\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.py"
    outside.write_text("eval(input())\n")
    (tmp_path / "link.py").symlink_to(outside)
    (tmp_path / "ok.py").write_text("x = 1\n")
    report = nbsec.scan(tmp_path)
    assert report.findings == []
    assert [t.path for t in report.targets] == ["ok.py"]


def test_a_new_baseline_keeps_what_the_old_one_accepted(tmp_path: Path) -> None:
    code = tmp_path / "a.py"
    code.write_text("import pickle\npickle.loads(b)\n")
    old = tmp_path / "old.json"
    write_baseline(nbsec.scan(code), old)
    code.write_text("import pickle\npickle.loads(b)\neval(x)\n")
    report = nbsec.scan(code, config={"baseline": str(old)})
    assert len(report.findings) == 1
    assert write_baseline(report, tmp_path / "new.json") == 2


@pytest.mark.parametrize("name", sorted(loader.BUILT_INS))
def test_each_built_in_scanner_is_registered_by_its_module_for_the_kinds_listed(name: str) -> None:
    import importlib

    module, kinds = loader.BUILT_INS[name]
    importlib.import_module(module)
    scanner = base.registered()[name]
    assert scanner.kinds <= kinds, f"{name} reads kinds the loader would not load it for"


def test_a_scan_of_model_files_loads_only_the_artifact_scanner(tmp_path: Path) -> None:
    from nbsec.targets import PICKLE

    assert set(loader.scanners_for({PICKLE})) == {"model-artifacts"}
    assert set(loader.scanners_for(None)) == set(loader.BUILT_INS)


def test_plugin_declarations_are_found_without_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    (plain / "other-1.0.dist-info").mkdir(parents=True)
    (plain / "other-1.0.dist-info" / "entry_points.txt").write_text("[console_scripts]\nx = other:main\n")
    monkeypatch.setattr(sys, "path", [str(plain), str(tmp_path / "missing")])
    assert not loader.declares_entry_points("nbsec.scanners")
    with_plugin = tmp_path / "with"
    (with_plugin / "p-1.0.dist-info").mkdir(parents=True)
    (with_plugin / "p-1.0.dist-info" / "entry_points.txt").write_text("[nbsec.scanners]\np = p:Scanner\n")
    monkeypatch.setattr(sys, "path", [str(plain), str(with_plugin)])
    assert loader.declares_entry_points("nbsec.scanners")
    # A zipped distribution on sys.path cannot be read this way: importlib.metadata must decide.
    (tmp_path / "dist.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    monkeypatch.setattr(sys, "path", [str(plain), str(tmp_path / "dist.zip")])
    assert loader.declares_entry_points("nbsec.scanners")


def test_the_cheap_pickle_gate_agrees_with_pickletools() -> None:
    """Sniffing skips pickletools for a first byte no pickle can start with: the set must be exactly
    the opcodes that need nothing from the stack or the memo (pickletools' own metadata)."""
    import pickletools

    from nbsec.targets import PICKLE_FIRST_OPCODES

    needs_memo_or_item = {"GET", "BINGET", "LONG_BINGET", "PUT", "BINPUT", "LONG_BINPUT"}
    expected = {
        op.code.encode("latin-1")[0]
        for op in pickletools.opcodes
        if not op.stack_before and op.name not in needs_memo_or_item
    }
    assert set(PICKLE_FIRST_OPCODES) == expected
    for first in set(range(256)) - expected:
        with pytest.raises(ValueError):  # any other first byte cannot even be disassembled
            pickletools.dis(bytes([first]) + b"\n\n\n\n\n\n\n\n.", out=io.StringIO())
