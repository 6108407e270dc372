"""A secret on the line of another finding's trigger is redacted in that finding too, in every format.

Findings that are not about secrets quote what they saw: an IP address's line (personal data), a
requirement line pinned to a git tag (supply chain), a `pickle.loads` or `torch.load` call (unsafe code).
A `ghp_` token and a password in a basic-auth URL are planted on those very lines, in a notebook, a .py
file and a requirements.txt (built at run time: no file here holds one). The full `nbsec scan` CLI writes
JSON, SARIF, HTML, Markdown and JUnit; none may hold a planted value, while the findings are all there.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

from cli import invoke


def planted() -> dict[str, str]:
    rng = random.Random(1515)
    alnum = string.ascii_letters + string.digits
    return {
        "token": "ghp_" + "".join(rng.choice(alnum) for _ in range(36)),
        "password": "Pw" + "".join(rng.choice(alnum) for _ in range(14)) + "!x",
        "req_password": "Rq" + "".join(rng.choice(alnum) for _ in range(16)),
        "req_token": "ghp_" + "".join(rng.choice(alnum) for _ in range(36)),
    }


def write_project(folder: Path, s: dict[str, str]) -> None:
    url = f"https://svc:{s['password']}@10.20.30.40/api"
    code = (
        "import pickle, torch\n"
        f'HOST = "10.20.30.40"; URL = "{url}"; TOKEN = "{s["token"]}"\n'
        f'obj = pickle.loads(fetch("{url}", auth="{s["token"]}"))\n'
        f'model = torch.load(fetch("{url}", auth="{s["token"]}"))\n'
    )
    (folder / "load.py").write_text(code)
    cell = {
        "cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {}, "source": code,
        "outputs": [{"output_type": "stream", "name": "stdout",
                     "text": f"connected to 10.20.30.40 via {url} as {s['token']}\n"}],
    }  # fmt: skip
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "train.ipynb").write_text(json.dumps(notebook))
    (folder / "requirements.txt").write_text(
        f"git+https://deploy:{s['req_password']}@github.com/org/repo@v1.0#egg=repo\n"
        f"git+https://{s['req_token']}@github.com/org/lib@v2.0#egg=lib\n"
    )


def test_no_format_holds_a_secret_planted_beside_another_finding(tmp_path: Path) -> None:
    secrets = planted()
    project = tmp_path / "project"
    project.mkdir()
    write_project(project, secrets)
    out = tmp_path / "reports"
    out.mkdir()
    result = invoke("scan", project, "-f", "json,sarif,html,md,junit", "-o", out, "--fail-on", "never")
    assert result.exit_code == 0, result.output
    written = {p.suffix: p.read_text(encoding="utf-8") for p in out.iterdir()}
    assert set(written) == {".json", ".sarif", ".html", ".md", ".xml"}
    written["console"] = result.output

    # The findings that quote those lines are all still there.
    report = json.loads(written[".json"])
    found = {(f["rule_id"], Path(f["location"]["path"]).name) for f in report["findings"]}
    for expected in [
        ("NBSEC-NB-002", "load.py"), ("NBSEC-NB-001", "load.py"), ("NBSEC-NB-010", "load.py"),
        ("NBSEC-NB-002", "train.ipynb"), ("NBSEC-NB-001", "train.ipynb"), ("NBSEC-PRIV-001", "train.ipynb"),
        ("NBSEC-NB-011", "train.ipynb"), ("NBSEC-DEP-002", "requirements.txt"),
    ]:  # fmt: skip
        assert expected in found, f"{expected} is missing: {sorted(found)}"
    quoting = [f["evidence"] for f in report["findings"] if f["rule_id"] in ("NBSEC-NB-001", "NBSEC-NB-002")]
    assert all("fetch(" in e and "[sha256:" in e for e in quoting), quoting  # quoted, and redacted in place
    deps = [f["evidence"] for f in report["findings"] if f["rule_id"] == "NBSEC-DEP-002"]
    assert any("github.com/org/repo@v1.0" in e for e in deps) and any("github.com/org/lib@v2.0" in e for e in deps)

    for name, text in written.items():
        for what, value in secrets.items():
            assert value not in text, f"the {what} appears in full in the {name} report"
            assert value[4:14] not in text, f"part of the {what} appears in the {name} report"


def test_a_scan_limited_to_one_scanner_still_redacts(tmp_path: Path) -> None:
    """With --only dependencies the content scanner never runs: the detectors still catch the values."""
    secrets = planted()
    write_project(tmp_path, secrets)
    result = invoke("scan", tmp_path / "requirements.txt", "--only", "dependencies", "-f", "json", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {f["rule_id"] for f in report["findings"]} >= {"NBSEC-DEP-002"}
    for what in ("req_password", "req_token"):
        assert secrets[what] not in result.stdout, what
