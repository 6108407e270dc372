"""The suite's own guard: every Report a test builds, by any code path, is checked against report.v1.json."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import report_guard

from nbsec.model import Report

TESTS = Path(__file__).resolve().parents[1]


def test_a_valid_report_has_no_problems() -> None:
    assert report_guard.schema_problems(Report()) == []


@pytest.mark.invalid_reports  # on purpose: the guard would fail this test at teardown
def test_each_invalid_field_is_named_with_what_is_wrong() -> None:
    assert report_guard.schema_problems(Report(timings={"scan": -1.0})) == [
        "timings/scan: -1.0 is less than the minimum of 0"
    ]
    assert report_guard.schema_problems(Report(schema_version="2.0")) == [
        "schema_version: '2.0' does not match '^1\\\\.[0-9]+$'"
    ]
    [problem] = report_guard.schema_problems(Report(findings=[object()]))  # type: ignore[list-item]
    assert problem.startswith("to_dict() raised AttributeError")


@pytest.mark.invalid_reports  # on purpose: the guard would fail this test at teardown
def test_describe_invalid_lists_only_the_invalid_reports() -> None:
    assert report_guard.describe_invalid([Report(), Report()]) is None
    message = report_guard.describe_invalid([Report(), Report(started_at=12)])  # type: ignore[arg-type]
    assert message is not None and "started_at: 12 is not of type 'string'" in message
    assert message.count("does not match report.v1.json") == 1


def test_the_recorder_sees_reports_however_they_are_built() -> None:
    from nbsec.api import scan_kernel

    with report_guard.record_reports() as created:
        plain = Report()
        merged = Report.merge([plain, Report()])
        parsed = Report.from_json(plain.to_json())
        replaced = dataclasses.replace(plain, tool_version="9.9")
        kernel = scan_kernel({"n": 1})
    for report in (plain, merged, parsed, replaced, kernel):
        assert any(r is report for r in created), report
    outside = Report()
    assert not any(r is outside for r in created), "recording stops when the block ends"


def test_a_test_that_builds_an_invalid_report_fails_with_the_reason(pytester: pytest.Pytester) -> None:
    # The real conftest and guard, in a separate pytest process (its reports never reach this session's list).
    pytester.makeconftest((TESTS / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(report_guard=(TESTS / "report_guard.py").read_text(encoding="utf-8"))
    pytester.makepyfile(
        test_inner="""
        import pytest
        from nbsec.model import Report

        def test_fills_a_report_in_wrongly_after_building_it():
            report = Report()
            report.timings["scan"] = -1.0  # checked in its final state, not as constructed

        def test_merges_valid_reports():
            Report.merge([Report(), Report.from_json(Report().to_json())])

        @pytest.mark.invalid_reports
        def test_opts_out_on_purpose():
            Report(schema_version="2.0")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_fills_a_report_in_wrongly_after_building_it*",
            "*does not match report.v1.json:*",
            "*timings/scan: -1.0 is less than the minimum of 0*",
        ]
    )
