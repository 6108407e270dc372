"""`import nbsec` and `%load_ext nbsec` stay light; the layers import in one direction."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nbsec"
HEAVY = ("torch", "plotly", "ipywidgets", "pandas", "sklearn", "numpy", "jsonschema", "nbformat")


def imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_nbsec_is_light() -> None:
    modules = imported_after("import nbsec")
    assert not [m for m in HEAVY if m in modules]
    # The engine, the surfaces and IPython load on first use, not at import.
    assert not {"nbsec.api", "nbsec.reporters", "nbsec.cli", "nbsec.magics", "IPython", "rich", "click"} & modules


def test_load_ext_is_light() -> None:
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'nbsec')\n"
        "assert 'aisec' in ip.magics_manager.magics['line']"
    )
    modules = imported_after(code)
    assert not [m for m in HEAVY if m in modules]
    assert "nbsec.api" not in modules


def _nbsec_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m == "nbsec" or m.startswith("nbsec.")}


def test_model_imports_nothing_else_from_nbsec() -> None:
    for path in (PACKAGE / "model").rglob("*.py"):
        outside = {m for m in _nbsec_imports(path) if not m.startswith("nbsec.model")}
        assert not outside, f"{path.relative_to(PACKAGE)} imports {outside}"


SURFACES = ("nbsec.cli", "nbsec.magics", "nbsec.reporters", "nbsec.widgets", "nbsec.server", "nbsec.runner")


# Every surface may write files through the reporters. Beyond that: the magics show the widgets
# (`%aisec threatmodel` is a widget), and `nbsec run` is the CLI's face of the runner.
ALLOWED_CROSSINGS: dict[str, tuple[str, ...]] = {
    "nbsec.magics": ("nbsec.widgets",),
    "nbsec.cli": ("nbsec.runner",),
}


@pytest.mark.parametrize("layer", ["scanners", "targets", "config.py", "api.py", "baseline.py", "display"])
def test_producers_never_import_surfaces(layer: str) -> None:
    root = PACKAGE / layer
    paths = [root] if root.is_file() else list(root.rglob("*.py"))
    for path in paths:
        bad = {m for m in _nbsec_imports(path) if m.startswith(SURFACES)}
        assert not bad, f"{path.relative_to(PACKAGE)} imports surface(s) {bad}"


def test_surfaces_do_not_import_each_other() -> None:
    for surface in SURFACES:
        name = surface.split(".")[1]
        root = PACKAGE / name
        paths = list(root.rglob("*.py")) if root.is_dir() else [PACKAGE / f"{name}.py"]
        for path in (p for p in paths if p.exists()):
            others = {m for m in _nbsec_imports(path) if m.startswith(SURFACES) and not m.startswith(surface)}
            others = {m for m in others if not m.startswith(ALLOWED_CROSSINGS.get(surface, ()) + ("nbsec.reporters",))}
            assert not others, f"{path.relative_to(PACKAGE)} imports {others}"
