"""Supply chain: installed packages against OSV advisories, requirements hygiene, CycloneDX ML-BOM.

Importing this package loads no cyclonedx; `nbsec.supply_chain.sbom` does, on use.
The "dependencies" scanner registers itself when `nbsec.supply_chain.scanner` is imported
(`nbsec.scanners.loader` does that when a scan meets a notebook or a requirements file).
Scans of the installed packages go through `nbsec.api.scan(environment=True)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.supply_chain.sbom import SbomResult, build_sbom
    from nbsec.supply_chain.store import AdvisoryDatabase, load_database
    from nbsec.supply_chain.update import UpdateResult, update_from

__all__ = [
    "AdvisoryDatabase",
    "SbomResult",
    "UpdateResult",
    "build_sbom",
    "load_database",
    "update_from",
]

_LAZY = {
    "build_sbom": "nbsec.supply_chain.sbom",
    "SbomResult": "nbsec.supply_chain.sbom",
    "load_database": "nbsec.supply_chain.store",
    "AdvisoryDatabase": "nbsec.supply_chain.store",
    "update_from": "nbsec.supply_chain.update",
    "UpdateResult": "nbsec.supply_chain.update",
}


def __getattr__(name: str) -> Any:
    # Lazy: `from nbsec.supply_chain import build_sbom` must not pull in cyclonedx or the advisories until used.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbsec.supply_chain' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
