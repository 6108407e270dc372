"""Recording lineage from Python: `lineage.step(...)` as a context manager or decorator, `record`, `batch`.

    from nbsec import lineage

    with lineage.step("train", inputs=["data/train.csv"], outputs=["models/clf.pt"], params={"lr": 0.1}):
        ...                                   # inputs hashed on entry, outputs on exit

    @lineage.step("prepare", inputs=["data/raw.csv"], outputs=["data/clean.csv"])
    def prepare() -> None: ...

    with lineage.batch():                     # many events, one transaction
        for shard in shards:
            lineage.record("shard", inputs=[shard], outputs=[...])

A step that raises is recorded with status FAIL and the exception goes on.
"""

from __future__ import annotations

import contextvars
import functools
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from nbsec.lineage.artifacts import HashedArtifact, describe_all
from nbsec.lineage.context import code_identity, environment, function_identity
from nbsec.lineage.events import jsonable
from nbsec.lineage.store import Appended, Signer, Store, open_store
from nbsec.model import utc_now_iso

F = TypeVar("F", bound=Callable[..., Any])
StoreArg = str | os.PathLike[str] | Store | None
KeyArg = str | os.PathLike[str] | None


class _Batch:
    def __init__(self, store: Store, signer: Signer | None) -> None:
        self.store = store
        self.signer = signer
        self.bodies: list[dict[str, Any]] = []


_current_batch: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("nbsec_lineage_batch", default=None)
_signers: dict[str, Signer] = {}


def load_signer(key: KeyArg) -> Signer | None:
    """The Ed25519 private key at `key` (PEM, from `nbsec manifest keygen`), loaded once per path."""
    if key is None:
        return None
    path = os.path.abspath(key)
    if path not in _signers:
        from nbsec.integrity.signing import load_private_key

        _signers[path] = load_private_key(path)
    return _signers[path]


def key_id(signer: Signer) -> str:
    """First 16 hex digits of SHA-256 over the raw public key (as `nbsec.integrity` names keys)."""
    import hashlib

    from cryptography.hazmat.primitives import serialization

    raw = signer.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def build_body(
    name: str,
    inputs: list[HashedArtifact],
    outputs: list[HashedArtifact],
    *,
    params: Mapping[str, Any] | None,
    root: Path,
    started: str,
    ended: str,
    status: str = "COMPLETE",
    event_type: str = "step",
    code_extra: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The unsealed event body (the store adds seq, prev and id)."""
    body: dict[str, Any] = {
        "type": event_type,
        "name": str(name),
        "status": status,
        "started": started,
        "ended": ended,
        "inputs": [a.to_dict() for a in inputs],
        "outputs": [a.to_dict() for a in outputs],
        "params": jsonable(dict(params or {})),
        "code": code_identity(root, code_extra),
        "env": environment(),
    }
    if extra:
        body.update(extra)
    return body


def commit(body: dict[str, Any], store: Store, signer: Signer | None) -> Appended | None:
    """Append now, or queue into the open `batch()` for the same store (then None is returned)."""
    current = _current_batch.get()
    if current is not None and current.store is store:
        # One transaction, one key: inside a batch the batch's key signs every event.
        if current.signer is not None:
            body["key"] = key_id(current.signer)
        current.bodies.append(body)
        return None
    if signer is not None:
        body["key"] = key_id(signer)
    return store.append(body, signer)


class Step:
    """One recorded step. Use with `with`, or as a decorator (each call is one event)."""

    def __init__(
        self,
        name: str,
        inputs: Any = (),
        outputs: Any = (),
        params: Mapping[str, Any] | None = None,
        *,
        store: StoreArg = None,
        key: KeyArg = None,
        code: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.params: dict[str, Any] = dict(params or {})
        self._store_arg = store
        self._key = key
        self._code = dict(code or {})
        self._extra_inputs: list[Any] = []
        self._extra_outputs: list[Any] = []
        self._hashed_inputs: list[HashedArtifact] = []
        self._started = ""
        self._t0 = 0.0
        self.result: Appended | None = None

    # -- adding things while the step runs

    def add_input(self, obj: Any) -> None:
        self._extra_inputs.append(obj)

    def add_output(self, obj: Any) -> None:
        self._extra_outputs.append(obj)

    def log_param(self, key: str, value: Any) -> None:
        self.params[key] = value

    # -- context manager

    def __enter__(self) -> Step:
        self.store = open_store(self._store_arg)
        self.signer = load_signer(self._key)
        self._started = utc_now_iso()
        self._t0 = time.perf_counter()
        # Inputs are hashed before the body runs: what was read, not what it was turned into.
        self._hashed_inputs = describe_all(self.inputs, self.store.project_root)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        failed = exc_type is not None
        root = self.store.project_root
        inputs = self._hashed_inputs + describe_all(self._extra_inputs, root)
        # A failed step may not have written its outputs: record them as missing rather than raise over its error.
        outputs = describe_all(self.outputs, root, must_exist=not failed)
        outputs += describe_all(self._extra_outputs, root, must_exist=not failed)
        extra: dict[str, Any] = {"duration_s": round(time.perf_counter() - self._t0, 6)}
        if failed and exc_type is not None:
            extra["error"] = f"{exc_type.__module__}.{exc_type.__qualname__}"
        body = build_body(
            self.name,
            inputs,
            outputs,
            params=self.params,
            root=root,
            started=self._started,
            ended=utc_now_iso(),
            status="FAIL" if failed else "COMPLETE",
            code_extra=self._code,
            extra=extra,
        )
        self.result = commit(body, self.store, self.signer)

    # -- decorator

    def __call__(self, func: F) -> F:
        identity = function_identity(func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            fresh = Step(
                self.name,
                self.inputs,
                self.outputs,
                self.params,
                store=self._store_arg,
                key=self._key,
                code={**identity, **self._code},
            )
            with fresh:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def step(
    name: str,
    inputs: Any = (),
    outputs: Any = (),
    params: Mapping[str, Any] | None = None,
    *,
    store: StoreArg = None,
    key: KeyArg = None,
) -> Step:
    """Record a step: `with lineage.step(...)` or `@lineage.step(...)`.

    `inputs` / `outputs`: a list of paths (files, folders), URLs, DataFrames, arrays,
    tensors, torch modules or `lineage.artifact(obj, name=..., role=...)`, or a
    {name: object} mapping. `key`: an Ed25519 private key file to sign the event.
    """
    return Step(name, inputs, outputs, params, store=store, key=key)


def record(
    name: str,
    inputs: Any = (),
    outputs: Any = (),
    params: Mapping[str, Any] | None = None,
    *,
    store: StoreArg = None,
    key: KeyArg = None,
    code: dict[str, Any] | None = None,
    event_type: str = "step",
) -> Appended | None:
    """Record a step that already ran (inputs and outputs are hashed now)."""
    target = open_store(store)
    signer = load_signer(key)
    root = target.project_root
    now = utc_now_iso()
    body = build_body(
        name,
        describe_all(inputs, root),
        describe_all(outputs, root),
        params=params,
        root=root,
        started=now,
        ended=now,
        event_type=event_type,
        code_extra=code,
    )
    return commit(body, target, signer)


@contextmanager
def batch(store: StoreArg = None, *, key: KeyArg = None) -> Iterator[Store]:
    """Queue every event recorded inside into one transaction, written when the block ends.

    Nothing is written if the block raises: a half-recorded batch would claim a
    pipeline that never finished.
    """
    target = open_store(store)
    current = _Batch(target, load_signer(key))
    token = _current_batch.set(current)
    try:
        yield target
    finally:
        _current_batch.reset(token)
    target.append_many(current.bodies, current.signer)
