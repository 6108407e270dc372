"""Execute one notebook in a watched child process; never hang, always keep the executed notebook.

papermill's known failure modes (a kernel killed by the OOM killer, a client
stuck waiting for `kernel_info` after the last cell, ZMQ sockets piling up over
many runs) all end the same way here: the child (child.py) runs papermill in
its own process group, and when `timeout` seconds pass the whole tree (child
and kernel) is killed and the run is reported as timed out, naming the cell
that was running. A kernel that dies is noticed by nbclient within about a
second and reported with its cell.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from nbsec.errors import InputError
from nbsec.runner.params import MAX_NOTEBOOK_BYTES
from nbsec.safe_input import read_json

DEFAULT_TIMEOUT_S = 1800.0
KILL_GRACE_S = 5.0

LineSink = Callable[[str], None]


@dataclass
class Execution:
    """What happened when a notebook ran: status, where it stopped, and the executed notebook's path."""

    notebook: Path
    executed: Path
    status: str  # completed | cell-error | cell-timeout | kernel-died | timeout | failed
    seconds: float
    parameters: dict[str, Any] = field(default_factory=dict)
    cell_index: int | None = None  # in the executed notebook
    cell_id: str | None = None
    ename: str = ""
    evalue: str = ""
    message: str = ""
    kernel: str = ""
    timeout: float = DEFAULT_TIMEOUT_S
    shown_as: str = ""  # how reports name the executed notebook, when it will be moved after the run

    @property
    def ok(self) -> bool:
        return self.status == "completed"

    @property
    def executed_name(self) -> str:
        return self.shown_as or str(self.executed)


def _stderr_sink(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _pump(stream: IO[str], sink: LineSink) -> None:
    for line in stream:
        sink(line.rstrip("\n"))


def _kill_tree(proc: subprocess.Popen[str]) -> None:
    """Kill the child and everything it started (the kernel runs in a session of its own)."""
    victims: list[Any] = []
    try:
        import psutil

        victims = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # noqa: BLE001 - psutil missing or the process already gone: the group kill below remains
        victims = []
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for victim in victims:
        try:
            victim.kill()
        except Exception:  # noqa: BLE001 - already exited
            pass
    proc.wait(timeout=KILL_GRACE_S)


def _running_cell(executed: Path) -> tuple[int | None, str | None]:
    """The cell papermill marked as running in the last saved notebook (index, id), if any."""
    try:  # what papermill saved holds whatever the notebook printed: read it like any outside input
        data = read_json(executed, what="executed notebook", max_bytes=MAX_NOTEBOOK_BYTES)
    except InputError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    for index, cell in enumerate(data.get("cells", [])):
        if cell.get("metadata", {}).get("papermill", {}).get("status") == "running":
            return index, cell.get("id")
    return None, None


def run_notebook(
    notebook: Path,
    executed: Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    kernel: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    cell_timeout: float | None = None,
    start_timeout: float = 60.0,
    cwd: Path | None = None,
    label: str | None = None,
    sink: LineSink | None = _stderr_sink,
) -> Execution:
    """Execute `notebook` into `executed` within `timeout` seconds; progress lines go to `sink` (None: quiet)."""
    executed.parent.mkdir(parents=True, exist_ok=True)
    params = dict(parameters or {})
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nbsec-run-") as tmp:
        outcome_path = Path(tmp) / "outcome.json"
        spec = {
            "input": str(notebook),
            "output": str(executed),
            "parameters": params,
            "kernel": kernel,
            "cell_timeout": int(cell_timeout) if cell_timeout else None,
            "start_timeout": int(start_timeout),
            "cwd": str(cwd) if cwd is not None else None,
            "label": label or notebook.stem,
            "progress": sink is not None,
            "outcome": str(outcome_path),
        }
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "nbsec.runner.child", str(spec_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE if sink is not None else subprocess.DEVNULL,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        pump = None
        if sink is not None and proc.stderr is not None:
            pump = threading.Thread(target=_pump, args=(proc.stderr, sink), daemon=True)
            pump.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_tree(proc)
        except BaseException:  # Ctrl-C: leave no kernel behind
            _kill_tree(proc)
            raise
        if pump is not None:
            pump.join(timeout=KILL_GRACE_S)  # a surviving grandchild may hold the pipe; do not wait for it
        seconds = time.perf_counter() - started
        result = Execution(notebook, executed, "completed", seconds, params, timeout=timeout)
        if timed_out:
            result.status = "timeout"
            result.cell_index, result.cell_id = _running_cell(executed)
            return result
        try:
            outcome = json.loads(outcome_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result.status = "failed"
            result.message = f"the notebook runner exited with code {proc.returncode} and no outcome"
            result.cell_index, result.cell_id = _running_cell(executed)
            return result
    result.status = str(outcome.get("status", "failed"))
    result.cell_index = outcome.get("cell_index")
    result.cell_id = outcome.get("cell_id")
    result.ename = str(outcome.get("ename") or "")
    result.evalue = str(outcome.get("evalue") or "")
    result.message = str(outcome.get("message") or "")
    result.kernel = str(outcome.get("kernel") or "")
    return result
