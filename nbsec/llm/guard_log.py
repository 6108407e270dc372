"""The guard's log: one SQLite row per guard verdict, never the text (`nbsec llm monitor` reads it).

`GuardLog` records when, which client, input or output, blocked or not, score, families, reason labels, the
text's length, a keyed fingerprint (HMAC-SHA256 with a random key kept in the log) and a 64-bit simhash of the
folded text. Never the text: a prompt that carried a secret leaves no trace of it here beyond those two hashes
(the simhash of a long, high-entropy secret cannot be inverted; a very short prompt could be guessed by someone
holding the file, which is why the file is created 0600). Rows are committed in batches (a crash loses at most
one batch); close() or the process exiting writes the last one.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
import weakref
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Protocol

from nbsec.errors import UsageError
from nbsec.llm.text import fold
from nbsec.model import utc_now_iso

__all__ = ["FORMAT", "GuardLog", "simhash"]


FORMAT = "nbsec-guard-log"
VERSION = "1"
_COMMIT_EVERY = 32  # rows; a crash loses at most this many (fsync per verdict would cost more than the check)
_COMMIT_SECONDS = 2.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verdicts (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    client TEXT,
    direction TEXT NOT NULL,
    blocked INTEGER NOT NULL,
    score REAL NOT NULL,
    families TEXT NOT NULL,
    reasons TEXT NOT NULL,
    length INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    simhash INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS verdicts_client_at ON verdicts (client, at);
"""


class _VerdictLike(Protocol):
    """The fields of nbsec.llm.guards.Verdict the log keeps (a Protocol: the guard imports this module)."""

    @property
    def direction(self) -> str: ...
    @property
    def blocked(self) -> bool: ...
    @property
    def score(self) -> float: ...
    @property
    def families(self) -> tuple[str, ...]: ...
    @property
    def reasons(self) -> tuple[str, ...]: ...


def simhash(text: str) -> int:
    """64-bit simhash of the folded text over character 4-grams: near-identical texts differ in few bits."""
    folded = fold(text)
    if len(folded) < 4:
        folded = folded.ljust(4)
    weights = [0] * 64
    for gram, count in Counter(folded[i : i + 4] for i in range(len(folded) - 3)).items():
        value = int.from_bytes(hashlib.blake2b(gram.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += count if value >> bit & 1 else -count
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _not_a_log(path: Path, why: str) -> UsageError:
    return UsageError(
        f"{path}: not an nbsec guard log ({why})",
        "point at the file a guard writes (nbsec.llm.guard(..., log=PATH)); nbsec never changes other databases",
    )


def _check_format(conn: sqlite3.Connection, path: Path) -> dict[str, str]:
    try:
        rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        conn.execute("SELECT at, client, direction, blocked, score, families, reasons, simhash FROM verdicts LIMIT 1")
    except sqlite3.DatabaseError as exc:
        raise _not_a_log(path, "not SQLite, or no nbsec tables" if "no such" in str(exc) else str(exc)) from None
    if rows.get("format") != FORMAT:
        raise _not_a_log(path, "its meta table names another format")
    return rows


class GuardLog:
    """An append-only SQLite log of guard verdicts (file mode 0600). Thread-safe; close() or use `with`."""

    def __init__(self, path: str | os.PathLike[str], *, key: bytes | str | None = None) -> None:
        self.path = Path(path)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        if fresh:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            os.chmod(self.path, 0o600)  # also tighten a log another tool created
        except OSError:
            pass
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._pending = 0
        self._last_commit = time.monotonic()
        try:
            if fresh:
                self._conn.executescript(_SCHEMA)
                stored = secrets.token_hex(32)
                self._conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("format", FORMAT), ("version", VERSION), ("hmac_key", stored), ("created", utc_now_iso())],
                )
            meta = _check_format(self._conn, self.path)
        except BaseException:
            self._conn.close()
            raise
        self._conn.execute("PRAGMA synchronous=NORMAL")
        chosen = key if key is not None else bytes.fromhex(meta["hmac_key"])
        self._key = chosen.encode() if isinstance(chosen, str) else chosen
        self._closed = False
        # Verdicts are committed in batches; a process that exits without close() still writes its last batch.
        atexit.register(_close_at_exit, weakref.ref(self))

    def fingerprint(self, text: str) -> str:
        """HMAC-SHA256 of the folded text under this log's key (32 hex digits): equal texts, equal prints."""
        return hmac.new(self._key, fold(text).encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]

    def record(self, verdict: _VerdictLike, *, client: str | None, text: str, at: float | None = None) -> None:
        """Add one verdict. `text` is only hashed and measured, never stored."""
        row = (
            time.time() if at is None else float(at),
            None if client is None else str(client)[:200],
            verdict.direction,
            int(bool(verdict.blocked)),
            float(verdict.score),
            json.dumps(list(verdict.families)),
            json.dumps([str(r)[:200] for r in verdict.reasons]),
            len(text),
            self.fingerprint(text),
            _signed(simhash(text)),
        )
        with self._lock:
            if self._pending == 0:
                self._conn.execute("BEGIN")
            self._conn.execute(
                "INSERT INTO verdicts (at, client, direction, blocked, score, families, reasons, length, "
                "fingerprint, simhash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            self._pending += 1
            if self._pending >= _COMMIT_EVERY or time.monotonic() - self._last_commit > _COMMIT_SECONDS:
                self._commit()

    def _commit(self) -> None:
        if self._pending:
            self._conn.execute("COMMIT")
        self._pending = 0
        self._last_commit = time.monotonic()

    def flush(self) -> None:
        """Write what is pending (analyze_log reads committed rows only)."""
        with self._lock:
            self._commit()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._commit()
            finally:
                self._conn.close()

    def __enter__(self) -> GuardLog:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _close_at_exit(ref: weakref.ReferenceType[GuardLog]) -> None:
    log = ref()
    if log is not None:
        log.close()
