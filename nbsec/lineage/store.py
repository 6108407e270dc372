"""The lineage store: one SQLite file (WAL mode), `.nbsec/lineage.db` below the project by default.

Many writers at once (parallel papermill runs, several kernels) are safe:
every append runs in a `BEGIN IMMEDIATE` transaction, which takes SQLite's
write lock before reading the chain head, so two processes can never both
link to the same predecessor. The busy timeout makes a writer wait its turn
instead of failing. `meta` keeps the head (sequence number and hash) in the
same transaction, so a deleted last event is noticed too.

The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[n]` takes a
store from version n to n+1, and a store from a newer nbsec is refused.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbsec.errors import NbsecError
from nbsec.lineage.events import FORMAT_VERSION, GENESIS, seal

DEFAULT_STORE = Path(".nbsec") / "lineage.db"
BUSY_TIMEOUT_S = 60.0

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 0 -> 1: the chain and its head.
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE events ("
        " seq INTEGER PRIMARY KEY,"
        " event_id TEXT NOT NULL UNIQUE,"
        " hash TEXT NOT NULL,"
        " prev_hash TEXT NOT NULL,"
        " name TEXT NOT NULL,"
        " body TEXT NOT NULL,"
        " signature TEXT)",
    ),
    # 1 -> 2: `show NODE` and `log NAME` look events up by step name.
    ("CREATE INDEX events_by_name ON events (name)",),
)
SCHEMA_VERSION = len(MIGRATIONS)


class LineageStoreError(NbsecError):
    """The store cannot be opened, is not an nbsec lineage store, or is from a newer nbsec."""


@dataclass(frozen=True)
class EventRow:
    """One stored event as it is on disk (nothing here is trusted until verify has checked it)."""

    seq: int
    event_id: str
    hash: str
    prev_hash: str
    name: str
    body: str
    signature: str | None


@dataclass(frozen=True)
class Appended:
    seq: int
    event_id: str
    hash: str


Signer = Any  # an Ed25519PrivateKey (cryptography), typed loosely to keep it out of the import


def project_root_for(store_path: Path) -> Path:
    """`<root>/.nbsec/lineage.db` -> `<root>`; any other store lives in its project folder."""
    absolute = Path(os.path.abspath(store_path))
    return absolute.parent.parent if absolute.parent.name == ".nbsec" else absolute.parent


class Store:
    """A lineage store. Open with `Store(path)`; `append` / `append_many` add sealed events."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> None:
        self.path = Path(path) if path is not None else DEFAULT_STORE
        self.project_root = project_root_for(self.path)
        self._create = create
        self._lock = threading.Lock()
        self._pid = -1
        self._conn: sqlite3.Connection | None = None
        self._connect()

    # -- connection ------------------------------------------------------------------------

    def _connect(self) -> None:
        if not self.path.exists():
            if not self._create:
                raise LineageStoreError(
                    f"{self.path}: no lineage store here",
                    "record something first (lineage.step(...) or `nbsec lineage record`), or pass --store PATH",
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
            self._conn = conn
            self._pid = os.getpid()
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise LineageStoreError(
                f"{self.path}: not a lineage store ({exc})",
                "pass the .nbsec/lineage.db that nbsec wrote (--store PATH)",
            ) from None
        self.journal_mode = str(mode)

    @property
    def conn(self) -> sqlite3.Connection:
        # A forked child must not share the parent's SQLite handle: reopen in the new process.
        if self._conn is None or self._pid != os.getpid():
            self._connect()
        assert self._conn is not None
        return self._conn

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        conn = self._conn
        assert conn is not None
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise LineageStoreError(
                f"{self.path}: written by a newer nbsec (store schema {version}, this nbsec knows {SCHEMA_VERSION})",
                "upgrade nbsec to read it",
            )
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step]:
                    conn.execute(statement)
            if version == 0:
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("store_id", uuid.uuid4().hex), ("head_seq", "0"), ("head_hash", GENESIS)],
                )
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- writing -------------------------------------------------------------------------------

    def append(self, body: dict[str, Any], signer: Signer | None = None) -> Appended:
        """Seal one event body onto the chain and store it."""
        return self.append_many([body], signer)[0]

    def append_many(self, bodies: Sequence[dict[str, Any]], signer: Signer | None = None) -> list[Appended]:
        """Seal and store several events in one transaction (the fast path: thousands per second)."""
        if not bodies:
            return []
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")  # the write lock first, then read the head: the chain stays linear
            try:
                row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (int(row[0]), str(row[1])) if row else (0, GENESIS)
                rows = []
                done = []
                for body in bodies:
                    seq += 1
                    body.setdefault("v", FORMAT_VERSION)
                    body.setdefault("id", uuid.uuid4().hex)
                    data, digest = seal(body, seq, prev)
                    signature = None
                    if signer is not None:
                        signature = base64.b64encode(signer.sign(digest.encode("ascii"))).decode("ascii")
                    rows.append((seq, body["id"], digest, prev, str(body.get("name", "")), data.decode(), signature))
                    done.append(Appended(seq, body["id"], digest))
                    prev = digest
                conn.executemany(
                    "INSERT INTO events (seq, event_id, hash, prev_hash, name, body, signature) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [("head_seq", str(seq)), ("head_hash", prev)],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return done

    # -- reading ---------------------------------------------------------------------------------

    def rows(self) -> Iterator[EventRow]:
        """Every stored event in sequence order, as stored."""
        cursor = self.conn.execute(
            "SELECT seq, event_id, hash, prev_hash, name, body, signature FROM events ORDER BY seq"
        )
        for row in cursor:
            yield EventRow(int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]), row[6])

    def meta(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def head(self) -> tuple[int, str]:
        """(sequence number, hash) of the last event as `meta` records it."""
        meta = self.meta()
        return int(meta.get("head_seq", "0")), meta.get("head_hash", GENESIS)

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])


_open_stores: dict[tuple[int, str], Store] = {}
_default_path: list[Path] = []


def set_default_store(path: str | os.PathLike[str] | None) -> None:
    """Make `path` the store that `lineage.step` and friends use when given none (None: back to the default)."""
    _default_path.clear()
    if path is not None:
        _default_path.append(Path(path))


def default_store_path() -> Path:
    return _default_path[0] if _default_path else DEFAULT_STORE


def open_store(path: str | os.PathLike[str] | Store | None = None, *, create: bool = True) -> Store:
    """The Store at `path` (the session default when None), opened once per process and reused."""
    if isinstance(path, Store):
        return path
    target = Path(path) if path is not None else default_store_path()
    key = (os.getpid(), os.path.abspath(target))
    store = _open_stores.get(key)
    if store is None or not target.exists():
        store = Store(target, create=create)
        _open_stores[key] = store
    return store
