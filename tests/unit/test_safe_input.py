"""nbsec.safe_input: the one bounded JSON/YAML reader, and every place that reads outside input through it.

Each hostile input (too big, too deep, alias bomb, not UTF-8, bad syntax) must be an InputError that
names the file and, where known, the line: never a crash, a hang, or memory eaten by whoever walks
the result. Then each converted call site is driven through its public function.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli import invoke

from nbsec.errors import BaselineError, InputError, NbsecError, UsageError
from nbsec.safe_input import parse_json, parse_yaml, parse_yaml_lines, read_json, read_yaml

DEEP_JSON = "[" * 200_000 + "]" * 200_000  # past Python's recursion limit: a RecursionError if not caught


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """Each anchor is a list of `width` aliases of the one before: width**levels nodes once expanded."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def merge_bomb(levels: int = 12) -> str:
    """`<<:` merges of merges: PyYAML's own flatten_mapping copies 10**levels key/value pairs."""
    lines = ["m0: &m0 {" + ", ".join(f"k{j}: {j}" for j in range(10)) + "}"]
    lines += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}]}}" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def error_of(call: Any, *args: Any, **kwargs: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- the JSON reader -------------------------------------------------------------------------------


def test_json_too_deep_is_an_error_with_the_line_not_a_recursion_error(tmp_path: Path) -> None:
    error = error_of(read_json, write(tmp_path / "deep.json", DEEP_JSON), what="report")
    assert error.kind == "too-deep" and error.line == 1
    assert error.message.startswith(f"{tmp_path / 'deep.json'}, line 1: JSON nested too deeply")
    # Deep enough for the limit but not for Python's parser: the depth check still names the line.
    nested = '{"a":\n' * 150 + "1" + "}" * 150
    assert error_of(parse_json, nested, source="n.json").line == 101


@pytest.mark.parametrize(
    ("content", "kind", "line", "words"),
    [
        ('{\n  "a": 1,\n  "b": \n}', "syntax", 4, "invalid JSON: Expecting value"),
        (b'{\n"a": "caf\xe9"}', "not-utf8", 2, "not UTF-8 text (byte 11)"),
        ('{"n": 1' + "0" * 5000 + "}", "syntax", None, "invalid JSON"),  # Python refuses > 4300-digit ints
    ],
    ids=["syntax", "not-utf8", "huge-integer"],
)
def test_json_errors_name_the_file_and_line(
    tmp_path: Path, content: str | bytes, kind: str, line: int | None, words: str
) -> None:
    path = write(tmp_path / "in.json", content)
    error = error_of(read_json, path, what="report", hint="give the JSON report")
    assert (error.kind, error.line, error.source) == (kind, line, str(path))
    assert words in error.message and error.hint == "give the JSON report"
    assert str(path) in str(error) and "hint: give the JSON report" in str(error)


def test_json_size_is_bounded_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path / "big.json", "[" + "1," * 1000 + "1]")
    error = error_of(read_json, path, what="baseline", max_bytes=100)
    assert error.kind == "too-large" and "the limit for a baseline" in error.message
    assert error_of(parse_json, b"[1, 2, 3]", source="s", max_bytes=4).kind == "too-large"


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    missing = error_of(read_json, tmp_path / "nope.json", what="manifest", hint="about the content")
    assert missing.kind == "missing" and "no such manifest" in missing.message and "check the path" in missing.hint
    assert error_of(read_yaml, tmp_path, what="matrix file").kind == "unreadable"


def test_plain_json_and_a_bom_read_as_json_does() -> None:
    text = '{"a": [1, 2.5, "x", null, true], "b": {"c": {}}}'
    assert parse_json(text, source="s") == json.loads(text)
    assert parse_json(("\ufeff" + text).encode("utf-8"), source="s") == json.loads(text)


# -- the YAML reader -------------------------------------------------------------------------------


@pytest.mark.parametrize("document", ["[" * 100_000 + "]" * 100_000, "- " * 100_000 + "x\n"], ids=["flow", "block"])
def test_deep_yaml_is_an_error_not_a_crashed_interpreter(tmp_path: Path, document: str) -> None:
    # libyaml's composer recurses in C: 100 000 levels used to kill the interpreter (SIGSEGV), so run
    # it in a child and require a clean error from it.
    path = write(tmp_path / "deep.yaml", document)
    code = (
        "import sys\nfrom nbsec.errors import InputError\nfrom nbsec.safe_input import read_yaml\n"
        f"try:\n    read_yaml({str(path)!r}, what='file')\nexcept InputError as e:\n    print(e.kind, e.line)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "too-deep 1"), done.stderr[-2000:]


def test_billion_laughs_stops_at_the_node_limit_and_names_where_the_aliases_are_used() -> None:
    started = time.perf_counter()
    error = error_of(parse_yaml, billion_laughs(), source="params.yaml")
    assert error.kind == "too-many-nodes" and "YAML nodes once aliases are expanded" in error.message
    assert error.line is not None and error.line > 1  # the line that expands, not the first anchor
    assert time.perf_counter() - started < 30


def test_merge_key_bombs_are_bounded_too() -> None:
    error = error_of(parse_yaml, merge_bomb(), source="m.yaml")
    assert error.kind == "too-many-nodes"
    # ...while ordinary merges still read as safe_load reads them.
    text = "b: &b {x: 1, y: 2}\nd: &d {x: 2, z: 1}\nc: {<<: [*b, *d], w: 0, y: 9}\n"
    assert parse_yaml(text, source="s") == yaml.safe_load(text)


@pytest.mark.parametrize(
    ("content", "kind", "line", "words"),
    [
        ("a: 1\nb: [1, 2\nc: 3\n", "syntax", 3, "invalid YAML"),
        (b"a: 1\nb: caf\xe9\n", "not-utf8", 2, "not UTF-8"),
        ("a: 1\nb: \x00\n", "syntax", 2, "control characters"),
        ("a:\n  - !!python/object/apply:os.system ['true']\n", "invalid", 2, "could not determine a constructor"),
        ("a: 1\nb: 2024-13-45\n", "invalid", 2, "'2024-13-45'"),
    ],
    ids=["syntax", "not-utf8", "nul", "python-tag", "bad-date"],
)
def test_yaml_errors_name_the_file_and_line(
    tmp_path: Path, content: str | bytes, kind: str, line: int, words: str
) -> None:
    path = write(tmp_path / "in.yaml", content)
    error = error_of(read_yaml, path, what="parameters file")
    assert (error.kind, error.line) == (kind, line) and words in error.message
    assert error.message.startswith(f"{path}, line {line}: ")


def test_yaml_size_is_bounded(tmp_path: Path) -> None:
    error = error_of(read_yaml, write(tmp_path / "big.yaml", "a: " + "x" * 5000), what="dvc.lock", max_bytes=1000)
    assert error.kind == "too-large" and str(tmp_path / "big.yaml") in error.message


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: [x, 2.5, null, true, '3']\nc: {d: {e: []}}\n",
        "- one\n- {two: 2}\n- - nested\n",
        "when: 2024-01-01\nbin: !!binary aGk=\n'=': equals\n",
        "x: &x {k: v}\ny: *x\n",
        "",
    ],
)
def test_ordinary_yaml_reads_as_safe_load_reads_it(text: str) -> None:
    assert parse_yaml(text, source="s") == yaml.safe_load(text)


def test_lines_are_tracked_for_the_threat_model_loader() -> None:
    data, lines = parse_yaml_lines("title: x\nelements:\n  - id: a\n    kind: llm\n", source="tm.yaml")
    assert data == {"title": "x", "elements": [{"id": "a", "kind": "llm"}]}
    assert lines[("elements", 0, "kind")] == 4 and lines[("title",)] == 1


# -- the call sites --------------------------------------------------------------------------------


def test_db_update_from_a_deep_json_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    export = write(tmp_path / "deep.json", DEEP_JSON)
    result = invoke("db", "update", "--from", export, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert result.exit_code == 2, result.output
    assert f"{export}, line 1: JSON nested too deeply" in result.output and "hint:" in result.output


def test_db_update_counts_hostile_members_of_a_zip_or_folder_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbsec.supply_chain import update

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    good = {
        "id": "PYSEC-0000-1",
        "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "p"}, "ranges": []}],
    }
    with zipfile.ZipFile(tmp_path / "all.zip", "w") as archive:
        archive.writestr("good.json", json.dumps(good))
        archive.writestr("deep.json", DEEP_JSON)
        archive.writestr("bomb.yaml", billion_laughs())
        archive.writestr("latin1.json", b'{"id": "caf\xe9"}')
    result = update.update_from(tmp_path / "all.zip")
    assert (result.kept, result.invalid) == (1, 3)


def test_a_params_file_alias_bomb_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    from nbsec.runner import params

    path = write(tmp_path / "params.yaml", billion_laughs())
    with pytest.raises(UsageError) as caught:
        params.build_parameters([params.Parameter("a0", "[]", "list")], files=[path], notebook="nb.ipynb")
    assert str(path) in caught.value.message and "alias" in caught.value.message
    with pytest.raises(UsageError, match="not a valid YAML list or mapping"):
        params.parse_value("[" * 100_000)


def test_a_matrix_alias_bomb_is_an_error_naming_the_file(tmp_path: Path) -> None:
    from nbsec.runner.batch import load_matrix

    path = write(tmp_path / "matrix.yaml", billion_laughs() + "targets: [*a9]\n")
    with pytest.raises(UsageError, match="matrix.yaml, line"):
        load_matrix(path, [], "nb.ipynb")


def test_a_deep_notebook_is_a_usage_error_not_a_recursion_error(tmp_path: Path) -> None:
    from nbsec.runner.params import notebook_parameters

    path = write(tmp_path / "deep.ipynb", DEEP_JSON)
    with pytest.raises(UsageError, match="deep.ipynb, line 1: JSON nested too deeply"):
        notebook_parameters(path)


def test_a_dvc_lock_bomb_is_a_dvc_lock_error_naming_the_file(tmp_path: Path) -> None:
    from nbsec.lineage.dvc import DvcLockError, import_dvc_lock

    lock = write(tmp_path / "dvc.lock", "schema: '2.0'\n" + billion_laughs() + "stages: {train: {deps: *a9}}\n")
    with pytest.raises(DvcLockError) as caught:
        import_dvc_lock(lock, store=tmp_path / "lineage.db")
    assert f"{lock}, line" in caught.value.message and "alias" in caught.value.message


def test_threat_dragon_import_of_deep_json_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    source = write(tmp_path / "model.json", DEEP_JSON)
    result = invoke("threatmodel", "import", source, "-o", tmp_path / "m.yaml")
    assert result.exit_code == 2 and f"{source}, line 1: JSON nested too deeply" in result.output
    assert not (tmp_path / "m.yaml").exists()


def test_a_threat_model_notebook_snapshot_reader_is_bounded(tmp_path: Path) -> None:
    from nbsec.threatmodel.notebook import from_notebook

    with pytest.raises(NbsecError, match="deep.ipynb, line 1: JSON nested too deeply"):
        from_notebook(write(tmp_path / "deep.ipynb", DEEP_JSON))


def test_compliance_inputs_are_bounded(tmp_path: Path) -> None:
    from nbsec.compliance.inputs import read_answers, read_report

    with pytest.raises(UsageError, match="report.json, line 1: JSON nested too deeply"):
        read_report(str(write(tmp_path / "report.json", DEEP_JSON)))
    with pytest.raises(UsageError, match="answers.yaml, line .*alias"):
        read_answers(str(write(tmp_path / "answers.yaml", billion_laughs())))


def test_baseline_and_manifest_readers_use_the_bounded_reader(tmp_path: Path) -> None:
    from nbsec.baseline import read_baseline
    from nbsec.integrity import ManifestError, read_manifest

    with pytest.raises(BaselineError, match="b.json, line 1: JSON nested too deeply"):
        read_baseline(write(tmp_path / "b.json", DEEP_JSON))
    with pytest.raises(BaselineError, match="baseline file not found"):
        read_baseline(tmp_path / "none.json")
    with pytest.raises(ManifestError, match="m.json: invalid JSON"):  # a 5000-digit number is not a crash
        read_manifest(write(tmp_path / "m.json", '{"format": 1' + "0" * 5000 + "}"))


def test_runner_reads_of_executed_notebooks_are_bounded(tmp_path: Path) -> None:
    from nbsec.model import REPORT_MIME_TYPE
    from nbsec.runner.collect import reports_in
    from nbsec.runner.execute import _running_cell

    assert _running_cell(write(tmp_path / "executed.ipynb", DEEP_JSON)) == (None, None)
    notebook = {"cells": [{"outputs": [{"data": {REPORT_MIME_TYPE: DEEP_JSON}}]}]}
    reports, errors = reports_in(notebook, "nb.ipynb")
    assert reports == [] and len(errors) == 1 and "JSON nested too deeply" in errors[0].message


def test_the_notebook_scanner_reports_a_hostile_notebook_instead_of_crashing(tmp_path: Path) -> None:
    import nbsec

    write(tmp_path / "huge-int.ipynb", '{"nbformat": 4, "cells": [], "n": 1' + "0" * 5000 + "}")
    report = nbsec.scan(tmp_path / "huge-int.ipynb")
    messages = [e.message for e in report.errors]
    assert messages and all("not a notebook: invalid JSON" in m for m in messages), messages
    assert not any("crashed" in m for m in messages)


def test_a_deep_user_advisory_store_is_a_reported_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbsec.supply_chain.store import USER_FILE, load_database, user_store_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write(user_store_dir() / USER_FILE, DEEP_JSON)
    problems = load_database().problems
    assert len(problems) == 1 and "cannot read the user advisories (line 1: JSON nested too deeply" in problems[0]
