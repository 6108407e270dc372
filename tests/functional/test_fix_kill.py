"""A process killed (SIGKILL) while `nbsec fix --apply` writes leaves every file whole: its old bytes or its new ones.

Two ways, both on a real child process applying a big change (a ~7 MB file) with the test fixer of
tests/fix_helpers.py:
- deterministic: `_NBSEC_TEST_FIX_PAUSE` makes the writer sleep between the fsync of its temporary file and the
  rename; the test waits until the complete temporary file exists, kills the child there, and checks the file
  still holds its old bytes (the backup was written before), then that a second run applies cleanly;
- random: the child is killed at random moments spread over a whole run (measured first), many times; each
  time the file is exactly the old bytes or exactly the new ones, never anything else.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fix_helpers import APP

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and os.replace semantics checked on POSIX")

TESTS = Path(__file__).resolve().parents[1]
CHILD = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
import nbsec.fix
from fix_helpers import ENV_FIXER
from nbsec.fix.base import fixer_table
table = fixer_table([ENV_FIXER])
nbsec.fix.load_fixers = lambda: table
from nbsec import api
report = api.fix(sys.argv[1], apply=True)
print(report.fixes.summary_line())
"""
FILLER_LINES = 105_000  # ~7 MB: big to write and fsync, under the 8 MB nbsec searches a text file for secrets


def _project(folder: Path) -> tuple[bytes, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    line = "# filler line {:07d} to make the change big enough to interrupt.\n"
    filler = "".join(line.format(i) for i in range(FILLER_LINES))
    app = folder / "app.py"
    app.write_text(APP + filler, encoding="utf-8")
    return app.read_bytes(), app


def _start(folder: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    environ = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder)], env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_killed_between_the_temporary_file_and_the_rename_the_file_keeps_its_old_bytes(tmp_path: Path) -> None:
    old, app = _project(tmp_path / "proj")
    child = _start(tmp_path / "proj", {"_NBSEC_TEST_FIX_PAUSE": "120"})
    try:
        deadline = time.monotonic() + 120
        temporary: list[Path] = []
        while time.monotonic() < deadline and child.poll() is None:
            temporary = [p for p in app.parent.glob(".app.py.*.nbsec-tmp") if p.stat().st_size >= len(old) - 1000]
            if temporary:
                break
            time.sleep(0.05)
        assert temporary, f"the writer never reached the pause: {child.communicate()[1].decode()[-2000:]}"
        time.sleep(0.2)  # it is sleeping in the pause now (the temporary file is complete and fsynced)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert app.read_bytes() == old  # the rename never happened: whole old bytes
    backups = list((tmp_path / "proj" / ".nbsec" / "backups").glob("*/app.py"))
    assert [b.read_bytes() == old for b in backups] == [True]  # the backup was complete before the write began
    new = temporary[0].read_bytes()
    assert b'os.environ["OPENAI_API_KEY"]' in new and new.endswith(b"interrupt.\n")  # a whole new file, not renamed
    # Run again: the plan reads the (unchanged) file and applies; the leftover temporary file is not a target.
    again = _start(tmp_path / "proj")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()[-2000:]
    assert app.read_bytes() == new


def test_killed_at_random_moments_the_file_is_always_old_or_new(tmp_path: Path) -> None:
    template = tmp_path / "template"
    old, _ = _project(template)
    started = time.monotonic()
    reference = _start(template)
    _, err = reference.communicate(timeout=300)
    whole_run = time.monotonic() - started
    assert reference.returncode == 0, err.decode()[-2000:]
    new = (template / "app.py").read_bytes()
    assert new != old
    allowed = {_digest(old): "old", _digest(new): "new"}
    rng = random.Random(20240601)
    seen: dict[str, int] = {"old": 0, "new": 0}
    for attempt in range(12):
        work = tmp_path / f"run{attempt}"
        work.mkdir()
        (work / "app.py").write_bytes(old)
        child = _start(work)
        time.sleep(rng.uniform(0.3, 1.0) * whole_run)  # spread over the run: start-up, scan, plan, backup, write
        child.send_signal(signal.SIGKILL)
        child.wait()
        state = allowed.get(_digest((work / "app.py").read_bytes()))
        assert state is not None, f"attempt {attempt}: app.py is neither the old nor the new content"
        seen[state] += 1
    assert sum(seen.values()) == 12
