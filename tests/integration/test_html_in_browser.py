"""The HTML report in a real browser: opens offline, fetches nothing, filters by severity and text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import nbsec
from nbsec.demo import build_demo
from nbsec.reporters import write

pytestmark = pytest.mark.integration


def test_html_report_works_offline(browser: Any, tmp_path: Path) -> None:
    build_demo(tmp_path / "demo")
    (tmp_path / "demo" / "evil.py").write_text("import pickle\npickle.loads(b'<img src=x onerror=alert(1)>' + x)\n")
    report = nbsec.scan(tmp_path / "demo")
    page_path = write(report, "html", tmp_path / "report.html")

    context = browser.new_context(offline=True)
    page = context.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))
    page.goto(page_path.resolve().as_uri())

    assert [u for u in requests if not u.startswith("file://")] == []
    assert problems == []  # no CSP violation, no script error, and the planted onerror never ran

    rows = page.locator("tr.nbsec-finding")
    high = page.locator("tr.nbsec-finding[data-severity=high]")
    total, n_high = rows.count(), high.count()
    assert n_high > 0 and total > n_high
    assert page.locator("#nbsec-shown").inner_text() == f"{total} of {total} shown"

    page.locator("input.nbsec-filter[value=high]").uncheck()
    assert all(not high.nth(i).is_visible() for i in range(n_high))
    assert page.locator("#nbsec-shown").inner_text() == f"{total - n_high} of {total} shown"

    page.locator("input.nbsec-filter[value=high]").check()
    page.locator("input.nbsec-filter[value=critical]").uncheck()
    assert not page.locator("details.nbsec-group[data-group=checkpoints]").is_visible()  # its one row is critical
    page.locator("input.nbsec-filter[value=critical]").check()

    groups = page.locator("#findings details.nbsec-group")
    code = page.locator("#findings details.nbsec-group[data-group=code]")
    code.locator("summary").first.click()  # the reader closes a group; a text filter that matches in it opens it
    assert code.get_attribute("open") is None
    page.locator("#nbsec-text-filter").fill("NBSEC-NB-004")
    visible = [rows.nth(i) for i in range(total) if rows.nth(i).is_visible()]
    assert len(visible) == 1 and "trust_remote_code" in visible[0].inner_text()
    assert [groups.nth(i).get_attribute("data-group") for i in range(groups.count()) if groups.nth(i).is_visible()] == [
        "code"
    ]
    page.locator("#nbsec-text-filter").fill("")  # cleared: every group back, open as it was by default
    assert all(groups.nth(i).is_visible() for i in range(groups.count()))
    assert code.get_attribute("open") is not None
    assert page.locator("#nbsec-shown").inner_text() == f"{total} of {total} shown"

    page.locator("#nbsec-text-filter").fill("builtins.print")  # evidence, inside a row's closed details
    visible = [rows.nth(i) for i in range(total) if rows.nth(i).is_visible()]
    assert len(visible) == 1 and "NBSEC-ART-001" in visible[0].inner_text()
    context.close()
