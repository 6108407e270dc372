"""Keras models: Lambda layers (Python bytecode) and configs that name modules outside Keras.

Two containers carry the same JSON model config:

* `.keras` (Keras 3): a zip whose `config.json` member the archive walker hands to `check_config`;
* `.h5` (Keras 2 / tf.keras): an HDF5 file whose root attribute `model_config` holds the JSON. We do not
  parse HDF5 (no h5py at scan time): attribute strings are stored contiguously, so we scan the file for
  the start of a serialized Keras object (`{"class_name"` / `{"module"`) and decode from there.

The walker visits every dict in the config, so layers nested in sub-models (Functional inside
Sequential inside a wrapper) are seen, unlike scanners that look only at `config.layers[*]`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from nbsec.model import Confidence
from nbsec.scanners.artifacts.base import Context, FormatError, Issue
from nbsec.scanners.artifacts.rules import KERAS_ARBITRARY_MODULE, KERAS_LAMBDA, MALFORMED_CONTAINER

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
MAX_CONFIG_DEPTH = 200
# Top-level packages whose classes Keras itself ships or vets (KerasHub/NLP/CV are Keras' own libraries).
KERAS_PACKAGES = frozenset({"keras", "tensorflow", "tf_keras", "keras_hub", "keras_nlp", "keras_cv"})
# Modules that only an attack would name: reported with high confidence.
DANGEROUS_MODULES = frozenset(
    {
        "os", "posix", "nt", "subprocess", "builtins", "__builtin__", "sys", "importlib", "shutil", "socket",
        "pty", "runpy", "code", "codeop", "ctypes", "pickle", "marshal", "__main__", "webbrowser", "pathlib",
        "io", "tempfile", "urllib", "http", "requests", "pydoc", "commands", "multiprocessing", "platform",
    }
)  # fmt: skip
# Functions inside Keras that reach outside the model when deserialized.
RISKY_KERAS_OBJECTS = {
    "get_file": "downloads a file to a chosen path at load time (CVE-2025-8747)",
    "TFSMLayer": "loads and runs a TensorFlow SavedModel from a path (CVE-2026-1462)",
    "load_model": "loads another model file at load time",
}
LAMBDA_CLASS_NAMES = frozenset({"Lambda", "keras.layers.Lambda", "keras.src.layers.core.lambda_layer.Lambda"})
_PATTERNS = (b'{"class_name"', b'{"module"')
_SCAN_CHUNK = 1 << 20
_FIRST_WINDOW = 1 << 16
_MAX_CANDIDATES = 1000
_MAX_ISSUES = 50


def sniff(head: bytes, name: str) -> bool:
    """HDF5 superblock signature at 0 or at 512 x 2^k (a user block may precede it)."""
    return any(head[offset : offset + 8] == HDF5_MAGIC for offset in (0, 512, 1024, 2048))


# --- config walker --------------------------------------------------------------------------------


def check_config(config_json: bytes, ctx: Context) -> Iterator[Issue]:
    """Check a `.keras` archive's config.json (the bytes of the member)."""
    if len(config_json) > ctx.limits.max_header_bytes:
        raise FormatError(f"config.json of {len(config_json)} bytes exceeds the {ctx.limits.max_header_bytes} limit")
    try:
        config = json.loads(config_json)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int-string conversion limit
        raise FormatError(f"config.json is not valid JSON: {str(exc)[:200]}", getattr(exc, "pos", None)) from None
    except RecursionError:
        raise FormatError("config.json is nested too deeply to parse") from None
    yield from walk_config(config, "config.json")


def walk_config(config: Any, label: str, offset: int | None = None) -> Iterator[Issue]:
    """Yield Lambda and module issues for every serialized object in a parsed Keras config."""
    # (value, JSON path, layer-name path, depth, inside a Lambda layer)
    stack: list[tuple[Any, tuple[str, ...], tuple[str, ...], int, bool]] = [(config, (label,), (), 0, False)]
    reported = 0
    too_deep = False
    while stack and reported < _MAX_ISSUES:
        value, path, names, depth, in_lambda = stack.pop()
        if depth > MAX_CONFIG_DEPTH:
            too_deep = True
            continue
        if isinstance(value, list):
            stack.extend(
                (item, (*path, str(i)), names, depth + 1, in_lambda) for i, item in reversed(list(enumerate(value)))
            )
            continue
        if not isinstance(value, dict):
            continue
        name = _object_name(value)
        here = (*names, name) if name else names
        for issue in _check_object(value, path, here, in_lambda, offset):
            reported += 1
            yield issue
        in_lambda = in_lambda or _is_lambda_layer(value)
        children = [(child, (*path, str(key)), here, depth + 1, in_lambda) for key, child in value.items()]
        stack.extend(reversed(children))
    if too_deep:
        yield Issue(
            MALFORMED_CONTAINER,
            f"{label} nests deeper than {MAX_CONFIG_DEPTH} levels: the deeper part was not checked",
            offset,
        )


def _object_name(obj: dict[str, Any]) -> str:
    config = obj.get("config")
    if "class_name" in obj and isinstance(config, dict) and isinstance(config.get("name"), str):
        return str(config["name"])[:80]
    return ""


def _is_lambda_layer(obj: dict[str, Any]) -> bool:
    class_name = obj.get("class_name")
    return isinstance(class_name, str) and class_name in LAMBDA_CLASS_NAMES


def _check_object(
    obj: dict[str, Any], path: tuple[str, ...], names: tuple[str, ...], in_lambda: bool, offset: int | None
) -> Iterator[Issue]:
    where = f"{'/'.join(names) or '(top level)'} (at {_short('/'.join(path), 100)})"
    if _is_lambda_layer(obj):
        yield Issue(KERAS_LAMBDA, f"Lambda layer {where}; {_describe_function(obj)}", offset)
    elif obj.get("class_name") == "__lambda__" and not in_lambda:
        yield Issue(KERAS_LAMBDA, f"lambda function serialized as Python bytecode at {where}", offset)
    problem = _module_problem(obj)
    if problem is not None:
        evidence, confidence = problem
        yield Issue(KERAS_ARBITRARY_MODULE, f"{evidence} at {where}", offset, confidence=confidence)


def _describe_function(layer: dict[str, Any]) -> str:
    config = layer.get("config")
    function = config.get("function") if isinstance(config, dict) else None
    if isinstance(function, dict):  # Keras 3: {"class_name": "__lambda__", "config": {"code": base64}}
        inner = function.get("config")
        code = inner.get("code") if isinstance(inner, dict) else None
        if isinstance(code, str):
            return f"function is marshalled Python bytecode ({len(code)} base64 chars) that runs on load"
        return f"function is a serialized {_short(str(function.get('class_name')), 60)}"
    if isinstance(function, list) and function and isinstance(function[0], str):  # Keras 2: [code, defaults, closure]
        return f"function is marshalled Python bytecode ({len(function[0])} base64 chars) that runs on load"
    if isinstance(function, str):
        module = config.get("module") if isinstance(config, dict) else None
        return f"function {_short(str(module), 60)}.{_short(function, 60)} is imported by name"
    return "no function recorded"


def _module_problem(obj: dict[str, Any]) -> tuple[str, Confidence] | None:
    """(evidence, confidence) when the serialized object names code outside Keras, else None."""
    if not ({"class_name", "registered_name", "function_type"} & obj.keys()):
        return None  # a plain dict that happens to have a "module" key is not a serialized object
    module = obj.get("module")
    class_name = obj.get("class_name")
    target = obj.get("config") if class_name == "function" and isinstance(obj.get("config"), str) else class_name
    if obj.get("function_type") == "function" and isinstance(obj.get("function"), str):
        target = obj["function"]  # Keras 2 Lambda config: {"function": "system", "module": "os"}
    described = f"module={_short(str(module), 60)}, class_name={_short(str(class_name), 60)}"
    if target is not class_name:
        described += f", function={_short(str(target), 60)}"
    if isinstance(module, str) and not _is_keras_module(module):
        top = module.split(".", 1)[0]
        confidence = Confidence.HIGH if top in DANGEROUS_MODULES else Confidence.MEDIUM
        return f"{described}: Keras < 3.9 imports this module even with safe_mode=True", confidence
    registered = obj.get("registered_name")
    if isinstance(registered, str) and "." in registered and ">" not in registered:
        if not _is_keras_module(registered):
            top = registered.split(".", 1)[0]
            confidence = Confidence.HIGH if top in DANGEROUS_MODULES else Confidence.MEDIUM
            return f"registered_name={_short(registered, 80)} names a module path outside Keras", confidence
    if isinstance(target, str) and target in RISKY_KERAS_OBJECTS:
        return f"{described}: {RISKY_KERAS_OBJECTS[target]}", Confidence.MEDIUM
    return None


def _is_keras_module(module: str) -> bool:
    return module.split(".", 1)[0] in KERAS_PACKAGES


# --- HDF5 (.h5) -----------------------------------------------------------------------------------


def check(data: BinaryIO, size: int, ctx: Context) -> Iterator[Issue]:
    """Check the Keras configs stored as JSON attributes of an HDF5 file (without an HDF5 library)."""
    if not _has_superblock(data, size):
        raise FormatError("no HDF5 signature at offset 0 or 512 x 2^k", 0)
    decoder = json.JSONDecoder()
    resume_at = 0
    last_start = -1
    candidates = 0
    decode_budget = 4 * ctx.limits.max_header_bytes + _MAX_CANDIDATES * _FIRST_WINDOW
    overlap = max(len(pattern) for pattern in _PATTERNS) - 1
    pos = 0
    while pos < size:
        data.seek(pos)
        chunk = data.read(min(_SCAN_CHUNK, size - pos))
        if len(chunk) < min(_SCAN_CHUNK, size - pos):
            raise FormatError("file is shorter than its declared size", pos + len(chunk))
        for hit in _find_all(chunk):
            start = pos + hit
            if start < resume_at or start <= last_start:
                continue  # inside a config already decoded, or seen in the previous chunk's overlap
            last_start = start
            candidates += 1
            if candidates > _MAX_CANDIDATES:
                yield Issue(
                    MALFORMED_CONTAINER,
                    f"more than {_MAX_CANDIDATES} JSON-like fragments in the HDF5 file; scan stopped at offset {start}",
                    start,
                )
                return
            decoded, examined = _decode_at(data, start, size, ctx.limits.max_header_bytes, decoder)
            # Fragments that look cut by the window make it grow; bound what all of them may read.
            decode_budget -= examined
            if decode_budget < 0:
                yield Issue(
                    MALFORMED_CONTAINER,
                    f"JSON-like fragments in the HDF5 file need too much decoding; scan stopped at offset {start}",
                    start,
                )
                return
            if decoded is None:
                continue
            config, end = decoded
            resume_at = end
            yield from walk_config(config, f"hdf5@{start}", offset=start)
        if pos + len(chunk) >= size:
            break
        pos += len(chunk) - overlap


def _has_superblock(data: BinaryIO, size: int) -> bool:
    offset = 0
    while offset + 8 <= size:
        data.seek(offset)
        if data.read(8) == HDF5_MAGIC:
            return True
        offset = 512 if offset == 0 else offset * 2
    return False


def _find_all(chunk: bytes) -> list[int]:
    hits: list[int] = []
    for pattern in _PATTERNS:
        index = chunk.find(pattern)
        while index != -1:
            hits.append(index)
            index = chunk.find(pattern, index + 1)
    return sorted(hits)


def _decode_at(
    data: BinaryIO, start: int, size: int, limit: int, decoder: json.JSONDecoder
) -> tuple[tuple[Any, int] | None, int]:
    """Decode the JSON object at `start`, reading a growing window (up to `limit` bytes) while the
    error says the object was cut by the window. Returns ((object, end offset) or None for junk, bytes read)."""
    window = _FIRST_WINDOW
    examined = 0
    while True:
        n = min(window, size - start, limit)
        data.seek(start)
        raw = data.read(n)
        examined += len(raw)
        # surrogateescape keeps a byte-exact round trip, so the end offset below is exact.
        text = raw.decode("utf-8", errors="surrogateescape")
        try:
            config, end = decoder.raw_decode(text)
        except json.JSONDecodeError as exc:
            cut = exc.pos >= len(text) - 8 or exc.msg.startswith("Unterminated string")
            if cut and len(raw) == n and n < min(size - start, limit):
                window *= 4
                continue
            return None, examined
        except (ValueError, RecursionError):
            return None, examined
        if not isinstance(config, dict):
            return None, examined
        return (config, start + len(text[:end].encode("utf-8", errors="surrogateescape"))), examined


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
