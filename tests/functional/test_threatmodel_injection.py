"""A hostile Threat Dragon file: every export of the imported model shows its text as text.

Anyone can write a Threat Dragon export, so titles, the owner, descriptions, element and flow
names and threat texts are outside input. After `nbsec threatmodel import`, none of it may become
live markup, a link or an image in the Markdown export, the HTML diagram, the check's HTML and
Markdown reports or the compliance page; SARIF and JSON keep it as data.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cli import invoke

DATA = Path(__file__).resolve().parents[1] / "data" / "threatmodel"
PAYLOAD = (
    "<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) "
    "![x](https://evil.example/p.png) | col | `tick` <a href='https://evil.example'>link</a> &amp;"
)
LIVE_MARKUP = re.compile(r"<(script|img|a|iframe)\b", re.I)
_PIPE = re.compile(r"(?<!\\)\|")


def hostile_threat_dragon() -> dict[str, Any]:
    """Threat Dragon's own v2 sample with every free-text field replaced by markup and Markdown."""
    data: dict[str, Any] = copy.deepcopy(json.loads((DATA / "v2-threat-model.json").read_text()))
    data["summary"].update(
        title=f"# heading {PAYLOAD}",
        owner=f"> owner {PAYLOAD}",
        description=f"- item {PAYLOAD}\n# heading\n\n1. one\n```\ncode\n```",
    )
    for diagram in data["detail"]["diagrams"]:
        for cell in diagram["cells"]:
            fields = cell.get("data")
            if not isinstance(fields, dict):
                continue
            fields.update(name=f"# {PAYLOAD} {fields.get('name', '')}", description=PAYLOAD)
            for threat in fields.get("threats") or []:
                threat.update(title=f"# {PAYLOAD}", description=PAYLOAD, mitigation=PAYLOAD)
    return data


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-td")
    source = root / "evil.json"
    source.write_text(json.dumps(hostile_threat_dragon()), encoding="utf-8")
    model = root / "model.yaml"
    result = invoke("threatmodel", "import", source, "-o", model)
    assert result.exit_code == 0, result.output
    return model


def markdown_html(text: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    renderer = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    rendered: str = renderer.render(text)
    return rendered


def assert_inert_markdown(text: str) -> None:
    assert "javascript:alert(1)" in text, "the text is kept, as text"
    rendered = markdown_html(text)
    assert not LIVE_MARKUP.search(rendered), "no live tag, link or image once rendered"
    assert "<h1>heading" not in rendered and "<blockquote>" not in rendered and "<ol>" not in rendered


def assert_tables_keep_their_shape(text: str) -> None:
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("|") and index + 1 < len(lines) and re.fullmatch(r"\|[-:| ]+\|", lines[index + 1]):
            columns = len(_PIPE.split(line))
            for row in lines[index + 1 :]:
                if not row.startswith("|"):
                    break
                assert len(_PIPE.split(row)) == columns, row


def test_markdown_export_is_inert_and_keeps_its_tables(imported: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.md"
    assert invoke("threatmodel", "export", imported, "--to", "markdown", "-o", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "<" not in text, "no raw < at all: markup characters are entities"
    assert_inert_markdown(text)
    assert not re.search(r"(?<!\\)\]\(", text) and "![" not in text, "no link or image syntax, even unrendered"
    assert_tables_keep_their_shape(text)
    assert text.startswith("# Threat model: \\# heading &lt;script&gt;")


def test_html_diagram_is_escaped_and_locked_down(imported: Path, tmp_path: Path) -> None:
    from nbsec.threatmodel import load
    from nbsec.threatmodel.diagram import data_flow_figure

    out = tmp_path / "diagram.html"
    assert invoke("threatmodel", "diagram", imported, "-o", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None and "&lt;script&gt;alert(1)&lt;/script&gt;" in title.group(1)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # Plotly renders <b>, <a href> ... in labels: the labels reach it escaped.
    figure = data_flow_figure(load(imported))
    labels = [*figure.data[0].text, *figure.data[0].hovertext, *(a.text for a in figure.layout.annotations)]
    assert any("&lt;script&gt;" in label for label in labels)
    assert not any(LIVE_MARKUP.search(label) for label in labels)


def test_check_reports_are_inert_and_keep_the_text_as_data(imported: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("threatmodel", "check", imported, "-f", "html,md,sarif,json", "-o", f"{out}/", "--fail-on", "never")
    assert result.exit_code == 0, result.output

    page = (out / "nbsec-report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1 and "<img" not in page and "href='https://evil" not in page
    assert "Content-Security-Policy" in page

    text = (out / "nbsec-report.md").read_text(encoding="utf-8")
    assert_inert_markdown(text)
    assert_tables_keep_their_shape(text)

    for name in ("nbsec-report.sarif", "nbsec-report.json"):
        document = json.loads((out / name).read_text(encoding="utf-8"))  # valid JSON
        assert "<script>alert(1)</script>" in json.dumps(document, ensure_ascii=False), f"{name} keeps the text"


def test_compliance_page_of_the_check_is_inert(imported: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = invoke("threatmodel", "check", imported, "-f", "json", "-o", report, "--fail-on", "never")
    assert result.exit_code == 0, result.output
    page_path = tmp_path / "compliance.html"
    assert invoke("compliance", report, "--framework", "nist-ai-rmf", "-o", page_path).exit_code == 0
    page = page_path.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, "the hostile threat title is in the table, as text"
    assert page.count("<script>") == 1 and "<img" not in page and "Content-Security-Policy" in page
