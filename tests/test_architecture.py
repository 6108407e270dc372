"""The house rules docs/architecture.md describes, checked on the source.

- `nbsec.model` imports nothing else from nbsec.
- Producers (scanners, engines, runners, the api) never import a surface.
- Surfaces (cli/commands, magics, widgets, reporters, display, server) do not import each other
  except through `nbsec.api` and `nbsec.display`.
- No import cycles between modules.
- A Finding is built only by `Rule.finding` (and the model's own `Finding.from_dict`).
- Every command that produces a Report has the same output options, from one table.

Each rule is also tried on a planted violation, so the check is shown to fail when it should.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import click
import pytest
from import_graph import PACKAGE, Graph, build, cycles

SURFACES = {
    "cli": "cli",
    "commands": "cli",  # `nbsec.cli` is the root group of the command modules: one surface
    "magics": "magics",
    "widgets": "widgets",
    "reporters": "reporters",
    "display": "display",
    "server": "server",
}
HUBS = ("display",)  # surfaces meet here (and in nbsec.api, which is not a surface)
# The package itself: `nbsec.scan`, `nbsec.Report` (lazy) and IPython's `load_ipython_extension` hook.
ENTRY = "nbsec"


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ENTRY


def violations(graph: Graph) -> list[str]:
    found = []
    for module in sorted(graph.modules):
        here = unit(module)
        if here == ENTRY:
            continue
        for target in sorted(graph.edges(module)):
            there = unit(target)
            if there == here or there in ("_version",):
                continue
            if here == "model":
                found.append(f"{module} -> {target}: the model imports nothing else from nbsec")
                continue
            mine, theirs = SURFACES.get(here), SURFACES.get(there)
            if theirs is not None and mine is None:
                found.append(f"{module} -> {target}: a producer imports a surface")
            elif mine and theirs and mine != theirs and theirs not in HUBS and mine not in HUBS:
                found.append(f"{module} -> {target}: surfaces meet only through nbsec.api and nbsec.display")
    return found


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build()


def test_the_layers_hold(graph: Graph) -> None:
    assert violations(graph) == []


def test_there_are_no_import_cycles(graph: Graph) -> None:
    assert cycles(graph) == []


def test_the_graph_sees_every_package_and_the_lazy_imports(graph: Graph) -> None:
    assert {"nbsec.api", "nbsec.cli", "nbsec.model.report", "nbsec.scanners.loader"} <= graph.modules
    # The CLI's lazy command table and the package's lazy names are edges too.
    assert "nbsec.commands.scan" in graph.runtime["nbsec.cli"]
    assert "nbsec.api" in graph.runtime["nbsec"]


# -- the checks fail on planted violations ------------------------------------------------------------


def plant(tmp_path: Path, files: dict[str, str]) -> Graph:
    root = tmp_path / "nbsec"
    for name, source in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            (root / parent / "__init__.py").touch()
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return build(root)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # Every import form a scanner could use to reach a surface.
        ({"scanners/x.py": "from nbsec.reporters import html\n", "reporters/html.py": ""}, "a producer imports"),
        ({"scanners/x.py": "import nbsec.cli\n", "cli.py": ""}, "a producer imports"),
        ({"scanners/x.py": "def f():\n    from nbsec import magics\n", "magics/__init__.py": ""}, "a producer"),
        ({"scanners/x.py": "from ..display import escape\n", "display/__init__.py": ""}, "a producer imports"),
        (
            {"scanners/x.py": "import importlib\nimportlib.import_module('nbsec.widgets.tm')\n", "widgets/tm.py": ""},
            "a producer imports",
        ),
        ({"scanners/x.py": "LAZY = {'show': 'nbsec.server:app'}\n", "server.py": ""}, "a producer imports"),
        (
            {"scanners/x.py": "import typing\nif typing.TYPE_CHECKING:\n    import nbsec.cli\n", "cli.py": ""},
            "a producer imports",
        ),
        ({"model/x.py": "from nbsec.config import Config\n", "config.py": ""}, "the model imports nothing"),
        ({"magics/x.py": "from nbsec.reporters import console\n", "reporters/console.py": ""}, "surfaces meet"),
        ({"commands/x.py": "from nbsec.widgets import tm\n", "widgets/tm.py": ""}, "surfaces meet"),
    ],
)
def test_the_layer_check_catches_every_import_form(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    found = violations(plant(tmp_path, files))
    assert len(found) == 1 and expected in found[0], found


def test_allowed_crossings_are_not_flagged(tmp_path: Path) -> None:
    files = {
        "magics/x.py": "from nbsec.display.views import Builder\nfrom nbsec import api\n",
        "display/views.py": "LAZY = {'Builder': ('nbsec.widgets.tm', 'Builder')}\n",
        "widgets/tm.py": "from nbsec.display import formats\n",
        "display/formats.py": "def render():\n    from nbsec import reporters\n",
        "reporters/__init__.py": "",
        "commands/scan.py": "from nbsec.commands._output import finish\n",
        "commands/_output.py": "",
        "cli.py": "COMMANDS = {'scan': 'nbsec.commands.scan:scan_command'}\n",
        "api.py": "from nbsec.scanners import base\n",
        "scanners/base.py": "from nbsec.model import Finding\n",
        "model/__init__.py": "",
    }
    assert violations(plant(tmp_path, files)) == []


def test_the_cycle_check_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    graph = plant(tmp_path, {"a.py": "import nbsec.b\n", "b.py": "def f():\n    from nbsec import a\n"})
    assert cycles(graph) == [["nbsec.a", "nbsec.b"]]


def test_typing_only_imports_make_no_cycle(tmp_path: Path) -> None:
    typing_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import nbsec.a\n"
    graph = plant(tmp_path, {"a.py": "import nbsec.b\n", "b.py": typing_only})
    assert cycles(graph) == []


# -- one Finding builder ---------------------------------------------------------------------------------


def finding_constructions(root: Path = PACKAGE) -> list[str]:
    """`Finding(...)` calls outside nbsec/model: each should be `rule.finding(...)`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] == "model":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name == "Finding":
                    found.append(f"{rel}:{node.lineno}")
    return found


def test_findings_are_built_only_by_rule_finding() -> None:
    assert finding_constructions() == []


def test_the_finding_check_sees_a_hand_built_finding(tmp_path: Path) -> None:
    (tmp_path / "scanners").mkdir()
    (tmp_path / "scanners" / "x.py").write_text("from nbsec.model import Finding\nf = Finding('NBSEC-X-001')\n")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "report.py").write_text("Finding(**data)\n")
    assert finding_constructions(tmp_path) == ["scanners/x.py:2"]


# -- one set of output options -----------------------------------------------------------------------------


def report_commands() -> dict[str, click.Command]:
    """Every CLI command that produces a Report (those that take -f/--format with the report formats)."""
    from nbsec.cli import COMMANDS, cli

    ctx = click.Context(cli)
    found: dict[str, click.Command] = {}

    def walk(prefix: str, command: click.Command) -> None:
        if any(p.name == "fail_on" for p in command.params):  # `nbsec llm` is a group that also reports
            found[prefix.strip()] = command
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(f"{prefix} {name}", sub)

    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None, name
        walk(name, command)
    return found


def test_every_report_command_has_the_shared_output_and_policy_options() -> None:
    from nbsec.options import OUTPUT_OPTIONS, POLICY_OPTIONS

    commands = report_commands()
    assert set(commands) == {
        "scan",
        "fix",
        "threatmodel check",
        "lineage verify",
        "manifest verify",
        "run",
        "llm",
        "llm audit",
        "llm monitor",
    }
    for name, command in commands.items():
        options = {tuple(p.opts): p for p in command.params if isinstance(p, click.Option)}
        expected = OUTPUT_OPTIONS if name == "run" else (*OUTPUT_OPTIONS, *POLICY_OPTIONS)
        for option in expected:
            assert option.flags in options, f"nbsec {name} lacks {option.flags}"
            param = options[option.flags]
            assert param.name == option.dest
            if option.dest not in ("fail_on", "output"):  # these name the command's own default / folder
                assert param.help == option.help, f"nbsec {name} {option.flags}: help drifted"


def test_every_report_command_shows_the_options_in_help() -> None:
    from cli import invoke

    from nbsec.cli import cli
    from nbsec.options import OUTPUT_OPTIONS

    for name in report_commands():
        result = invoke(*name.split(), "--help")
        for option in OUTPUT_OPTIONS:
            assert all(flag in result.output for flag in option.flags), (name, option.flags)
    assert cli.name == "nbsec"


def test_every_command_module_is_listed_in_the_root_group() -> None:
    """A command module whose commands COMMANDS does not name would never be reachable."""
    from nbsec.cli import COMMANDS

    listed = {target.split(":")[0] for target in COMMANDS.values()}
    modules = {
        f"nbsec.commands.{path.stem}"
        for path in (PACKAGE / "commands").glob("*.py")
        if not path.stem.startswith("_") and "@click." in path.read_text(encoding="utf-8")
    }
    assert modules == listed


def test_the_magics_parse_the_same_option_table() -> None:
    from nbsec.magics import SUBCOMMANDS, build_parser
    from nbsec.options import OUTPUT_OPTIONS, POLICY_OPTIONS, SCAN_OPTIONS

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    scan = sub.choices["scan"]  # type: ignore[index]
    flags = {flag for action in scan._actions for flag in action.option_strings}
    for option in (*OUTPUT_OPTIONS, *POLICY_OPTIONS, *SCAN_OPTIONS):
        assert set(option.flags) <= flags, option.flags
    assert "robustness" in SUBCOMMANDS
