"""Running scans off Jupyter's event loop: at most N at a time, each within a deadline.

A scan reads files and parses code for seconds; on the event loop it would freeze every kernel,
terminal and file-browser request of the server. So each scan runs in its own thread while the
handler awaits it. Two limits keep a busy or hostile browser from taking the server down:

- `limit` scans run at once; the rest wait their turn (an asyncio.Semaphore, awaited on the loop).
- `timeout` seconds per request, waiting included; past it the client gets its answer (504) at once.

A Python thread cannot be killed, so a scan past its deadline keeps its slot until it really ends:
the limit counts running threads, not waiting clients, and timed-out scans cannot pile up. The threads
are daemons so that one stuck scan never holds up the server's shutdown (a ThreadPoolExecutor's workers
are joined at exit).

Stdlib only (no tornado): the unit tests drive it with plain asyncio.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


class ScanTimeout(Exception):
    """The scan did not finish within the deadline (it may still be running in its thread)."""

    def __init__(self, timeout: float, *, started: bool) -> None:
        waited = "ran" if started else "waited for a free slot"
        super().__init__(f"the scan {waited} longer than the server's limit of {timeout:g} s")
        self.timeout = timeout
        self.started = started


class ScanRunner:
    """Runs blocking callables in daemon threads, `limit` at a time, each request bounded by `timeout`."""

    def __init__(self, *, limit: int, timeout: float) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.limit = limit
        self.timeout = timeout
        self._slots = asyncio.Semaphore(limit)
        self._first = threading.Lock()
        self._warm = False

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` in a thread; its result or its exception, or ScanTimeout past the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        try:
            await asyncio.wait_for(self._slots.acquire(), self.timeout)
        except asyncio.TimeoutError:
            raise ScanTimeout(self.timeout, started=False) from None
        outcome: asyncio.Future[T] = loop.create_future()
        thread = threading.Thread(target=self._work, args=(loop, outcome, work), name="nbsec-scan", daemon=True)
        try:
            thread.start()
        except BaseException:
            self._slots.release()
            raise
        done, _ = await asyncio.wait({outcome}, timeout=max(deadline - loop.time(), 0))
        if outcome in done:
            return outcome.result()
        # Nobody awaits it any more: read its exception when it comes, so asyncio does not log it as lost.
        outcome.add_done_callback(_consume)
        raise ScanTimeout(self.timeout, started=True)

    def _work(self, loop: asyncio.AbstractEventLoop, outcome: asyncio.Future[T], work: Callable[[], T]) -> None:
        deliver: Callable[[], None]
        try:
            result = self._call(work)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting handler, which answers with it
            deliver = partial(outcome.set_exception, exc)
        else:
            deliver = partial(outcome.set_result, result)

        def settle() -> None:
            self._slots.release()  # the slot is free only now that the thread has ended
            if not outcome.done():
                deliver()

        try:
            loop.call_soon_threadsafe(settle)
        except RuntimeError:
            pass  # the loop is closed: the server is shutting down and nobody waits for this scan

    def _call(self, work: Callable[[], T]) -> T:
        # nbsec fills some caches on first use (scanner plugins, the rule catalogue) without locks; let the
        # process's first scan run alone so concurrent first scans cannot see them half-filled.
        if not self._warm:
            with self._first:
                if not self._warm:
                    try:
                        return work()
                    finally:
                        self._warm = True
        return work()


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
