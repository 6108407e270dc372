"""`%aisec scan --kernel` and `--env`: the live kernel's variables, environment and history."""

from __future__ import annotations

import random
import string
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from nbsec.api import scan_kernel
from nbsec.model import Report


def token(prefix: str, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    rng = random.Random(prefix)
    return prefix + "".join(rng.choice(alphabet) for _ in range(n))


def test_scan_kernel_sees_variables_env_and_history() -> None:
    github = token("ghp_", 36)
    hf = token("hf_", 34, string.ascii_letters)  # Hugging Face tokens are letters only
    report = scan_kernel(
        {"leaked": f"token={github}", "settings": {"hub": hf}, "_private": token("ghp_", 36), "n": 3},
        history=["import torch", "model = torch.load('ckpt.pt', weights_only=False)", "x = 1"],
        environ={"OPENAI_API_KEY": token("sk-proj-", 60), "HOME": "/root", "SHORT_TOKEN": "abc"},
    )
    by_rule = {(f.rule_id, f.location.path) for f in report.findings}
    assert ("NBSEC-NB-011", "kernel:leaked") in by_rule
    assert ("NBSEC-NB-011", "kernel:settings") in by_rule
    assert ("NBSEC-NB-001", "kernel:history") in by_rule
    env = [f for f in report.findings if f.location.path == "kernel:env"]
    assert [f.location.element for f in env] == ["environment variable OPENAI_API_KEY"]
    assert env[0].severity.value == "low"
    assert not any("_private" in f.location.path for f in report.findings)
    history = next(f for f in report.findings if f.rule_id == "NBSEC-NB-001")
    assert history.location.execution_count == 2
    assert github not in report.to_json() and hf not in report.to_json()


def test_magic_kernel_finds_the_leaked_variable_and_lists_what_it_scanned(ip: InteractiveShell) -> None:
    secret = token("ghp_", 36)
    ip.user_ns["leaked"] = f"my key is {secret}"
    report = ip.run_line_magic("aisec", "scan --kernel")
    assert isinstance(report, Report)
    [leak] = [f for f in report.findings if f.location.path == "kernel:leaked"]
    assert (leak.rule_id, leak.severity.value, leak.location.element) == ("NBSEC-NB-011", "high", "variable leaked")
    assert secret not in report.to_json()  # the finding shows a redacted token, never the token
    assert {(t.path, t.kind, t.status) for t in report.targets} >= {
        ("kernel:namespace", "kernel", "scanned"),
        ("kernel:history", "kernel", "scanned"),
    }
    [check] = [c for c in report.checks if c.target == "kernel"]
    assert check.status == "failed" and check.detail == f"{len(report.findings)} finding(s)"


@pytest.fixture
def vulnerable_torch_first_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """torch 2.5.1's metadata first on sys.path, so this interpreter's environment has a known-vulnerable torch;
    an empty user advisory store, so only the bundled advisories count."""
    site = tmp_path / "site-packages"
    info = site / "torch-2.5.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: torch\nVersion: 2.5.1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.mark.usefixtures("vulnerable_torch_first_on_path")
def test_magic_env_reports_the_vulnerable_package_and_the_environment_it_checked(ip: InteractiveShell) -> None:
    env = ip.run_line_magic("aisec", "scan --env")
    assert isinstance(env, Report)
    label = f"environment:{sys.executable}"  # this kernel's interpreter
    [torch] = [f for f in env.findings if f.rule_id == "NBSEC-DEP-001" and f.evidence.startswith("torch ")]
    assert torch.evidence.startswith("torch 2.5.1: GHSA-53q9-r3pm-6pq6 (CVE-2025-32434) fixed in 2.6.0")
    assert (torch.severity.value, torch.location.path) == ("critical", label)
    # Every finding is about this environment, and only DEP rules (other packages of this venv may match too).
    assert {f.location.path for f in env.findings} == {label}
    assert {f.rule_id for f in env.findings} <= {"NBSEC-DEP-001", "NBSEC-DEP-005"}  # DEP-005: stale advisory data
    [target] = env.targets
    assert (target.path, target.kind, target.status) == (label, "environment", "scanned")
    [check] = env.checks
    vulnerable = sum(1 for f in env.findings if f.rule_id == "NBSEC-DEP-001")
    assert (check.scanner, check.target, check.status) == ("dependencies", label, "failed")
    assert check.detail == f"{target.detail}; {vulnerable} vulnerable"
    assert env.errors == []


@pytest.mark.usefixtures("vulnerable_torch_first_on_path")
def test_magic_kernel_and_env_together_is_one_report_with_both(ip: InteractiveShell) -> None:
    ip.user_ns["leaked"] = f"my key is {token('ghp_', 36)}"
    report = ip.run_line_magic("aisec", "scan --kernel --env")
    assert isinstance(report, Report)
    assert {f.rule_id for f in report.findings if f.location.path == "kernel:leaked"} == {"NBSEC-NB-011"}
    assert any(f.evidence.startswith("torch 2.5.1: GHSA-53q9-r3pm-6pq6") for f in report.findings)
    assert {t.kind for t in report.targets} == {"kernel", "environment"}
    assert {c.scanner for c in report.checks} == {"notebook-content", "dependencies"}
