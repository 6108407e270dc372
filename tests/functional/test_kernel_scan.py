"""`%aisec scan --kernel` and `--env`: the live kernel's variables, environment and history."""

from __future__ import annotations

import random
import string

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


def test_magic_kernel_and_env(ip: InteractiveShell) -> None:
    ip.user_ns["leaked"] = f"my key is {token('ghp_', 36)}"
    report = ip.run_line_magic("aisec", "scan --kernel")
    assert isinstance(report, Report)
    assert any(f.location.path == "kernel:leaked" for f in report.findings)
    env = ip.run_line_magic("aisec", "scan --env")
    assert isinstance(env, Report)
    assert any(t.kind == "environment" or t.path.startswith("environment") for t in env.targets)
