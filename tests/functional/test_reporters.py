"""Reporters over real scans: every format says the same thing, validly, and safely.

Reports come from scanning files written here (a .py with unsafe calls, a
notebook with a torch.load cell, a file with an inline suppression) and from a
hand-built Report that carries what a scan of these files cannot: an error with
a hint, a skipped check, a baseline, and evidence that is hostile to each format.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rich.console import Console

import nbsec
from nbsec import reporters
from nbsec.errors import UsageError
from nbsec.model import (
    Check,
    Confidence,
    Finding,
    Location,
    Metric,
    Report,
    ScanError,
    Severity,
    Suppressed,
    Target,
    reference,
)
from nbsec.reporters.console import print_report

DATA = Path(__file__).resolve().parents[1] / "data"
SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
XSS = "<script>alert(1)</script>"

UNSAFE_PY = """import pickle


def load(blob):
    return pickle.loads(blob)


eval(input())
"""
SUPPRESSED_PY = "import pickle\npickle.loads(b'')  # nbsec: ignore[NBSEC-NB-002]\n"
TORCH_CELL = "import torch\nm = torch.load('m.pt', weights_only=False)"


@pytest.fixture
def scanned(tmp_path: Path, write_notebook: Callable[..., Path]) -> Report:
    """A real scan: unsafe.py (lines 5 and 8), demo.ipynb cell 2 (after a markdown cell), one inline ignore."""
    (tmp_path / "unsafe.py").write_text(UNSAFE_PY, encoding="utf-8")
    (tmp_path / "ok.py").write_text(SUPPRESSED_PY, encoding="utf-8")
    markdown = {"cell_type": "markdown", "id": "md", "metadata": {}, "source": "# Load the model"}
    write_notebook("demo.ipynb", [markdown, TORCH_CELL])
    report = nbsec.scan(tmp_path)
    # The scan itself is not under test here, but every assertion below depends on this shape.
    assert {f.rule_id for f in report.findings} == {"NBSEC-NB-001", "NBSEC-NB-002", "NBSEC-NB-005"}
    assert [s.reason for s in report.suppressed] == ["inline"]
    return report


@pytest.fixture
def handmade() -> Report:
    """What a scan of small files cannot produce: errors, skipped checks, a baseline, hostile evidence."""
    xss = Finding(
        rule_id="NBSEC-NB-005",
        title="eval/exec on a dynamic string",
        severity=Severity.CRITICAL,
        confidence=Confidence.HIGH,
        location=Location("nb dir/evil.ipynb", cell=0, execution_count=7, line=1, column=1),
        evidence=XSS + " | pipe\nsecond line [red]markup[/red] :smile: \x1b[2J\x00",
        remediation="Do not <b>eval</b> & co.",
        references=(reference("CWE", "CWE-95"),),
    )
    low = Finding(
        rule_id="NBSEC-XX-999",  # not in the catalogue: reporters fall back to the finding's own text
        title="A plugin's rule",
        severity=Severity.LOW,
        confidence=Confidence.LOW,
        location=Location("/abs/path/model.pkl", member="data.pkl", offset=42),
        evidence="GLOBAL os system",
    )
    hidden = Finding(
        rule_id="NBSEC-NB-002",
        title="Unsafe deserialization",
        severity=Severity.HIGH,
        confidence=Confidence.MEDIUM,
        location=Location("old.py", line=3),
        evidence="pickle.load(f)",
    )
    return Report(
        findings=[low, xss],
        metrics=[Metric("files_scanned", 3, "files"), Metric("robust_accuracy", 0.4213, "", {"eps": "0.03"})],
        targets=[
            Target("nb dir/evil.ipynb", "notebook"),
            Target("broken.ipynb", "notebook", "error"),
            Target("notes.txt", "text", "skipped", "no scanner for this file type"),
        ],
        checks=[
            Check("notebook-code", "nb dir/evil.ipynb", "failed", "1 finding(s)"),
            Check("notebook-code", "broken.ipynb", "error"),
            Check("artifacts", "nb dir/evil.ipynb", "skipped", "not a model file"),
        ],
        errors=[
            ScanError("notebook-code", "broken.ipynb", "not valid JSON (line 3)", "open and re-save it in JupyterLab"),
            ScanError("plugin:broken", "broken_pkg:Scanner", "could not load scanner plugin", "uninstall broken_pkg"),
        ],
        suppressed=[Suppressed(hidden, "config"), Suppressed(hidden, "baseline")],
        timings={"notebook-code": 0.25, "total": 0.5},
        tool_version="9.9.9",
        started_at="2026-01-02T03:04:05.000Z",
        finished_at="2026-01-02T03:04:05.500Z",
        baseline={"path": "baseline.json", "new": 2, "fixed": 4, "unchanged": 1},
    )


def findings_by_rule(report: Report) -> dict[str, Finding]:
    return {f.rule_id: f for f in report.findings}


# -- registry -------------------------------------------------------------------------


def test_formats_extensions_and_alias(scanned: Report) -> None:
    assert reporters.FORMATS == ("console", "json", "sarif", "html", "junit", "md")
    extensions = {fmt: reporters.default_extension(fmt) for fmt in reporters.FORMATS}
    assert extensions == {
        "console": ".txt",
        "json": ".json",
        "sarif": ".sarif",
        "html": ".html",
        "junit": ".xml",
        "md": ".md",
    }
    assert reporters.render(scanned, "Markdown") == reporters.render(scanned, "md")
    assert reporters.default_extension("markdown") == ".md"
    assert reporters.guess_format("out/report.sarif.json") == "sarif"
    assert reporters.guess_format("report.htm") == "html"
    assert reporters.guess_format("report.pdf") is None


def test_unknown_format_is_a_usage_error_listing_the_formats(scanned: Report) -> None:
    with pytest.raises(UsageError) as caught:
        reporters.render(scanned, "pdf")
    assert "pdf" in caught.value.message
    for fmt in reporters.FORMATS:
        assert fmt in caught.value.hint
    with pytest.raises(UsageError):
        reporters.default_extension("pdf")


def test_register_adds_a_format(monkeypatch: pytest.MonkeyPatch, scanned: Report, tmp_path: Path) -> None:
    monkeypatch.setattr(reporters, "_REGISTRY", dict(reporters._REGISTRY))
    reporters.register("CSV", lambda r: "\n".join(f.rule_id for f in r.sorted_findings()), "csv")
    assert reporters.default_extension("csv") == ".csv"
    assert reporters.render(scanned, "csv").splitlines()[0] == "NBSEC-NB-001"
    assert "csv" in reporters.available_formats()
    path = reporters.write(scanned, "csv", tmp_path / "out.csv")
    assert path.read_text(encoding="utf-8").endswith("NBSEC-NB-005\n")


def test_entry_point_plugins_load_lazily_and_fail_clearly(monkeypatch: pytest.MonkeyPatch, scanned: Report) -> None:
    monkeypatch.setattr(reporters, "_REGISTRY", dict(reporters._REGISTRY))
    monkeypatch.setattr(reporters, "_PLUGIN_FAILURES", {})
    monkeypatch.setattr(reporters, "_plugins_loaded", False)
    group = reporters.ENTRY_POINT_GROUP
    fake = [
        metadata.EntryPoint("copy", "nbsec.reporters.json_report:render", group),
        metadata.EntryPoint("broken", "nbsec_no_such_module_xyz:render", group),
        metadata.EntryPoint("json", "nbsec_no_such_module_xyz:render", group),  # may not replace a built-in
    ]
    calls: list[str] = []

    def entry_points(*, group: str) -> list[metadata.EntryPoint]:
        calls.append(group)
        return fake if group == reporters.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    assert reporters.render(scanned, "json") == scanned.to_json()
    assert calls == []  # a built-in format never touches entry points
    assert reporters.render(scanned, "copy") == scanned.to_json()
    assert calls == [group]
    with pytest.raises(UsageError, match="plugin could not be loaded"):
        reporters.render(scanned, "broken")


def test_write_creates_folders_and_writes_utf8(handmade: Report, tmp_path: Path) -> None:
    handmade.findings[0] = Finding(**{**handmade.findings[0].__dict__, "title": "naïve ünïcode"})
    for fmt in reporters.FORMATS:
        target = tmp_path / "deep" / fmt / f"report{reporters.default_extension(fmt)}"
        written = reporters.write(handmade, fmt, target)
        assert written == target
        text = target.read_bytes().decode("utf-8")
        assert "naïve ünïcode" in text
        assert text == reporters.render(handmade, fmt).rstrip("\n") + "\n"


# -- json ---------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["scanned", "handmade"])
def test_json_is_the_model_serialization_and_round_trips(
    which: str, request: pytest.FixtureRequest, report_schema: dict[str, Any]
) -> None:
    report: Report = request.getfixturevalue(which)
    text = reporters.render(report, "json")
    assert text == report.to_json()
    jsonschema.Draft202012Validator(report_schema).validate(json.loads(text))
    assert Report.from_json(text).to_dict() == report.to_dict()


# -- sarif --------------------------------------------------------------------------


def sarif_of(report: Report) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(reporters.render(report, "sarif"))
    errors = sorted(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return log


def test_sarif_results_rules_and_locations(scanned: Report) -> None:
    log = sarif_of(scanned)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "nbsec" and driver["version"] == nbsec.__version__
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["NBSEC-NB-001", "NBSEC-NB-002", "NBSEC-NB-005"]

    active = [r for r in run["results"] if "suppressions" not in r]
    assert len(active) == len(scanned.findings)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]

    by_rule = {r["ruleId"]: r for r in active}
    pickle_result = by_rule["NBSEC-NB-002"]
    assert pickle_result["level"] == "error"
    physical = pickle_result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "unsafe.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"]["startLine"] == 5
    assert physical["region"]["startColumn"] == 12  # `return pickle.loads(...)`, 4 spaces + "return "
    assert by_rule["NBSEC-NB-005"]["level"] == "warning"
    assert by_rule["NBSEC-NB-005"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 8
    fingerprint = findings_by_rule(scanned)["NBSEC-NB-002"].fingerprint
    assert pickle_result["partialFingerprints"] == {"nbsec/v1": fingerprint}

    cell_result = by_rule["NBSEC-NB-001"]
    assert cell_result["properties"]["cell"] == 2  # the code cell after the markdown one, 1-based
    assert cell_result["properties"]["executionCount"] == 2
    assert cell_result["properties"]["cellLine"] == 2
    assert cell_result["locations"][0]["logicalLocations"][0]["name"] == "cell 2 [2]"
    assert cell_result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "demo.ipynb"
    assert "cell 2 [2], line 2" in cell_result["message"]["text"]

    torch_rule = rules[0]
    assert torch_rule["properties"]["security-severity"] == "8.0"
    assert {"security", "CWE-502", "ML06:2023"} <= set(torch_rule["properties"]["tags"])
    assert torch_rule["helpUri"].startswith("https://cwe.mitre.org/")
    assert "weights_only=True" in torch_rule["help"]["text"]
    assert "](https://" in torch_rule["help"]["markdown"]
    assert torch_rule["defaultConfiguration"]["level"] == "error"

    (suppressed,) = [r for r in run["results"] if "suppressions" in r]
    assert suppressed["ruleId"] == "NBSEC-NB-002"
    assert suppressed["suppressions"][0]["kind"] == "inSource"
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_errors_external_suppressions_and_baseline(handmade: Report) -> None:
    run = sarif_of(handmade)["runs"][0]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert len(texts) == 2
    assert "not valid JSON" in texts[0] and "open and re-save it in JupyterLab" in texts[0]
    assert {n["level"] for n in invocation["toolExecutionNotifications"]} == {"error"}

    results = run["results"]
    assert results[0]["ruleId"] == "NBSEC-NB-005" and results[0]["level"] == "error"  # critical, sorted first
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "nb%20dir/evil.ipynb"
    assert {r.get("baselineState") for r in results if "suppressions" not in r} == {"new"}

    plugin = next(r for r in results if r["ruleId"] == "NBSEC-XX-999")
    assert plugin["level"] == "note"
    location = plugin["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "file:///abs/path/model.pkl"}
    assert plugin["properties"]["member"] == "data.pkl" and plugin["properties"]["offset"] == 42
    rule = run["tool"]["driver"]["rules"][plugin["ruleIndex"]]
    assert rule["shortDescription"]["text"] == "A plugin's rule"
    assert rule["properties"]["security-severity"] == "3.0"

    kinds = Counter(r["suppressions"][0]["kind"] for r in results if "suppressions" in r)
    assert kinds == {"external": 2}
    assert "unchanged" in {r.get("baselineState") for r in results if "suppressions" in r}


# -- html ---------------------------------------------------------------------------


class PageParser(HTMLParser):
    """Collects what the assertions need: script bodies, URL attributes, finding rows, filter inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.csp = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")
        if tag == "meta" and attributes.get("http-equiv") == "Content-Security-Policy":
            self.csp = attributes.get("content") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def parse_html(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser


def test_html_is_self_contained_filterable_and_escaped(handmade: Report) -> None:
    page = reporters.render(handmade, "html")
    parsed = parse_html(page)

    for tag, attrs in parsed.tags:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not re.match(r"\s*(https?:)?//", value, re.I), f"<{tag} {name}={value!r}> loads from the network"
    assert not [t for t, _ in parsed.tags if t in ("link", "img", "iframe")]
    assert len(parsed.scripts) == 1, "only our own script: the evidence's <script> must be text"

    # The CSP names our script's hash: it runs, and nothing else (and nothing remote) would.
    digest = base64.b64encode(hashlib.sha256(parsed.scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in parsed.csp and "default-src 'none'" in parsed.csp

    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Do not &lt;b&gt;eval&lt;/b&gt; &amp; co." in page

    rows = [str(a["data-severity"]) for t, a in parsed.tags if t == "tr" and a.get("class") == "nbsec-finding"]
    assert sorted(rows) == ["critical", "low"]
    filters = {a.get("value") for t, a in parsed.tags if t == "input" and a.get("class") == "nbsec-filter"}
    assert filters == {"critical", "low"}
    assert any(t == "input" and a.get("id") == "nbsec-text-filter" for t, a in parsed.tags)

    assert "not valid JSON (line 3)" in page and "open and re-save it in JupyterLab" in page
    assert re.search(r'<details id="suppressed">\s*<summary>Suppressed findings \(2', page)
    assert '<details id="coverage">' in page  # collapsed while there are findings
    assert "robust_accuracy" in page and "0.4213" in page
    assert "2 new, 4 fixed, 1 unchanged" in page
    assert "9.9.9" in page and "2026-01-02T03:04:05.000Z" in page


def test_html_from_a_scan_has_a_row_per_finding(scanned: Report) -> None:
    parsed = parse_html(reporters.render(scanned, "html"))
    rows = Counter(a["data-severity"] for t, a in parsed.tags if t == "tr" and a.get("class") == "nbsec-finding")
    assert rows == Counter(f.severity.value for f in scanned.findings)


# -- junit --------------------------------------------------------------------------


def test_junit_counts_match_the_scan(scanned: Report) -> None:
    root = ET.fromstring(reporters.render(scanned, "junit"))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"notebook-code", "notebook-content"}  # one suite per scanner
    suite = suites["notebook-code"]
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"unsafe.py", "ok.py", "demo.ipynb"}
    assert all(c.get("classname") == "notebook-code" for c in cases.values())
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "3",
        "2",
        "0",
        "0",
    )
    assert suites["notebook-content"].get("failures") == "0"  # no secrets or PII in the samples
    assert root.get("tests") == "6" and root.get("failures") == "2"

    failure = cases["unsafe.py"].find("failure")
    assert failure is not None
    assert failure.get("message") == "2 findings, worst high"
    lines = (failure.text or "").splitlines()
    assert lines[0].startswith("HIGH NBSEC-NB-002 unsafe.py, line 5") and lines[1].startswith("MEDIUM NBSEC-NB-005")
    assert cases["ok.py"].find("failure") is None  # its only finding was suppressed inline
    assert "suppressed" in (cases["ok.py"].findtext("system-out") or "")


def test_junit_errors_skips_and_hostile_text(handmade: Report) -> None:
    root = ET.fromstring(reporters.render(handmade, "junit"))  # NUL and ESC in evidence must not break the XML
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"notebook-code", "artifacts", "plugin:broken", "nbsec"}
    code = suites["notebook-code"]
    assert (code.get("tests"), code.get("failures"), code.get("errors")) == ("2", "1", "1")
    assert code.find("testcase[@name='old.py']") is None  # suppressed-only: no test case of its own
    error = code.find("testcase[@name='broken.ipynb']/error")
    assert error is not None and "not valid JSON" in (error.get("message") or "")
    assert "re-save" in (error.text or "")
    failure = code.find("testcase[@name='nb dir/evil.ipynb']/failure")
    assert failure is not None and XSS in (failure.text or "") and "\\x1b" in (failure.text or "")
    assert suites["artifacts"].find("testcase/skipped") is not None
    assert suites["plugin:broken"].find("testcase/error") is not None
    nbsec_cases = {c.get("name"): c for c in suites["nbsec"].findall("testcase")}
    assert nbsec_cases["notes.txt"].find("skipped") is not None  # target no scanner applied to
    assert nbsec_cases["/abs/path/model.pkl"].find("failure") is not None  # finding with no check still fails
    totals: Counter[str] = Counter()
    for suite in root.findall("testsuite"):
        for key in ("tests", "failures", "errors", "skipped"):
            totals[key] += int(suite.get(key) or 0)
    assert {k: int(root.get(k) or 0) for k in totals} == dict(totals)


# -- markdown -----------------------------------------------------------------------

_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def test_markdown_tables_stay_intact(scanned: Report, handmade: Report) -> None:
    text = reporters.render(scanned, "md")
    assert text.startswith("# nbsec report")
    assert scanned.summary_line() in text
    for rule_id in ("NBSEC-NB-001", "NBSEC-NB-002", "NBSEC-NB-005"):
        assert f"| `{rule_id}` |" in text
    assert "`demo.ipynb, cell 2 [2], line 2, col 5`" in text
    assert "| high | 2 |" in text and "| medium | 1 |" in text

    hostile = reporters.render(handmade, "md")
    header = next(line for line in hostile.splitlines() if line.startswith("| Severity | Rule"))
    columns = len(_CELL_SPLIT.split(header))
    body = [line for line in hostile.splitlines() if " confidence) | " in line]
    assert len(body) == 2
    assert all(len(_CELL_SPLIT.split(line)) == columns for line in body), body
    assert "Do not &lt;b&gt;eval&lt;/b&gt; &amp; co." in hostile  # remediation is text, not HTML
    assert "## Could not scan (2)" in hostile and "hint: open and re\\-save" not in hostile
    assert "hint: open and re-save it in JupyterLab" in hostile
    assert "2 new, 4 fixed, 1 unchanged" in hostile


# -- console ------------------------------------------------------------------------


def test_console_render_is_plain_text_grouped_by_severity(handmade: Report, scanned: Report) -> None:
    text = reporters.render(handmade, "console")
    assert "\x1b" not in text and "\x00" not in text
    assert text.index("CRITICAL (1)") < text.index("LOW (1)")
    assert "NBSEC-NB-005  nb dir/evil.ipynb, cell 1 [7], line 1, col 1" in text
    assert "[red]markup[/red] :smile: \\x1b[2J\\x00" in text  # no markup, no emoji, no raw escapes
    assert "Could not scan (2)" in text and "hint: open and re-save it in JupyterLab" in text
    assert "baseline: 2 new, 4 fixed, 1 unchanged (baseline.json)" in text
    assert handmade.summary_line() in text

    scan_text = reporters.render(scanned, "console")
    for rule_id in ("NBSEC-NB-001", "NBSEC-NB-002", "NBSEC-NB-005"):
        assert rule_id in scan_text
    assert scan_text.rstrip().endswith(scanned.summary_line())


def test_print_report_verbose_adds_remediation(scanned: Report) -> None:
    def printed(verbose: bool) -> str:
        terminal = io.StringIO()
        console = Console(file=terminal, record=True, width=200, force_terminal=True)
        print_report(scanned, console, verbose=verbose)
        assert "\x1b[" in terminal.getvalue()  # a terminal gets colour
        return console.export_text()

    brief, full = printed(False), printed(True)
    assert "NBSEC-NB-001" in brief and "fix:" not in brief and "Suppressed" not in brief
    assert "fix: Pass weights_only=True" in full and "Suppressed (1)" in full


# -- every format -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", reporters.FORMATS)
def test_an_empty_report_renders(fmt: str, report_schema: dict[str, Any]) -> None:
    text = reporters.render(Report(), fmt)
    assert text.strip()
    if fmt == "json":
        jsonschema.Draft202012Validator(report_schema).validate(json.loads(text))
    elif fmt == "sarif":
        assert sarif_of(Report())["runs"][0]["results"] == []
    elif fmt == "junit":
        assert ET.fromstring(text).get("tests") == "0"
    elif fmt == "html":
        assert "No findings." in text
    else:
        assert "No findings" in text


def test_imports_stay_light() -> None:
    # Differential: only what `import nbsec.reporters` adds on top of `import nbsec` is its doing.
    code = (
        "import sys, nbsec\n"
        "assert 'nbsec.reporters' not in sys.modules, 'import nbsec must not import nbsec.reporters'\n"
        "before = set(sys.modules)\n"
        "import nbsec.reporters\n"
        "added = set(sys.modules) - before\n"
        "heavy = sorted(m for m in added if m.split('.')[0] in ('rich', 'torch', 'plotly', 'pandas', 'xml'))\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
