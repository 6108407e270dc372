"""nbsec: AI-security scanning and testing where ML work happens, in Jupyter.

    >>> import nbsec
    >>> report = nbsec.scan("notebooks/")     # doctest: +SKIP
    >>> report.findings[0].rule_id             # doctest: +SKIP

Importing nbsec is nearly free on purpose: every `nbsec` command starts by importing
this package, so it loads nothing (not even the model) until a name is used. The
scanners and surfaces load when first used.
"""

from __future__ import annotations

import sys

from nbsec._version import __version__

# `typing` costs ~13 ms at start-up; the names below are only for type checkers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from nbsec.api import scan
    from nbsec.model import Confidence, Finding, Report, Severity

__all__ = [
    "Confidence",
    "Finding",
    "Report",
    "Severity",
    "__version__",
    "load_ipython_extension",
    "scan",
]

_LAZY = {
    "scan": "nbsec.api",
    "Report": "nbsec.model",
    "Finding": "nbsec.model",
    "Severity": "nbsec.model",
    "Confidence": "nbsec.model",
}

if "IPython" in sys.modules:
    # Under IPython (every Jupyter kernel, VS Code, the IPython shell) a Report may be shown, so give it
    # its rich display now: text/plain, text/html and nbsec's MIME type. Elsewhere (the CLI, scripts)
    # nothing displays a Report and this stays unloaded; `%load_ext nbsec` loads it too.
    import nbsec.display  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbsec' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext nbsec`: register the `%aisec` magics."""
    import nbsec.display  # noqa: F401  (the Report's rich display)
    from nbsec.magics import register_magics

    register_magics(ipython)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Jupyter's hook: the server extension lives in nbsec.server (loaded only by a Jupyter server)."""
    return [{"module": "nbsec.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Jupyter's hook for `jupyter-builder develop`: the built front end lives in nbsec/labextension."""
    return [{"src": "labextension", "dest": "nbsec"}]


def unload_ipython_extension(ipython: Any) -> None:
    from nbsec.magics import unregister_magics

    unregister_magics(ipython)
