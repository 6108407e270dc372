"""The process that executes one notebook with papermill: `python -m nbsec.runner.child SPEC.json`.

`nbsec run` starts this in its own process group and watches it: a kernel or a
papermill call that hangs is killed from outside (execute.py), so nothing here
needs to be trusted to return. What this process does:

- runs papermill with its progress bar off and prints one line per code cell
  to stderr (nbclient's cell hooks), never a flood of output;
- uses a kernelspec written for *this* interpreter, unless a kernel name is
  given, so the kernel sees the same nbsec as the command that started it
  (a user-wide `python3` kernelspec may point at another Python);
- writes what happened (completed, cell error, cell timeout, dead kernel,
  anything else) to the outcome file; papermill saves the executed notebook
  after every cell, so it survives whatever happens.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NATIVE_KERNEL = "nbsec-python"
FIRST_LINE_WIDTH = 60


def first_line(source: Any, width: int = FIRST_LINE_WIDTH) -> str:
    """The first non-blank line of a cell's source, shortened for one log line."""
    text = "".join(source) if isinstance(source, list) else str(source or "")
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= width else line[: width - 1] + "…"
    return ""


class _Source:
    def __init__(self, source: str) -> None:
        self.source = source


class CellProgress:
    """nbclient hooks that print one line per executed code cell and remember the running one."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.label = label
        self.enabled = enabled
        self.total = 0
        self.done = 0
        self.current: int | None = None
        self.current_id: str | None = None
        self.current_source = ""
        self._started = 0.0

    def _emit(self, status: str, cell: Any) -> None:
        if not self.enabled:
            return
        seconds = time.perf_counter() - self._started
        width = len(str(self.total))
        count = f"[{self.done:>{width}}/{self.total}]"
        print(
            f"{self.label}: {count} {status:<5} {seconds:6.2f}s  {first_line(cell.source)}", file=sys.stderr, flush=True
        )

    def notebook_start(self, notebook: Any, **_: Any) -> None:
        self.total = sum(1 for c in notebook.cells if c.cell_type == "code" and c.source.strip())

    def cell_execute(self, cell: Any, cell_index: int, **_: Any) -> None:
        self.current, self.current_id, self.current_source = cell_index, cell.get("id"), cell.source
        self._started = time.perf_counter()

    def cell_executed(self, cell: Any, cell_index: int, execute_reply: Any = None, **_: Any) -> None:
        if isinstance(execute_reply, dict) and execute_reply.get("content", {}).get("status") == "error":
            return  # nbclient calls cell_error next: one line per cell
        self.done += 1
        self._emit("ok", cell)

    def stopped(self, status: str) -> None:
        """The running cell never finished (timeout, dead kernel): still one line for it."""
        if self.current is not None and self.done < self.total:
            self.done += 1
            self._emit(status, _Source(self.current_source))

    def cell_error(self, cell: Any, cell_index: int, **_: Any) -> None:
        self.done += 1
        self._emit("ERROR", cell)


def native_kernelspec(root: Path) -> str:
    """Write a kernelspec that runs this interpreter's ipykernel, put it first on JUPYTER_PATH; return its name."""
    spec_dir = root / "kernels" / NATIVE_KERNEL
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({sys.executable})",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(root) + (os.pathsep + previous if previous else "")
    return NATIVE_KERNEL


def execute(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the notebook described by `spec`; return the outcome (never raises for notebook problems)."""
    # papermill and nbclient log through the "papermill" logger; our own lines replace theirs.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    progress = CellProgress(spec.get("label", "nbsec run"), bool(spec.get("progress", True)))
    outcome: dict[str, Any] = {"status": "completed"}
    with tempfile.TemporaryDirectory(prefix="nbsec-kernel-") as tmp:
        kernel_name = spec.get("kernel") or native_kernelspec(Path(tmp))
        outcome["kernel"] = kernel_name
        try:
            papermill.execute_notebook(
                spec["input"],
                spec["output"],
                parameters=spec.get("parameters") or None,
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
                start_timeout=spec.get("start_timeout", 60),
                execution_timeout=spec.get("cell_timeout"),
                cwd=spec.get("cwd"),
                on_notebook_start=progress.notebook_start,
                on_cell_execute=progress.cell_execute,
                on_cell_executed=progress.cell_executed,
                on_cell_error=progress.cell_error,
            )
        except PapermillExecutionError as exc:
            outcome.update(status="cell-error", cell_index=exc.cell_index, cell_id=progress.current_id, ename=exc.ename)
            outcome["evalue"] = exc.evalue
        except CellTimeoutError:
            progress.stopped("TIMEOUT")
            outcome.update(status="cell-timeout", cell_index=progress.current, cell_id=progress.current_id)
        except DeadKernelError:
            progress.stopped("DIED")
            outcome.update(status="kernel-died", cell_index=progress.current, cell_id=progress.current_id)
        except Exception as exc:  # noqa: BLE001 - no such kernel, unreadable notebook, ...: data for the Report
            outcome.update(status="failed", message=f"{type(exc).__name__}: {exc}", cell_index=progress.current)
            outcome["cell_id"] = progress.current_id
    outcome["cells_done"] = progress.done
    return outcome


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m nbsec.runner.child SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    outcome = execute(spec)
    Path(spec["outcome"]).write_text(json.dumps(outcome), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
