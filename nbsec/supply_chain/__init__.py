"""Supply chain: installed packages against OSV advisories, requirements hygiene, CycloneDX ML-BOM.

Importing this package loads no cyclonedx; `nbsec.supply_chain.sbom` does, on use.
The scanner registers itself when `nbsec.supply_chain.scanner` is imported
(the registry's `_load()` does that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.supply_chain.sbom import SbomResult, build_sbom
    from nbsec.supply_chain.store import AdvisoryDatabase, load_database
    from nbsec.supply_chain.update import UpdateResult, update_from
    from nbsec.supply_chain.vulns import scan_environment

__all__ = [
    "AdvisoryDatabase",
    "SbomResult",
    "UpdateResult",
    "build_sbom",
    "load_database",
    "scan_environment",
    "update_from",
]

_LAZY = {
    "scan_environment": "nbsec.supply_chain.vulns",
    "build_sbom": "nbsec.supply_chain.sbom",
    "SbomResult": "nbsec.supply_chain.sbom",
    "load_database": "nbsec.supply_chain.store",
    "AdvisoryDatabase": "nbsec.supply_chain.store",
    "update_from": "nbsec.supply_chain.update",
    "UpdateResult": "nbsec.supply_chain.update",
}


def __getattr__(name: str) -> Any:
    # Lazy: `from nbsec.supply_chain import scan_environment` must not pull in cyclonedx or the advisories.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbsec.supply_chain' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
