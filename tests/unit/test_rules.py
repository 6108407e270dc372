"""Every rule: catalogue contract, a sample that must trigger and one that must not,
then the tricks (aliases, magics, shell lines, suppression) the notebook-code scanner handles."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import nbsec
from nbsec.model import RULE_ID_PATTERN, Report, Rule
from nbsec.rule_catalogue import RULE_MODULES, RUNNERS, all_rules
from nbsec.scanners import registry

RULES = all_rules()  # every scanner's and every runner's rules: the one catalogue


def scan_code(tmp_path: Path, source: str, as_notebook: bool = True) -> Report:
    if as_notebook:
        path = tmp_path / "sample.ipynb"
        cells = [
            {"cell_type": "code", "execution_count": 1, "id": "a", "metadata": {}, "outputs": [], "source": source}
        ]
        path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    else:
        path = tmp_path / "sample.py"
        path.write_text(source)
    return nbsec.scan(path)


def rule_ids(report: Report) -> list[str]:
    return sorted(f.rule_id for f in report.findings)


def test_the_catalogue_is_not_empty() -> None:
    assert {r.id for r in RULES} >= {f"NBSEC-NB-00{i}" for i in range(1, 6)}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_contract(rule: Rule) -> None:
    assert RULE_ID_PATTERN.match(rule.id)
    assert rule.title and rule.description and rule.remediation and rule.category and rule.scanner
    # A file scanner in the registry, or a runner (adversarial, lineage) that produces findings from objects.
    assert rule.scanner in registry() or rule.scanner in RUNNERS
    assert rule.references, "every rule points at least at one framework id"
    assert all(r.framework and r.id for r in rule.references)
    assert rule.sample_trigger and rule.sample_clean


@pytest.mark.parametrize("rule", [r for r in RULES if r.scanner == "notebook-code"], ids=lambda r: r.id)
@pytest.mark.parametrize("as_notebook", [True, False], ids=["notebook", "python"])
def test_rule_samples(rule: Rule, as_notebook: bool, tmp_path: Path) -> None:
    assert rule.id in rule_ids(scan_code(tmp_path, rule.sample_trigger, as_notebook))
    assert rule.id not in rule_ids(scan_code(tmp_path, rule.sample_clean, as_notebook))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import torch as t\nt.load('m.pt')", ["NBSEC-NB-001"]),
        ("from torch import load\nload('m.pt', weights_only=False)", ["NBSEC-NB-001"]),
        ("import torch\ntorch.load('m.pt', weights_only=True)", []),
        ("import torch\ntorch.load('m.pt', weights_only=flag)", ["NBSEC-NB-001"]),
        ("from pickle import loads as l\nl(blob)", ["NBSEC-NB-002"]),
        ("import _pickle\n_pickle.Unpickler(f).load()", ["NBSEC-NB-002"]),
        ("import pandas as pd\npd.read_pickle('x.pkl')", ["NBSEC-NB-002"]),
        ("import numpy as np\nnp.load('x.npy', allow_pickle=True)", ["NBSEC-NB-002"]),
        ("import numpy as np\nnp.load('x.npy')", []),
        ("import joblib\nclf = joblib.load('clf.joblib')", ["NBSEC-NB-002"]),
        ("import dill\ndill.loads(b)", ["NBSEC-NB-002"]),
        ("__import__('pickle').loads(b)", ["NBSEC-NB-002"]),
        ("import pickle\nloader = pickle.loads\nloader(b)", ["NBSEC-NB-002"]),
        ("import yaml\nyaml.load(s)", ["NBSEC-NB-003"]),
        ("import yaml\nyaml.load(s, yaml.SafeLoader)", []),
        ("import yaml\nyaml.load(s, Loader=yaml.FullLoader)", []),
        ("from yaml import load, UnsafeLoader\nload(s, Loader=UnsafeLoader)", ["NBSEC-NB-003"]),
        ("import yaml\nyaml.unsafe_load(s)", ["NBSEC-NB-003"]),
        ("pipeline('text-generation', model='m', model_kwargs={'trust_remote_code': True})", ["NBSEC-NB-004"]),
        ("AutoModel.from_pretrained('m', trust_remote_code=False)", ["NBSEC-NB-012"]),  # no NB-004; unpinned
        ("exec(code)", ["NBSEC-NB-005"]),
        ("eval('1 + 1')", ["NBSEC-NB-005"]),  # reported, at low severity and confidence (bandit B307)
        ("import ast\nast.literal_eval(s)", []),
        ("model.eval()", []),
        ("pickle = None\njson.loads(s)", []),
        ("import httpx\nhttpx.Client(verify=False)", ["NBSEC-NB-007"]),
        ("import requests\nrequests.post('http://203.0.113.7/v1/chat', json=q)", ["NBSEC-NB-008"]),
        ("import requests\nrequests.post('http://127.0.0.1:8080/v1/chat', json=q)", []),
        ("llm = ChatOpenAI(base_url='https://api.example.com/v1')", []),
        ("import keras\nm = keras.models.load_model('m.keras', safe_mode=False)", ["NBSEC-NB-002"]),
        ("import keras\nm = keras.models.load_model('m.keras')", []),
        ("answer = llm.generate_text(prompt)\nresult = eval(answer)", ["NBSEC-NB-006"]),
        ("import subprocess\ncmd = chain.invoke(q).content\nsubprocess.run(cmd, shell=True)", ["NBSEC-NB-006"]),
        ("exec(model.generate(prompt))", ["NBSEC-NB-006"]),
        ("text = llm.generate_text(prompt)\nprint(text)\nexec(user_code)", ["NBSEC-NB-005"]),
    ],
)
def test_call_resolution(source: str, expected: list[str], tmp_path: Path) -> None:
    assert rule_ids(scan_code(tmp_path, source)) == expected


def test_ipython_syntax_is_transformed_before_parsing(tmp_path: Path) -> None:
    source = (
        "!pip install torch\n"
        "%matplotlib inline\n"
        "import torch\n"
        "%time m = torch.load('m.pt', weights_only=False)\n"
        "files = !ls\n"
    )
    report = scan_code(tmp_path, source)
    assert report.errors == []
    [finding] = report.findings
    assert (finding.rule_id, finding.location.line) == ("NBSEC-NB-001", 4)


def test_cell_magic_bodies_are_analysed_with_their_lines(tmp_path: Path) -> None:
    report = scan_code(tmp_path, "%%time\nimport pickle\nx = 1\npickle.loads(b)\n")
    [finding] = report.findings
    assert (finding.rule_id, finding.location.line) == ("NBSEC-NB-002", 4)
    shell = scan_code(tmp_path, "%%bash\npython -c 'import pickle; pickle.loads(b)'\n")
    assert shell.findings == [] and shell.errors == []  # not Python: not ours to parse


def test_locations_point_at_cell_line_and_column(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    path = write_notebook("nb.ipynb", ["import pickle", "x = 1\n\n  # indent\ny = pickle.loads(b)"])
    [finding] = nbsec.scan(path).findings
    loc = finding.location
    assert (loc.path, loc.cell, loc.execution_count, loc.line, loc.column) == ("nb.ipynb", 1, 2, 4, 5)
    assert (loc.end_line, loc.end_column) == (4, 20)
    assert finding.evidence.startswith("pickle.loads(b)")


def test_imports_carry_across_cells(write_notebook: Callable[..., Path]) -> None:
    path = write_notebook("nb.ipynb", ["import torch as T", "net = T.load('x')"])
    assert rule_ids(nbsec.scan(path)) == ["NBSEC-NB-001"]


def test_a_cell_with_a_syntax_error_is_reported_and_the_rest_scanned(write_notebook: Callable[..., Path]) -> None:
    path = write_notebook("nb.ipynb", ["def broken(:\n    pass", "eval(x)"])
    report = nbsec.scan(path)
    assert rule_ids(report) == ["NBSEC-NB-005"]
    assert len(report.errors) == 1
    assert "cell 1, line 1" in report.errors[0].message and "not checked" in report.errors[0].message


def test_inline_and_cell_metadata_suppression(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    ignored_cell = {
        "cell_type": "code",
        "execution_count": 3,
        "id": "m",
        "outputs": [],
        "metadata": {"nbsec": {"ignore": ["NBSEC-NB-005"]}},
        "source": "eval(a)\nexec(b)",
    }
    path = write_notebook(
        "nb.ipynb",
        [
            "import pickle\npickle.loads(b)  # nbsec: ignore[NBSEC-NB-002]",
            "pickle.loads(\n    b,\n)  # nbsec: ignore",
            "pickle.loads(b)  # nbsec: ignore[NBSEC-NB-005]",
            ignored_cell,
        ],
    )
    report = nbsec.scan(path)
    assert [(f.rule_id, f.location.cell) for f in report.findings] == [("NBSEC-NB-002", 2)]
    reasons = sorted((s.reason, s.finding.location.cell) for s in report.suppressed)
    assert reasons == [("cell-metadata", 3), ("cell-metadata", 3), ("inline", 0), ("inline", 1)]


def test_long_literals_are_cut_from_evidence(tmp_path: Path) -> None:
    secretish = "x" * 20 + "LONGTAILVALUE" * 5
    report = scan_code(tmp_path, f"import torch\ntorch.load('{secretish}')")
    assert "LONGTAILVALUE" not in report.findings[0].evidence


def test_columns_count_characters_not_utf8_bytes(write_notebook: Callable[..., Path]) -> None:
    path = write_notebook("nb.ipynb", ["import pickle\nnote = 'é→😀'; x = pickle.loads(b)"])
    [finding] = nbsec.scan(path).findings
    line = "note = 'é→😀'; x = pickle.loads(b)"
    assert finding.location.column == line.index("pickle") + 1
    assert finding.location.end_column == len(line) + 1
    assert finding.location.cell_id == "c0"


def test_llm_output_is_tracked_across_cells(write_notebook: Callable[..., Path]) -> None:
    path = write_notebook("nb.ipynb", [
        "resp = client.messages.create(model='m', messages=msgs)",
        "code = resp.content[0].text\nsnippet = code.strip()",
        "exec(snippet)",
    ])  # fmt: skip
    [finding] = nbsec.scan(path).findings
    assert (finding.rule_id, finding.location.cell) == ("NBSEC-NB-006", 2)


def test_every_rule_defined_anywhere_in_nbsec_is_in_the_catalogue() -> None:
    """A Rule defined in a module that RULE_MODULES does not list would vanish from `nbsec rules`,
    `explain`, SARIF and compliance. Import every module of the package (in a child process, torch
    included) and collect every Rule reachable from module globals, tuples and dicts."""
    import subprocess
    import sys

    probe = (
        "import importlib, json, pkgutil\n"
        "import nbsec\n"
        "from nbsec.model import Rule\n"
        "from nbsec.rule_catalogue import load_catalogue\n"
        "found = {}\n"
        "for info in pkgutil.walk_packages(nbsec.__path__, 'nbsec.'):\n"
        "    module = importlib.import_module(info.name)\n"
        "    for value in list(vars(module).values()):\n"
        "        items = value.values() if isinstance(value, dict) else value if isinstance(value, (tuple, list)) "
        "else [value]\n"
        "        for item in items:\n"
        "            if isinstance(item, Rule):\n"
        "                found.setdefault(item.id, info.name)\n"
        "catalogue = set(load_catalogue().ids())\n"
        "print(json.dumps({k: v for k, v in found.items() if k not in catalogue}))\n"
        "print(len(found))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300)
    missing_line, count_line = out.stdout.strip().splitlines()[-2:]
    assert json.loads(missing_line) == {}, "rules outside the catalogue (add their module to RULE_MODULES)"
    assert int(count_line) == len(RULES)


def test_every_built_in_scanners_rules_come_from_the_rule_modules() -> None:
    import importlib

    listed = {rule.id for name in RULE_MODULES for rule in importlib.import_module(name).RULES}
    for scanner in registry().values():
        if scanner.__module__.startswith("nbsec."):
            assert {r.id for r in scanner.rules} <= listed, scanner.name


def test_rules_explain_compliance_and_the_contract_see_the_same_rules() -> None:
    """One list: `nbsec rules`, `nbsec explain`, compliance mapping and this module's contract tests."""
    from cli import invoke

    from nbsec.compliance import map_report
    from nbsec.rule_catalogue import load_catalogue

    listed = [r["id"] for r in json.loads(invoke("rules", "-f", "json").output)]
    assert listed == [r.id for r in RULES] == load_catalogue().ids()
    for rule_id in listed:
        assert invoke("explain", rule_id).exit_code == 0, rule_id
    mapped = map_report(Report(), "nist-ai-rmf")  # with no findings, every rule can only be cited by the catalogue
    assert mapped.rule_load_failures == []
