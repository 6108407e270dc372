"""Build hook: put the prebuilt JupyterLab extension into the wheel, so `pip install` needs no Node.

Why not hatch-jupyter-builder: it builds the TypeScript on every editable install too, and `make demo`
(an editable install) must not need Node. Here an editable install never builds it (`make lab` and
`make test` build it and link it with `jupyter-builder develop`); a wheel takes what
`make labextension` built into nbsec/labextension/, and builds it with `jlpm` first when it is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUILT = Path("nbsec/labextension")
SOURCE = Path("labextension")
SHARE = "share/jupyter/labextensions/nbsec"


class LabExtensionHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        if not (root / BUILT / "package.json").is_file():
            self._build(root)
        shared = build_data.setdefault("shared_data", {})
        for file in sorted((root / BUILT).rglob("*")):
            if file.is_file():
                shared[str(file)] = f"{SHARE}/{file.relative_to(root / BUILT).as_posix()}"
        shared[str(root / SOURCE / "install.json")] = f"{SHARE}/install.json"

    def _build(self, root: Path) -> None:
        jlpm = shutil.which("jlpm")
        if jlpm is None:
            raise RuntimeError(
                "the JupyterLab extension is not built (nbsec/labextension/ is missing) and jlpm was not found: "
                "run `make labextension` first (it needs Node.js 20 and JupyterLab), then build the wheel"
            )
        for step in (["install"], ["build:prod"]):
            subprocess.run([jlpm, *step], cwd=root / SOURCE, check=True)
