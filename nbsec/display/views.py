"""The interactive views (ipywidgets, plotly) the magics show, reached through `nbsec.display`.

Each name loads its widget module (and ipywidgets or plotly) on first use, so `%load_ext nbsec`
stays light; `from nbsec.display.views import ThreatModelBuilder` is the import the magics use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.widgets.compliance import ComplianceWidget, TierQuestionnaire
    from nbsec.widgets.lineage import show_lineage
    from nbsec.widgets.robustness import show as show_robustness
    from nbsec.widgets.threatmodel import ThreatModelBuilder

__all__ = ["ComplianceWidget", "ThreatModelBuilder", "TierQuestionnaire", "show_lineage", "show_robustness"]

_VIEWS: dict[str, tuple[str, str]] = {
    "ThreatModelBuilder": ("nbsec.widgets.threatmodel", "ThreatModelBuilder"),
    "ComplianceWidget": ("nbsec.widgets.compliance", "ComplianceWidget"),
    "TierQuestionnaire": ("nbsec.widgets.compliance", "TierQuestionnaire"),
    "show_lineage": ("nbsec.widgets.lineage", "show_lineage"),
    "show_robustness": ("nbsec.widgets.robustness", "show"),
}


def __getattr__(name: str) -> Any:
    where = _VIEWS.get(name)
    if where is None:
        raise AttributeError(f"module 'nbsec.display.views' has no attribute {name!r}")
    module, attribute = where
    return getattr(import_module(module), attribute)
