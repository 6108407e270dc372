"""Escaping for HTML and Markdown, and the Content-Security-Policy of nbsec's HTML pages, in one place.

Everything nbsec renders may come from a hostile file: a finding's evidence, a
notebook's error, a threat model imported from someone's Threat Dragon export.
Every renderer that puts such text into HTML or Markdown goes through here, so
"is this escaped?" has one answer. Stdlib only and light: `nbsec.display`, which
`import nbsec` loads, imports it.

HTML: `html_text` escapes text and attribute values alike (quotes too) and shows
control characters as \\xNN rather than passing them on. `content_security_policy`
allows nothing from the network and only the inline scripts whose SHA-256 it
lists, so even a markup injection that got past the escaping could not run.

Markdown: `md_inline` and `md_cell` make text render as literal text in any
Markdown renderer (CommonMark, GitHub, Markdown.pl): `<`, `>` and `&` become
entities (Markdown.pl has no backslash escape for them, so `\\<` would leave
a live tag there); the other punctuation with a meaning (`*_[]` `` ` `` `#!|~$\\`)
is backslash-escaped; a line break cannot start a block and a leading `-`, `+`,
`=` or `1.` cannot make a list or a heading. Without `[` `]` and `<`, no link,
image, autolink or reference definition can form, so `(` and `)` stay as they are.
`md_code` is an inline code span no backtick in the text can close.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from html import escape as _html_escape

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#!$])")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_ENTITY_CHARS = re.compile(r"[&<>]")
# What makes a line a list item, a heading (setext underline) or a thematic break when it starts one.
_MD_BLOCK_START = re.compile(r"^(?:([-+=])|(\d{1,9})([.)]))")


def show_controls(text: str) -> str:
    """Control characters (NUL, ESC, ...) as visible \\xNN: they have no business in a page or a terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


# -- HTML -------------------------------------------------------------------------------------


def html_text(text: object) -> str:
    """Text for HTML element content or a quoted attribute value: `<>&"'` escaped, control characters shown."""
    return _html_escape(show_controls(str(text)), quote=True)


def plotly_text(text: object) -> str:
    """Text for a plotly label or hover: plotly renders a few tags (<b>, <a href>...) and decodes only `&amp;`,
    `&lt;`, `&gt;` and numeric entities, so quotes stay as they are (`&quot;` would show literally)."""
    return _html_escape(show_controls(str(text)), quote=False)


def script_hash(script: str) -> str:
    """Base64 SHA-256 of an inline script's text (between <script> and </script>), as CSP names it."""
    return base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def content_security_policy(scripts: Iterable[str] = (), *, images: str = "data:") -> str:
    """Nothing from the network, inline styles, images only from `images`, and only the given inline scripts."""
    allowed = " ".join(f"'sha256-{script_hash(s)}'" for s in scripts) or "'none'"
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src {allowed}; img-src {images}"


def csp_meta(scripts: Iterable[str] = (), *, images: str = "data:") -> str:
    """The <meta> element that applies `content_security_policy` to a self-contained page."""
    # The policy is built here from hashes and fixed words: no quote or markup of anyone else's in it.
    return f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(scripts, images=images)}">'


# -- Markdown ---------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    escaped = _MD_SPECIAL.sub(r"\\\1", show_controls(text))
    return _MD_ENTITY_CHARS.sub(lambda m: _MD_ENTITIES[m.group()], escaped)


def _md_block_start(text: str) -> str:
    """Entities for a leading `-`/`+`/`=` or `1.`: inline text that starts a line must not start a block."""
    match = _MD_BLOCK_START.match(text)
    if match is None:
        return text
    if match.group(1):
        return f"&#{ord(match.group(1))};{text[1:]}"
    return f"{match.group(2)}&#{ord(match.group(3))};{text[match.end() :]}"


def md_inline(text: object) -> str:
    """Text on one line of Markdown (a heading, a paragraph, a list item): literal wherever it lands."""
    flat = " ".join(str(text).split())  # a line break would let the rest start a block of its own
    return _md_block_start(_md_escape(flat))


def md_cell(text: object) -> str:
    """Text for a GFM table cell: as `md_inline`, but line breaks kept as <br> (a raw one would end the row)."""
    value = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _md_escape(value).replace("\n", "<br>")


def md_code(text: object) -> str:
    """Inline code: a fence longer than any backtick run in the text, `|` escaped (GFM splits cells first)."""
    flat = " ".join(str(text).split())
    if not flat:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat.replace('|', chr(92) + '|')}{pad}{fence}"
