"""`nbsec fix` for unsafe calls: the call at the finding's place is rewritten, everything else stays byte for byte.

Each test writes a real file, scans it with nbsec, hands the findings to the fixer, writes the Change's bytes
itself and scans again: the finding is gone, the diff holds only the intended lines, the code still parses.
Nothing here runs the code it edits.
"""

from __future__ import annotations

import ast
import difflib
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nbsec import api
from nbsec.fix.base import Change, FixContext, Refusal
from nbsec.fix.code_calls import FIXERS, TRANSFORMS, Target, fix_calls, rewrite_calls
from nbsec.model import Finding
from nbsec.rule_catalogue import load_catalogue

CALL_RULES = ("NBSEC-NB-001", "NBSEC-NB-003", "NBSEC-NB-004", "NBSEC-NB-007", "NBSEC-NB-013")


def findings_of(path: Path) -> tuple[Finding, ...]:
    return tuple(f for f in api.scan([path]).findings if f.rule_id in CALL_RULES)


def run_fixer(path: Path, findings: tuple[Finding, ...] | None = None) -> tuple[list[Change], list[Refusal]]:
    found = findings_of(path) if findings is None else findings
    return fix_calls(FixContext(path.parent, path, path.read_bytes(), found))


def changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def write_notebook(path: Path, sources: list[str | list[str]], markdown: str = "# Notes\n") -> Path:
    cells = [{"cell_type": "markdown", "id": "md", "metadata": {}, "source": markdown}]
    for i, source in enumerate(sources):
        cells.append(
            {
                "cell_type": "code",
                "execution_count": i + 1,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
        )
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


PY_SOURCE = """\
import requests
import torch as t
import yaml as y
from transformers import AutoModel

# the weights, on the CPU
m = t.load(
    "x.pt",
    map_location="cpu",  # keep on cpu
)
n = t.load("y.pt")  # the other one
ok = t.load("z.pt", weights_only=True)
cfg = y.load(open("c.yaml"), Loader=y.Loader)
docs = list(y.load_all(open("c.yaml"), y.UnsafeLoader))
model = AutoModel.from_pretrained("org/model", trust_remote_code=True)
r = requests.get("https://example.org/w.bin", verify=False, timeout=3)
"""


def test_a_python_file_gets_each_call_rewritten_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(PY_SOURCE, encoding="utf-8")
    assert len(findings_of(path)) == 6
    changes, refusals = run_fixer(path)
    assert refusals == []
    [change] = changes
    assert change.kind == "text" and change.before == path.read_bytes() and change.path == path
    assert len(change.fixes) == 6 and set(change.rule_ids) == set(CALL_RULES) - {"NBSEC-NB-013"}
    assert change.summary == (
        "train.py: 6 calls rewritten (line 7: t.load(...) now passes weights_only=True; line 11: t.load(...) now "
        "passes weights_only=True; line 13: y.load(...) is now y.safe_load(...); line 14: y.load_all(...) is now "
        "y.safe_load_all(...); line 15: AutoModel.from_pretrained(...) now passes trust_remote_code=False; line 16: "
        "requests.get(...) now passes verify=True)"
    )
    assert any("private CA" in note for note in change.notes) and any("vendor" in note for note in change.notes)
    assert changed_lines(change.before or b"", change.after) == [
        "+    weights_only=True,",  # its own line, before the closing parenthesis; the comment stays put
        '-n = t.load("y.pt")  # the other one',
        '+n = t.load("y.pt", weights_only=True)  # the other one',
        '-cfg = y.load(open("c.yaml"), Loader=y.Loader)',
        '-docs = list(y.load_all(open("c.yaml"), y.UnsafeLoader))',
        '-model = AutoModel.from_pretrained("org/model", trust_remote_code=True)',
        '-r = requests.get("https://example.org/w.bin", verify=False, timeout=3)',
        '+cfg = y.safe_load(open("c.yaml"))',
        '+docs = list(y.safe_load_all(open("c.yaml")))',
        '+model = AutoModel.from_pretrained("org/model", trust_remote_code=False)',
        '+r = requests.get("https://example.org/w.bin", verify=True, timeout=3)',
    ]
    ast.parse(change.after)
    path.write_bytes(change.after)
    assert findings_of(path) == ()


def test_only_the_call_the_finding_points_at_changes(tmp_path: Path) -> None:
    path = tmp_path / "two.py"
    path.write_text("import torch\na = torch.load('a.pt')\nb = torch.load('b.pt')\n", encoding="utf-8")
    first, second = sorted(findings_of(path), key=lambda f: f.location.line or 0)
    [change], _ = run_fixer(path, (second,))
    assert change.summary == "two.py line 3: torch.load(...) now passes weights_only=True"
    assert change.after == b"import torch\na = torch.load('a.pt')\nb = torch.load('b.pt', weights_only=True)\n"
    assert change.fixes == (second.fingerprint,)
    path.write_bytes(change.after)
    assert [f.location.line for f in findings_of(path)] == [first.location.line]


def test_a_call_through_an_imported_alias_is_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "alias.py"
    path.write_text("from torch import load as tload\nw = tload('w.pt')\n", encoding="utf-8")
    [change], refusals = run_fixer(path)
    assert refusals == [] and change.after == b"from torch import load as tload\nw = tload('w.pt', weights_only=True)\n"


def test_windows_line_endings_and_the_kwargs_dict_form_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "crlf.py"
    source = (
        "import transformers\r\n"
        "pipe = transformers.pipeline('text-generation', model_kwargs={'trust_remote_code': True})\r\n"
    )
    path.write_bytes(source.encode("utf-8"))
    [change], refusals = run_fixer(path)
    assert refusals == []
    assert change.after == source.replace("True}", "False}").encode("utf-8")
    path.write_bytes(change.after)
    assert findings_of(path) == ()


def test_a_notebook_with_ipython_syntax_keeps_its_magics_and_every_other_byte(tmp_path: Path) -> None:
    cells: list[str | list[str]] = [
        "%pip install torch pyyaml\nimport torch, yaml\nfiles = !ls\n",
        [
            "for name in files:\n",
            "    !echo loading $name\n",
            "    state = torch.load(name)  # each checkpoint\n",
            "print('100%!')",
        ],
        "%%time\nconfig = yaml.load(open('c.yaml'), Loader=yaml.FullLoader if False else yaml.Loader)\n",
        "%%time\nsettings = yaml.load(open('s.yaml'), Loader=yaml.UnsafeLoader)",
        "import requests\nrequests.post('https://api.example/v1', json={}, verify=False)",
    ]
    path = write_notebook(tmp_path / "demo.ipynb", cells, markdown="# Réglages\n")
    before = path.read_bytes()
    found = findings_of(path)
    assert sorted(f.location.cell for f in found if f.location.cell is not None) == [2, 3, 4, 5]
    changes, refusals = run_fixer(path)
    # yaml.load with a computed Loader (an expression, not a name) is not rewritten
    assert [(r.finding.location.cell, "not one of PyYAML's own loaders" in r.reason) for r in refusals] == [(3, True)]
    [change] = changes
    assert change.kind == "notebook"
    assert change.summary.startswith(
        "demo.ipynb: 3 calls rewritten (cell 3: torch.load(...) now passes weights_only=True;"
    )
    assert changed_lines(before, change.after) == [
        '-    "    state = torch.load(name)  # each checkpoint\\n",',
        '+    "    state = torch.load(name, weights_only=True)  # each checkpoint\\n",',
        '-   "source": "%%time\\nsettings = yaml.load(open(\'s.yaml\'), Loader=yaml.UnsafeLoader)"',
        '+   "source": "%%time\\nsettings = yaml.safe_load(open(\'s.yaml\'))"',
        '-   "source": "import requests\\nrequests.post(\'https://api.example/v1\', json={}, verify=False)"',
        '+   "source": "import requests\\nrequests.post(\'https://api.example/v1\', json={}, verify=True)"',
    ]
    nbformat.validate(nbformat.reads(change.after.decode("utf-8"), as_version=4))
    edited = json.loads(change.after)
    assert edited["cells"][2]["source"][1] == "    !echo loading $name\n"  # the list form and the magic kept
    path.write_bytes(change.after)
    assert [f.location.cell for f in findings_of(path)] == [3]


def test_calls_that_cannot_be_rewritten_safely_are_refused_with_the_reason(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path / "hard.ipynb",
        [
            "import torch\n%time w = torch.load('a.pt')",
            "flag = False\nw = torch.load('b.pt', weights_only=flag)",
            "opts = {}\nw = torch.load('c.pt', **opts)",
            "from yaml import load\nc = load(open('c.yaml'))",
            "import yaml\nc = yaml.load(open('c.yaml'), Loader=MyLoader)",
        ],
    )
    before = path.read_bytes()
    changes, refusals = run_fixer(path)
    assert changes == []
    reasons = {r.finding.location.cell: r.reason for r in refusals}
    assert "IPython magic" in reasons[1]
    assert "computed at run time" in reasons[2]
    assert "**kwargs" in reasons[3]
    assert "from yaml import" in reasons[4]
    assert "MyLoader" in reasons[5]
    assert path.read_bytes() == before


def test_a_file_edited_after_the_scan_is_refused_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "moved.py"
    path.write_text("import torch\nw = torch.load('a.pt')\n", encoding="utf-8")
    found = findings_of(path)
    path.write_text("import torch\n\nw = torch.load('a.pt')\n", encoding="utf-8")
    changes, refusals = run_fixer(path, found)
    assert changes == [] and "changed since it was scanned" in refusals[0].reason


def test_non_python_cells_and_magic_bodies_are_refused() -> None:
    edited = rewrite_calls("%%bash\nls\n", [(Target(2, 1), "NBSEC-NB-003")])
    assert edited.done == [] and "%%bash cell is not Python" in edited.refused[0][1]


def test_tar_extraction_findings_get_a_data_filter(tmp_path: Path) -> None:
    """NBSEC-NB-013 on tarfile and shutil.unpack_archive calls: filter="data" added, the rest of the line kept."""
    path = tmp_path / "unpack.py"
    path.write_text(
        "import shutil\nimport tarfile as tf\n"
        "with tf.open(p) as archive:\n"
        "    archive.extractall(dest)  # unpack\n"
        "    archive.extract(m, dest, filter='tar')\n"
        "tf.open(q).extractall(members=picked(q))\n"
        "shutil.unpack_archive('data.tar.gz', 'data')\n",
        encoding="utf-8",
    )
    found = findings_of(path)
    assert sorted((f.rule_id, f.location.line or 0) for f in found) == [("NBSEC-NB-013", n) for n in (4, 6, 7)]
    [change], refusals = run_fixer(path)
    assert refusals == [] and change.rule_ids == ("NBSEC-NB-013",)
    assert any("Python >= 3.12" in note for note in change.notes)
    assert changed_lines(change.before or b"", change.after) == [
        "-    archive.extractall(dest)  # unpack",
        '+    archive.extractall(dest, filter="data")  # unpack',
        "-tf.open(q).extractall(members=picked(q))",
        "-shutil.unpack_archive('data.tar.gz', 'data')",
        '+tf.open(q).extractall(members=picked(q), filter="data")',
        "+shutil.unpack_archive('data.tar.gz', 'data', filter=\"data\")",
    ]
    path.write_bytes(change.after)
    assert findings_of(path) == ()


def test_tar_findings_the_fixer_must_not_guess_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "manual.py"
    path.write_text(
        "import tarfile, zipfile, os\n"
        "tarfile.open(p).extractall(d, filter='fully_trusted')\n"
        "zf = zipfile.ZipFile(p)\n"
        "for name in zf.namelist():\n"
        "    with open(os.path.join(d, name), 'wb') as out:\n"
        "        out.write(zf.read(name))\n",
        encoding="utf-8",
    )
    before = path.read_bytes()
    assert sorted(f.location.line or 0 for f in findings_of(path)) == [2, 5]
    changes, refusals = run_fixer(path)
    assert changes == [] and path.read_bytes() == before
    reasons = sorted(r.reason for r in refusals)
    assert reasons[0].startswith("open(...) writes archive members by hand")
    assert reasons[1].startswith("the call already passes filter=")


def test_every_call_rule_is_registered_with_the_fixer() -> None:
    assert set(FIXERS[0].rule_ids) == {key for key in TRANSFORMS if key.startswith("NBSEC-")} == set(CALL_RULES)
    catalogue = {rule.id for rule in load_catalogue().rules}
    assert set(CALL_RULES) <= catalogue


def test_importing_the_fixer_does_not_import_libcst() -> None:
    code = "import sys, nbsec.fix.code_calls; print('libcst' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("apply", [False, True])
def test_through_nbsec_fix(tmp_path: Path, apply: bool) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", ["import torch\nw = torch.load('w.pt')  # weights\n"])
    before = path.read_bytes()
    report = api.fix([tmp_path], rules=["NBSEC-NB-001"], apply=apply, backup=False)
    assert report.fixes is not None
    [change] = report.fixes.changes
    assert change.summary == "nb.ipynb cell 2: torch.load(...) now passes weights_only=True"
    if apply:
        assert "weights_only=True)  # weights" in json.loads(path.read_bytes())["cells"][1]["source"]
        assert findings_of(path) == ()
    else:
        assert path.read_bytes() == before


def test_twin_calls_one_in_a_magic_line_are_reported_apart(tmp_path: Path) -> None:
    """`%time m = torch.load(p)` and `m = torch.load(p)` give one fingerprint: one is fixed, the other refused."""
    path = write_notebook(
        tmp_path / "nb.ipynb", ["import torch\np = 'w.pt'\n%time m = torch.load(p)\n", "m = torch.load(p)\n"]
    )
    found = findings_of(path)
    assert [f.location.cell for f in found] == [1, 2] and found[0].fingerprint == found[1].fingerprint
    refused = "refused: the call is inside an IPython magic or shell line (a string IPython runs)"
    summary = "nb.ipynb cell 3: torch.load(...) now passes weights_only=True"
    for apply in (False, True):
        report = api.fix([tmp_path], rules=["NBSEC-NB-001"], apply=apply, backup=False)
        assert report.fixes is not None
        outcomes = {o.finding.location.cell: (o.status, o.reason) for o in report.fixes.outcomes}
        assert outcomes == {1: ("remains", refused), 2: ("fixed" if apply else "fixable", summary)}
    assert [f.location.cell for f in findings_of(path)] == [1]
    assert json.loads(path.read_text())["cells"][2]["source"] == "m = torch.load(p, weights_only=True)\n"
