"""nbsec/server/runner.py: scans in threads, a few at a time, each within a deadline (plain asyncio, no server).

The integration tests (tests/integration/test_server_api.py) show the event loop stays free and a slow scan
gets a 504; these show what a server cannot: the limit holds, and a scan past its deadline keeps its slot.
"""

from __future__ import annotations

import asyncio
import threading
import time
from functools import partial

import pytest

from nbsec.server.runner import ScanRunner, ScanTimeout


def test_at_most_limit_scans_run_at_once_and_each_returns_its_result() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def work(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return n * n

    async def main() -> list[int]:
        runner = ScanRunner(limit=2, timeout=30)
        return list(await asyncio.gather(*[runner.run(partial(work, n)) for n in range(6)]))

    assert asyncio.run(main()) == [n * n for n in range(6)]
    assert most == 2


def test_a_scan_past_its_deadline_keeps_its_slot_until_its_thread_ends() -> None:
    release = threading.Event()

    async def main() -> None:
        runner = ScanRunner(limit=1, timeout=0.1)
        with pytest.raises(ScanTimeout) as stuck:
            await runner.run(lambda: release.wait(30))
        assert stuck.value.started
        # The stuck thread still holds the only slot: the next scan waits for it, and times out waiting.
        with pytest.raises(ScanTimeout) as queued:
            await runner.run(lambda: "never")
        assert not queued.value.started
        release.set()
        await asyncio.sleep(0.05)  # the thread ends and hands its slot back
        assert await runner.run(lambda: "done") == "done"

    asyncio.run(main())


def test_a_scans_exception_reaches_the_caller() -> None:
    def fail() -> None:
        raise ValueError("bad setting")

    async def main() -> None:
        runner = ScanRunner(limit=1, timeout=5)
        with pytest.raises(ValueError, match="bad setting"):
            await runner.run(fail)
        assert await runner.run(lambda: 1) == 1  # the slot came back

    asyncio.run(main())
