"""The credentials fixer: a credential literal in code becomes `os.environ["NAME"]`, NAME goes to .env.example.

What a user relies on: after the change is written, a re-scan reports no NBSEC-NB-010 there; the code
still parses and reads like a person's edit (the literal replaced, formatting and comments kept, `import
os` where it belongs); the value is nowhere in the new file, in .env.example or in the diff once
Change.secrets are hidden; what cannot be fixed safely is refused with a reason. The fixer never runs
the code it edits (a cell that would write a marker file proves it). Key-shaped samples are built at
run time from a seeded generator.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import random
import re
import string
from pathlib import Path
from typing import Any

import nbformat
import pytest
from fix_helpers import shown_diff, write_changes

from nbsec import api
from nbsec.demo import demo_notebook
from nbsec.fix.base import Change, FixContext
from nbsec.fix.credentials import FIXERS, fix_credentials
from nbsec.fix.ipython_lines import mask_ipython
from nbsec.fix.notebook_outputs import fix_outputs
from nbsec.model import Finding
from nbsec.redact import redact

RULE = "NBSEC-NB-010"
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    rng = random.Random(f"fix-credentials-{seed}-{n}")
    return "".join(rng.choice(alphabet) for _ in range(n))


OPENAI = "sk-" + "proj-" + rand(48, seed=1)
GITHUB = "gh" + "p_" + rand(36, seed=2)
HF = "h" + "f_" + rand(34, string.ascii_letters, seed=3)
PASSWORD = "Zq8" + rand(13, seed=4)
PASSWORD_2 = "Xw3" + rand(13, seed=5)
VALUES = (OPENAI, GITHUB, HF, PASSWORD, PASSWORD_2)


def findings_of(path: Path, rules: tuple[str, ...] = (RULE,)) -> tuple[Finding, ...]:
    return tuple(f for f in api.scan([path]).findings if f.rule_id in rules)


def run_fix(path: Path, root: Path | None = None) -> tuple[list[Change], list[Any]]:
    return fix_credentials(FixContext(root or path.parent, path, path.read_bytes(), findings_of(path)))


def assert_no_value(*texts: str | bytes) -> None:
    for text in texts:
        body = text.decode("utf-8") if isinstance(text, bytes) else text
        for value in VALUES:
            assert value not in body


def code_cell(source: str | list[str], index: int) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": index, "id": f"c{index}", "metadata": {}, "outputs": [],
            "source": source}  # fmt: skip


def write_notebook(path: Path, cells: list[dict[str, Any]]) -> Path:
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def sources(content: bytes) -> list[str]:
    return [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in json.loads(content)["cells"]
    ]


# -- the demo notebook ---------------------------------------------------------------------------------


def test_demo_credentials_become_environment_lookups(tmp_path: Path) -> None:
    nb = demo_notebook()
    path = tmp_path / "demo.ipynb"
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    secrets_in_code = re.findall(r'"(sk-[^"]+|AKIA[^"]+)"|admin:([^@]+)@', "".join(nb["cells"][2]["source"]))
    planted = [a or b for a, b in secrets_in_code]
    assert len(planted) == 3
    before = path.read_bytes()
    changes, refusals = run_fix(path)
    assert refusals == []
    notebook, env = changes
    assert notebook.kind == "notebook" and notebook.path == path and notebook.before == before
    assert len(notebook.fixes) == 3
    assert notebook.summary == (
        "cell 3 [2]: 3 credentials replaced by os.environ lookups (OPENAI_API_KEY, AWS_ACCESS_KEY_ID, "
        "DATABASE_PASSWORD); import os added to cell 2 [1]"
    )
    assert notebook.notes[0] == "set OPENAI_API_KEY, AWS_ACCESS_KEY_ID, DATABASE_PASSWORD in your environment " + (
        "(see .env.example)"
    )
    assert env.kind == "new-file" and env.path == tmp_path / ".env.example" and env.before is None
    assert env.source == path
    write_changes(changes)
    new = sources(path.read_bytes())
    old = sources(before)
    assert new[1] == "import os\n" + old[1]  # sorted in before `import pickle`, in the imports cell that runs first
    assert new[2] == (
        'OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]\n'
        'AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]\n'
        "DATABASE_URL = f\"postgresql://admin:{os.environ['DATABASE_PASSWORD']}@db.internal.example:5432/prod\""
    )
    assert [i for i, (a, b) in enumerate(zip(json.loads(before)["cells"], json.loads(path.read_bytes())["cells"],
                                              strict=True)) if a != b] == [1, 2]  # fmt: skip
    for cell in new[1:3]:
        ast.parse(cell)
    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=nbformat.NO_CONVERT))
    assert findings_of(path) == ()
    env_text = (tmp_path / ".env.example").read_text(encoding="utf-8")
    assert re.findall(r"^([A-Z_]+)=$", env_text, re.MULTILINE) == ["OPENAI_API_KEY", "AWS_ACCESS_KEY_ID",
                                                                     "DATABASE_PASSWORD"]  # fmt: skip
    diff = shown_diff(notebook)
    for value in planted:
        assert value not in diff and value not in env_text
        assert value not in json.dumps(new)  # the code no longer holds it (the output does: NBSEC-NB-011)


def test_demo_both_fixers_in_turn_leave_no_value_in_the_file(tmp_path: Path) -> None:
    """The core runs notebook-outputs, then credentials on its result: the file then holds no value at all."""
    nb = demo_notebook()
    path = tmp_path / "demo.ipynb"
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    found = findings_of(path, ("NBSEC-NB-011", "NBSEC-PRIV-001"))
    (outputs,), _ = fix_outputs(FixContext(tmp_path, path, path.read_bytes(), found, {}))
    write_changes([outputs])
    changes, refusals = run_fix(path)
    assert refusals == []
    write_changes(changes)
    text = path.read_text(encoding="utf-8")
    password = re.search(r"admin:([^@]+)@", "".join(nb["cells"][2]["source"]))
    assert password is not None and password.group(1) not in text
    assert "sk-proj-" not in text and "AKIA" not in text
    assert findings_of(path, ("NBSEC-NB-010", "NBSEC-NB-011", "NBSEC-PRIV-001")) == ()


# -- names and literal positions ----------------------------------------------------------------------

CASES = [
    (f'from openai import OpenAI\nclient = OpenAI(api_key="{OPENAI}")  # the client\n',
     'client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])  # the client', "OPENAI_API_KEY"),
    (f'openai_api_key = "{OPENAI}"\n', 'openai_api_key = os.environ["OPENAI_API_KEY"]', "OPENAI_API_KEY"),
    (f'db = {{\n    "host": "db",\n    "password": "{PASSWORD}",\n}}\n', '    "password": os.environ["PASSWORD"],',
     "PASSWORD"),
    (f'hf_token = u"{HF}"\n', 'hf_token = os.environ["HF_TOKEN"]', "HF_TOKEN"),
    (f'headers = {{"Authorization": "Bearer {GITHUB}"}}\n',
     "headers = {\"Authorization\": f\"Bearer {os.environ['GITHUB_TOKEN']}\"}", "GITHUB_TOKEN"),
    (f'DATABASE_URL = "postgresql://admin:{PASSWORD}@db:5432/prod"\n',
     "DATABASE_URL = f\"postgresql://admin:{os.environ['DATABASE_PASSWORD']}@db:5432/prod\"", "DATABASE_PASSWORD"),
    (f"engine = create_engine('mysql://root:{PASSWORD}@db/{{name}}')\n",
     "engine = create_engine(f'mysql://root:{os.environ[\"DB_PASSWORD\"]}@db/{{name}}')", "DB_PASSWORD"),
    (f'key = os.getenv("OPENAI_API_KEY", "{OPENAI}")\n', 'key = os.environ["OPENAI_API_KEY"]', "OPENAI_API_KEY"),
    (f'raw = b"{OPENAI}"\n', 'raw = os.environ["OPENAI_API_KEY"].encode()', "OPENAI_API_KEY"),
    (f'def connect(token="{GITHUB}"):\n    return token\n', 'def connect(token=os.environ["GITHUB_TOKEN"]):',
     "GITHUB_TOKEN"),
    (f'user = "x"\nurl = f"https://{{user}}/?token={GITHUB}"\n',
     "url = f\"https://{user}/?token={os.environ['GITHUB_TOKEN']}\"", "GITHUB_TOKEN"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "expected", "name"), CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_python_file_literal_replaced(tmp_path: Path, code: str, expected: str, name: str) -> None:
    path = tmp_path / "app.py"
    path.write_text(code, encoding="utf-8")
    assert findings_of(path), "the sample must be a finding"
    changes, refusals = run_fix(path)
    assert refusals == []
    change, env = changes
    assert change.kind == "text" and change.notes[0] == f"set {name} in your environment (see .env.example)"
    write_changes(changes)
    new = path.read_text(encoding="utf-8")
    assert expected in new.splitlines()
    assert new.startswith("import os\n")  # no import before: one added at the top
    ast.parse(new)
    assert findings_of(path) == ()
    assert (tmp_path / ".env.example").read_text(encoding="utf-8").endswith(f"\n{name}=\n")
    assert_no_value(new, env.after, shown_diff(change))
    # Everything but the literal (and the import) is as it was: the rest of each line, comments, blank lines.
    added = [line for line in difflib.ndiff(code.splitlines(), new.splitlines()) if line.startswith("+ ")]
    assert added[0] == "+ import os" and set(added[1:-1]) <= {"+ "}  # the import and PEP 8's blank lines
    assert added[-1] == f"+ {expected}" or expected.startswith("    ")


def test_import_os_is_sorted_into_the_imports_and_not_duplicated(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(
        f'"""Doc."""\nfrom __future__ import annotations\n\nimport json\nimport sys\n\nTOKEN = "{GITHUB}"\n',
        encoding="utf-8",
    )
    write_changes(run_fix(path)[0])
    assert path.read_text(encoding="utf-8") == (
        '"""Doc."""\nfrom __future__ import annotations\n\nimport json\nimport os\nimport sys\n\n'
        'TOKEN = os.environ["GITHUB_TOKEN"]\n'
    )
    path.write_text(f'import os.path\n\nTOKEN = "{GITHUB}"\n', encoding="utf-8")
    write_changes(run_fix(path)[0])
    assert path.read_text(encoding="utf-8") == 'import os.path\n\nTOKEN = os.environ["GITHUB_TOKEN"]\n'


def test_crlf_bom_and_non_ascii_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_bytes(("\ufeff" + f'import sys\r\n# café\r\napi_key = "{OPENAI}"  # clé\r\n').encode("utf-8"))
    write_changes(run_fix(path)[0])
    assert path.read_bytes() == (
        "\ufeff" + 'import os\r\nimport sys\r\n# café\r\napi_key = os.environ["OPENAI_API_KEY"]  # clé\r\n'
    ).encode("utf-8")


def test_two_values_never_share_a_name_and_one_value_keeps_one(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(
        f'a = {{"password": "{PASSWORD}"}}\nb = {{"password": "{PASSWORD_2}"}}\nc = {{"password": "{PASSWORD}"}}\n',
        encoding="utf-8",
    )
    changes, _ = run_fix(path)
    write_changes(changes)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["import os", ""] and lines[2:] == [
        'a = {"password": os.environ["PASSWORD"]}',
        'b = {"password": os.environ["PASSWORD_2"]}',
        'c = {"password": os.environ["PASSWORD"]}',
    ]
    assert (tmp_path / ".env.example").read_text(encoding="utf-8").splitlines()[-2:] == ["PASSWORD=", "PASSWORD_2="]


def test_a_comment_is_redacted_in_place(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(f"x = 1  # old key {OPENAI}\n", encoding="utf-8")
    (change,), refusals = run_fix(path)  # no lookup, so no .env.example and no import
    assert refusals == []
    assert change.after.decode() == f"x = 1  # old key {redact(OPENAI)}\n"


# -- notebooks: IPython syntax, placement of the import --------------------------------------------------


def test_magic_and_shell_lines_are_kept_and_a_credential_in_one_is_refused(tmp_path: Path) -> None:
    cell = (
        "%pip install openai\n"
        f'cfg = {{"password": "{PASSWORD}"}}\n'
        "files = !ls\n"
        f'!curl -H "Authorization: token {GITHUB}" https://api.example.org\n'
        "cfg?\n"
    )
    path = write_notebook(tmp_path / "nb.ipynb", [code_cell(cell, 1)])
    changes, refusals = run_fix(path)
    assert [r.reason for r in refusals] == [
        "the credential is in an IPython magic or shell line (%env, !cmd): delete it and set the variable in the "
        "environment Jupyter starts from"
    ]
    write_changes(changes)
    new = sources(path.read_bytes())[0].splitlines()
    assert new == [
        "%pip install openai",
        "import os",
        'cfg = {"password": os.environ["PASSWORD"]}',
        "files = !ls",
        cell.splitlines()[3],  # the shell line, untouched (it still holds the token: refused above)
        "cfg?",
    ]
    remaining = findings_of(path)
    assert len(remaining) == 1 and remaining[0].location.line == 5


def test_cell_magics(tmp_path: Path) -> None:
    masked = mask_ipython(f'%%time\nkey = "{OPENAI}"\n')
    assert masked.lines == {1} and masked.python.split("\n")[1:] == [f'key = "{OPENAI}"', ""]
    assert masked.unmask(masked.python) == f'%%time\nkey = "{OPENAI}"\n'
    path = write_notebook(tmp_path / "nb.ipynb", [code_cell(f'%%time\nopenai_api_key = "{OPENAI}"\n', 1)])
    write_changes(run_fix(path)[0])
    assert sources(path.read_bytes())[0] == '%%time\nimport os\nopenai_api_key = os.environ["OPENAI_API_KEY"]\n'
    path = write_notebook(tmp_path / "nb2.ipynb", [code_cell(f"%%bash\nexport TOKEN={GITHUB}\n", 1)])
    changes, refusals = run_fix(path)
    assert changes == [] and refusals[0].reason == "a %%bash cell is not Python code: edit it by hand"


def test_import_goes_to_the_imports_cell_only_when_it_opens_with_imports(tmp_path: Path) -> None:
    cells = [code_cell("df = load()\nimport pandas as pd", 1), code_cell(["# keys\n", f'hf_token = "{HF}"\n'], 2)]
    path = write_notebook(tmp_path / "nb.ipynb", cells)
    before = json.loads(path.read_bytes())["cells"]
    write_changes(run_fix(path)[0])
    after = json.loads(path.read_bytes())["cells"]
    assert after[0] == before[0]  # not an imports cell: left alone
    assert after[1]["source"] == ["import os\n", "# keys\n", 'hf_token = os.environ["HF_TOKEN"]\n']  # a list stays one
    # An `import os` in an earlier cell is enough: nothing is added.
    path = write_notebook(tmp_path / "nb2.ipynb", [code_cell("import os, sys", 1), code_cell(f'tok = "{HF}"', 2)])
    write_changes(run_fix(path)[0])
    assert sources(path.read_bytes()) == ["import os, sys", 'tok = os.environ["HF_TOKEN"]']


def test_the_fixer_never_runs_the_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    cell = f"__import__('pathlib').Path({str(marker)!r}).write_text('x')\napi_key = \"{OPENAI}\"\n"
    path = write_notebook(tmp_path / "nb.ipynb", [code_cell(cell, 1)])
    write_changes(run_fix(path)[0])
    assert not marker.exists()
    assert 'api_key = os.environ["OPENAI_API_KEY"]' in sources(path.read_bytes())[0]


# -- refusals and .env.example --------------------------------------------------------------------------


def test_refusals_carry_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text(f'import os\nos.environ["OPENAI_API_KEY"] = "{OPENAI}"\n', encoding="utf-8")
    changes, refusals = run_fix(path)
    assert changes == [] and "puts the credential into the environment itself" in refusals[0].reason
    path.write_text(f'os.environ.setdefault("HF_TOKEN", "{HF}")\n', encoding="utf-8")
    changes, refusals = run_fix(path)
    assert changes == [] and "setdefault(...) puts the credential into the environment" in refusals[0].reason
    path.write_text(f'x = f"{{user}} {{"{OPENAI}"}}"\n', encoding="utf-8")
    changes, refusals = run_fix(path)
    assert changes == [] and "inside an f-string expression" in refusals[0].reason
    config = tmp_path / "settings.yaml"
    config.write_text(f"openai_api_key: {OPENAI}\n", encoding="utf-8")
    changes, refusals = run_fix(config)
    assert changes == [] and refusals[0].reason.startswith("not Python or a notebook")
    assert all(OPENAI not in r.reason for r in refusals)


def test_an_existing_env_example_is_extended_and_a_linked_one_left_alone(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("# mine\nexport HF_TOKEN=\nOTHER=1", encoding="utf-8")
    sub = tmp_path / "src"
    sub.mkdir()
    path = sub / "app.py"
    path.write_text(f'hf_token = "{HF}"\nopenai_api_key = "{OPENAI}"\n', encoding="utf-8")
    changes, _ = run_fix(path, root=tmp_path)
    env = changes[1]
    assert env.path == tmp_path / ".env.example" and env.kind == "text"  # the nearest one, up to the root
    assert env.after == b"# mine\nexport HF_TOKEN=\nOTHER=1\nOPENAI_API_KEY=\n"
    outside = tmp_path / "elsewhere.env"
    outside.write_text("", encoding="utf-8")
    (tmp_path / ".env.example").unlink()
    os.symlink(outside, tmp_path / ".env.example")
    changes, _ = run_fix(path, root=tmp_path)
    assert [c.path for c in changes] == [path]
    assert any("not a plain file" in note for note in changes[0].notes)


def test_registered_for_its_rule() -> None:
    (spec,) = FIXERS
    assert spec.rule_ids == (RULE,) and spec.fix is fix_credentials


def test_through_the_core(tmp_path: Path) -> None:
    """`nbsec.api.fix(..., apply=True)` on the demo notebook: the findings are gone, the secrets nowhere."""
    nb = demo_notebook()
    folder = tmp_path / "ws"
    folder.mkdir()
    path = folder / "demo.ipynb"
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    rules = ["NBSEC-NB-010", "NBSEC-NB-011", "NBSEC-PRIV-001"]
    report = api.fix([folder], rules=rules, apply=True)
    assert report.fixes is not None
    assert [f for f in report.findings if f.rule_id in rules] == []
    assert findings_of(path, tuple(rules)) == ()
    text = path.read_text(encoding="utf-8")
    nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    assert (folder / ".env.example").is_file()
    password = re.search(r"admin:([^@]+)@", "".join(nb["cells"][2]["source"]))
    assert password is not None
    planted = [password.group(1), *re.findall(r'"(sk-[^"]+|AKIA[^"]+)"', "".join(nb["cells"][2]["source"]))]
    shown = json.dumps(report.to_dict(), ensure_ascii=False)
    every_file = [p for p in folder.rglob("*") if p.is_file()]
    for value in planted:
        assert value not in text and value not in shown
        assert all(value not in str(p) for p in every_file)  # backup names included


def test_a_credential_in_markdown_or_metadata_is_redacted_in_place(tmp_path: Path) -> None:
    markdown = {"cell_type": "markdown", "id": "md", "metadata": {}, "source": [f"Use `{GITHUB}` to log in.\n"]}
    cell = code_cell("x = 1", 1)
    cell["metadata"] = {"secrets": {"hf_token": HF}}
    path = write_notebook(tmp_path / "nb.ipynb", [markdown, cell])
    found = findings_of(path)
    assert {f.location.element for f in found} == {None, "cell metadata"}
    changes, refusals = run_fix(path)
    assert refusals == []
    (change,) = changes  # nothing looked up: no .env.example, no import
    write_changes(changes)
    cells = json.loads(path.read_bytes())["cells"]
    assert cells[0]["source"] == [f"Use `{redact(GITHUB)}` to log in.\n"]
    assert cells[1]["metadata"] == {"secrets": {"hf_token": redact(HF)}}
    assert cells[1]["source"] == "x = 1"
    assert findings_of(path) == ()
    assert_no_value(path.read_bytes(), shown_diff(change))


def test_a_first_cell_with_only_a_comment_redacted_still_gets_the_import(tmp_path: Path) -> None:
    """The first edited cell has no lookup (a key in a comment, redacted): `import os` still goes in first."""
    cells = [code_cell(f"x = 1  # old key {OPENAI}\n", 1), code_cell(f'hf_token = "{HF}"\n', 2)]
    path = write_notebook(tmp_path / "nb.ipynb", cells)
    changes, refusals = run_fix(path)
    assert refusals == []
    write_changes(changes)
    assert sources(path.read_bytes()) == [
        f"import os\nx = 1  # old key {redact(OPENAI)}\n",
        'hf_token = os.environ["HF_TOKEN"]\n',
    ]
    assert findings_of(path) == ()
