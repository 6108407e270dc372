"""What rules and threat-model controls tell people to run exists: every `%aisec NAME`, `nbsec NAME [SUB]`,
`nbsec.module.name` and rule id (or `NBSEC-XX-*` family) a remediation, description or control names.

A text that points at a planned command (`%aisec agents`, `nbsec.agents`) sends a reader to an error.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import click
import pytest

from nbsec.rule_catalogue import load_catalogue
from nbsec.threatmodel.vocabulary import CONTROLS

MAGIC = re.compile(r"%aisec\s+([A-Za-z][\w-]*)")
# `nbsec NAME` and its subcommand when the next word is one (lower case, not a PATH or an option).
CLI = re.compile(r"`nbsec\s+([a-z][\w-]*)(?:\s+([a-z][\w-]*))?")
PYTHON = re.compile(r"\bnbsec(?:\.[A-Za-z_]\w*)+")
RULE_ID = re.compile(r"\bNBSEC-([A-Z]+)-(\d{3}|\*)")


def texts() -> list[tuple[str, str]]:
    """(where, text) for every rule description and remediation and every control."""
    out = []
    for rule in load_catalogue().rules:
        out += [(f"{rule.id} description", rule.description), (f"{rule.id} remediation", rule.remediation)]
    for control in CONTROLS.values():
        out += [(f"control {control.name}", control.description), (f"control {control.name} check", control.check)]
    return out


def _cli_command(name: str) -> Any:
    from nbsec.cli import COMMANDS

    module, attribute = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), attribute)


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def problems(where: str, text: str) -> list[str]:
    from nbsec.cli import COMMANDS
    from nbsec.magics import SUBCOMMANDS  # importing the package registers every feature subcommand

    found = []
    for name in MAGIC.findall(text):
        if name not in SUBCOMMANDS:
            found.append(f"{where}: `%aisec {name}` is not a magic subcommand ({', '.join(SUBCOMMANDS)})")
    for name, sub in CLI.findall(text):
        if name not in COMMANDS:
            found.append(f"{where}: `nbsec {name}` is not a command")
            continue
        command = _cli_command(name)
        if sub and isinstance(command, click.Group) and sub not in command.commands:
            found.append(f"{where}: `nbsec {name} {sub}` is not a command")
    for dotted in PYTHON.findall(text):
        if not _resolves(dotted):
            found.append(f"{where}: {dotted} does not exist")
    ids = load_catalogue().ids()
    for namespace, number in RULE_ID.findall(text):
        wanted = f"NBSEC-{namespace}-{number}"
        if number == "*" and not any(i.startswith(f"NBSEC-{namespace}-") for i in ids):
            found.append(f"{where}: no rule in the {wanted} family")
        elif number != "*" and wanted not in ids:
            found.append(f"{where}: no rule {wanted}")
    return found


def test_rule_and_control_texts_name_only_commands_and_rules_that_exist() -> None:
    found = [problem for where, text in texts() for problem in problems(where, text)]
    assert found == []


@pytest.mark.parametrize(
    "text",
    [
        "`%aisec agents` probes",
        "`nbsec llm probe`",
        "`nbsec manifest unsign DIR`",
        "see nbsec.llm.planned",
        "nbsec.adversarial.no_such_function",
        "probes (NBSEC-AGENT-*)",
        "NBSEC-NB-999",
    ],
)
def test_the_check_catches_a_text_naming_what_does_not_exist(text: str) -> None:
    assert problems("planted", text)


def test_the_check_accepts_what_exists() -> None:
    text = (
        "`%aisec scan .`, `%aisec robustness`, `nbsec manifest verify DIR -m MANIFEST`, `nbsec scan MODEL_DIR`,"
        " nbsec.adversarial.evaluate, NBSEC-ART-*, NBSEC-NB-001, `%aisec llm`, `nbsec llm audit`, nbsec.llm.guard,"
        " NBSEC-LLM-*"
    )
    assert problems("planted", text) == []
