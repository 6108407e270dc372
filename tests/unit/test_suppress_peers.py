"""The inline suppressions users of bandit and detect-secrets already wrote work in nbsec too.

`# nosec` (bare: every finding on the line; with bandit test ids: only the nbsec rules those tests
correspond to), `# pragma: allowlist secret` in its comment forms and `pragma: allowlist nextline secret`
on the line above, in notebook cells, .py files and text/config files. A suppressed finding is kept in
`report.suppressed` with the form that silenced it, never dropped.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from pathlib import Path

import pytest

import nbsec
from nbsec import reporters
from nbsec.model import Report, Suppressed
from nbsec.suppress import (
    ALLOWLIST,
    ALLOWLIST_NEXTLINE,
    NOSEC,
    line_suppression,
    lines_suppression,
    nosec_silences,
)


def token(seed: int) -> str:
    """A GitHub-token-shaped value built at run time (this file holds none)."""
    rng = random.Random(seed)
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


def by_rule(report: Report, rule: str) -> tuple[list[int | None], list[Suppressed]]:
    lines = [f.location.line for f in report.findings if f.rule_id == rule]
    return lines, [s for s in report.suppressed if s.finding.rule_id == rule]


# -- the comment forms, line by line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "rule", "expected"),
    [
        ("pickle.loads(b)  # nosec", "NBSEC-NB-002", NOSEC),
        ("pickle.loads(b)  #nosec", "NBSEC-NB-002", NOSEC),
        ("pickle.loads(b)  # nosec: trusted file from our own cache", "NBSEC-NB-002", NOSEC),
        ("pickle.loads(b)  # nosec B301", "NBSEC-NB-002", "nosec B301 (bandit)"),
        ("pickle.loads(b)  # nosec: B403, B301", "NBSEC-NB-002", "nosec B403 (bandit)"),
        ("torch.load(p)  # nosec B614", "NBSEC-NB-001", "nosec B614 (bandit)"),
        ("torch.load(p)  # nosec pytorch_load", "NBSEC-NB-001", "nosec B614 (bandit)"),
        ("yaml.load(s)  # nosec B506", "NBSEC-NB-003", "nosec B506 (bandit)"),
        ("eval(s)  # nosec B307", "NBSEC-NB-005", "nosec B307 (bandit)"),
        ("exec(s)  # nosec B102", "NBSEC-NB-005", "nosec B102 (bandit)"),
        ("requests.get(u, verify=False)  # nosec B501", "NBSEC-NB-007", "nosec B501 (bandit)"),
        ("password = 'x'  # nosec B105", "NBSEC-NB-010", "nosec B105 (bandit)"),
        ("AutoModel.from_pretrained(m)  # nosec B615", "NBSEC-NB-012", "nosec B615 (bandit)"),
        # Ids for other tests, unknown ids, and ids nbsec has no counterpart for silence nothing.
        ("pickle.loads(b)  # nosec B506", "NBSEC-NB-002", None),
        ("pickle.loads(b)  # nosec B999", "NBSEC-NB-002", None),
        ("pickle.loads(b)  # nosec B101", "NBSEC-NB-002", None),
        ("pickle.loads(b)  # nosec B999, B301", "NBSEC-NB-002", "nosec B301 (bandit)"),
        ("pickle.loads(b)  # the nosecurity team", "NBSEC-NB-002", None),
        ("pickle.loads(b)", "NBSEC-NB-002", None),
        # nbsec's own form keeps working, with no detail (the reason "inline" says it).
        ("pickle.loads(b)  # nbsec: ignore[NBSEC-NB-002]", "NBSEC-NB-002", ""),
        ("pickle.loads(b)  # nbsec: ignore[NBSEC-NB-005]", "NBSEC-NB-002", None),
    ],
)
def test_nosec_and_nbsec_forms(line: str, rule: str, expected: str | None) -> None:
    assert line_suppression(rule, line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "key = 'v'  # pragma: allowlist secret",
        "key = 'v' # pragma:allowlist secret",
        "key = 'v'  # pragma: whitelist secret",
        "key: 'v'  # pragma: allowlist-secret with a reason after it",
        "const key = 'v'; // pragma: allowlist secret",
        "int key = 1; /* pragma: allowlist secret */",
        "SELECT 'v' -- pragma: allowlist secret",
        "<key>v</key> <!-- pragma: allowlist secret -->",
    ],
)
def test_the_detect_secrets_pragma_in_each_comment_syntax(line: str) -> None:
    assert line_suppression("NBSEC-NB-010", line, secret=True) == ALLOWLIST
    # It speaks of secrets only: an unsafe call or personal data on that line stays reported.
    assert line_suppression("NBSEC-NB-002", line, secret=False) is None


def test_the_nextline_pragma_must_stand_alone_on_the_line_above() -> None:
    lines = ["# pragma: allowlist nextline secret", "key = 'v'", "other = 'w'"]
    assert lines_suppression("NBSEC-NB-010", lines, 2, secret=True) == ALLOWLIST_NEXTLINE
    assert lines_suppression("NBSEC-NB-010", lines, 3, secret=True) is None  # only the next line
    indented = ["    // pragma: allowlist nextline secret", "    key = 'v'"]
    assert lines_suppression("NBSEC-NB-010", indented, 2, secret=True) == ALLOWLIST_NEXTLINE
    # A value before the pragma must not hide what the next line holds (detect-secrets' own rule).
    hidden = ["foo = 'bar'  # pragma: allowlist nextline secret", "key = 'v'"]
    assert lines_suppression("NBSEC-NB-010", hidden, 2, secret=True) is None


def test_nosec_on_any_line_of_a_multi_line_statement() -> None:
    lines = ["obj = pickle.loads(", "    data,", ")  # nosec B301"]
    assert lines_suppression("NBSEC-NB-002", lines, 1, 3) == "nosec B301 (bandit)"
    assert nosec_silences("NBSEC-NB-002", "x = 1") is None


# -- in scans: notebooks, .py, text and config files -----------------------------------------------------------


def test_nosec_in_a_python_file(tmp_path: Path) -> None:
    path = tmp_path / "load.py"
    path.write_text(
        "import pickle, torch, yaml\n"
        "a = pickle.loads(blob)  # nosec\n"  # 2: bare: silenced
        "b = pickle.loads(blob)  # nosec B301\n"  # 3: silenced by its id
        "c = pickle.loads(blob)  # nosec B506\n"  # 4: another test's id: still reported
        "d = torch.load(path)  # nosec B999\n"  # 5: unknown id: still reported
        "e = yaml.load(text)  # nosec B506, B999\n"  # 6: the known id silences its rule
    )
    report = nbsec.scan(path)
    lines, suppressed = by_rule(report, "NBSEC-NB-002")
    assert lines == [4]
    assert sorted((s.finding.location.line, s.reason, s.detail) for s in suppressed) == [
        (2, "inline", "nosec (bandit)"),
        (3, "inline", "nosec B301 (bandit)"),
    ]
    assert by_rule(report, "NBSEC-NB-001")[0] == [5]
    assert [(s.finding.location.line, s.detail) for s in by_rule(report, "NBSEC-NB-003")[1]] == [
        (6, "nosec B506 (bandit)")
    ]


def test_nosec_in_a_notebook_cell(write_notebook: Callable[..., Path]) -> None:
    path = write_notebook(
        "train.ipynb",
        ["import torch\nm = torch.load('m.pt')  # nosec B614\n", "n = torch.load('n.pt')\n"],
    )
    report = nbsec.scan(path)
    lines, suppressed = by_rule(report, "NBSEC-NB-001")
    assert [f.location.cell for f in report.findings if f.rule_id == "NBSEC-NB-001"] == [1]
    assert [(s.finding.location.cell, s.reason, s.detail) for s in suppressed] == [(0, "inline", "nosec B614 (bandit)")]
    assert lines == [1]


def test_allowlist_pragma_in_a_notebook_and_a_python_file(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    source = (
        f'OK_TOKEN = "{token(1)}"  # pragma: allowlist secret\n'
        "# pragma: allowlist nextline secret\n"
        f'NEXT_TOKEN = "{token(2)}"\n'
        f'LEAKED = "{token(3)}"\n'
    )
    (tmp_path / "settings.py").write_text(source)
    for report in (nbsec.scan(tmp_path / "settings.py"), nbsec.scan(write_notebook("n.ipynb", [source]))):
        lines, suppressed = by_rule(report, "NBSEC-NB-010")
        assert lines == [4]  # the line without a pragma is still found
        assert sorted((s.finding.location.line, s.detail) for s in suppressed) == [
            (1, ALLOWLIST),
            (3, ALLOWLIST_NEXTLINE),
        ]


@pytest.mark.parametrize(
    ("name", "allowed", "plain"),
    [
        (".env", "GITHUB_TOKEN={v}  # pragma: allowlist secret", "OTHER_TOKEN={v}"),
        ("settings.yaml", "github:\n  token: '{v}'  # pragma: allowlist secret", "other_token: '{v}'"),
        ("app.ini", "[github]\ntoken = {v}  ; # pragma: allowlist secret", "other = {v}"),
        ("README.md", "Use `{v}` <!-- pragma: allowlist secret -->", "Then `{v}`."),
        ("config.toml", "# pragma: allowlist nextline secret\ntoken = '{v}'", "other = '{v}'"),
    ],
)
def test_allowlist_pragma_in_text_and_config_files(tmp_path: Path, name: str, allowed: str, plain: str) -> None:
    path = tmp_path / name
    path.write_text(allowed.format(v=token(10)) + "\n" + plain.format(v=token(11)) + "\n")
    report = nbsec.scan(path)
    lines, suppressed = by_rule(report, "NBSEC-NB-010")
    assert lines == [allowed.count("\n") + 2]
    assert [s.detail for s in suppressed] in ([ALLOWLIST], [ALLOWLIST_NEXTLINE])
    assert suppressed[0].reason == "inline"


def test_the_pragma_does_not_silence_an_unsafe_call_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "x.py"
    path.write_text("import pickle\nobj = pickle.loads(blob)  # pragma: allowlist secret\n")
    assert by_rule(nbsec.scan(path), "NBSEC-NB-002")[0] == [2]


def test_nosec_on_a_requirement_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("requests>=2.0  # nosec\nnumpy>=1.0\n")
    report = nbsec.scan(path)
    assert by_rule(report, "NBSEC-DEP-002")[0] == [2]
    assert [(s.finding.location.line, s.detail) for s in by_rule(report, "NBSEC-DEP-002")[1]] == [(1, NOSEC)]


def test_the_reason_reaches_json_sarif_and_every_report(tmp_path: Path, report_schema: dict[str, object]) -> None:
    import jsonschema

    path = tmp_path / "x.py"
    path.write_text("import pickle\nobj = pickle.loads(blob)  # nosec B301\n")
    report = nbsec.scan(path)
    data = report.to_dict()
    jsonschema.Draft202012Validator(report_schema).validate(data)
    assert data["schema_version"] == "1.3"
    assert [(s["reason"], s["detail"]) for s in data["suppressed"]] == [("inline", "nosec B301 (bandit)")]
    assert Report.from_dict(data).suppressed == report.suppressed  # the detail round-trips
    sarif = json.loads(reporters.render(report, "sarif"))
    [result] = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert result["suppressions"][0] == {
        "kind": "inSource",
        "status": "accepted",
        "justification": "inline: nosec B301 (bandit)",
    }
    for fmt in ("markdown", "html", "junit"):
        assert "nosec B301 (bandit)" in reporters.render(report, fmt), fmt


def test_a_suppressed_entry_without_detail_keeps_its_old_shape() -> None:
    report = Report()
    data = report.to_dict()
    assert data["suppressed"] == []
    from nbsec.model import Confidence, Finding, Location, Severity

    finding = Finding("NBSEC-NB-002", "t", Severity.HIGH, Confidence.HIGH, Location("a.py"))
    assert "detail" not in Suppressed(finding, "inline").to_dict()
    assert Suppressed.from_dict(Suppressed(finding, "inline").to_dict()) == Suppressed(finding, "inline", "")
