"""Compliance widgets (ipywidgets 8): the compliance table of a Report, and the EU AI Act questionnaire.

    from nbsec.widgets.compliance import ComplianceWidget, TierQuestionnaire
    ComplianceWidget(report, "iso42001")      # framework dropdown, status filter, text filter
    TierQuestionnaire()                       # answers -> tier and obligations, live

Both only render what nbsec.compliance computes; the HTML they show is the escaped fragment the
HTML report uses. The table always names the report it maps (a kernel holds several; the magic
offers them in a dropdown), and the questionnaire starts unanswered and shows no tier until every
question that applies has an answer: a missing answer is not a "no". Each is displayed with its
static twin (nbsec.display.twin), refreshed on every change, so a reopened notebook still shows the
last state instead of "Error displaying widget". Imported on use only (ipywidgets).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from nbsec.compliance import COMPLIANCE_FRAMEWORKS, FRAMEWORKS, STATUSES, ComplianceResult, map_report
from nbsec.compliance import questionnaire as q
from nbsec.compliance.coverage import describe_run
from nbsec.compliance.inputs import ReportSource
from nbsec.compliance.render import STATUS_COLORS, STATUS_LABELS, input_html, summary_html, table_html, tier_html
from nbsec.display.twin import Twin
from nbsec.escaping import html_text as escape
from nbsec.model import Report, Rule

# Notebook front ends do not load the HTML report's stylesheet: the few rules the fragments need.
STYLE = (
    """<style>
.nbsec-cw table { border-collapse: collapse; width: 100%; margin-bottom: .75rem; }
.nbsec-cw th, .nbsec-cw td { border-bottom: 1px solid #d0d7de; padding: .3rem .45rem; text-align: left;
  vertical-align: top; }
.nbsec-cw .cards { display: flex; gap: .6rem; flex-wrap: wrap; margin: .4rem 0; }
.nbsec-cw .card { border: 1px solid #d0d7de; border-left: 6px solid var(--sev); border-radius: 6px;
  padding: .3rem .8rem; min-width: 5rem; }
.nbsec-cw .card .n { font-size: 1.4rem; font-weight: 700; display: block; }
.nbsec-cw td code { white-space: nowrap; }
.nbsec-cw .nbsec-status-badge { color: #fff; border-radius: 3px; padding: 1px 6px; font-weight: 600;
  white-space: nowrap; }
.nbsec-cw .nbsec-not-run { color: #6e7781; }
"""
    + "".join(f".nbsec-cw .nbsec-{status} {{ background: {color}; }}\n" for status, color in STATUS_COLORS.items())
    + """</style>"""
)
FILTERS = (("All", "all"), *((STATUS_LABELS[s].capitalize(), s) for s in STATUSES))
MAX_CHOICE_LABEL = 110
MAX_OPEN_LISTED = 5
ANSWERS_FILE = "eu-ai-act-answers.yaml"


class ComplianceWidget(widgets.VBox):  # type: ignore[misc]
    """A report's compliance table for one framework at a time; `.result` is the current ComplianceResult.

    `choices` are the reports to pick from (the magic passes the kernel's kept reports), `selected` the one
    shown first (default: the last); a `report` given alone is the only choice, named by `source`.
    """

    def __init__(
        self,
        report: Report | None = None,
        framework: str = "nist-ai-rmf",
        rules: Iterable[Rule] | None = None,
        *,
        source: str | None = None,
        choices: Sequence[ReportSource] = (),
        selected: int | None = None,
    ) -> None:
        self.sources = list(choices)
        if report is not None:
            self.sources.append(ReportSource(report, source or "the report given to this view"))
        if not self.sources:
            raise ValueError("ComplianceWidget needs a report (or choices)")
        self._rules = None if rules is None else list(rules)
        self._cache: dict[tuple[int, str], ComplianceResult] = {}
        self.pick = widgets.Dropdown(
            options=[(_choice_label(source_), i) for i, source_ in enumerate(self.sources)],
            value=len(self.sources) - 1 if selected is None else selected,
            description="Report",
            layout=widgets.Layout(width="48rem", display="" if len(self.sources) > 1 else "none"),
        )
        self.framework = widgets.Dropdown(
            options=[(FRAMEWORKS[k].summary, k) for k in COMPLIANCE_FRAMEWORKS],
            value=FRAMEWORKS[_key(framework)].key,
            description="Framework",
            layout=widgets.Layout(width="32rem"),
        )
        self.status = widgets.ToggleButtons(options=list(FILTERS), value="all", description="Show")
        self.text = widgets.Text(placeholder="id, title or rule", description="Filter", continuous_update=True)
        self.source = widgets.HTML()
        self.summary = widgets.HTML()
        self.table = widgets.HTML()
        self.twin = Twin("compliance", "compliance table", self._twin_html, self._twin_plain)
        for control in (self.pick, self.framework, self.status, self.text):
            control.observe(self._refresh, names="value")
        super().__init__(
            children=[
                self.pick,
                self.framework,
                widgets.HBox([self.status, self.text]),
                self.source,
                self.summary,
                self.table,
            ]
        )
        self._refresh()

    @property
    def report(self) -> Report:
        return self.sources[int(self.pick.value)].report

    @property
    def result(self) -> ComplianceResult:
        key = (int(self.pick.value), str(self.framework.value))
        if key not in self._cache:
            chosen = self.sources[key[0]]
            self._cache[key] = map_report(chosen.report, key[1], rules=self._rules, source=chosen.label)
        return self._cache[key]

    def _statuses(self) -> tuple[str, ...]:
        return STATUSES if self.status.value == "all" else (str(self.status.value),)

    def _refresh(self, change: Any = None) -> None:
        result = self.result
        self.source.value = f'<div class="nbsec-cw">{input_html(result)}</div>'
        self.summary.value = f'{STYLE}<div class="nbsec-cw">{summary_html(result)}</div>'
        self.table.value = f'<div class="nbsec-cw">{table_html(result, self._statuses(), str(self.text.value))}</div>'
        self.twin.refresh()

    def _twin_html(self) -> str:
        """What the widget shows now: the report it maps, the framework, summary, and the filtered table."""
        result = self.result
        shown = "all items" if self.status.value == "all" else f"{STATUS_LABELS[str(self.status.value)]} only"
        if str(self.text.value).strip():
            shown += f", filtered by \u201c{escape(str(self.text.value).strip())}\u201d"
        return (
            f'{STYLE}<div class="nbsec-cw"><p><strong>{escape(result.catalogue.title)}</strong> '
            f"&middot; version {escape(result.catalogue.version)} &middot; {shown}</p>"
            f"{input_html(result)}{summary_html(result)}"
            f"{table_html(result, self._statuses(), str(self.text.value), compact=True)}</div>"
        )

    def _twin_plain(self) -> str:
        result = self.result
        return f"nbsec compliance: {result.summary_line()}\nReport mapped: {result.input_line()}"

    def _ipython_display_(self) -> None:
        self.twin.show(self)


def _key(framework: str) -> str:
    from nbsec.compliance import compliance_catalogue

    return compliance_catalogue(framework).key


def _choice_label(source: ReportSource) -> str:
    """What the run was first (a long command line must not push it out of the dropdown), then where from."""
    text = f"{describe_run(source.report)} \u00b7 {source.label}"
    return text if len(text) <= MAX_CHOICE_LABEL else text[: MAX_CHOICE_LABEL - 3] + "..."


class TierQuestionnaire(widgets.VBox):  # type: ignore[misc]
    """The EU AI Act questions as toggles, none selected at first; questions appear as answers make them apply.

    `.answers` are the answers given to the questions that apply, `.still_open` the questions that apply and have
    no answer yet, `.result` the TierResult once none is open (None before: no tier is guessed).
    "Save answers" writes them as an answers file for `nbsec compliance eu-ai-act-tier --answers`.
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
                children.append(widgets.HTML(f"<b>{escape(section)}</b>"))
            options = list(question.choices) if question.type == "choice" else ["no", "yes"]
            value = question.parse(given[question.id]) if given.get(question.id) is not None else None
            control = widgets.ToggleButtons(options=options, value=value)
            control.observe(self._refresh, names="value")
            label = widgets.HTML(f"{escape(question.text)} <small>({escape(', '.join(question.refs))})</small>")
            box = widgets.VBox([label, control])
            self.controls[question.id] = control
            self.boxes[question.id] = box
            children.append(box)
        self.output = widgets.HTML()
        self.save_path = widgets.Text(value=ANSWERS_FILE, description="Save to", layout=widgets.Layout(width="24rem"))
        self.save_button = widgets.Button(description="Save answers", icon="save", tooltip="write an answers file")
        self.save_button.on_click(self._save)
        self.saved = widgets.HTML()
        self.twin = Twin("eu-ai-act-tier", "EU AI Act tier questionnaire", self._twin_html, self._twin_plain)
        super().__init__(
            children=[*children, self.output, widgets.HBox([self.save_path, self.save_button]), self.saved]
        )
        self._refresh()

    @property
    def answers(self) -> dict[str, str]:
        current: dict[str, str] = {}
        for question in self.questions:
            value = self.controls[question.id].value
            if value is not None and q.asked(question, current):
                current[question.id] = str(value)
        return current

    @property
    def still_open(self) -> list[q.Question]:
        return q.open_questions(self.answers)

    @property
    def result(self) -> q.TierResult | None:
        answers = self.answers
        return None if q.open_questions(answers) else q.assess(answers)

    def _refresh(self, change: Any = None) -> None:
        answers = self.answers
        for question in self.questions:
            self.boxes[question.id].layout.display = "" if q.asked(question, answers) else "none"
        self.output.value = f'{STYLE}<div class="nbsec-cw">{self._result_html(answers)}</div>'
        self.twin.refresh()

    def _result_html(self, answers: dict[str, str]) -> str:
        still_open = q.open_questions(answers)
        if not still_open:
            return tier_html(q.assess(answers))
        n = len(still_open)
        return (
            f"<p><strong>No tier yet:</strong> answer {n} more question{'s' if n != 1 else ''} to see the tier "
            f"({len(answers)} answered). A question left open is not taken as &ldquo;no&rdquo;.</p>"
        )

    def _save(self, button: Any = None) -> None:
        """Write the answers (open questions left empty) and say where, or why not."""
        path = Path(str(self.save_path.value).strip() or ANSWERS_FILE).expanduser()
        answers = self.answers
        still_open = q.open_questions(answers)
        lines = [
            "# EU AI Act tier answers from nbsec's questionnaire widget, for",
            "# nbsec compliance eu-ai-act-tier --answers THIS_FILE (fill in the empty ones first).",
        ]
        lines += [f"{ident}: {value}" for ident, value in answers.items()]
        lines += [f"{question.id}:   # open" for question in still_open]
        try:
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        except OSError as exc:
            self.saved.value = (
                f"<p><strong>Not saved:</strong> {escape(str(path))}: {escape(exc.strerror or str(exc))}</p>"
            )
            return
        where = escape(str(path.resolve()))
        if still_open:
            self.saved.value = (
                f"<p>Saved {len(answers)} answers to <code>{where}</code>; {len(still_open)} question(s) still "
                "open there (empty): fill them in before using the file with <code>--answers</code>.</p>"
            )
        else:
            self.saved.value = (
                f"<p>Saved {len(answers)} answers to <code>{where}</code>: "
                f"<code>nbsec compliance eu-ai-act-tier --answers {where}</code></p>"
            )

    def _twin_html(self) -> str:
        """The answers so far and the tier, or what is still open."""
        answers = self.answers
        by_id = {question.id: question for question in self.questions}
        rows = "".join(
            f"<tr><td>{escape(by_id[ident].text)}</td><td><strong>{escape(value)}</strong></td></tr>"
            for ident, value in answers.items()
        )
        table = (
            f"<details><summary>{len(answers)} answer(s) given</summary><table><thead><tr><th>Question</th>"
            f"<th>Answer</th></tr></thead><tbody>{rows}</tbody></table></details>"
            if answers
            else "<p>No question answered yet.</p>"
        )
        still_open = q.open_questions(answers)
        listed = "".join(f"<li>{escape(question.text)}</li>" for question in still_open[:MAX_OPEN_LISTED])
        more = f"<li>... and {len(still_open) - MAX_OPEN_LISTED} more</li>" if len(still_open) > MAX_OPEN_LISTED else ""
        pending = f"<p>Not answered yet:</p><ul>{listed}{more}</ul>" if still_open else ""
        return f'{STYLE}<div class="nbsec-cw">{self._result_html(answers)}{pending}{table}</div>'

    def _twin_plain(self) -> str:
        result = self.result
        if result is None:
            return f"nbsec EU AI Act tier: not answered yet ({len(self.still_open)} question(s) open)"
        return f"nbsec EU AI Act tier: {result.tier_title}; {len(result.obligations)} obligation(s)"

    def _ipython_display_(self) -> None:
        self.twin.show(self)
