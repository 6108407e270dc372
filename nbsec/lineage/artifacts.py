"""Full-content SHA-256 of what a step reads and writes: files, folders, DataFrames, arrays, tensors, modules.

Nothing is sampled: every byte of a file, every row and column of a DataFrame,
every element of an array or tensor goes into the digest (MLflow's dataset
digest keeps 10,000 rows and 8 hex digits of MD5; this does not).

- file: SHA-256 of its bytes (nbsec.integrity.hashing).
- folder: the Merkle root of nbsec.integrity.manifest over every file below it,
  sorted by relative path; symlinks are recorded by target, never followed.
- numpy array: "ndarray" + dtype + shape + the C-contiguous bytes.
- pandas DataFrame / Series: column names, dtypes and the index, then every
  column in order (numbers as raw bytes, other values one by one with a type
  tag and a length prefix), so row order, column order and dtype all count.
- torch tensor: dtype + shape + the raw bytes of a contiguous CPU copy.
- torch module: its state dict, keys sorted, each tensor as above (a state
  dict on its own hashes the same, so a saved state dict links to its model).

pandas, numpy and torch are imported only when such an object is passed (the
type is recognised by its module name first).
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbsec.errors import UsageError

URL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

MODEL_SUFFIXES = frozenset(
    {".pt", ".pth", ".ckpt", ".safetensors", ".onnx", ".gguf", ".h5", ".keras", ".joblib", ".pkl", ".pickle", ".pb"}
)
REPORT_SUFFIXES = frozenset({".html", ".htm", ".pdf", ".md", ".sarif", ".ipynb"})
ROLES = ("dataset", "model", "report")


@dataclass(frozen=True)
class Artifact:
    """Something a step reads or writes, with an optional name and role ("dataset", "model", "report").

    Wrap an object to name it or say what it is: `lineage.artifact(clf, name="classifier", role="model")`.
    """

    obj: Any
    name: str | None = None
    role: str | None = None

    def __post_init__(self) -> None:
        if self.role is not None and self.role not in ROLES:
            raise UsageError(f"unknown artifact role {self.role!r}", f"use one of: {', '.join(ROLES)}")


@dataclass
class HashedArtifact:
    """What an event records about one artifact (its `to_dict()` goes into the canonical event)."""

    name: str
    kind: str  # file | folder | url | dataframe | series | ndarray | tensor | module | bytes
    role: str
    sha256: str | None = None
    size: int | None = None
    path: str | None = None  # POSIX, relative to the project root when inside it
    uri: str | None = None
    outside: bool = False  # a path outside the project root
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "role": self.role}
        for key in ("sha256", "size", "path", "uri"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.outside:
            out["outside"] = True
        if self.meta:
            out["meta"] = dict(self.meta)
        return out


def artifact(obj: Any, name: str | None = None, role: str | None = None) -> Artifact:
    """Name an input/output or give its role: `lineage.artifact(model, name="clf", role="model")`."""
    return Artifact(obj, name, role)


# -- paths ----------------------------------------------------------------------------------


def relative_to_root(path: Path, root: Path) -> tuple[str, bool]:
    """(POSIX path relative to `root`, False) when inside it, else (absolute POSIX path, True)."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(root))).as_posix(), False
    except ValueError:
        real_root = Path(os.path.realpath(root))
        try:
            return Path(os.path.realpath(absolute)).relative_to(real_root).as_posix(), False
        except ValueError:
            return absolute.as_posix(), True


def role_for_path(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in MODEL_SUFFIXES:
        return "model"
    if suffix in REPORT_SUFFIXES:
        return "report"
    return "dataset"


def hash_path(path: Path) -> tuple[str, str, int, dict[str, Any]]:
    """(kind, sha256, size, meta) of a file or a folder (Merkle root); OSError when unreadable."""
    from nbsec.integrity.hashing import hash_file

    if path.is_dir():
        from nbsec.integrity.manifest import create_manifest

        manifest = create_manifest(path)
        files = manifest["files"]
        size = sum(int(record.get("size", 0)) for record in files)
        return "folder", str(manifest["merkle_root"]), size, {"files": len(files)}
    digest, size = hash_file(path)
    return "file", digest, size, {}


# -- in-memory objects --------------------------------------------------------------------------


def _top_module(obj: Any) -> str:
    return type(obj).__module__.split(".", 1)[0]


def _is_torch_module(obj: Any) -> bool:
    import torch

    return isinstance(obj, torch.nn.Module)


def memory_kind(obj: Any) -> str | None:
    """The kind of a hashable in-memory object, or None (recognised without importing anything)."""
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return "bytes"
    top = _top_module(obj)
    name = type(obj).__name__
    if top == "pandas" and name in ("DataFrame", "Series"):
        return "dataframe" if name == "DataFrame" else "series"
    if top == "numpy" and name == "ndarray":
        return "ndarray"
    if top == "torch" and name in ("Tensor", "Parameter"):
        return "tensor"
    if "torch" in sys.modules and _is_torch_module(obj):
        return "module"
    if isinstance(obj, dict) and obj and "torch" in sys.modules and _is_state_dict(obj):
        return "state_dict"
    return None


def _is_state_dict(obj: dict[Any, Any]) -> bool:
    import torch

    return all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())


class _Digest:
    """A SHA-256 with helpers for length-prefixed, type-tagged pieces (no two inputs share a byte stream)."""

    def __init__(self, kind: str) -> None:
        self.h = hashlib.sha256()
        self.text(kind)

    def raw(self, data: bytes | bytearray | memoryview) -> None:
        self.h.update(struct.pack(">Q", len(data) if not isinstance(data, memoryview) else data.nbytes))
        self.h.update(data)

    def text(self, value: str) -> None:
        self.raw(value.encode("utf-8", "surrogatepass"))

    def value(self, value: Any) -> None:
        """One scalar of an object column: a type tag, then an exact text form of the value."""
        if value is None or (isinstance(value, float) and value != value):
            self.h.update(b"N" if value is None else b"n")
        elif isinstance(value, bool):
            self.h.update(b"T" if value else b"F")
        elif isinstance(value, int):
            self.h.update(b"I")
            self.text(str(value))
        elif isinstance(value, float):
            self.h.update(b"D")
            self.text(value.hex())
        elif isinstance(value, str):
            self.h.update(b"S")
            self.text(value)
        elif isinstance(value, (bytes, bytearray)):
            self.h.update(b"B")
            self.raw(bytes(value))
        else:  # pd.NA, Timestamps, Decimals, tuples...: their repr is exact for these types
            self.h.update(b"R")
            self.text(f"{type(value).__module__}.{type(value).__qualname__}:{value!r}")

    def hexdigest(self) -> str:
        return self.h.hexdigest()


def _byte_view(array: Any) -> memoryview:
    """The raw bytes of a C-contiguous array, without copying."""
    import numpy as np

    view: memoryview = array.reshape(-1).view(np.uint8).data
    return view


def _update_array(digest: _Digest, array: Any) -> None:
    import numpy as np

    digest.text(array.dtype.str)
    digest.text(repr(tuple(int(n) for n in array.shape)))
    if array.dtype.kind in "biufcmMV":  # fixed-size values: the bytes are the content
        digest.raw(_byte_view(np.ascontiguousarray(array)))
    else:  # object, str, bytes arrays: value by value
        for item in array.reshape(-1).tolist():
            digest.value(item)


def _update_series_values(digest: _Digest, series: Any) -> None:
    import numpy as np

    digest.text(str(series.dtype))
    values = series.to_numpy()
    if isinstance(values, np.ndarray) and values.dtype.kind in "biufcmM":
        digest.raw(_byte_view(np.ascontiguousarray(values)))
    else:
        for item in values:
            digest.value(item)


def _hash_dataframe(frame: Any) -> tuple[str, int, dict[str, Any]]:
    digest = _Digest("pandas.DataFrame")
    digest.text(repr(tuple(frame.shape)))
    digest.text(repr([str(c) for c in frame.columns]))
    _update_series_values(digest, frame.index.to_series())
    for position in range(frame.shape[1]):
        digest.text(str(frame.columns[position]))
        _update_series_values(digest, frame.iloc[:, position])
    meta = {"rows": int(frame.shape[0]), "columns": int(frame.shape[1])}
    return digest.hexdigest(), int(frame.memory_usage(deep=False).sum()), meta


def _hash_series(series: Any) -> tuple[str, int, dict[str, Any]]:
    digest = _Digest("pandas.Series")
    digest.text(str(series.name))
    _update_series_values(digest, series.index.to_series())
    _update_series_values(digest, series)
    return digest.hexdigest(), int(series.memory_usage(deep=False)), {"rows": int(series.shape[0])}


def _tensor_bytes(tensor: Any) -> memoryview:
    import torch

    flat = tensor.detach().to("cpu").contiguous().reshape(-1)
    if flat.dtype == torch.bool:
        flat = flat.to(torch.uint8)
    return memoryview(flat.view(torch.uint8).numpy()).cast("B")


def _update_tensor(digest: _Digest, tensor: Any) -> int:
    digest.text(str(tensor.dtype))
    digest.text(repr(tuple(int(n) for n in tensor.shape)))
    data = _tensor_bytes(tensor)
    digest.raw(data)
    return data.nbytes


def _hash_module(module: Any) -> tuple[str, int, dict[str, Any]]:
    digest, size = _hash_state(module.state_dict())
    return digest, size, {"class": f"{type(module).__module__}.{type(module).__qualname__}"}


def _hash_state(state: Any) -> tuple[str, int]:
    """A module and its state dict hash alike, so `torch.save(model.state_dict())` links to the model."""
    import torch

    digest = _Digest("torch.nn.Module.state_dict")
    size = 0
    for key in sorted(state):
        digest.text(key)
        value = state[key]
        if isinstance(value, torch.Tensor):
            size += _update_tensor(digest, value)
        else:  # extra state: recorded by its repr
            digest.value(value)
    return digest.hexdigest(), size


def hash_object(obj: Any) -> tuple[str, str, int, dict[str, Any]]:
    """(kind, sha256, size in bytes, meta) of an in-memory object; UsageError for types nbsec cannot hash."""
    kind = memory_kind(obj)
    if kind == "bytes":
        data = bytes(obj)
        return kind, hashlib.sha256(data).hexdigest(), len(data), {}
    if kind == "dataframe":
        return (kind, *_hash_dataframe(obj))
    if kind == "series":
        return (kind, *_hash_series(obj))
    if kind == "ndarray":
        digest = _Digest("numpy.ndarray")
        _update_array(digest, obj)
        return kind, digest.hexdigest(), int(obj.nbytes), {"shape": list(obj.shape), "dtype": obj.dtype.str}
    if kind == "tensor":
        digest = _Digest("torch.Tensor")
        size = _update_tensor(digest, obj)
        return kind, digest.hexdigest(), size, {"shape": list(obj.shape), "dtype": str(obj.dtype)}
    if kind == "module":
        return (kind, *_hash_module(obj))
    if kind == "state_dict":
        digest_hex, size = _hash_state(obj)
        return kind, digest_hex, size, {"tensors": len(obj)}
    raise UsageError(
        f"cannot hash an object of type {type(obj).__module__}.{type(obj).__qualname__} for lineage",
        "pass a file or folder path, a URL, a pandas DataFrame/Series, a numpy array, a torch tensor or module, "
        "or bytes",
    )


# -- one entry point -------------------------------------------------------------------------


def describe(item: Any, root: Path, *, name: str | None = None, must_exist: bool = True) -> HashedArtifact:
    """Hash one input/output. Paths are resolved against the cwd and recorded relative to `root`.

    A path that does not exist raises UsageError when `must_exist`; otherwise it is
    recorded without a hash (an output that a failed step never wrote).
    """
    role: str | None = None
    if isinstance(item, Artifact):
        name, role, item = item.name or name, item.role, item.obj
    if isinstance(item, str) and URL_PATTERN.match(item):
        return HashedArtifact(name=name or item, kind="url", role=role or "dataset", uri=item)
    if isinstance(item, (str, os.PathLike)):
        path = Path(os.fspath(item))
        shown, outside = relative_to_root(path, root)
        kind_role = role or role_for_path(shown)
        if not path.exists():
            if must_exist:
                raise UsageError(
                    f"{os.fspath(path)}: no such file or folder to record",
                    "check the path (relative paths are taken from the current folder)",
                )
            return HashedArtifact(name or shown, "file", kind_role, path=shown, outside=outside, meta={"missing": True})
        try:
            kind, digest, size, meta = hash_path(path)
        except OSError as exc:
            raise UsageError(
                f"{os.fspath(path)}: cannot read it ({exc.strerror or exc})", "check the permissions"
            ) from None
        return HashedArtifact(name or shown, kind, kind_role, digest, size, shown, None, outside, meta)
    kind, digest, size, meta = hash_object(item)
    default_role = "model" if kind in ("module", "state_dict") else "dataset"
    return HashedArtifact(name or f"{kind}:{digest[:12]}", kind, role or default_role, digest, size, meta=meta)


def describe_all(
    items: Iterable[Any] | Mapping[str, Any] | Any, root: Path, *, must_exist: bool = True
) -> list[HashedArtifact]:
    """`describe` each of a list, or each value of a {name: object} mapping (the key names it)."""
    if items is None:
        return []
    if isinstance(items, Mapping):
        return [describe(obj, root, name=str(key), must_exist=must_exist) for key, obj in items.items()]
    if isinstance(items, (str, os.PathLike, Artifact)) or memory_kind(items) is not None:
        return [describe(items, root, must_exist=must_exist)]
    return [describe(obj, root, must_exist=must_exist) for obj in items]
