"""Compliance widgets (ipywidgets 8): the compliance table of a Report, and the EU AI Act questionnaire.

    from nbsec.widgets.compliance import ComplianceWidget, TierQuestionnaire
    ComplianceWidget(report, "iso42001")      # framework dropdown, status filter, text filter
    TierQuestionnaire()                       # answers -> tier and obligations, live

Both only render what nbsec.compliance computes; the HTML they show is the
escaped fragment the HTML report uses. Imported on use only (ipywidgets).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from nbsec.compliance import COMPLIANCE_FRAMEWORKS, FRAMEWORKS, ComplianceResult, map_report
from nbsec.compliance import questionnaire as q
from nbsec.compliance.render import STATUS_LABELS, summary_html, table_html, tier_html
from nbsec.model import Report, Rule

# Notebook front ends do not load the HTML report's stylesheet: the few rules the fragments need.
STYLE = """<style>
.nbsec-cw table { border-collapse: collapse; width: 100%; margin-bottom: .75rem; }
.nbsec-cw th, .nbsec-cw td { border-bottom: 1px solid #d0d7de; padding: .3rem .45rem; text-align: left;
  vertical-align: top; }
.nbsec-cw .cards { display: flex; gap: .6rem; flex-wrap: wrap; margin: .4rem 0; }
.nbsec-cw .card { border: 1px solid #d0d7de; border-left: 6px solid var(--sev); border-radius: 6px;
  padding: .3rem .8rem; min-width: 5rem; }
.nbsec-cw .card .n { font-size: 1.4rem; font-weight: 700; display: block; }
.nbsec-cw td code { white-space: nowrap; }
.nbsec-cw .nbsec-status-badge { color: #fff; border-radius: 3px; padding: 1px 6px; font-weight: 600; }
</style>"""
FILTERS = (("All", "all"), *((STATUS_LABELS[s].capitalize(), s) for s in ("findings", "evidence", "untested")))


class ComplianceWidget(widgets.VBox):  # type: ignore[misc]
    """A report's compliance table for one framework at a time; `.result` is the current ComplianceResult."""

    def __init__(self, report: Report, framework: str = "nist-ai-rmf", rules: Iterable[Rule] | None = None) -> None:
        self.report = report
        self._rules = None if rules is None else list(rules)
        self._cache: dict[str, ComplianceResult] = {}
        self.framework = widgets.Dropdown(
            options=[(FRAMEWORKS[k].summary, k) for k in COMPLIANCE_FRAMEWORKS],
            value=FRAMEWORKS[_key(framework)].key,
            description="Framework",
            layout=widgets.Layout(width="32rem"),
        )
        self.status = widgets.ToggleButtons(options=list(FILTERS), value="all", description="Show")
        self.text = widgets.Text(placeholder="id, title or rule", description="Filter", continuous_update=True)
        self.summary = widgets.HTML()
        self.table = widgets.HTML()
        for control in (self.framework, self.status, self.text):
            control.observe(self._refresh, names="value")
        super().__init__(children=[self.framework, widgets.HBox([self.status, self.text]), self.summary, self.table])
        self._refresh()

    @property
    def result(self) -> ComplianceResult:
        key = str(self.framework.value)
        if key not in self._cache:
            self._cache[key] = map_report(self.report, key, rules=self._rules)
        return self._cache[key]

    def _refresh(self, change: Any = None) -> None:
        result = self.result
        statuses = ("findings", "evidence", "untested") if self.status.value == "all" else (str(self.status.value),)
        self.summary.value = f'{STYLE}<div class="nbsec-cw">{summary_html(result)}</div>'
        self.table.value = f'<div class="nbsec-cw">{table_html(result, statuses, str(self.text.value))}</div>'


def _key(framework: str) -> str:
    from nbsec.compliance import compliance_catalogue

    return compliance_catalogue(framework).key


class TierQuestionnaire(widgets.VBox):  # type: ignore[misc]
    """The EU AI Act questions as toggles; questions appear as earlier answers make them apply.

    `.answers` are the current answers (only the questions that apply), `.result` the TierResult.
    """

    def __init__(self, answers: dict[str, str] | None = None) -> None:
        given = answers or {}
        self.questions = q.questions()
        self.controls: dict[str, widgets.ToggleButtons] = {}
        self.boxes: dict[str, widgets.Box] = {}
        children: list[widgets.Widget] = []
        section = ""
        for question in self.questions:
            if question.section != section:
                section = question.section
                children.append(widgets.HTML(f"<b>{_escape(section)}</b>"))
            options = list(question.choices) if question.type == "choice" else ["no", "yes"]
            value = question.parse(given[question.id]) if question.id in given else options[0]
            control = widgets.ToggleButtons(options=options, value=value)
            control.observe(self._refresh, names="value")
            label = widgets.HTML(f"{_escape(question.text)} <small>({_escape(', '.join(question.refs))})</small>")
            box = widgets.VBox([label, control])
            self.controls[question.id] = control
            self.boxes[question.id] = box
            children.append(box)
        self.output = widgets.HTML()
        super().__init__(children=[*children, self.output])
        self._refresh()

    @property
    def answers(self) -> dict[str, str]:
        current: dict[str, str] = {}
        for question in self.questions:
            if q.asked(question, current):
                current[question.id] = str(self.controls[question.id].value)
        return current

    @property
    def result(self) -> q.TierResult:
        return q.assess(self.answers)

    def _refresh(self, change: Any = None) -> None:
        answers = self.answers
        for question in self.questions:
            self.boxes[question.id].layout.display = "" if question.id in answers else "none"
        self.output.value = f'{STYLE}<div class="nbsec-cw">{tier_html(q.assess(answers))}</div>'


def _escape(text: str) -> str:
    from nbsec.escaping import html_text as escape

    return escape(text)
