"""nbsec.escaping: HTML and Markdown escaping, and the CSP, that every renderer shares."""

from __future__ import annotations

import base64
import hashlib
import html
import re

import pytest

from nbsec.escaping import (
    content_security_policy,
    csp_meta,
    html_text,
    md_cell,
    md_code,
    md_inline,
    plotly_text,
    script_hash,
)

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![x](https://evil.example/p.png)",
    "<https://evil.example>",
    "[ref]: https://evil.example",
    "| col | col |",
    "# heading",
    "> quote",
    "- item",
    "+ item",
    "1. item",
    "2) item",
    "===",
    "```fence```",
    "`code` and ``more``",
    "*em* _em_ **strong** ~~strike~~ $x^2$",
    "&amp; &lt;b&gt; &#60;script&#62;",
    "back\\slash \\[not a link\\]",
    "\"quotes\" and 'apostrophes'",
    "<!-- comment --> <?php ?> <![CDATA[x]]>",
]


def markdown() -> object:
    markdown_it = pytest.importorskip("markdown_it")  # rich's dependency: a real CommonMark + GFM-tables renderer
    return markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def test_html_text_escapes_markup_quotes_and_shows_control_characters() -> None:
    assert (
        html_text("<a href=\"x\" title='y'>&</a>") == "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;&lt;/a&gt;"
    )
    assert html_text("ok\x00\x1b[31m\tnext\n") == "ok\\x00\\x1b[31m\tnext\n"
    assert html_text(42) == "42"
    assert plotly_text('"<b>x</b>" & y') == '"&lt;b&gt;x&lt;/b&gt;" &amp; y'  # plotly shows &quot; literally


def test_the_csp_allows_only_the_hashed_scripts() -> None:
    script = "console.log(1);"
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert script_hash(script) == digest
    policy = content_security_policy([script])
    assert policy == f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:"
    assert "script-src 'none'" in content_security_policy()
    assert csp_meta([script]) == f'<meta http-equiv="Content-Security-Policy" content="{policy}">'


def test_the_reporters_use_the_shared_csp() -> None:
    from nbsec.compliance import render as compliance_render
    from nbsec.reporters import html as html_reporter

    assert html_reporter.CSP == content_security_policy([html_reporter.SCRIPT])
    assert compliance_render.CSP == content_security_policy([compliance_render.SCRIPT])


@pytest.mark.parametrize("text", HOSTILE)
def test_md_inline_renders_as_the_literal_text_in_commonmark(text: str) -> None:
    rendered = markdown().render(md_inline(text)).strip()  # type: ignore[attr-defined]
    assert rendered.startswith("<p>") and rendered.endswith("</p>"), rendered
    inner = rendered[3:-4]
    assert not re.search(r"<(?!br>)", inner), f"markup in {rendered!r}"
    assert html.unescape(inner) == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_md_inline_at_the_start_of_a_line_after_a_paragraph_starts_no_block(text: str) -> None:
    rendered = markdown().render(f"Owner: someone\n{md_inline(text)}\n")  # type: ignore[attr-defined]
    assert re.findall(r"<(\w+)", rendered) == ["p"], rendered  # no heading, list, quote, code or table


@pytest.mark.parametrize("text", [*HOSTILE, "two\nlines", "a\r\nb"])
def test_md_cell_keeps_the_table_shape_and_the_text(text: str) -> None:
    table = f"| a | b |\n| --- | --- |\n| {md_cell(text)} | {md_code(text)} |\n"
    rendered = markdown().render(table)  # type: ignore[attr-defined]
    cells = re.findall(r"<td>(.*?)</td>", rendered, re.S)
    assert len(cells) == 2, rendered
    assert html.unescape(cells[0].replace("<br>", "\n")) == text.replace("\r\n", "\n")
    code = re.fullmatch(r"<code>(.*)</code>", cells[1], re.S)
    assert code is not None and html.unescape(code.group(1)) == " ".join(text.split()), cells[1]
    assert not re.search(r"<(?!br>|/?code>)", "".join(cells)), rendered


def test_md_escapes_for_renderers_without_backslash_escapes_for_markup() -> None:
    # Markdown.pl has no `\<`: markup characters must be entities, never a backslash before a live `<`.
    assert md_inline("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert "<" not in md_cell("<script>") and md_cell("a\nb") == "a<br>b"
