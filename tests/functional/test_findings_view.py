"""The findings view a Report shows in a notebook (`text/html` of its MIME bundle), on the demo workspace.

Grouped by category (code, checkpoints, secrets, ..., threat model, other), the group with the worst finding
first; compact rows (severity, rule, title, location) whose evidence, fix and references open under the title;
every cell left-aligned inline (JupyterLab right-aligns table cells), rule ids never wrap; the suppressed
findings, with their reason, in a last collapsed group; what could not be scanned on top.

The golden file is the view of the demo, one element per line. Regenerate after an intended change with
NBSEC_UPDATE_GOLDEN=1 and review the diff:

    NBSEC_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/functional/test_findings_view.py
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

import nbsec
from nbsec.demo import build_demo
from nbsec.display import report_view
from nbsec.display.report_view import OPEN_UP_TO, mimebundle
from nbsec.model import Finding, Location, Report, ScanError, Severity, Suppressed, Target
from nbsec.rule_catalogue import FINDING_GROUPS, OTHER_GROUP, finding_group, get_rule, load_catalogue, report_order

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "demo-findings-view.html"
UPDATE = bool(os.environ.get("NBSEC_UPDATE_GOLDEN"))  # read before the fixtures clear NBSEC_*
XSS = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Report]:
    base = tmp_path_factory.mktemp("view")
    build_demo(base / "demo")
    with pytest.MonkeyPatch.context() as patch:  # set up before the per-test isolation: do its part here
        for name in [n for n in os.environ if n.startswith("NBSEC_")]:
            patch.delenv(name)
        patch.chdir(base)  # paths in the report are relative: "demo/..."
        yield nbsec.scan("demo")


def normalized(html: str, report: Report) -> str:
    """The view with the tool version fixed and one element per line (a reviewable diff)."""
    html = html.replace(f"</strong> {report.tool_version}:", "</strong> VERSION:")
    return re.sub(r"(?=<(?:details|/details|table|tr|p|div class=\"nbsec-errors\")[ >])", "\n", html).strip() + "\n"


def test_the_demo_view_matches_golden(demo: Report) -> None:
    actual = normalized(mimebundle(demo)["text/html"], demo)
    if UPDATE:
        GOLDEN.write_text(actual, encoding="utf-8")
    assert actual == GOLDEN.read_text(encoding="utf-8")


# -- the markup, read back ------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.walk()

    def find_all(self, tag: str, cls: str | None = None) -> list[Element]:
        return [e for e in self.walk() if e.tag == tag and (cls is None or cls in e.attrs.get("class", "").split())]

    def style(self) -> dict[str, str]:
        pairs = (part.split(":", 1) for part in self.attrs.get("style", "").split(";") if ":" in part)
        return {k.strip(): v.strip() for k, v in pairs}

    def inside(self, tag: str, cls: str) -> bool:
        node = self.parent
        while node is not None:
            if node.tag == tag and cls in node.attrs.get("class", "").split():
                return True
            node = node.parent
        return False


VOID = {"br", "img", "input", "meta", "hr", "col", "link"}


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {}, None)
        self.node = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.node)
        self.node.children.append(element)
        if tag not in VOID:
            self.node = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.node
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None and node.parent is not None, f"</{tag}> closes nothing"
        self.node = node.parent

    def handle_data(self, data: str) -> None:
        self.node.children.append(data)


def parse(html: str) -> Element:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.node is builder.root, "an element is left open"
    return builder.root


def view(report: Report) -> Element:
    return parse(mimebundle(report)["text/html"])


# -- on the demo ------------------------------------------------------------------------------------


def test_groups_come_worst_first_and_hold_their_findings(demo: Report) -> None:
    tree = view(demo)
    groups = [g for g in tree.find_all("details", "nbsec-group") if g.attrs["data-group"] != "suppressed"]
    keys = [g.attrs["data-group"] for g in groups]
    assert keys == ["checkpoints", "threat-model", "code", "secrets"]  # critical, critical, high, high
    worst = [max(Severity(r.attrs["data-severity"]).rank for r in g.find_all("tr", "nbsec-finding")) for g in groups]
    assert worst == sorted(worst, reverse=True)
    for group in groups:
        rows = group.find_all("tr", "nbsec-finding")
        ranks = [Severity(r.attrs["data-severity"]).rank for r in rows]
        assert ranks == sorted(ranks, reverse=True), f"{group.attrs['data-group']}: not worst first"
        ids = {r.find_all("code")[0].text() for r in rows}
        assert {finding_group(i).key for i in ids} == {group.attrs["data-group"]}
        summary = group.find_all("summary")[0].text()
        label = next(g.label for g in FINDING_GROUPS if g.key == group.attrs["data-group"])
        assert summary.startswith(f"{label} ({len(rows)} finding")
    assert sum(len(g.find_all("tr", "nbsec-finding")) for g in groups) == len(demo.findings)


def test_short_groups_with_high_or_critical_findings_are_open_the_others_collapsed(demo: Report) -> None:
    opened = {}
    for group in view(demo).find_all("details", "nbsec-group"):
        rows = group.find_all("tr", "nbsec-finding")
        severities = {r.attrs["data-severity"] for r in rows}
        should_open = bool(severities & {"critical", "high"}) and len(rows) <= OPEN_UP_TO
        assert ("open" in group.attrs) == should_open, group.attrs["data-group"]
        opened[group.attrs["data-group"]] = "open" in group.attrs
    # On the demo, the 41 threat-model rows start collapsed, so the code and secrets findings after them show.
    assert opened["threat-model"] is False and opened["code"] is True


def test_the_first_row_is_report_findings_0_and_rows_follow_report_findings(demo: Report) -> None:
    rows = view(demo).find_all("tr", "nbsec-finding")
    shown = [(r.find_all("code")[0].text(), r.find_all("td")[3].text().replace("\xa0", " ")) for r in rows]
    assert shown == [(f.rule_id, f.location.describe()) for f in demo.findings]
    assert demo.findings[0].severity is Severity.CRITICAL
    assert demo.findings == report_order(demo)  # nbsec.api.finish left them in the view's order


def test_suppressed_findings_are_listed_with_their_reason_in_a_last_collapsed_group(demo: Report) -> None:
    assert len(demo.suppressed) == 3
    groups = view(demo).find_all("details", "nbsec-group")
    last = groups[-1]
    assert last.attrs["data-group"] == "suppressed" and "open" not in last.attrs
    assert "Suppressed (3)" in last.find_all("summary")[0].text()
    rows = last.find_all("tr", "nbsec-suppressed")
    assert sorted(r.find_all("code")[0].text() for r in rows) == sorted(s.finding.rule_id for s in demo.suppressed)
    for row in rows:
        (reason,) = row.find_all("div", "nbsec-reason")
        assert reason.text() == "suppressed: inline `# nbsec: ignore` comment"
        assert not reason.inside("details", "nbsec-detail")  # visible without opening the row


def test_every_cell_is_left_aligned_inline(demo: Report) -> None:
    cells = [e for e in view(demo).walk() if e.tag in ("td", "th")]
    assert len(cells) > 4 * len(demo.findings)
    assert all(cell.style().get("text-align") == "left" for cell in cells)
    assert all(cell.style().get("vertical-align") == "top" for cell in cells)


def test_rule_ids_never_wrap(demo: Report) -> None:
    tree = view(demo)
    rows = [*tree.find_all("tr", "nbsec-finding"), *tree.find_all("tr", "nbsec-suppressed")]
    for row in rows:
        cell = row.find_all("td")[1]
        (code,) = cell.find_all("code")
        assert re.fullmatch(r"NBSEC-[A-Z]+-\d{3}", code.text())
        assert cell.style()["white-space"] == "nowrap" and code.style()["white-space"] == "nowrap"
    for table in tree.find_all("table", "nbsec-findings"):
        assert table.style()["table-layout"] == "fixed" and table.style()["width"] == "100%"


def test_evidence_fix_and_references_open_under_the_title_not_in_a_column(demo: Report) -> None:
    tree = view(demo)
    headers = [th.text() for th in tree.find_all("th")[:4]]
    assert headers == ["Severity", "Rule", "Finding", "Location"]
    assert {th.text() for th in tree.find_all("th")} == set(headers)
    for row, finding in zip(tree.find_all("tr", "nbsec-finding"), demo.findings, strict=True):
        assert len(row.find_all("td")) == 4
        (details,) = row.find_all("details", "nbsec-detail")
        assert "open" not in details.attrs
        (summary,) = details.find_all("summary")
        assert summary.text() == finding.title
        body = details.text()[len(summary.text()) :]
        assert finding.evidence and finding.evidence in body
        assert finding.remediation in body
        outside = "".join(c.text() for c in row.find_all("td") if not c.find_all("details"))
        assert finding.evidence not in outside


def test_text_plain_lists_the_same_order_by_group(demo: Report) -> None:
    text = mimebundle(demo)["text/plain"]
    listed = re.findall(r"^    [A-Z]+ +(NBSEC-[A-Z]+-\d{3})", text, re.M)
    assert listed == [f.rule_id for f in demo.findings[:50]]
    assert text.index("  Checkpoints and model files") < text.index("  Threat model")


def test_every_report_format_lists_the_findings_in_the_same_order(demo: Report) -> None:
    import json

    from nbsec import reporters

    order = [f.rule_id for f in demo.findings]
    sarif = json.loads(reporters.render(demo, "sarif"))
    results = [r["ruleId"] for r in sarif["runs"][0]["results"] if "suppressions" not in r]
    assert results == order
    markdown = reporters.render(demo, "md")
    assert re.findall(r"^\| \w+ \(\w+ confidence\) \| `(NBSEC-[A-Z]+-\d{3})`", markdown, re.M) == order
    assert markdown.index("### Checkpoints and model files (1 critical)") < markdown.index("### Threat model")
    page = parse(reporters.render(demo, "html"))
    assert [r.find_all("code")[0].text() for r in page.find_all("tr", "nbsec-finding")] == order


# -- made-up reports: errors, the other group, limits, hostile text ---------------------------------


def _finding(rule_id: str, severity: str, path: str = "a.ipynb", **changes: str) -> Finding:
    rule = get_rule(rule_id)
    if rule is None:  # a rule this nbsec does not know (a plugin's, a newer nbsec's report)
        rule = replace(get_rule("NBSEC-NB-001"), id=rule_id, scanner="someone-elses-scanner")  # type: ignore[type-var]
    finding = rule.finding(Location(path=path, line=1), "evidence()", severity=severity)
    return replace(finding, **changes) if changes else finding


def test_unknown_rules_go_to_other_and_errors_stay_on_top() -> None:
    report = Report(
        findings=[_finding("NBSEC-ZZ-001", "critical"), _finding("NBSEC-NB-001", "low")],
        targets=[Target("a.ipynb", "notebook")],
        errors=[ScanError("notebook-code", "broken.ipynb", "not valid JSON (line 3)", "re-save it")],
    )
    assert finding_group("NBSEC-ZZ-001") == OTHER_GROUP
    html = mimebundle(report)["text/html"]
    tree = parse(html)
    assert [g.attrs["data-group"] for g in tree.find_all("details", "nbsec-group")] == ["other", "code"]
    assert html.index('class="nbsec-errors"') < html.index('class="nbsec-group"')
    (errors,) = tree.find_all("div", "nbsec-errors")
    assert "broken.ipynb" in errors.text() and "hint: re-save it" in errors.text()
    assert not errors.inside("details", "nbsec-group")


def test_every_built_in_rule_has_a_named_group() -> None:
    scanners = {rule.scanner for rule in load_catalogue().rules}
    named = {s for group in FINDING_GROUPS for s in group.scanners}
    assert scanners <= named, f"rules of {scanners - named} would be listed under Other"
    from nbsec.rule_catalogue import RUNNERS
    from nbsec.scanners.loader import BUILT_INS

    assert named <= set(BUILT_INS) | RUNNERS  # a group names only scanners that exist


def test_report_order_groups_by_worst_then_catalogue_order_and_is_stable() -> None:
    findings = [
        _finding("NBSEC-TM-001", "medium", "t.yaml"),
        _finding("NBSEC-NB-001", "medium"),
        _finding("NBSEC-ART-001", "high", "m.pt"),
        _finding("NBSEC-TM-002", "high", "t.yaml"),
        _finding("NBSEC-NB-002", "low"),
    ]
    report = Report(findings=findings)
    ordered = report_order(report)
    assert [f.rule_id for f in ordered] == [
        "NBSEC-ART-001",  # checkpoints and threat model both reach high: catalogue order breaks the tie
        "NBSEC-TM-002",
        "NBSEC-TM-001",
        "NBSEC-NB-001",  # code: worst is medium
        "NBSEC-NB-002",
    ]
    assert ordered[0] == report.sorted_findings()[0]
    assert report_order(Report(findings=ordered)) == ordered


def test_the_inline_view_says_what_it_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_view, "MAX_ROWS_INLINE", 3)
    findings = [_finding("NBSEC-NB-001", "high", f"n{i}.ipynb") for i in range(4)]
    findings.append(_finding("NBSEC-TM-001", "low", "t.yaml"))
    tree = view(Report(findings=findings))
    assert len(tree.find_all("tr", "nbsec-finding")) == 3
    code, threat = tree.find_all("details", "nbsec-group")
    assert "(4 findings, 3 shown)" in code.find_all("summary")[0].text()
    assert "(1 finding, 0 shown)" in threat.find_all("summary")[0].text() and not threat.find_all("table")
    (more,) = tree.find_all("p", "nbsec-more")
    assert more.text().startswith("2 more findings are not shown here.")
    assert "r.findings" in more.text() and "%aisec report --format html -o report.html" in more.text()


def test_hostile_text_stays_text_in_the_view() -> None:
    hostile = _finding(
        "NBSEC-NB-001",
        "high",
        f"nb/{XSS}.ipynb",
        title=f"title {XSS}",
        evidence=f"pickle.loads({XSS})</pre></details></td></tr></table><script>alert(2)</script>",
        remediation=f"fix {XSS}",
    )
    report = Report(
        findings=[hostile],
        suppressed=[Suppressed(_finding("NBSEC-NB-002", "high", title=XSS, evidence=XSS), "inline")],
        errors=[ScanError("notebook-code", XSS, XSS, XSS)],
    )
    html = mimebundle(report)["text/html"]
    assert "<img" not in html and "<script>alert" not in html and "</table><script>" not in html
    tree = parse(html)  # every element closes where it should: the evidence did not end the table
    tags = {e.tag for e in tree.walk()}
    assert tags <= {"root", "div", "style", "p", "strong", "small", "span", "details", "summary", "table", "thead",
                    "tbody", "tr", "th", "td", "code", "pre", "br", "ul", "li"}  # fmt: skip
    assert not [(e.tag, a) for e in tree.walk() for a in e.attrs if a.startswith("on") or a in ("src", "href")]
    (row,) = tree.find_all("tr", "nbsec-finding")
    assert XSS in row.text() and "<script>alert(2)</script>" in row.text()  # shown, as text
    (suppressed,) = tree.find_all("tr", "nbsec-suppressed")
    assert suppressed.text().count(XSS) == 2 and "suppressed: inline `# nbsec: ignore` comment" in suppressed.text()


def test_reports_merged_by_the_runner_keep_the_same_order() -> None:
    from nbsec.runner.collect import merge_reports

    code = Report(findings=[_finding("NBSEC-NB-001", "low")])
    checkpoint = Report(findings=[_finding("NBSEC-ART-001", "critical", "m.pt")])
    merged = merge_reports([code, checkpoint])
    assert [f.rule_id for f in merged.findings] == ["NBSEC-ART-001", "NBSEC-NB-001"]
