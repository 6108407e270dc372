"""The model-artifact scanner against a corpus of known bypasses and of real benign checkpoints.

Samples come from tests/artifact_samples.py (built at run time; nothing is unpickled). Every
malicious one must be reported at high or critical with the rule ids the technique calls for, and
its payload must not have run (its marker file must not exist). Every benign one (torch, Lightning,
numpy, safetensors, scikit-learn/joblib, plain pickles) must raise nothing at high or critical.
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import artifact_samples as samples
import pytest
import torch  # noqa: F401  (CI installs torch: the torch samples must run here, never be skipped)
from cli import invoke

import nbsec
from nbsec.model import Finding, Report, Rule, Severity
from nbsec.rule_catalogue import all_rules
from nbsec.scanners import registry

SEVERE = {Severity.HIGH, Severity.CRITICAL}
MANIFEST_RULES = {"NBSEC-ART-020", "NBSEC-ART-021"}  # artifact ids, but the manifest verifier's samples

registry()  # registers every scanner's rules in the catalogue
ARTIFACT_RULES = [r for r in all_rules() if r.scanner == "model-artifacts" and r.id not in MANIFEST_RULES]


def describe(report: Report) -> str:
    lines = [f"{f.rule_id} {f.severity.value} {f.location.member or ''} {f.evidence}" for f in report.findings]
    lines += [f"error: {e.message}" for e in report.errors]
    return "\n".join(lines) or "no findings, no errors"


def severe(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity in SEVERE]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Every sample built once, each in its own folder: name -> (sample path, marker path)."""
    root = tmp_path_factory.mktemp("corpus")
    built: dict[str, tuple[Path, Path]] = {}
    builders: dict[str, Callable[[Path, Path], Path]] = {n: b for n, (b, _) in samples.MALICIOUS.items()}
    builders.update(samples.BENIGN)
    for name, build in builders.items():
        folder = root / name
        folder.mkdir()
        marker = root / f"{name}.MARKER"  # outside the sample folder: a created marker is not scanned
        built[name] = (build(folder, marker), marker)
    return built


@pytest.mark.parametrize("name", list(samples.MALICIOUS))
def test_malicious_sample_is_reported(name: str, corpus: dict[str, tuple[Path, Path]]) -> None:
    path, marker = corpus[name]
    _, expected = samples.MALICIOUS[name]
    report = nbsec.scan(path)
    found = {f.rule_id for f in report.findings}
    assert expected <= found, f"{name}: expected {sorted(expected)}, got:\n{describe(report)}"
    loud = {f.rule_id for f in severe(report.findings)}
    assert loud & expected, f"{name}: none of {sorted(expected)} at high or critical:\n{describe(report)}"
    assert not marker.exists(), f"{name}: the payload ran during the scan"


@pytest.mark.parametrize("name", list(samples.BENIGN))
def test_benign_sample_raises_nothing_severe(name: str, corpus: dict[str, tuple[Path, Path]]) -> None:
    path, _ = corpus[name]
    report = nbsec.scan(path)
    assert not severe(report.findings), f"{name}: false positive:\n{describe(report)}"
    assert report.errors == [], f"{name}: scan errors:\n{describe(report)}"


def test_the_corpus_covers_every_technique_class() -> None:
    # One sample at least per class of section 3 of the bypass survey, and both sides are sizeable.
    names = set(samples.MALICIOUS)
    classes = "deny_ dotted_ computed memo_ frame_ broken truncated stacked legacy zip_ tar joblib_ npy_ npz_ named_"
    for needle in (*classes.split(), "protocol0", "headerless", "ext1", "build_", "inst_", "newobj"):
        assert any(needle in n for n in names), needle
    assert len(samples.MALICIOUS) >= 100 and len(samples.BENIGN) >= 20


def _builder(name: str) -> Callable[[Path, Path], Path]:
    """A rule's sample name, from this corpus or from the format checkers' samples."""
    if hasattr(samples, name):
        return getattr(samples, name)  # type: ignore[no-any-return]
    formats = importlib.import_module("artifact_format_samples")
    build = getattr(formats, name, None)
    assert build is not None, f"sample {name!r} is in neither artifact_samples nor artifact_format_samples"
    if len(inspect.signature(build).parameters) == 1:  # format samples take only the folder
        return lambda directory, marker: build(directory)  # type: ignore[no-any-return]
    return build  # type: ignore[no-any-return]


@pytest.mark.parametrize("rule", ARTIFACT_RULES, ids=lambda r: r.id)
def test_rule_samples_trigger_and_stay_clean(rule: Rule, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    (tmp_path / "trigger").mkdir()
    (tmp_path / "clean").mkdir()
    trigger = nbsec.scan(_builder(rule.sample_trigger)(tmp_path / "trigger", marker))
    clean = nbsec.scan(_builder(rule.sample_clean)(tmp_path / "clean", marker))
    assert rule.id in {f.rule_id for f in trigger.findings}, f"{rule.sample_trigger}:\n{describe(trigger)}"
    assert rule.id not in {f.rule_id for f in clean.findings}, f"{rule.sample_clean}:\n{describe(clean)}"
    assert not marker.exists()


@pytest.mark.parametrize("name", list(samples.RULE_ONLY))
def test_rule_only_samples_are_exactly_their_rule(name: str, tmp_path: Path) -> None:
    # The medium/low rule samples must not also look dangerous: that would hide the rule behind a louder one.
    build, rule_id = samples.RULE_ONLY[name]
    [rule] = [r for r in ARTIFACT_RULES if r.id == rule_id]
    assert rule.severity not in SEVERE, f"{rule_id} is not a medium/low rule"
    report = nbsec.scan(build(tmp_path, tmp_path / "MARKER"))
    found = [(f.rule_id, f.severity) for f in report.findings]
    assert found == [(rule_id, rule.severity)], f"{name}: expected only {rule_id}, got:\n{describe(report)}"
    assert report.errors == [], f"{name}:\n{describe(report)}"


def test_cli_on_the_whole_corpus_exits_1_with_sarif(corpus: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    root = next(iter(corpus.values()))[0].parent.parent
    out = tmp_path / "corpus.sarif"
    done = subprocess.run(
        [sys.executable, "-m", "nbsec.cli", "scan", root.name, "-f", "sarif", "-o", str(out)],
        cwd=root.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    results = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
    flagged = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].split("/")[1]
        for r in results
        if r["level"] == "error"
    }
    missing = set(samples.MALICIOUS) - flagged
    assert not missing, f"no error-level SARIF result for: {sorted(missing)}"
    assert not flagged & set(samples.BENIGN), f"benign samples at error level: {sorted(flagged & set(samples.BENIGN))}"
    assert not any(marker.exists() for _, marker in corpus.values())


def test_allow_global_trusts_a_class_but_never_a_denied_callable(tmp_path: Path) -> None:
    class_pickle = b"\x80\x04\x8c\x0cmylab.layers\x8c\x05Block\x93)\x81."  # mylab.layers.Block() via NEWOBJ
    (tmp_path / "block.pkl").write_bytes(class_pickle)
    (tmp_path / "evil.pkl").write_bytes(b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x02id\x85R.")
    plain = invoke("scan", tmp_path / "block.pkl", "-f", "json", "--fail-on", "medium")
    assert plain.exit_code == 1 and "NBSEC-ART-002" in plain.output
    allowed = invoke(
        "scan", tmp_path / "block.pkl", "-f", "json", "--fail-on", "medium", "--allow-global", "mylab.layers.Block"
    )
    assert allowed.exit_code == 0 and "NBSEC-ART-002" not in allowed.output
    denied = invoke("scan", tmp_path / "evil.pkl", "-f", "json", "--allow-global", "os.system")
    assert denied.exit_code == 1 and "NBSEC-ART-001" in denied.output


def test_explain_an_artifact_rule_names_its_samples_and_how_to_trust_a_class() -> None:
    result = invoke("explain", "NBSEC-ART-002")
    assert result.exit_code == 0
    assert "pickle_unknown_class" in result.output and "--allow-global" in result.output
    assert "# nbsec: ignore" not in result.output  # a binary file has no line to put a comment on
