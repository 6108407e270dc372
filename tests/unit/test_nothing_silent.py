"""Nothing silent: what nbsec could not load is said in the output, not dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nbsec
from nbsec import rule_catalogue
from nbsec.model import Confidence, Finding, Location, Report, Severity


def test_sarif_says_which_rule_metadata_could_not_be_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    from nbsec.reporters import render

    loaded = rule_catalogue.load_catalogue()
    broken = rule_catalogue.RuleCatalogue(loaded.rules, (("acme-scanner", "ImportError: no module named acme"),))
    monkeypatch.setattr(rule_catalogue, "load_catalogue", lambda **_: broken)
    finding = Finding("NBSEC-ZZ-001", "acme finding", Severity.HIGH, Confidence.HIGH, Location("a.py"), "e", "fix it")
    report = Report(findings=[finding])
    invocation = json.loads(render(report, "sarif"))["runs"][0]["invocations"][0]
    notes = [n["message"]["text"] for n in invocation["toolConfigurationNotifications"]]
    assert notes == ["rule metadata of acme-scanner could not be loaded: ImportError: no module named acme"]


def test_advisories_that_do_not_parse_are_counted_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbsec.supply_chain.store import USER_FILE, load_database, user_store_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    good = {
        "id": "PYSEC-2099-1",
        "modified": "2099-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "tinypkg"}, "versions": ["1.0"]}],
    }
    store = user_store_dir() / USER_FILE
    store.parent.mkdir(parents=True)
    bundle = {"format": "nbsec-osv-bundle/1", "date": "2099-01-01", "advisories": [good, {"id": "X"}, "junk", 7]}
    store.write_text(json.dumps(bundle), encoding="utf-8")

    db = load_database()
    user = next(s for s in db.sources if s.name == "user")
    assert (user.count, user.skipped) == (1, 3)
    assert db.problems == [f"{store}: 3 of the user advisories are not valid OSV and were left out (1 read)"]

    # ...and the scans that read the database say so (the dependency scanner as a note on its check).
    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("tinypkg==1.0\n", encoding="utf-8")
    report = nbsec.scan(project / "requirements.txt", only="dependencies")
    assert "NBSEC-DEP-001" in {f.rule_id for f in report.findings}  # the valid advisory still matches
    assert any("3 of the user advisories are not valid OSV" in c.detail for c in report.checks), report.checks


class _Frame:
    """A DataFrame-shaped user object whose cells cannot be read (pandas raises like this on odd dtypes)."""

    __module__ = "pandas.core.frame"
    columns = ["email", "notes"]

    def head(self, n: int) -> _Frame:
        return self

    def __getitem__(self, column: str) -> object:
        if column == "notes":
            raise TypeError("unhashable extension dtype")
        return _Column(["ada.lovelace@acme-mail.com", "grace.hopper@navy-mail.com"])


_Frame.__name__ = _Frame.__qualname__ = "DataFrame"


class _Column:
    def __init__(self, values: list[str]) -> None:
        self.values = values

    def tolist(self) -> list[str]:
        return self.values


def test_a_dataframe_column_the_kernel_scan_cannot_read_is_an_error_not_clean() -> None:
    from nbsec.api import scan_kernel

    report = scan_kernel({"customers": _Frame()}, environ={})
    [error] = report.errors
    assert error.target == "kernel:customers"
    assert "DataFrame customers, column 'notes' could not be read (TypeError: unhashable extension dtype)" in (
        error.message
    )
    assert [c.status for c in report.checks] == ["error"]  # not "passed": that column was never looked at
    # The readable column was still scanned.
    assert any(f.rule_id == "NBSEC-PRIV-001" for f in report.findings)
