"""Every scanner: the built-ins, then plugins from the entry point group `nbsec.scanners`.

Kept apart from `base.py` so the built-in scanners import the contract (`base`) and this
module imports them, never the other way round.

Loading is lazy, for start-up time: `nbsec scan models/` imports only the model-artifact
scanner, because no other built-in reads those kinds of file (`scanners_for(kinds)`), and
looks for plugins with a cheap read of the installed distributions' entry_points.txt before
paying for `importlib.metadata` (~40 ms to import) only when one declares a scanner.
"""

from __future__ import annotations

import os
import sys
import threading

from nbsec.model import ScanError
from nbsec.scanners.base import Scanner, register, registered
from nbsec.targets import ARTIFACT_KINDS, NOTEBOOK, PYTHON, TEXT, THREAT_MODEL

ENTRY_POINT_GROUP = "nbsec.scanners"

# Built-in scanner -> (the module whose import registers it, every target kind it may apply to).
# A test checks each module registers that scanner and that its `kinds` are within the set.
BUILT_INS: dict[str, tuple[str, frozenset[str]]] = {
    "model-artifacts": ("nbsec.scanners.artifacts", ARTIFACT_KINDS),
    "notebook-code": ("nbsec.scanners.notebook", frozenset({NOTEBOOK, PYTHON})),
    "notebook-content": ("nbsec.scanners.notebook.content", frozenset({NOTEBOOK, PYTHON, TEXT})),
    # Requirements files are plain text, recognised by name in its `applies_to`.
    "dependencies": ("nbsec.supply_chain.scanner", frozenset({NOTEBOOK, TEXT})),
    # Notebooks too: a model saved in a notebook's metadata (its `applies_to` skips notebooks without one).
    "threat-model": ("nbsec.threatmodel.scanner", frozenset({THREAT_MODEL, NOTEBOOK})),
}

_PLUGIN_ERRORS: list[ScanError] = []
_plugins_loaded = False
_PLUGIN_LOCK = threading.RLock()


def registry(reload: bool = False) -> dict[str, type[Scanner]]:
    """All scanners by name: every built-in and every plugin (loaded on first use, or again on reload)."""
    return scanners_for(None, reload=reload)


def scanners_for(kinds: set[str] | frozenset[str] | None, *, reload: bool = False) -> dict[str, type[Scanner]]:
    """The scanners that may read files of these `kinds` (None: all), built-ins first, then plugins."""
    from importlib import import_module

    for module, applies in BUILT_INS.values():
        if kinds is None or applies & kinds:
            import_module(module)
    _load_plugins(reload)
    wanted = set(BUILT_INS) if kinds is None else {n for n, (_, k) in BUILT_INS.items() if k & kinds}
    return {name: cls for name, cls in registered().items() if name in wanted or name not in BUILT_INS}


def plugin_errors() -> list[ScanError]:
    _load_plugins()
    return list(_PLUGIN_ERRORS)


def _load_plugins(reload: bool = False) -> None:
    if _plugins_loaded and not reload:
        return
    # Scans run in threads (the Jupyter server extension): the first one loads the plugins while the others wait,
    # instead of seeing the flag set and the registry half filled. Re-entrant: a plugin whose import asks for the
    # registry finds the flag already set in this thread and returns.
    with _PLUGIN_LOCK:
        _load_plugins_locked(reload)


def _load_plugins_locked(reload: bool) -> None:
    global _plugins_loaded
    if _plugins_loaded and not reload:
        return
    _plugins_loaded = True
    _PLUGIN_ERRORS.clear()
    if not declares_entry_points(ENTRY_POINT_GROUP):
        return
    from importlib import metadata

    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = entry.load()
            if plugin not in registered().values():
                register(plugin)
        except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, never fatal
            _PLUGIN_ERRORS.append(
                ScanError(
                    scanner=f"plugin:{entry.name}",
                    target=entry.value,
                    message=f"could not load scanner plugin: {type(exc).__name__}: {exc}",
                    hint=f"fix or uninstall the package that provides entry point {entry.name!r}",
                )
            )


def declares_entry_points(group: str) -> bool:
    """Whether any distribution on sys.path may declare entry points in `group`.

    Reads each `*.dist-info` / `*.egg-info` folder's entry_points.txt for the `[group]`
    header. Anything it cannot judge this way (a zip or egg file on sys.path) answers True,
    so `importlib.metadata` decides: a plugin is never missed, only the common no-plugin
    case is made cheap.
    """
    header = f"[{group}]"
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            return True  # a zipped distribution or egg: let importlib.metadata read it
        except OSError:
            continue  # a sys.path entry that does not exist (python311.zip usually does not)
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8", errors="replace") as f:
                    if header in f.read():
                        return True
            except NotADirectoryError:
                return True  # an .egg-info file (old setuptools): let importlib.metadata read it
            except OSError:
                continue
    return False
