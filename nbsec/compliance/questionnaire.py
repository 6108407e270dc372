"""EU AI Act risk tier: questions, answers -> tier (prohibited / high-risk / limited / minimal) and obligations.

Everything is data (nbsec/data/frameworks/eu-ai-act-questionnaire.json): the
questions, when each is asked, the tiers in order of precedence, and each
obligation with its article, role and date of application. Conditions are a
small declarative language evaluated here, never `eval`:

    {"yes": "q"}            question q answered yes
    {"any_yes": [...]}      at least one of them yes;   {"none_yes": [...]} none of them
    {"role": ["provider"]}  the role answer is one of these ("both" counts as provider and deployer)
    {"tier": ["high-risk"]} the tier decided so far is one of these
    {"all": [...]}, {"any": [...]}, {"not": {...}}, {"always": true}

The same answers always give the same result (pure functions). A missing answer is never taken
as "no": `assess` refuses answers that leave a question that applies open (`open_questions`), and
the widget shows no tier until every question that applies is answered.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from nbsec.errors import UsageError

QUESTIONNAIRE_FORMAT = "nbsec-eu-ai-act-questionnaire/1"
YES = {"yes", "y", "true", "1", "ja", "oui"}
NO = {"no", "n", "false", "0", "nein", "non"}
MAX_DEPTH = 16
MISSING_HINT = (
    "a missing answer is not taken as no: answer every question that applies; "
    "`nbsec compliance eu-ai-act-tier --template` writes a file to fill in"
)

Answers = Mapping[str, str]


class AnswersError(UsageError):
    """The answers are incomplete or do not fit the questions."""


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    text: str
    type: str  # "yesno" | "choice"
    refs: tuple[str, ...]
    choices: tuple[str, ...] = ()
    ask_if: Mapping[str, Any] | None = None

    def parse(self, raw: object) -> str:
        """A canonical answer ('yes'/'no' or a choice) from what a user or a file gave."""
        if isinstance(raw, bool):
            text = "yes" if raw else "no"
        else:
            text = str(raw).strip().lower()
        if self.type == "yesno":
            if text in YES:
                return "yes"
            if text in NO:
                return "no"
            raise AnswersError(f"question {self.id}: {raw!r} is not yes or no", "answer yes or no (true/false)")
        if text in self.choices:
            return text
        raise AnswersError(f"question {self.id}: {raw!r} is not a choice", f"answer one of: {', '.join(self.choices)}")


@dataclass(frozen=True)
class Obligation:
    id: str
    article: str
    article_title: str
    role: str
    duty: str
    applies_from: str
    basis: str
    status: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "article": self.article,
            "article_title": self.article_title,
            "role": self.role,
            "duty": self.duty,
            "applies_from": self.applies_from,
            "basis": self.basis,
            "status": self.status,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class TierResult:
    tier: str
    tier_title: str
    tier_summary: str
    reasons: tuple[str, ...]
    obligations: tuple[Obligation, ...]
    answers: Mapping[str, str]
    gpai: str  # "none" | "gpai" | "gpai-systemic"
    disclaimer: str
    regulation: str = ""
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "nbsec-eu-ai-act-tier/1",
            "regulation": self.regulation,
            "tier": self.tier,
            "tier_title": self.tier_title,
            "tier_summary": self.tier_summary,
            "general_purpose_ai": self.gpai,
            "reasons": list(self.reasons),
            "obligations": [o.to_dict() for o in self.obligations],
            "answers": dict(self.answers),
            "disclaimer": self.disclaimer,
        }


@functools.lru_cache(maxsize=1)
def questionnaire_data() -> dict[str, Any]:
    text = (resources.files("nbsec") / "data" / "frameworks" / "eu-ai-act-questionnaire.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    if data.get("format") != QUESTIONNAIRE_FORMAT:
        raise ValueError(f"eu-ai-act-questionnaire.json: unexpected format {data.get('format')!r}")
    return data


def questions() -> list[Question]:
    return [
        Question(
            id=q["id"],
            section=q["section"],
            text=q["text"],
            type=q["type"],
            refs=tuple(q.get("refs", ())),
            choices=tuple(q.get("choices", ())),
            ask_if=q.get("ask_if"),
        )
        for q in questionnaire_data()["questions"]
    ]


def holds(cond: Mapping[str, Any], answers: Answers, tier: str | None = None, depth: int = 0) -> bool:
    """Evaluate one declarative condition against the answers (and the tier, once decided)."""
    if depth > MAX_DEPTH:
        raise ValueError("condition nested too deeply")
    if len(cond) != 1:
        raise ValueError(f"a condition has exactly one operator, got {sorted(cond)}")
    ((op, arg),) = cond.items()
    if op == "always":
        return bool(arg)
    if op == "yes":
        return answers.get(arg) == "yes"
    if op == "any_yes":
        return any(answers.get(q) == "yes" for q in arg)
    if op == "none_yes":
        return not any(answers.get(q) == "yes" for q in arg)
    if op == "role":
        role = answers.get("role", "")
        return role in arg or (role == "both" and bool({"provider", "deployer"} & set(arg)))
    if op == "tier":
        return tier in arg
    if op == "all":
        return all(holds(c, answers, tier, depth + 1) for c in arg)
    if op == "any":
        return any(holds(c, answers, tier, depth + 1) for c in arg)
    if op == "not":
        return not holds(arg, answers, tier, depth + 1)
    raise ValueError(f"unknown condition operator {op!r}")


def asked(question: Question, answers: Answers) -> bool:
    """Whether the question applies, given the answers so far."""
    return question.ask_if is None or holds(question.ask_if, answers)


def open_questions(answers: Answers) -> list[Question]:
    """The questions that apply given the answers so far and have no answer yet, in order."""
    return [question for question in questions() if question.id not in answers and asked(question, answers)]


def normalize_answers(raw: Mapping[str, object]) -> dict[str, str]:
    """Check and canonicalise answers from a file: unknown ids are an error; every asked question needs one."""
    by_id = {q.id: q for q in questions()}
    unknown = sorted(set(raw) - set(by_id))
    if unknown:
        raise AnswersError(
            f"unknown question id(s): {', '.join(unknown)}",
            "print the questions and their ids with `nbsec compliance eu-ai-act-tier --template`",
        )
    answers: dict[str, str] = {}
    missing = []
    for question in by_id.values():  # in order: whether a question is asked depends on earlier answers only
        if not asked(question, answers):
            continue
        if question.id not in raw or raw[question.id] is None:
            missing.append(question.id)
            continue
        answers[question.id] = question.parse(raw[question.id])
    if missing:
        raise AnswersError(f"no answer for: {', '.join(missing)}", MISSING_HINT)
    return answers


def assess(answers: Answers) -> TierResult:
    """Tier and obligations for canonical answers (see normalize_answers).

    AnswersError when a question that applies has no answer: the tier of half-answered questions is unknown.
    """
    from nbsec.compliance.frameworks import catalogue

    still_open = open_questions(answers)
    if still_open:
        raise AnswersError(f"no answer for: {', '.join(question.id for question in still_open)}", MISSING_HINT)
    for question in questions():
        if question.id in answers and question.parse(answers[question.id]) != answers[question.id]:
            given = answers[question.id]
            raise AnswersError(f"question {question.id}: {given!r} is not a canonical answer", "see normalize_answers")
    data = questionnaire_data()
    tier = next(t for t in data["tiers"] if holds(t["when"], answers))
    eu = catalogue("eu-ai-act")
    obligations = []
    for entry in data["obligations"]:
        if not holds(entry["when"], answers, tier["id"]):
            continue
        date = data["dates"][entry["applies_from"]]
        item = eu.resolve(entry["article"])
        obligations.append(
            Obligation(
                id=entry["id"],
                article=entry["article"],
                article_title=item.title if item is not None else "",
                role=entry["role"],
                duty=entry["duty"],
                applies_from=date["date"],
                basis=date["basis"],
                status=date["status"],
                note=" ".join(filter(None, (date.get("note", ""), date.get("pending_change", "")))),
            )
        )
    gpai = "none"
    if answers.get("gpai_provider") == "yes":
        gpai = "gpai-systemic" if answers.get("gpai_systemic") == "yes" else "gpai"
    return TierResult(
        tier=tier["id"],
        tier_title=tier["title"],
        tier_summary=tier["summary"],
        reasons=tuple(_reasons(answers)),
        obligations=tuple(obligations),
        answers=dict(answers),
        gpai=gpai,
        disclaimer=data["disclaimer"],
        regulation=data["regulation"],
    )


def _reasons(answers: Answers) -> list[str]:
    """The yes answers, with the articles they point at: why the tier and obligations came out so."""
    out = []
    for question in questions():
        if answers.get(question.id) == "yes":
            out.append(f"{', '.join(question.refs)}: {question.text}")
    if answers.get("a6_derogation") == "yes" and answers.get("a6_profiling") != "yes":
        out.append("Art. 6(3): the Annex III system is not high-risk because the filter condition applies")
    return out


def template() -> str:
    """A YAML answers file with every question as a comment, to fill in for --answers."""
    lines = [
        "# nbsec compliance eu-ai-act-tier --answers THIS_FILE",
        "# Answer yes or no (role: provider, deployer or both). Questions that do not apply",
        "# given earlier answers may stay empty; an empty answer to one that applies is an error, never a no.",
    ]
    section = ""
    for q in questions():
        if q.section != section:
            section = q.section
            lines += ["", f"# -- {section}"]
        lines.append(f"# {q.text} ({', '.join(q.refs)})")
        if q.ask_if is not None:
            lines.append("# (asked only when earlier answers make it apply)")
        hint = " | ".join(q.choices) if q.type == "choice" else "yes | no"
        lines.append(f"{q.id}:   # {hint}")
    return "\n".join(lines) + "\n"


def to_markdown(result: TierResult) -> str:
    from nbsec.escaping import md_cell as escape_cell

    lines = [
        f"# EU AI Act: {escape_cell(result.tier_title)}",
        "",
        escape_cell(result.tier_summary),
        "",
    ]
    if result.gpai != "none":
        kind = "with systemic risk" if result.gpai == "gpai-systemic" else "(no systemic risk)"
        lines += [f"General-purpose AI model {kind}: Chapter V obligations apply as well.", ""]
    lines += ["## Why", ""]
    lines += [f"- {escape_cell(r)}" for r in result.reasons] or ["- no answer pointed to a regulated case"]
    lines += [
        "",
        "## Obligations",
        "",
        "| Article | Title | Who | Duty | Applies from |",
        "| --- | --- | --- | --- | --- |",
    ]
    for o in result.obligations:
        when = f"{o.applies_from} ({o.basis})" + (f" {o.note}" if o.note else "")
        lines.append(
            f"| {escape_cell(o.article)} | {escape_cell(o.article_title)} | {escape_cell(o.role)} "
            f"| {escape_cell(o.duty)} | {escape_cell(when)} |"
        )
    lines += ["", f"*{escape_cell(result.disclaimer)}*"]
    return "\n".join(lines) + "\n"


def to_json(result: TierResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
