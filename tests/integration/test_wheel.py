"""The wheel carries the prebuilt lab extension and the server extension's config, so `pip install` needs no Node.

Builds the wheel from this checkout (`pip wheel --no-build-isolation`, as `make wheel` does after
`make labextension`, which `make test` runs first) and reads what it would install.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SHARE = "nbsec-{v}.data/data/share/jupyter/labextensions/nbsec/"


def test_the_wheel_installs_the_built_extension_and_enables_the_server_part(tmp_path: Path) -> None:
    import nbsec

    assert (ROOT / "nbsec" / "labextension" / "package.json").is_file(), "run `make labextension` first"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(tmp_path),
         str(ROOT)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("nbsec-*.whl")
    share = SHARE.format(v=nbsec.__version__)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        package = json.loads(archive.read(share + "package.json"))
        server_config = json.loads(
            archive.read(f"nbsec-{nbsec.__version__}.data/data/etc/jupyter/jupyter_server_config.d/nbsec.json")
        )
    # What JupyterLab loads: the federated entry point the built package.json names, the settings schema,
    # and install.json (which makes `jupyter labextension list` say "(python, nbsec)").
    entry = package["jupyterlab"]["_build"]["load"]
    assert share + entry in names
    assert share + "schemas/nbsec/plugin.json" in names and share + "install.json" in names
    assert server_config == {"ServerApp": {"jpserver_extensions": {"nbsec": True}}}
    # The build output ships once, as data files, not again inside the package.
    assert not [n for n in names if n.startswith("nbsec/labextension/")]
