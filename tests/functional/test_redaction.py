"""A planted secret is found in every notebook part, and never written in full anywhere.

Secrets are generated at run time (random, key-shaped) and planted in sources, every
output type, metadata, widget state and attachments; then every output nbsec can produce
(every report format, the notebook display bundle, CLI stdout/stderr, a baseline file)
is searched for them.
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

from cli import invoke

import nbsec
from nbsec import reporters
from nbsec.baseline import write_baseline


def fake(prefix: str, alphabet: str, length: int, rng: random.Random) -> str:
    return prefix + "".join(rng.choice(alphabet) for _ in range(length))


def planted_notebook(directory: Path) -> tuple[Path, dict[str, str]]:
    rng = random.Random(4242)
    alnum = string.ascii_letters + string.digits
    secrets = {
        "code": fake("ghp_", alnum, 36, rng),
        "markdown": fake("hf_", string.ascii_letters, 34, rng),
        "stream": fake("sk-ant-api03-", alnum + "-_", 93, rng) + "AA",
        "traceback": "postgresql://svc:" + fake("", alnum, 18, rng) + "@db.corp.example:5432/x",
        "html": fake("AKIA", string.ascii_uppercase + "234567", 16, rng),
        "json": fake("glpat-", alnum, 20, rng),
        "cell-metadata": fake("xoxb-", string.digits, 12, rng)
        + "-"
        + fake("", string.digits, 12, rng)
        + "-"
        + fake("", alnum, 24, rng),
        "notebook-metadata": fake("sk_live_", alnum, 30, rng),
        "widget-state": fake("r8_", alnum, 37, rng),
        "attachment": fake("gsk_", alnum, 48, rng),
    }
    table = (
        '<table class="dataframe"><thead><tr><th></th><th>service</th><th>key</th></tr></thead>'
        f"<tbody><tr><th>0</th><td>aws</td><td>{secrets['html']}</td></tr></tbody></table>"
    )
    cells = [
        {"cell_type": "code", "execution_count": 1, "id": "a", "metadata": {}, "outputs": [],
         "source": f'GITHUB_TOKEN = "{secrets["code"]}"'},
        {"cell_type": "markdown", "id": "b", "metadata": {}, "source": f"my token is {secrets['markdown']} for now"},
        {"cell_type": "code", "execution_count": 2, "id": "c", "source": "print(cfg)",
         "metadata": {"tags": [], "slack_token": secrets["cell-metadata"]},
         "outputs": [
             {"output_type": "stream", "name": "stdout", "text": f"key={secrets['stream']}\n"},
             {"output_type": "error", "ename": "OperationalError", "evalue": "no route",
              "traceback": [f"\x1b[31mOperationalError\x1b[0m: {secrets['traceback']}"]},
             {"output_type": "display_data", "metadata": {}, "data": {"text/html": table}},
             {"output_type": "execute_result", "execution_count": 2, "metadata": {},
              "data": {"application/json": {"gitlab": {"token": secrets["json"]}}}},
         ]},
        {"cell_type": "markdown", "id": "d", "metadata": {}, "source": "![n](attachment:notes.txt)",
         "attachments": {"notes.txt": {"text/plain": base64.b64encode(
             f"groq={secrets['attachment']}".encode()).decode()}}},
    ]  # fmt: skip
    notebook = {
        "cells": cells,
        "metadata": {
            "stripe": {"secret_key": secrets["notebook-metadata"]},
            "widgets": {
                "application/vnd.jupyter.widget-state+json": {"state": {"w1": {"value": secrets["widget-state"]}}}
            },
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = directory / "leaky.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path, secrets


def test_every_part_is_found_and_nothing_leaks(tmp_path: Path) -> None:
    path, secrets = planted_notebook(tmp_path)
    report = nbsec.scan(path)
    found_text = "\n".join(f.evidence for f in report.findings)
    parts_found = {
        "code": "code", "markdown": "markdown", "stream": "printed output", "traceback": "error traceback",
        "html": "HTML output", "json": "JSON output", "cell-metadata": "metadata",
        "notebook-metadata": "metadata", "widget-state": "widget state", "attachment": "attachment",
    }  # fmt: skip
    for part, label in parts_found.items():
        assert f"in {label}" in found_text, f"secret in {part} was not found"
    assert len([f for f in report.findings if f.rule_id in ("NBSEC-NB-010", "NBSEC-NB-011")]) >= len(secrets)

    outputs: dict[str, str] = {fmt: reporters.render(report, fmt) for fmt in reporters.FORMATS}
    bundle = report._repr_mimebundle_()
    outputs["mimebundle"] = json.dumps(bundle, default=str)
    outputs["repr"] = repr(report) + str(report.to_dict())
    write_baseline(report, tmp_path / "baseline.json")
    outputs["baseline"] = (tmp_path / "baseline.json").read_text()
    result = invoke("scan", path, "-f", "console", "-v")
    outputs["cli"] = result.output + (result.stderr if result.stderr_bytes is not None else "")
    for name, text in outputs.items():
        for part, secret in secrets.items():
            assert secret not in text, f"the secret planted in {part} appears in full in {name}"
            assert secret[8:] not in text, f"most of the secret planted in {part} appears in {name}"


def test_text_beside_a_table_is_scanned_too(tmp_path: Path) -> None:
    rng = random.Random(9)
    secret = fake("ghp_", string.ascii_letters + string.digits, 36, rng)
    html = f"<p>deploy token {secret}</p><table><tr><th>a</th></tr><tr><td>1</td></tr></table>"
    cell = {"cell_type": "code", "execution_count": 1, "id": "x", "metadata": {}, "source": "show()",
            "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"text/html": html}}]}  # fmt: skip
    path = tmp_path / "t.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert [f.rule_id for f in nbsec.scan(path).findings] == ["NBSEC-NB-011"]
