"""Shared fixtures: an isolated environment and helpers that write real samples."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import report_guard

pytest_plugins = ["pytester"]  # tests/unit/test_report_guard.py runs the guard in a pytest of its own

os.environ["OMP_NUM_THREADS"] = "1"  # torch spin-waits with 2 threads on small machines
# nbsec keeps caches under $XDG_CACHE_HOME/nbsec (advisories, what library functions reach): never the
# developer's own during tests.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="nbsec-tests-cache-")

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "nbsec" / "model" / "schema" / "report.v1.json"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No NBSEC_* from the developer's shell, and a working dir with no config above it."""
    for name in list(os.environ):
        if name.startswith("NBSEC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield


def notebook_json(cells: list[str | dict[str, Any]], nbformat_minor: int = 5) -> dict[str, Any]:
    """A v4 notebook whose code cells hold the given sources (dicts are used as cells)."""
    out = []
    for index, cell in enumerate(cells):
        if isinstance(cell, dict):
            out.append(cell)
            continue
        out.append(
            {
                "cell_type": "code",
                "execution_count": index + 1,
                "id": f"c{index}",
                "metadata": {},
                "outputs": [],
                "source": cell,
            }
        )
    return {"cells": out, "metadata": {}, "nbformat": 4, "nbformat_minor": nbformat_minor}


@pytest.fixture
def write_notebook(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, cells: list[str | dict[str, Any]]) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(notebook_json(cells)), encoding="utf-8")
        return path

    return write


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "invalid_reports: the test builds Reports that break the schema on purpose (not validated)"
    )


@pytest.fixture(scope="session", autouse=True)
def _created_reports() -> Iterator[list[Any]]:
    """Every nbsec Report constructed during the session, however it was made (see tests/report_guard.py)."""
    with report_guard.record_reports() as created:
        yield created


@pytest.fixture(autouse=True)
def _every_report_is_schema_valid(_created_reports: list[Any], request: pytest.FixtureRequest) -> Iterator[None]:
    """Every Report built during the test (or by the fixtures it uses) must validate against the shipped
    schema, checked at teardown in its final state: whichever code path built it, not only nbsec.api.scan."""
    yield  # what module fixtures built for this test is in the list too: set up before this fixture
    built = list(_created_reports)
    del _created_reports[:]
    if request.node.get_closest_marker("invalid_reports") is not None:
        return
    problem = report_guard.describe_invalid(built)
    if problem is not None:
        pytest.fail(f"{len(built)} Report(s) built by this test; invalid ones:\n{problem}", pytrace=False)


@pytest.fixture
def report_schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


@pytest.fixture
def ip() -> Iterator[Any]:
    """An IPython shell with `%load_ext nbsec`; afterwards the extension is unloaded and the names
    the test (or a magic) added to the user namespace are removed, so tests do not see each other's."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    before = set(shell.user_ns)
    shell.run_line_magic("load_ext", "nbsec")
    yield shell
    shell.run_line_magic("unload_ext", "nbsec")
    for name in set(shell.user_ns) - before:
        shell.user_ns.pop(name, None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one per test module (tests/browser.py says why no other browser)."""
    from browser import launch_chromium
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = launch_chromium(pw)
        yield instance
        instance.close()
