"""`%aisec threatmodel` in JupyterLab in a real Chromium: the widget renders, plots draw, re-runs do not double.

Starts `jupyter lab` (this venv, 127.0.0.1, a free port, token auth, a fresh root
folder), opens a notebook that runs `%load_ext nbsec` and `%aisec threatmodel FILE`,
and saves a screenshot to tests/integration/artifacts/threatmodel-widget.png.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import launch_chromium

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
MODEL = """\
nbsec_threat_model: 1
title: Browser check
zones: [{id: internet, trust: untrusted}, {id: app, trust: internal}]
elements:
  - {id: visitor, kind: user, zone: internet}
  - {id: bot, kind: llm, zone: app}
  - {id: docs, kind: vector_store, zone: app}
flows:
  - {from: visitor, to: bot}
  - {from: docs, to: bot}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    root = tmp_path_factory.mktemp("lab-root")
    logs = tmp_path_factory.mktemp("lab-logs")
    (root / "tm.nbsec.yaml").write_text(MODEL)
    cells = ["%load_ext nbsec", "%aisec threatmodel tm.nbsec.yaml"]
    notebook = {
        "cells": [
            {"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None, "outputs": [], "source": s}
            for i, s in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "review.ipynb").write_text(json.dumps(notebook))
    port, token = free_port(), secrets.token_hex(16)
    command = [
        str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
        "--LabServerApp.extension_manager=readonly",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".jupyter"), "OMP_NUM_THREADS": "1"}
    log = (logs / "server.log").open("w")
    server = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not start: {(logs / 'server.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield url, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def run_all(page: Any) -> None:
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def test_threat_model_widget_renders_in_jupyterlab(lab: tuple[str, str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    url, token, _root = lab
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 2700})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/lab/tree/review.ipynb?reset&token={token}")
        page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=30000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=30000)
        page.wait_for_function(
            "window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'", timeout=30000
        )
        run_all(page)
        threat_list = page.locator(".nbsec-threat-list").first
        threat_list.wait_for(timeout=30000)
        page.locator(".js-plotly-plot").nth(1).wait_for(timeout=30000)  # the diagram and the risk matrix
        text = threat_list.inner_text()
        assert "Direct prompt injection" in text and "Vector store without per-user access control" in text
        assert "3 elements, 2 flows" in page.locator(".nbsec-threat-summary").first.inner_text()
        rows = page.locator(".nbsec-threat-list tbody tr").count()
        assert page.get_by_text("saved in this notebook").count() >= 1  # the snapshot output
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "threatmodel-widget.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")

        # Re-running the cell replaces the widget: same list, not a second one. Wait for the re-run itself: the
        # cell's execution count goes up and the list shown before it (marked here) is gone, replaced.
        count_js = "window.jupyterapp.shell.currentWidget.content.widgets[1].model.executionCount"
        before = page.evaluate(count_js)
        assert isinstance(before, int), before
        page.evaluate("document.querySelector('.nbsec-threat-list').dataset.nbsecBeforeRerun = '1'")
        run_all(page)
        page.wait_for_function(f"({count_js}) > {before}", timeout=30000)
        page.wait_for_function(
            "(() => { const lists = [...document.querySelectorAll('.nbsec-threat-list')];"
            " return lists.length > 0 && !lists.some(l => l.dataset.nbsecBeforeRerun); })()",
            timeout=30000,
        )
        page.wait_for_function(
            "window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'", timeout=30000
        )
        assert page.locator(".nbsec-threat-list").count() == 1
        assert page.locator(".nbsec-threat-list tbody tr").count() == rows
        assert errors == []
        browser.close()
