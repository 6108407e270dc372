"""A pytest plugin run inside a peer's own test suite (in the peers' virtualenv, never nbsec's).

It wraps the peer's scanning entry point so that every sample the peer's tests build and scan is
copied out with the peer's verdict, before the test compares that verdict with its expectation.
The tests build their samples themselves (`pickle.dumps` of a `__reduce__` object writes the
payload's name, it does not run it); this plugin never loads a sample either: it copies bytes.

Configured by environment variables: NBSEC_CAPTURE_DIR (where samples and records.jsonl go) and
NBSEC_CAPTURE_PEER (fickling | modelscan).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

OUT = Path(os.environ.get("NBSEC_CAPTURE_DIR", "/tmp/nbsec-capture"))
PEER = os.environ.get("NBSEC_CAPTURE_PEER", "")
_current_test = {"id": ""}


def _record(entry: dict[str, Any]) -> None:
    entry["test"] = _current_test["id"]
    with (OUT / "records.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def _save_bytes(data: bytes, suffix: str) -> str:
    name = hashlib.sha256(data).hexdigest()[:16] + suffix
    (OUT / "samples").mkdir(parents=True, exist_ok=True)
    (OUT / "samples" / name).write_bytes(data)
    return name


def _save_path(path: Path) -> str:
    digest = hashlib.sha256(str(path).encode() + _current_test["id"].encode()).hexdigest()[:12]
    target = OUT / "samples" / digest / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        shutil.copytree(path, target, dirs_exist_ok=True)
    elif path.exists():
        shutil.copy2(path, target)
    return str(target.relative_to(OUT / "samples"))


def _keep_raw_bytes(pickled_class: Any) -> None:
    """`Pickled.dumps()` re-serialises the parsed opcodes and so repairs what a test planted in the bytes
    (a FRAME length that lies, ...): keep the bytes each `Pickled.load` read, and what dumps() gave then."""
    original_load = pickled_class.load

    def load(source: Any, *args: Any, **kwargs: Any) -> Any:
        start = None if isinstance(source, (bytes, bytearray, memoryview)) else source.tell()
        result = original_load(source, *args, **kwargs)
        if start is None:
            raw = bytes(source)
        else:
            end = source.tell()
            source.seek(start)
            raw = source.read(end - start)
            source.seek(end)
        try:
            result._nbsec_raw = (raw, result.dumps())
        except Exception:  # noqa: BLE001 (an opcode list fickling cannot write back: the raw bytes are all there is)
            result._nbsec_raw = (raw, None)
        return result

    pickled_class.load = staticmethod(load)


def _bytes_checked(pickled: Any) -> bytes:
    """The bytes the check saw: what was loaded, unless the test changed the opcodes since."""
    raw, dumped_then = getattr(pickled, "_nbsec_raw", (None, None))
    if raw is not None and (dumped_then is None or pickled.dumps() == dumped_then):
        return bytes(raw)
    return bytes(pickled.dumps())


def _wrap_fickling() -> None:
    import fickling.analysis as analysis
    from fickling.fickle import Pickled

    _keep_raw_bytes(Pickled)
    original = analysis.check_safety

    def check_safety(pickled: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(pickled, *args, **kwargs)
        try:
            data = _bytes_checked(pickled)
        except Exception as exc:  # noqa: BLE001 (a test may build an opcode list that cannot be serialised)
            _record({"error": f"dumps failed: {exc}"})
            return result
        _record({"sample": _save_bytes(data, ".pkl"), "severity": result.severity.name})
        return result

    analysis.check_safety = check_safety
    import fickling

    if getattr(fickling, "check_safety", None) is original:
        fickling.check_safety = check_safety


def _wrap_modelscan() -> None:
    from modelscan.modelscan import ModelScan

    original = ModelScan.scan

    def scan(self: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, path, *args, **kwargs)
        try:
            issues = [{"severity": issue.severity.name, "code": issue.code.name} for issue in self._issues.all_issues]
            errors = [str(error) for error in getattr(self, "_errors", [])]
            _record({"sample": _save_path(Path(str(path))), "issues": issues, "errors": errors})
        except Exception as exc:  # noqa: BLE001 (capturing must never fail the peer's own test)
            _record({"error": f"capture failed: {exc}"})
        return result

    ModelScan.scan = scan  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    {"fickling": _wrap_fickling, "modelscan": _wrap_modelscan}[PEER]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    _current_test["id"] = item.nodeid
    outcome = yield
    passed = outcome.excinfo is None
    with (OUT / "outcomes.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"test": item.nodeid, "passed": passed}) + "\n")
