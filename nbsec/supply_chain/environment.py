"""Installed distributions: of the running interpreter, or of a site-packages folder on disk.

Read from the `*.dist-info` / `*.egg-info` metadata with importlib.metadata;
nothing is imported or executed. A folder given explicitly lets nbsec audit
another virtual environment (or a test fixture) without running its Python.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from nbsec.supply_chain.osv import normalize_name


@dataclass(frozen=True)
class InstalledPackage:
    name: str  # as the distribution spells it
    version: str
    location: str  # the folder holding its metadata
    requires: tuple[str, ...] = ()  # Requires-Dist lines, as written

    @property
    def key(self) -> str:
        return normalize_name(self.name)


def installed_packages(site_packages: Path | None = None) -> list[InstalledPackage]:
    """Distributions visible on sys.path (or in `site_packages`), first one per name, sorted.

    The first distribution of a name on the path is the one `import` would use,
    so a shadowed older copy further down is not reported as installed.
    """
    found = metadata.distributions(path=[str(site_packages)]) if site_packages else metadata.distributions()
    seen: dict[str, InstalledPackage] = {}
    for dist in found:
        try:
            name = dist.metadata["Name"]
            version = dist.version
            requires = tuple(dist.requires or ())
        except (KeyError, OSError, ValueError):  # unreadable or half-written metadata
            continue
        if not name or not version:
            continue
        location = str(dist.locate_file(""))  # the folder the metadata sits in (site-packages)
        package = InstalledPackage(str(name), str(version), location, requires)
        seen.setdefault(package.key, package)
    return sorted(seen.values(), key=lambda p: p.key)


def environment_label(site_packages: Path | None = None) -> str:
    """How findings name the environment: `environment:<python>` or `environment:<folder>`."""
    return f"environment:{site_packages if site_packages else sys.executable}"
