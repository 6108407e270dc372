"""A real JupyterLab for the browser tests: started from this venv on 127.0.0.1, driven in Debian's Chromium.

`running_lab(root, logs)` starts `jupyter lab` on a free port with token auth and a fresh config folder, waits
for /api/status, yields (url, token), and stops it. The page helpers drive the notebook through JupyterLab's own
command registry (`window.jupyterapp`, exposed by --LabApp.expose_app_in_browser), not by clicking pixels.
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

KERNEL_IDLE = "window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_notebook(path: Path, cells: Sequence[str]) -> Path:
    """A notebook of code cells, no outputs, the venv's python3 kernel."""
    notebook = {
        "cells": [
            {"cell_type": "code", "id": f"c{i}", "metadata": {}, "execution_count": None, "outputs": [], "source": s}
            for i, s in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


# JupyterLab settings for tests: every cell rendered (the default windowing leaves cells out of view unrendered,
# so their outputs could not be read), and no news pop-up over the page.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def write_settings(config_dir: Path) -> None:
    for name, values in SETTINGS.items():
        path = config_dir / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def wait_until_up(url: str, token: str, process: subprocess.Popen[Any], log: Path, timeout: float, what: str) -> None:
    """Poll the server's /api/status until it answers 200; fail with the end of its log if it dies or times out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{what} did not start: {log.read_text()[-3000:]}")
            time.sleep(0.2)


# The front end's own options: JupyterLab, or Notebook 7 (`jupyter notebook`), which shares lab extensions.
APP_OPTIONS = {
    "lab": ["--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabServerApp.extension_manager=readonly"],
    "notebook": ["--JupyterNotebookApp.expose_app_in_browser=True"],
}


@contextmanager
def running_lab(root: Path, logs: Path, timeout: float = 30, app: str = "lab") -> Iterator[tuple[str, str]]:
    port, token = free_port(), secrets.token_hex(16)
    write_settings(root / ".jupyter")
    command = [
        str(Path(sys.executable).with_name("jupyter")), app, "--no-browser", "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", *APP_OPTIONS[app],
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".jupyter"), "OMP_NUM_THREADS": "1"}
    log_path = logs / "server.log"
    log = log_path.open("w")
    server = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, token, server, log_path, timeout, f"jupyter {app}")
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def open_notebook(page: Any, url: str, token: str, name: str, *, wait_kernel: bool = True) -> None:
    """Open `name` in a fresh workspace (?reset) and wait for its cells (and, by default, an idle kernel)."""
    page.goto(f"{url}/lab/tree/{name}?reset&token={token}")
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=60000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
    if wait_kernel:
        page.wait_for_function(KERNEL_IDLE, timeout=60000)


def run_all_and_wait(page: Any, timeout_ms: int = 240000) -> None:
    """Run every cell and wait until each has an execution count and the kernel is idle again."""
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "(() => { const nb = window.jupyterapp.shell.currentWidget.content;"
        " return nb.widgets.every(c => c.model.type !== 'code' || c.model.executionCount !== null); })()",
        timeout=timeout_ms,
    )
    page.wait_for_function(KERNEL_IDLE, timeout=timeout_ms)


def save(page: Any) -> None:
    page.evaluate("window.jupyterapp.shell.currentWidget.context.save()")
    page.wait_for_function("!window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30000)


def shut_down_kernel(page: Any) -> None:
    page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    page.wait_for_function("!window.jupyterapp.shell.currentWidget.sessionContext.session", timeout=30000)
