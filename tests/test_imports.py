"""What `import nbsec`, `%load_ext nbsec` and the CLI's start pull in (measured in a fresh interpreter).

The layers themselves (which package may import which, no cycles) are in test_architecture.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "plotly", "ipywidgets", "pandas", "sklearn", "numpy", "jsonschema", "nbformat", "yaml")
SURFACES_AND_ENGINE = (
    "nbsec.api",
    "nbsec.commands",
    "nbsec.magics",
    "nbsec.reporters",
    "nbsec.widgets",
    "nbsec.scanners",
    "nbsec.server",
)


def imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def nbsec_modules(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "nbsec" or m.startswith("nbsec.")}


def under(modules: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)}


def test_import_nbsec_loads_nothing_but_its_version() -> None:
    modules = imported_after("import nbsec")
    assert nbsec_modules(modules) == {"nbsec", "nbsec._version"}
    assert not [m for m in HEAVY if m in modules]
    assert not {"IPython", "rich", "click", "typing"} & modules  # `typing` alone costs ~13 ms


@pytest.mark.parametrize(
    "statement",
    [
        "from nbsec import Report",  # the model, on first use
        "import nbsec; nbsec.Finding",
        "from nbsec import reporters",  # every import form counts: this is nbsec.reporters
        "import nbsec.model",
    ],
)
def test_names_and_submodules_load_only_what_they_need(statement: str) -> None:
    modules = imported_after(statement)
    assert not [m for m in HEAVY if m in modules], statement
    assert not under(modules, ("nbsec.api", "nbsec.scanners", "nbsec.commands", "nbsec.magics")), statement


def test_from_nbsec_import_reporters_is_seen_as_the_reporters_package() -> None:
    assert "nbsec.reporters" in imported_after("from nbsec import reporters")


def test_load_ext_is_light() -> None:
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'nbsec')\n"
        "assert 'aisec' in ip.magics_manager.magics['line']"
    )
    modules = imported_after(code)
    assert not [m for m in HEAVY if m in modules]
    assert not under(modules, ("nbsec.api", "nbsec.scanners", "nbsec.reporters", "nbsec.widgets", "nbsec.commands"))
    assert "nbsec.display" in modules  # a Report shown in the notebook renders richly


def test_under_ipython_a_report_has_its_rich_display_without_load_ext() -> None:
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance()\n"
        "import nbsec\n"
        "bundle = nbsec.Report()._repr_mimebundle_()\n"
        "assert 'text/html' in bundle and 'application/vnd.nbsec.report.v1+json' in bundle, sorted(bundle)"
    )
    imported_after(code)


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        # `nbsec --version`: the root group and its error handling, nothing else of nbsec.
        (["--version"], {"nbsec", "nbsec._version", "nbsec.cli", "nbsec.commands", "nbsec.commands._group"}),
    ],
)
def test_cli_version_loads_only_the_root_group(argv: list[str], allowed: set[str]) -> None:
    code = f"import sys\nsys.argv = ['nbsec', *{argv!r}]\nfrom nbsec.cli import run\nrun({argv!r})"
    modules = imported_after(code)
    assert nbsec_modules(modules) <= allowed | {"nbsec.errors"}
    assert not {"rich", "IPython"} & modules


def test_cli_scan_of_a_model_file_loads_no_other_command_family(tmp_path: object) -> None:
    code = (
        "import pickle, tempfile, pathlib\n"
        "d = pathlib.Path(tempfile.mkdtemp()); (d / 'm.pkl').write_bytes(pickle.dumps({'w': [1.0]}))\n"
        "from nbsec.cli import run\n"
        "assert run(['scan', str(d / 'm.pkl'), '-q']) == 0\n"
    )
    modules = imported_after(code)
    commands = {m for m in modules if m.startswith("nbsec.commands.") and not m.startswith("nbsec.commands._")}
    assert commands == {"nbsec.commands.scan"}
    assert not [m for m in HEAVY if m in modules]
    assert not under(modules, ("nbsec.magics", "nbsec.widgets", "nbsec.threatmodel.loader", "nbsec.supply_chain.sbom"))
