"""Pure helpers over the simulated values the pickle machine (pickle_vm) builds.

Bounded container fills (a hostile stream cannot grow a simulated list or dict past
MAX_CONTAINER_ITEMS), the hashability test every unpickler applies to dict keys and set items,
short previews of values for reports, and the dtype and item size of joblib's inline numpy arrays.
None of them reads the stream or touches the machine's state, so they live apart from the opcode
loop; the machine imports each by name, so calling one costs what it did as a local function.
"""

from __future__ import annotations

import re
from typing import Any

from nbsec.scanners.artifacts.pickle_reader import CallVal

MAX_CONTAINER_ITEMS = 100_000
UNHASHABLE = frozenset({list, dict, set})
UNHASHABLE_KEY = "a list, dict or set used as a dict key or set item (unhashable)"


def preview(value: Any, limit: int = 100) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - repr of simulated values is best effort
        text = "<?>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def int_or(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return -1


def dict_of_pairs(items: list[Any]) -> tuple[dict[Any, Any], bool]:
    """The dict of key/value items, and False when a key is unhashable (the unpickler raises TypeError
    there: a list, dict or set as a key, or the dict itself in a self-referential bomb)."""
    out: dict[Any, Any] = {}
    hashable = True
    for i in range(0, len(items) - 1, 2):
        if len(out) < MAX_CONTAINER_ITEMS:
            try:
                out[items[i]] = items[i + 1]
            except TypeError:
                out[id(items[i])] = items[i + 1]
                hashable = False
    return out, hashable


def append_items(target: Any, items: list[Any]) -> None:
    if isinstance(target, list) and len(target) < MAX_CONTAINER_ITEMS:
        target.extend(items[: MAX_CONTAINER_ITEMS - len(target)])


def set_items(target: Any, items: dict[Any, Any]) -> None:
    if isinstance(target, dict) and len(target) < MAX_CONTAINER_ITEMS:
        target.update(items)


def joblib_dtype(value: Any) -> tuple[str, bool]:
    """('<f8', False) from a simulated numpy.dtype('f8', False, True) with its BUILD state."""
    if isinstance(value, CallVal) and isinstance(value.args, tuple) and value.args:
        text = value.args[0] if isinstance(value.args[0], str) else ""
        fields = value.state[3] if isinstance(value.state, tuple) and len(value.state) > 3 else None
        has_object = text.startswith("O") or _fields_have_object(fields)
        return text, has_object
    return "", False


def _fields_have_object(fields: Any) -> bool:
    if not isinstance(fields, dict):
        return False
    return any(isinstance(v, tuple) and v and joblib_dtype(v[0])[1] for v in fields.values())


_DTYPE = re.compile(r"^[<>|=]?([biufcSUVmM])(\d+)")


def dtype_itemsize(dtype: str) -> int:
    match = _DTYPE.match(dtype)
    if not match:
        return 0
    kind, size = match.group(1), int(match.group(2))
    return size * 4 if kind == "U" else size
