"""bandit's `examples/` that matter for ML work, each as a `.py` file and as a one-cell notebook.

Expected sites: the lines bandit itself reports on each example (its functional tests,
tests/functional/test_functional.py, pin the counts; the harness prints both), leaving out the
import-only warnings (B4xx "consider the implications of importing X"), which mark no unsafe use.
A site counts for nbsec when nbsec has any finding on that line.
"""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import nbformat

from .common import Row, Sample, log, nbsec_findings

EXAMPLES = (
    "pickle_deserialize.py",
    "dill.py",
    "shelve_open.py",
    "jsonpickle.py",
    "marshal_deserialize.py",
    "pandas_read_pickle.py",
    "pytorch_load.py",
    "yaml_load.py",
    "eval.py",
    "exec.py",
    "requests-ssl-verify-disabled.py",
    "hardcoded-passwords.py",
    "huggingface_unsafe_download.py",
    "tarfile_extractall.py",
    "jinja2_templating.py",
    "urlopen.py",
)


def functional_counts(source: Path) -> dict[str, int]:
    """Issue counts per example from bandit's functional tests (sum of the SEVERITY counts)."""
    tree = ast.parse((source / "tests/functional/test_functional.py").read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        expect: dict[str, dict[str, int]] | None = None
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                try:
                    expect = ast.literal_eval(node.value)
                except ValueError:
                    continue
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "check_example" and expect:
                name = node.args[0]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    counts.setdefault(name.value, sum(expect.get("SEVERITY", {}).values()))
    return counts


def collect(source: Path, work: Path, python: Path) -> list[Sample]:
    corpus = work / "bandit"
    corpus.mkdir(parents=True, exist_ok=True)
    bandit = python.parent / "bandit"
    samples = []
    expected = functional_counts(source)
    for name in EXAMPLES:
        text = (source / "examples" / name).read_text(encoding="utf-8")
        (corpus / name).write_text(text, encoding="utf-8")
        done = subprocess.run([str(bandit), "-q", "-f", "json", str(corpus / name)], capture_output=True, text=True)
        results = json.loads(done.stdout)["results"]
        lines = frozenset(r["line_number"] for r in results if not r["test_id"].startswith("B4"))
        detail = {"bandit_issues": len(results), "functional_count": expected.get(name)}
        samples.append(Sample(corpus / name, ".py", name, expected_lines=lines, detail=detail))
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text)])
        notebook_path = corpus / (Path(name).stem + ".ipynb")
        nbformat.write(notebook, notebook_path)
        samples.append(Sample(notebook_path, "notebook", name, expected_lines=lines, detail=detail))
    log(f"bandit: {len(EXAMPLES)} examples, {sum(len(s.expected_lines) for s in samples) // 2} expected sites")
    return samples


def score(samples: list[Sample]) -> Row:
    per_form: dict[str, tuple[int, int]] = {}
    misses = []
    for sample in samples:
        findings, _ = nbsec_findings(sample.path)
        found = {f["location"].get("line") for f in findings}
        hit = sample.expected_lines & found
        done, total = per_form.get(sample.label, (0, 0))
        per_form[sample.label] = (done + len(hit), total + len(sample.expected_lines))
        if sample.label == ".py" and sample.expected_lines - hit:
            misses.append(f"{sample.origin}: lines {sorted(sample.expected_lines - hit)}")
    py_hit, py_total = per_form.get(".py", (0, 0))
    nb_hit, nb_total = per_form.get("notebook", (0, 0))
    return Row(
        "bandit",
        "examples/ (ML-relevant)",
        f"{py_hit}/{py_total} expected sites have a finding (.py); {nb_hit}/{nb_total} as notebooks",
        f"{py_total} sites bandit reports on {len(samples) // 2} examples",
        misses,
        [],
        {"sites": py_total, "found_py": py_hit, "found_notebook": nb_hit},
    )
