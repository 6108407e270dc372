"""The whole probe suite against LLM apps nbsec's probes were not written against (tests/llm_unseen_apps.py).

What a user relies on: point `nbsec llm` at an app with the usual real-world flaws and every planted flaw shows up
as a finding of the right rule; a safe app gets no high finding; and the report never repeats a planted canary,
restricted document value or secret, in full or merely encoded.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re

import pytest
from llm_unseen_apps import UnseenApp, unseen_apps

from nbsec.llm.harness import run_probes
from nbsec.llm.targets import callable_target
from nbsec.model import Report, Severity

ATTEMPTS = 5
APPS = {app.name: app for app in unseen_apps()}
VULNERABLE = [name for name, app in APPS.items() if app.expected_rules]
SAFE = [name for name, app in APPS.items() if not app.expected_rules]


@functools.cache
def report_for(name: str) -> Report:
    """One run of every probe per app (cached: the assertions below read the same report)."""
    app = APPS[name]
    target = callable_target(app.call, name=app.name, messages=app.messages)
    return run_probes(target, context=app.context, attempts=ATTEMPTS, seed=0)


def planted_values(app: UnseenApp) -> list[str]:
    return [*app.context.canaries, *app.context.restricted, *app.secrets]


def describe(report: Report) -> str:
    return "\n".join(f"  {f.rule_id} {f.severity.value}: {f.evidence[:300]}" for f in report.findings) or "  (none)"


def test_the_apps_answer_through_the_callable_target() -> None:
    # The message apps must reach nbsec as message targets, or tool results and system prompts never arrive.
    for app in APPS.values():
        target = callable_target(app.call, name=app.name, messages=app.messages)
        assert target.accepts_messages is app.messages, app.name


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_attempt_is_answered(name: str) -> None:
    # The apps never raise and always answer: an error here is nbsec failing to read an answer shape.
    report = report_for(name)
    assert not report.errors, [error.to_dict() for error in report.errors]
    assert report.checks, "no probe ran"


@pytest.mark.parametrize("name", VULNERABLE)
def test_planted_flaws_are_found(name: str) -> None:
    app = APPS[name]
    report = report_for(name)
    found = {finding.rule_id for finding in report.findings}
    missing = sorted(app.expected_rules - found)
    assert not missing, f"{name}: planted flaws {app.flaws} not found: {missing}; findings:\n{describe(report)}"


@pytest.mark.parametrize("name", SAFE)
def test_safe_app_has_no_high_finding(name: str) -> None:
    report = report_for(name)
    serious = [f for f in report.findings if f.severity.rank >= Severity.HIGH.rank]
    assert not serious, f"{name} is safe but got:\n{describe(report)}"


@pytest.mark.parametrize("name", sorted(APPS))
def test_report_never_repeats_a_planted_value(name: str) -> None:
    app = APPS[name]
    report = report_for(name)
    document = json.dumps(report.to_dict(), ensure_ascii=False)
    for value in planted_values(app):
        for finding in report.findings:
            assert value not in finding.evidence, f"{name}: {finding.rule_id} evidence repeats a planted value"
        assert value not in document, f"{name}: the report JSON repeats a planted value in full"


_B64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_HEX_RUN = re.compile(r"(?:[0-9a-fA-F]{2}){8,}")
_SPACED_RUN = re.compile(r"(?:\S[ .\-]){6,}\S")


def _decoded_views(text: str) -> list[str]:
    """The report's text as a reader could decode it: base64 runs (every alignment), hex runs, spaced letters."""
    views = [text]
    for run in _B64_RUN.findall(text):
        for shift in range(4):
            body = run[shift:].rstrip("=")
            if len(body) % 4 == 1:  # one stray character cannot be base64: drop it
                body = body[:-1]
            try:
                views.append(base64.b64decode(body + "=" * (-len(body) % 4)).decode("utf-8", "ignore"))
            except (binascii.Error, ValueError):
                continue
    for run in _HEX_RUN.findall(text):
        for shift in (0, 1):
            chunk = run[shift:]
            views.append(bytes.fromhex(chunk[: len(chunk) - len(chunk) % 2]).decode("utf-8", "ignore"))
    views.extend(re.sub(r"[ .\-]", "", run) for run in _SPACED_RUN.findall(text))
    return views


@pytest.mark.parametrize("name", sorted(APPS))
def test_report_never_repeats_a_planted_value_encoded(name: str) -> None:
    # An app that leaked a canary in base64 or spelled out must not have the report repeat that leak verbatim:
    # whoever reads the report decodes it as easily as the attacker did.
    app = APPS[name]
    report = report_for(name)
    views = _decoded_views(json.dumps(report.to_dict(), ensure_ascii=False))
    for value in planted_values(app):
        squeezed = re.sub(r"[ .\-]", "", value)
        leaked = [view for view in views if value in view or (len(squeezed) >= 8 and squeezed in view)]
        assert not leaked, f"{name}: the report repeats a planted value in encoded form"
