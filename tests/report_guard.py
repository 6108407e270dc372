"""Every nbsec Report built while a test runs must validate against the shipped report.v1.json.

`record_reports()` wraps `nbsec.model.Report.__init__` for the whole session, so it sees a Report
however it was made: `nbsec.api.scan`, a threat-model check, a manifest or lineage verify, an
adversarial evaluation, kernel and environment scans, `Report.from_dict` (reports the runner
collects from a kernel), `Report.merge`, `dataclasses.replace`. conftest validates what a test
built at the test's teardown, in its final state (after the code under test filled it in).

Strong references, held only until the test's teardown: a weak one would die with the test's
local variables, before teardown, and most reports would go unchecked.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@functools.cache
def _validator() -> Any:
    """One validator for the session, on the schema nbsec ships (nbsec/model/schema/report.v1.json)."""
    import jsonschema

    import nbsec.model

    schema = Path(nbsec.model.__file__).parent / "schema" / "report.v1.json"
    return jsonschema.Draft202012Validator(json.loads(schema.read_text(encoding="utf-8")))


def schema_problems(report: Any) -> list[str]:
    """Why `report.to_dict()` does not validate against report.v1.json; empty when it does."""
    try:
        data = report.to_dict()
    except Exception as exc:  # noqa: BLE001 - a Report that cannot even be serialised is the worst case
        return [f"to_dict() raised {type(exc).__name__}: {exc}"]
    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors]


def describe_invalid(reports: list[Any]) -> str | None:
    """One message for every invalid report among `reports` (None when all validate)."""
    lines = []
    for report in reports:
        problems = schema_problems(report)
        if problems:
            lines.append(f"{report!r} does not match report.v1.json:")
            lines += [f"  {problem}" for problem in problems[:10]]
            if len(problems) > 10:
                lines.append(f"  ... and {len(problems) - 10} more")
    return "\n".join(lines) if lines else None


@contextmanager
def record_reports() -> Iterator[list[Any]]:
    """While active, every Report constructed is appended to the yielded list (the caller clears it)."""
    from nbsec.model import Report

    created: list[Any] = []
    original = Report.__init__

    @functools.wraps(original)
    def recording_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        created.append(self)

    Report.__init__ = recording_init  # type: ignore[method-assign]
    try:
        yield created
    finally:
        Report.__init__ = original  # type: ignore[method-assign]
