"""Opt-in automatic recording of `pd.read_csv`, `np.load`, `torch.save` and `torch.load`.

    lineage.install_hooks()           # from now on these calls record events
    lineage.uninstall_hooks()         # the original functions are back

The wrapped call always runs exactly as before and its result (or exception)
is returned unchanged: recording happens after it, and a recording failure is
a warning, never an error in the user's code. Only module attributes are
patched, so `from pandas import read_csv` done before installing is not seen.
Hooks are process-wide (they patch the modules), recording into one store.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nbsec.lineage.artifacts import memory_kind

HOOKABLE = {
    "pandas": ("read_csv",),
    "numpy": ("load",),
    "torch": ("save", "load"),
}


@dataclass
class _Installed:
    module: Any
    attribute: str
    original: Callable[..., Any]


_installed: list[_Installed] = []
_settings: dict[str, Any] = {}


def _file_argument(args: tuple[Any, ...], kwargs: dict[str, Any], position: int, names: tuple[str, ...]) -> Any:
    for name in names:
        if name in kwargs:
            return kwargs[name]
    return args[position] if len(args) > position else None


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def _record(name: str, inputs: list[Any], outputs: list[Any], params: dict[str, Any]) -> None:
    from nbsec.lineage.recording import record

    try:
        record(name, inputs, outputs, params, store=_settings.get("store"), key=_settings.get("key"), event_type="hook")
    except Exception as exc:  # noqa: BLE001 - never break the user's call because recording failed
        warnings.warn(f"nbsec lineage: could not record {name}: {exc}", RuntimeWarning, stacklevel=3)


def _recordable_result(value: Any) -> list[Any]:
    return [value] if memory_kind(value) is not None else []


def _make_wrapper(module_name: str, attribute: str, original: Callable[..., Any]) -> Callable[..., Any]:
    label = f"{module_name}.{attribute}"

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        try:
            if attribute == "save":  # torch.save(obj, f)
                target = _file_argument(args, kwargs, 1, ("f",))
                if _is_path(target):
                    obj = _file_argument(args, kwargs, 0, ("obj",))
                    _record(label, _recordable_result(obj), [target], {})
            else:  # read_csv(path), np.load(file), torch.load(f)
                source = _file_argument(args, kwargs, 0, ("filepath_or_buffer", "file", "f"))
                if _is_path(source) or (isinstance(source, str) and "://" in source):
                    params = {k: v for k, v in kwargs.items() if isinstance(v, (bool, int, float, str))}
                    _record(label, [source], _recordable_result(result), params)
        except Exception as exc:  # noqa: BLE001 - the call succeeded; lineage must not turn it into a failure
            warnings.warn(f"nbsec lineage: could not record {label}: {exc}", RuntimeWarning, stacklevel=2)
        return result

    wrapper.__nbsec_original__ = original  # type: ignore[attr-defined]
    return wrapper


def install_hooks(
    store: str | os.PathLike[str] | None = None,
    *,
    key: str | os.PathLike[str] | None = None,
    packages: tuple[str, ...] = ("pandas", "numpy", "torch"),
) -> list[str]:
    """Patch the loaders/savers of the listed packages that are importable; return what was hooked.

    Calling it again changes the store/key and hooks any package not hooked yet.
    """
    import importlib

    _settings.update(store=store, key=key)
    hooked = {(entry.module.__name__, entry.attribute) for entry in _installed}
    done = []
    for package in packages:
        if package not in HOOKABLE:
            from nbsec.errors import UsageError

            raise UsageError(f"cannot hook {package!r}", f"choose from: {', '.join(HOOKABLE)}")
        try:
            module = sys.modules.get(package) or importlib.import_module(package)
        except ImportError:
            continue
        for attribute in HOOKABLE[package]:
            if (module.__name__, attribute) in hooked:
                done.append(f"{package}.{attribute}")
                continue
            original = getattr(module, attribute, None)
            if original is None:
                continue
            setattr(module, attribute, _make_wrapper(package, attribute, original))
            _installed.append(_Installed(module, attribute, original))
            done.append(f"{package}.{attribute}")
    return done


def uninstall_hooks() -> list[str]:
    """Put the original functions back; return what was unhooked."""
    undone = []
    while _installed:
        entry = _installed.pop()
        current = getattr(entry.module, entry.attribute, None)
        # Only undo our own wrapper: something patched over it later stays as it is.
        if getattr(current, "__nbsec_original__", None) is entry.original:
            setattr(entry.module, entry.attribute, entry.original)
        undone.append(f"{entry.module.__name__}.{entry.attribute}")
    _settings.clear()
    return undone


def installed_hooks() -> list[str]:
    return [f"{entry.module.__name__}.{entry.attribute}" for entry in _installed]
