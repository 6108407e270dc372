"""Code rules at bandit's depth for ML work: hub downloads without a pinned revision, archive extraction,
urlopen, jinja2 autoescape, marshal, eval/exec of constants, jsonpickle -- each with the cases that must
trigger and the look-alikes that must not, as a .py file and as notebook cells (imports and names carry
from cell to cell)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nbsec
from nbsec.model import Report
from nbsec.scanners.notebook.rules import checks_for

PIN = "5d0f2e8a7f1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"
Seen = list[tuple[str, str, str]]  # (rule id, severity, confidence), sorted


def scan(tmp_path: Path, *cells: str, as_notebook: bool = True) -> Report:
    if as_notebook:
        path = tmp_path / "sample.ipynb"
        code = [
            {"cell_type": "code", "execution_count": i + 1, "id": f"c{i}", "metadata": {}, "outputs": [], "source": c}
            for i, c in enumerate(cells)
        ]
        path.write_text(json.dumps({"cells": code, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    else:
        path = tmp_path / "sample.py"
        path.write_text("\n".join(cells))
    report = nbsec.scan(path)
    assert report.errors == []
    return report


def seen(report: Report, prefix: str = "NBSEC-NB-") -> Seen:
    return sorted(
        (f.rule_id, f.severity.value, f.confidence.value) for f in report.findings if f.rule_id.startswith(prefix)
    )


def both(tmp_path: Path, *cells: str) -> Seen:
    """Findings as notebook cells, checked to be the same as the cells joined into one .py file."""
    as_notebook = seen(scan(tmp_path, *cells))
    assert seen(scan(tmp_path, *cells, as_notebook=False)) == as_notebook
    return as_notebook


HUB = "NBSEC-NB-012"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from transformers import AutoModel\nAutoModel.from_pretrained('org/m')", [(HUB, "medium", "high")]),
        (
            "import transformers as tr\ntr.AutoTokenizer.from_pretrained('org/m', revision='main')",
            [(HUB, "medium", "high")],
        ),
        (
            "from transformers import AutoModel\nAutoModel.from_pretrained('org/m', revision='v1.0')",
            [(HUB, "low", "high")],
        ),
        (
            "from huggingface_hub import hf_hub_download as dl\ndl(repo_id='org/m', filename='w.bin')",
            [(HUB, "medium", "high")],
        ),
        ("import huggingface_hub\nhuggingface_hub.snapshot_download('org/m')", [(HUB, "medium", "high")]),
        ("from datasets import load_dataset\nload_dataset('org/data', split='train')", [(HUB, "medium", "high")]),
        ("import torch\ntorch.hub.load('pytorch/vision', 'resnet18')", [(HUB, "medium", "high")]),
        ("import torch\ntorch.hub.load('pytorch/vision:v0.10.0', 'resnet18')", [(HUB, "low", "high")]),
        (
            "from sentence_transformers import SentenceTransformer\nSentenceTransformer('org/emb')",
            [(HUB, "medium", "high")],
        ),
        ("from peft import PeftModel\nPeftModel.from_pretrained(base, 'org/adapter')", [(HUB, "medium", "high")]),
        ("model = MyModel.from_pretrained('org/m')", [(HUB, "medium", "medium")]),  # not imported: less certain
        ("from transformers import AutoModel\nAutoModel.from_pretrained(args.model)", [(HUB, "low", "low")]),
        # must not trigger
        (f"from transformers import AutoModel\nAutoModel.from_pretrained('org/m', revision='{PIN}')", []),
        (f"from huggingface_hub import snapshot_download\nsnapshot_download('org/m', revision='{PIN[:10]}')", []),
        ("from transformers import AutoModel\nAutoModel.from_pretrained('./local_model')", []),
        ("from transformers import AutoModel\nAutoModel.from_pretrained('/models/bert')", []),
        ("from transformers import AutoModel\nAutoModel.from_pretrained('outputs/run1/checkpoint-500')", []),
        ("from pathlib import Path\nfrom transformers import AutoModel\nAutoModel.from_pretrained(Path('m'))", []),
        (
            "import os\nfrom transformers import AutoModel\nd = os.path.join(root, 'm')\nAutoModel.from_pretrained(d)",
            [],
        ),
        ("from transformers import AutoModel\nAutoModel.from_pretrained('org/m', revision=REV)", []),
        ("from transformers import AutoModel\nAutoModel.from_pretrained('org/m', local_files_only=True)", []),
        ("from datasets import load_dataset\nload_dataset('csv', data_files='train.csv')", []),
        ("import torch\ntorch.hub.load('./hub_repo', 'model', source='local')", []),
        (f"import torch\ntorch.hub.load('pytorch/vision:{PIN}', 'resnet18')", []),
        ("def load_dataset(p):\n    return p\nload_dataset('org/data')", []),  # the author's own function
    ],
)
def test_hub_downloads(tmp_path: Path, source: str, expected: Seen) -> None:
    assert both(tmp_path, source) == expected


def test_hub_names_and_saved_folders_carry_across_cells(tmp_path: Path) -> None:
    cells = (
        "from transformers import AutoModelForCausalLM as LM\nMODEL = 'org/chat'\nOUT = 'finetuned'",
        "model = LM.from_pretrained(MODEL)",  # a hub id, through a name bound in the cell before
        "model.save_pretrained(OUT)",
        "again = LM.from_pretrained(OUT)\nalso = LM.from_pretrained('finetuned')",  # the folder it saved: local
    )
    report = scan(tmp_path, *cells)
    assert [(f.rule_id, f.location.cell) for f in report.findings] == [(HUB, 1)]
    assert "from_pretrained('org/chat')" in report.findings[0].evidence


def test_trust_remote_code_is_reported_once_as_nb004(tmp_path: Path) -> None:
    source = "from transformers import AutoModel\nAutoModel.from_pretrained('org/m', trust_remote_code=True)"
    assert [r for r, _, _ in both(tmp_path, source)] == ["NBSEC-NB-004"]


ARCHIVE = "NBSEC-NB-013"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import tarfile\nwith tarfile.open(p) as t:\n    t.extractall(d)", [(ARCHIVE, "high", "high")]),
        ("import tarfile as tf\ntf.open(p).extract('a', d)", [(ARCHIVE, "high", "high")]),
        ("from tarfile import open as topen\narc = topen(p)\narc.extractall()", [(ARCHIVE, "high", "high")]),
        ("import tarfile\ntarfile.open(p).extractall(d, filter='fully_trusted')", [(ARCHIVE, "high", "high")]),
        ("import tarfile\nt = tarfile.open(p)\nt.extractall(d, members=safe(t))", [(ARCHIVE, "low", "low")]),
        ("import tarfile\nt = tarfile.open(p)\nt.extractall(d, members=picked)", [(ARCHIVE, "medium", "medium")]),
        ("import shutil\nshutil.unpack_archive('data.tar.gz', 'data')", [(ARCHIVE, "high", "high")]),
        ("import shutil\nshutil.unpack_archive(path, 'data')", [(ARCHIVE, "high", "medium")]),
        (
            "import os, zipfile\nzf = zipfile.ZipFile(p)\nfor n in zf.namelist():\n"
            "    open(os.path.join(d, n), 'wb').write(zf.read(n))",
            [(ARCHIVE, "high", "medium")],
        ),
        (
            "import os, zipfile\nwith zipfile.ZipFile(p) as zf:\n    for info in zf.infolist():\n"
            "        target = os.path.join(d, info.filename)\n        with open(target, 'wb') as out:\n"
            "            out.write(zf.read(info))",
            [(ARCHIVE, "high", "medium")],
        ),
        # must not trigger
        ("import tarfile\nwith tarfile.open(p) as t:\n    t.extractall(d, filter='data')", []),
        ("import tarfile\ntarfile.open(p).extractall(d, filter=tarfile.tar_filter)", []),
        ("import zipfile\nzipfile.ZipFile(p).extractall(d)", []),  # zipfile sanitises member names
        ("import shutil\nshutil.unpack_archive('data.zip', 'data')", []),
        ("import shutil\nshutil.unpack_archive(p, 'data', filter='data')", []),
        ("import zipfile\nzf = zipfile.ZipFile(p)\nfor n in zf.namelist():\n    print(open(n).read())", []),
        ("repo.extractall(d)\nmodel.extract(features)", []),  # not a tarfile
    ],
)
def test_archive_extraction(tmp_path: Path, source: str, expected: Seen) -> None:
    assert both(tmp_path, source) == expected


URL = "NBSEC-NB-014"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import urllib.request\nurllib.request.urlopen('file:///etc/passwd')", [(URL, "medium", "high")]),
        ("from urllib.request import urlretrieve as fetch\nfetch(url, 'w.bin')", [(URL, "medium", "low")]),
        ("import six\nsix.moves.urllib.request.urlopen(link)", [(URL, "medium", "low")]),
        ("import urllib2\nurllib2.urlopen('ftp://host/f')", [(URL, "medium", "high")]),
        ("import urllib.request\nopener = urllib.request.FancyURLopener()", [(URL, "medium", "medium")]),
        (
            "import urllib.request as u\nreq = u.Request(target)\nu.urlopen(req)",  # reported once, at the Request
            [(URL, "medium", "low")],
        ),
        # must not trigger
        ("import urllib.request\nurllib.request.urlopen('https://example.org/m.bin')", []),
        ("import urllib.request\nurllib.request.urlopen(f'https://{host}/v1/models')", []),
        ("import urllib.request\nBASE = 'https://example.org'\nurllib.request.urlretrieve(BASE, 'x')", []),
        ("import urllib.request\nreq = urllib.request.Request('https://example.org')\nurllib.request.urlopen(req)", []),
        ("import requests\nrequests.get(url, timeout=5)", []),
    ],
)
def test_urlopen(tmp_path: Path, source: str, expected: Seen) -> None:
    assert both(tmp_path, source) == expected


JINJA = "NBSEC-NB-015"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import jinja2\nenv = jinja2.Environment(loader=loader)", [(JINJA, "medium", "medium")]),
        ("from jinja2 import Environment\nEnvironment(autoescape=False)", [(JINJA, "medium", "high")]),
        ("from jinja2 import Environment\nEnvironment(autoescape=pick())", [(JINJA, "medium", "low")]),
        ("import jinja2\nt = jinja2.Template('<div>{{ answer }}</div>')", [(JINJA, "medium", "medium")]),
        # must not trigger
        ("import jinja2\njinja2.Environment(autoescape=True)", []),
        ("from jinja2 import Environment, select_autoescape\nEnvironment(autoescape=select_autoescape())", []),
        ("import jinja2\nt = jinja2.Template('Answer the question: {{ q }}')", []),  # a prompt: plain text
        ("import jinja2\nt = jinja2.Template('<p>{{ a }}</p>', autoescape=True)", []),
        ("from string import Template\nTemplate('<p>$a</p>')", []),
    ],
)
def test_jinja2_autoescape(tmp_path: Path, source: str, expected: Seen) -> None:
    assert both(tmp_path, source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import marshal\nmarshal.loads(blob)", [("NBSEC-NB-016", "medium", "high")]),
        ("from marshal import load as mload\nmload(f)", [("NBSEC-NB-016", "medium", "high")]),
        ("import marshal\nblob = marshal.dumps(table)", []),
        # eval/exec: a constant string is reported low/low, a computed one medium; literal_eval is the fix
        ("eval('1 + 1')", [("NBSEC-NB-005", "low", "low")]),
        ("exec('import os')", [("NBSEC-NB-005", "low", "low")]),
        ("eval('os.chmod(%s)' % name)", [("NBSEC-NB-005", "medium", "medium")]),
        ("import ast\nast.literal_eval(text)", []),
        ("model.eval()\nnet.train(False).eval()", []),
        # jsonpickle: the three ways bandit lists, and an Unpickler kept in a name
        ("import jsonpickle\njsonpickle.decode(s)", [("NBSEC-NB-002", "high", "medium")]),
        ("import jsonpickle\njsonpickle.unpickler.decode(s)", [("NBSEC-NB-002", "high", "medium")]),
        ("import jsonpickle\njsonpickle.unpickler.Unpickler().restore(o)", [("NBSEC-NB-002", "high", "medium")]),
        ("from jsonpickle import Unpickler\nu = Unpickler()\nu.restore(o)", [("NBSEC-NB-002", "high", "medium")]),
        ("import jsonpickle\ntext = jsonpickle.encode(obj)", []),
    ],
)
def test_deserialization_and_eval(tmp_path: Path, source: str, expected: Seen) -> None:
    assert both(tmp_path, source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "import pickle\npickle.Unpickler(f).load()",
        "import dill\ndill.loads(b)",
        "import shelve\nwith shelve.open(name) as db:\n    pass",
        "import pandas as pd\npd.read_pickle(p)",
        "import torch\ntorch.load(p, map_location='cpu')",
        "import yaml\nyaml.load(s, Loader=yaml.Loader)",
    ],
)
def test_the_other_deserializers_bandit_lists_still_have_a_finding(tmp_path: Path, source: str) -> None:
    assert len(both(tmp_path, source)) == 1


def test_inline_suppression_covers_the_new_rules(tmp_path: Path) -> None:
    source = (
        "import tarfile, marshal\n"
        "tarfile.open(p).extractall(d)  # nbsec: ignore[NBSEC-NB-013]\n"
        "marshal.loads(b)  # nbsec: ignore[NBSEC-NB-016]\n"
        "marshal.loads(c)\n"
    )
    report = scan(tmp_path, source)
    assert [(f.rule_id, f.location.line) for f in report.findings] == [("NBSEC-NB-016", 4)]
    assert sorted(s.finding.rule_id for s in report.suppressed) == ["NBSEC-NB-013", "NBSEC-NB-016"]


def test_only_the_checks_a_call_can_match_run() -> None:
    """The speed of the one walk: a call to an unrelated name runs no check, keywords add only the keyword checks."""
    assert checks_for("train_step", False) == ()
    assert {c.__name__ for c in checks_for("train_step", True)} == {"check_trust_remote_code", "check_tls_and_http"}
    assert "check_hub_download" in {c.__name__ for c in checks_for("from_pretrained", False)}


def test_a_name_rebound_to_something_else_is_no_longer_an_archive(tmp_path: Path) -> None:
    cells = (
        "import tarfile\nbox = tarfile.open(p)\nbox.extractall(d, filter='data')",
        "box = Toolbox()\nbox.extractall(d)",
    )
    assert both(tmp_path, *cells) == []
