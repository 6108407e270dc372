"""EU AI Act risk-tier questionnaire: answers -> tier and obligations, data checks, answer validation."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from nbsec.compliance import catalogue
from nbsec.compliance import questionnaire as q
from nbsec.compliance.render import tier_html

QUESTIONS = q.questions()


def answer(role: str = "provider", **yes: bool) -> dict[str, str]:
    """Answers to every question that applies: `yes` ones yes, the rest no (role as given)."""
    raw: dict[str, object] = {"role": role, **{k: v for k, v in yes.items()}}
    for question in QUESTIONS:
        raw.setdefault(question.id, "no")
    return q.normalize_answers(raw)


def articles(result: q.TierResult) -> set[str]:
    return {o.article for o in result.obligations}


def ids(result: q.TierResult) -> set[str]:
    return {o.id for o in result.obligations}


HIGH_RISK_PROVIDER = {f"Art. {n}" for n in (8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 43, 47, 48, 72, 73)}


def test_nothing_regulated_is_minimal_risk_with_ai_literacy() -> None:
    result = q.assess(answer())
    assert result.tier == "minimal"
    assert articles(result) == {"Art. 4", "Art. 95"}
    assert result.gpai == "none" and result.reasons == ()


def test_a_chatbot_that_writes_text_is_limited_risk_with_art_50() -> None:
    result = q.assess(answer(t_interacts=True, t_synthetic=True))
    assert result.tier == "limited-risk"
    assert ids(result) == {"ai-literacy", "t-interaction", "t-marking"}
    deployer = q.assess(answer("deployer", t_interacts=True, t_deepfake=True))
    assert ids(deployer) == {"ai-literacy", "t-deepfake"}  # Art. 50(1) is the provider's duty, 50(4) the deployer's


def test_an_annex_iii_hiring_system_is_high_risk_for_its_provider() -> None:
    result = q.assess(answer(a3_employment=True))
    assert result.tier == "high-risk"
    assert HIGH_RISK_PROVIDER | {"Art. 4", "Art. 49"} == articles(result)
    assert any("Annex III(4)" in reason for reason in result.reasons)
    risk_management = next(o for o in result.obligations if o.article == "Art. 9")
    assert risk_management.applies_from == "2026-08-02" and "Omnibus" in risk_management.note


def test_the_art_6_3_filter_takes_a_narrow_task_out_of_high_risk_unless_it_profiles() -> None:
    narrow = q.assess(answer(a3_education=True, a6_derogation=True))
    assert narrow.tier == "minimal"
    assert {"derogation-documentation", "derogation-registration"} <= ids(narrow)
    assert not HIGH_RISK_PROVIDER & articles(narrow)
    profiling = answer(a3_education=True, a6_profiling=True)
    assert "a6_derogation" not in profiling  # not asked: profiling is always high-risk
    assert q.assess(profiling).tier == "high-risk"


def test_an_annex_i_product_is_high_risk_without_annex_iii() -> None:
    result = q.assess(answer(annex1_product=True))
    assert result.tier == "high-risk" and "Art. 49" not in articles(result)


def test_a_prohibited_practice_lists_the_prohibition_only() -> None:
    result = q.assess(answer(p_social_scoring=True, t_interacts=True))
    assert result.tier == "prohibited"
    assert ids(result) == {"prohibited"}
    assert "annex1_product" not in answer(p_social_scoring=True)  # later sections are not asked


def test_a_public_body_deploying_a_high_risk_system_owes_a_fria() -> None:
    result = q.assess(answer("deployer", a3_essential_services=True, deployer_public_service=True))
    assert result.tier == "high-risk"
    assert articles(result) == {"Art. 4", "Art. 26", "Art. 27", "Art. 86"}
    private = q.assess(answer("deployer", a3_essential_services=True))
    assert "Art. 27" not in articles(private)
    both = q.assess(answer("both", a3_employment=True))
    assert {"Art. 9", "Art. 26"} <= articles(both)


def test_general_purpose_models_get_chapter_v() -> None:
    systemic = q.assess(answer(gpai_provider=True, gpai_systemic=True, established_outside_eu=True))
    assert systemic.gpai == "gpai-systemic"
    assert {"Art. 52", "Art. 53", "Art. 54", "Art. 55"} <= articles(systemic)
    open_model = q.assess(answer(gpai_provider=True, gpai_open_source=True, established_outside_eu=True))
    assert open_model.gpai == "gpai"
    assert ids(open_model) & {"gpai-documentation", "gpai-representative", "gpai-systemic"} == set()
    assert "gpai-copyright" in ids(open_model)  # the open-source exemption does not cover copyright


def test_the_same_answers_give_the_same_result() -> None:
    answers = answer(a3_employment=True, t_interacts=True)
    assert q.assess(answers) == q.assess(dict(answers))


# -- the data --------------------------------------------------------------------------------------


def _conditions(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _conditions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _conditions(value)


def test_every_article_in_the_data_is_in_the_eu_catalogue() -> None:
    eu = catalogue("eu-ai-act")
    data = q.questionnaire_data()
    for entry in data["obligations"]:
        item = eu.resolve(entry["article"])
        # A duty sits in an article that carries one; the minimal tier's voluntary codes are the one exception.
        assert item is not None and item.kind == ("provision" if entry.get("voluntary") else "article"), entry["id"]
        assert entry["applies_from"] in data["dates"]
    for question in QUESTIONS:
        assert all(eu.resolve(ref) is not None for ref in question.refs), question.id


def test_every_condition_names_real_questions_and_operators() -> None:
    data = q.questionnaire_data()
    known = {question.id for question in QUESTIONS}
    tiers = {t["id"] for t in data["tiers"]}
    operators = {"always", "yes", "any_yes", "none_yes", "role", "tier", "all", "any", "not"}
    whens = [qq.get("ask_if") for qq in data["questions"]] + [t["when"] for t in data["tiers"]]
    whens += [o["when"] for o in data["obligations"]]
    for cond in (c for when in whens for c in _conditions(when)):
        if len(cond) != 1 or not set(cond) <= operators:
            continue  # the argument of a role/tier operator, not a condition
        ((op, arg),) = cond.items()
        if op == "yes":
            assert arg in known
        elif op in ("any_yes", "none_yes"):
            assert set(arg) <= known
        elif op == "tier":
            assert set(arg) <= tiers
    # Whether a question is asked depends only on questions before it.
    seen: set[str] = set()
    for raw in data["questions"]:
        for cond in _conditions(raw.get("ask_if")):
            for op in ("yes",):
                if op in cond:
                    assert cond[op] in seen, raw["id"]
            for op in ("any_yes", "none_yes"):
                if op in cond:
                    assert set(cond[op]) <= seen, raw["id"]
        seen.add(raw["id"])


# -- answers ---------------------------------------------------------------------------------------


def test_answers_accept_yes_no_spellings_and_booleans() -> None:
    raw: dict[str, object] = {question.id: False for question in QUESTIONS}
    raw.update(role="Provider", t_interacts="Y", a3_employment=True, a6_profiling="no")
    answers = q.normalize_answers(raw)
    assert answers["role"] == "provider" and answers["t_interacts"] == "yes" and answers["a3_employment"] == "yes"


def test_missing_and_unknown_answers_are_errors_that_say_what_to_do() -> None:
    with pytest.raises(q.AnswersError) as err:
        q.normalize_answers({"role": "provider"})
    assert "p_manipulation" in err.value.message and "--template" in err.value.hint
    with pytest.raises(q.AnswersError, match="unknown question"):
        q.normalize_answers({"role": "provider", "is_it_ai": "yes"})
    with pytest.raises(q.AnswersError, match="not yes or no"):
        q.normalize_answers({**{x.id: "no" for x in QUESTIONS}, "role": "deployer", "t_interacts": "maybe"})
    with pytest.raises(q.AnswersError, match="not a choice"):
        q.normalize_answers({**{x.id: "no" for x in QUESTIONS}, "role": "importer"})


def test_conditions_reject_unknown_operators() -> None:
    with pytest.raises(ValueError, match="unknown condition operator"):
        q.holds({"eval": "1"}, {})
    with pytest.raises(ValueError, match="one operator"):
        q.holds({"yes": "a", "not": {}}, {})


def test_template_lists_every_question_and_renders_carry_the_disclaimer() -> None:
    text = q.template()
    assert all(f"\n{question.id}:" in text for question in QUESTIONS)
    result = q.assess(answer(a3_employment=True))
    md = q.to_markdown(result)
    assert "High-risk AI system" in md and "| Art. 15 | Accuracy, robustness and cybersecurity |" in md
    assert "not legal advice" in md
    data = json.loads(q.to_json(result))
    assert data["tier"] == "high-risk" and {o["article"] for o in data["obligations"]} == articles(result)
    assert "Art. 15" in tier_html(result) and "<script" not in tier_html(result)


# -- a missing answer is not a no ---------------------------------------------------------------------


def test_assess_refuses_open_questions_instead_of_reading_them_as_no() -> None:
    with pytest.raises(q.AnswersError) as err:
        q.assess({})
    assert err.value.message.startswith("no answer for: role, p_manipulation") and "not taken as no" in err.value.hint
    chatbot = {question.id: "no" for question in QUESTIONS if question.id.startswith("p_")}
    chatbot.update(role="provider", established_outside_eu="no", t_interacts="yes")
    still_open = [question.id for question in q.open_questions(chatbot)]
    assert "annex1_product" in still_open and "t_synthetic" in still_open and "t_interacts" not in still_open
    with pytest.raises(q.AnswersError, match="annex1_product"):
        q.assess(chatbot)  # before: "no" assumed for the rest, and the tier came out as if answered
    complete = {**chatbot, **{question.id: "no" for question in q.open_questions(chatbot)}}
    assert q.open_questions(complete) == [] and q.assess(complete).tier == "limited-risk"


def test_assess_refuses_answers_that_are_not_canonical() -> None:
    with pytest.raises(q.AnswersError, match="not yes or no"):
        q.assess({**answer(), "t_interacts": "perhaps"})
