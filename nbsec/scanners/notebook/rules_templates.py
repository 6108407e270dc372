"""Templates that render HTML without escaping (bandit B701 jinja2_autoescape_false).

It matters most where a model's output or a user's text reaches the page: a generated answer that
holds `<script>` or an `<img onerror=...>` runs in the reader's browser (OWASP LLM05, improper
output handling). Prompt templates that render plain text need no escaping, so a bare
`Template('Answer: {{ q }}')` is not reported; an Environment (which usually renders files, often
HTML) without autoescape is, at medium confidence.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from nbsec.model import Confidence, Rule, Severity, reference
from nbsec.scanners.notebook.rule_base import CATEGORY, NOT_CONSTANT, SCANNER, CallCheck, Hit, Scope, argument, keyword

TEMPLATE_NO_AUTOESCAPE = Rule(
    id="NBSEC-NB-015",
    title="jinja2 templates rendered without autoescape",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "jinja2 does not escape by default: every {{ value }} goes into the HTML as it is. When a value is a "
        "language model's output, a user's input or scraped text, markup in it (a <script>, an onerror= "
        "handler) runs in the browser of whoever opens the page or the report: cross-site scripting."
    ),
    remediation=(
        "Create the Environment with autoescape=jinja2.select_autoescape() (or autoescape=True for HTML-only "
        "templates), pass autoescape=True to Template(...), and mark trusted markup explicitly with |safe or "
        "markupsafe.Markup. Plain-text templates (prompts) need no escaping: keep them in their own Environment."
    ),
    references=(reference("CWE", "CWE-79"), reference("OWASP LLM Top 10", "LLM05:2025")),
    sample_trigger="import jinja2\nenv = jinja2.Environment(loader=jinja2.FileSystemLoader('templates'))\n",
    sample_clean=(
        "import jinja2\nenv = jinja2.Environment(loader=jinja2.FileSystemLoader('templates'), "
        "autoescape=jinja2.select_autoescape())\n"
    ),
)

RULES = (TEMPLATE_NO_AUTOESCAPE,)

_ENVIRONMENTS = frozenset(
    {"jinja2.Environment", "jinja2.environment.Environment"}
    | {f"jinja2.sandbox.{c}" for c in ("SandboxedEnvironment", "ImmutableSandboxedEnvironment")}
)
_TEMPLATES = frozenset({"jinja2.Template", "jinja2.environment.Template"})
_HTML_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*|/[a-zA-Z])[\s>/]")


def check_jinja2_autoescape(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    if name not in _ENVIRONMENTS and name not in _TEMPLATES:
        return
    what = name.rpartition(".")[2]
    kw = keyword(call, "autoescape")
    if kw is None:
        if any(k.arg is None for k in call.keywords):
            return  # **options may set autoescape
        if what == "Template":
            source = scope.text(argument(call, 0, "source"))
            if source is not None and "<" in source[0] and _HTML_TAG.search(source[0]):
                yield Hit(TEMPLATE_NO_AUTOESCAPE, call, "an HTML Template without autoescape=True")
            return  # a plain-text template (a prompt) needs no escaping
        yield Hit(TEMPLATE_NO_AUTOESCAPE, call, f"{what}() without autoescape: jinja2's default is not to escape")
        return
    value = scope.value(kw.value)
    if value is NOT_CONSTANT:
        called = scope.resolve(kw.value.func) if isinstance(kw.value, ast.Call) else None
        if called is not None and called.rpartition(".")[2] == "select_autoescape":
            return
        yield Hit(
            TEMPLATE_NO_AUTOESCAPE,
            call,
            f"{what}(autoescape=...) computed at run time: make sure it is on for HTML",
            confidence=Confidence.LOW,
        )
    elif not value:
        yield Hit(
            TEMPLATE_NO_AUTOESCAPE, call, f"{what}(autoescape={value!r}) turns escaping off", confidence=Confidence.HIGH
        )


CHECKS: tuple[CallCheck, ...] = (
    CallCheck(
        check_jinja2_autoescape,
        frozenset({"Environment", "SandboxedEnvironment", "ImmutableSandboxedEnvironment", "Template"}),
    ),
)
