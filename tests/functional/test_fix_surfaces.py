"""`nbsec fix` in the notebook and in the report views: `%aisec fix` (diffs, Apply button, static twin), the HTML
of a fix section (escaped, redacted), the findings view's "fixable" marker, the console's diff."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from nbsec import api
from nbsec.demo import FAKE_AWS_KEY_ID, FAKE_DB_URL, FAKE_OPENAI_KEY, build_demo
from nbsec.display.fix_view import fixes_html
from nbsec.display.report_view import mimebundle
from nbsec.display.twin import TWIN_CLASS
from nbsec.model import FixChange, FixOutcome, FixSection, Location, Report, Severity
from nbsec.reporters import console
from nbsec.rule_catalogue import get_rule

PLANTED = (FAKE_OPENAI_KEY, FAKE_AWS_KEY_ID, FAKE_DB_URL, "ada.brightwater@fjordmail.io")
XSS = '<img src=x onerror="alert(1)">'


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    build_demo(tmp_path / "demo")
    return tmp_path / "demo"


def _clean(text: str) -> None:
    for value in PLANTED:
        assert value not in text


def test_aisec_fix_shows_the_diffs_and_applies_with_the_button(ip: InteractiveShell, demo: Path) -> None:
    before = (demo / "demo.ipynb").read_bytes()
    view = ip.run_line_magic("aisec", "fix demo")
    assert (demo / "demo.ipynb").read_bytes() == before  # shown, not written
    dry = ip.user_ns["_aisec_report"]
    assert dry.fixes is not None and dry.fixes.mode == "dry-run"
    with capture_output() as shown:
        view._ipython_display_()
    live, twin = shown.outputs
    assert "application/vnd.jupyter.widget-view+json" in live.data
    html = twin.data["text/html"]
    assert TWIN_CLASS in html and "nbsec-diff" in html and "os.environ[" in html
    _clean(html + view.html.value + repr(view.widget.get_state()))
    assert not view.button.disabled
    with capture_output() as clicked:
        view.button.click()
    after = (demo / "demo.ipynb").read_text()
    assert "os.environ[" in after and FAKE_OPENAI_KEY not in after
    report = ip.user_ns["_aisec_report"]
    assert report.fixes is not None and report.fixes.mode == "apply" and report.fixes.count("fixed") >= 10
    [update] = [o for o in clicked.outputs if o.update]  # the twin, re-rendered in place
    assert update.transient["display_id"] == twin.transient["display_id"]
    assert 'data-status="fixed"' in update.data["text/html"] and "applied" in update.data["text/html"]
    _clean(update.data["text/html"] + view.status.value)
    assert view.button.disabled


def test_aisec_fix_apply_writes_at_once_and_shows_what_was_fixed(ip: InteractiveShell, demo: Path) -> None:
    shown = ip.run_line_magic("aisec", "fix demo --rule NBSEC-NB-011 --apply")
    html = shown.data
    assert "nbsec fix</strong> (applied)" in html and 'data-status="fixed"' in html
    _clean(html)
    assert FAKE_DB_URL not in (demo / "demo.ipynb").read_text().split('"outputs"', 3)[-1]


def _section() -> FixSection:
    rule = get_rule("NBSEC-NB-011")
    assert rule is not None
    finding = rule.finding(Location(f"nb{XSS}.ipynb", cell=2), evidence=XSS, severity=Severity.HIGH)
    change = FixChange(
        path=f"nb{XSS}.ipynb",
        kind="notebook",
        summary=f"redacted {XSS}",
        rule_ids=("NBSEC-NB-011",),
        findings=(finding.fingerprint,),
        status="refused",
        diff=f"--- a/x\n+++ b/x\n-{XSS}\n+ok",
        reason=XSS,
        notes=(XSS,),
    )
    return FixSection("dry-run", [change], [FixOutcome(finding, "remains", f"refused: {XSS}")])


def test_the_fix_html_escapes_everything() -> None:
    html = fixes_html(_section())
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<script" not in html.lower()


def test_the_findings_view_marks_fixable_findings_with_the_command(demo: Path) -> None:
    import os

    os.chdir(demo.parent)
    report = api.scan("demo")
    html = mimebundle(report)["text/html"]
    assert html.count('class="nbsec-fix-command nbsec-fixable"') == sum(
        1 for f in report.findings if _has_fixer(f.rule_id)
    )
    assert "nbsec fix demo/demo.ipynb --rule NBSEC-PRIV-001" in html
    art = next(f for f in report.findings if f.rule_id == "NBSEC-ART-001")
    assert f"--rule {art.rule_id}" not in html  # no fixer: no command


def _has_fixer(rule_id: str) -> bool:
    from nbsec.fix import fixable

    return fixable(rule_id)


def test_a_fix_report_shows_its_section_in_the_notebook_view(demo: Path) -> None:
    import os

    os.chdir(demo.parent)
    report = api.fix("demo")
    bundle = mimebundle(report)
    assert 'class="nbsec-fixes"' in bundle["text/html"] and "nbsec fix:" in bundle["text/plain"]
    assert report.fixes is not None
    fixable = [o for o in report.fixes.outcomes if o.status == "fixable"]
    # Each fixable finding's row says so in its detail, and the fix section lists it with its outcome.
    assert bundle["text/html"].count("<strong>nbsec fix:</strong> fixable: ") == len(fixable) > 0
    assert bundle["text/html"].count('<tr class="nbsec-fix-outcome" data-status="fixable">') == len(fixable)
    _clean(str(bundle))


def test_the_console_shows_diffs_coloured_and_control_characters_escaped() -> None:
    from rich.console import Console

    section = _section()
    section.changes[0] = dataclasses.replace(section.changes[0], diff="+\x1b[31mred\n-old")
    report = Report(fixes=section)
    buffer = _capture(Console, report)
    assert "\x1b[31mred" not in buffer and "\\x1b[31mred" in buffer
    assert "REFUSED" in buffer and "why:" in buffer


def _capture(console_cls: Any, report: Report) -> str:
    import io

    out = io.StringIO()
    console.print_report(report, console_cls(file=out, width=200, no_color=True), verbose=True)
    return out.getvalue()
