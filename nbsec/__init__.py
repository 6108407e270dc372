"""nbsec: AI-security scanning and testing where ML work happens, in Jupyter.

    >>> import nbsec
    >>> report = nbsec.scan("notebooks/")     # doctest: +SKIP
    >>> report.findings[0].rule_id             # doctest: +SKIP

Importing nbsec is cheap on purpose: no torch, plotly, ipywidgets or pandas.
The scanners and surfaces load when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import nbsec.display  # noqa: F401  (stdlib-only; gives Report its rich display)
from nbsec._version import __version__
from nbsec.model import Confidence, Finding, Report, Severity

if TYPE_CHECKING:
    from nbsec.api import scan

__all__ = [
    "Confidence",
    "Finding",
    "Report",
    "Severity",
    "__version__",
    "load_ipython_extension",
    "scan",
]


def __getattr__(name: str) -> Any:
    # `nbsec.scan` pulls in the engine (and IPython's transformer) only when used.
    if name == "scan":
        from nbsec.api import scan

        return scan
    raise AttributeError(f"module 'nbsec' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext nbsec`: register the `%aisec` magics."""
    from nbsec.magics import register_magics

    register_magics(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from nbsec.magics import unregister_magics

    unregister_magics(ipython)
