"""The scheduling examples in docs/scheduling parse, and every nbsec command in them is a valid command line."""

from __future__ import annotations

import configparser
import re
import shlex
import sys
import types
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from nbsec.cli import cli

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scheduling"
CRON_FIELD_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def assert_valid_nbsec(command: str) -> list[str]:
    """Parse `... nbsec run|runs history ...` with the real click commands (options, types, choices)."""
    argv = shlex.split(command)
    start = next(i for i, word in enumerate(argv) if word == "nbsec" or word.endswith("/nbsec"))
    args = argv[start + 1 :]
    name = args.pop(0)
    command_obj: Any = cli.get_command(click.Context(cli), name)
    if name == "runs":
        command_obj = command_obj.commands[args.pop(0)]
    command_obj.make_context(name, list(args))  # raises click.UsageError on an unknown or bad option
    return args


def _cron_field_ok(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if base == "*":
            continue
        bounds = base.split("-")
        if not all(b.isdigit() and low <= int(b) <= high for b in bounds) or len(bounds) > 2:
            return False
    return True


def test_crontab_lines_are_valid_and_run_nbsec() -> None:
    jobs = 0
    for line in (DOCS / "nbsec-nightly.cron").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        fields = line.split(None, 5)
        assert len(fields) == 6, line
        for field, (low, high) in zip(fields[:5], CRON_FIELD_RANGES, strict=True):
            assert _cron_field_ok(field, low, high), f"bad cron field {field!r} in {line!r}"
        command = fields[5]
        assert "%" not in command.replace("\\%", ""), "cron turns an unescaped % into a newline"
        assert_valid_nbsec(command.split("&&")[-1])
        jobs += 1
    assert jobs == 2


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def test_systemd_timer_starts_a_valid_service() -> None:
    service = _unit(DOCS / "nbsec-assessment.service")
    timer = _unit(DOCS / "nbsec-assessment.timer")
    assert service["Service"]["Type"] == "oneshot"
    args = assert_valid_nbsec(service["Service"]["ExecStart"])
    timeout = float(args[args.index("--timeout") + 1])
    assert float(service["Service"]["TimeoutStartSec"]) > timeout  # nbsec's own watchdog acts first
    assert timer["Timer"]["Unit"] == "nbsec-assessment.service"
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", timer["Timer"]["OnCalendar"])
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_github_workflow_runs_nbsec_and_keeps_its_outputs() -> None:
    workflow = yaml.safe_load((DOCS / "github-actions.yml").read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    steps = workflow["jobs"]["assess"]["steps"]
    runs = [s["run"] for s in steps if "\nnbsec run " in s.get("run", "")]
    assert len(runs) == 1
    command = runs[0].replace("\\\n", " ").splitlines()[1]
    args = assert_valid_nbsec(command)
    assert "sarif" in args[args.index("-f") + 1]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif") for u in uses)
    assert any(u.startswith("actions/upload-artifact") for u in uses)


class _Recorder:
    """Stands in for Airflow's DAG and BashOperator: records what the DAG file builds."""

    operators: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.downstream: list[_Recorder] = []

    def __enter__(self) -> _Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __rshift__(self, other: _Recorder) -> _Recorder:
        self.downstream.append(other)
        return other


class _BashOperator(_Recorder):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _Recorder.operators.append(kwargs)


def test_airflow_dag_builds_tasks_with_valid_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    airflow = types.ModuleType("airflow")
    airflow.DAG = _Recorder  # type: ignore[attr-defined]
    bash = types.ModuleType("airflow.operators.bash")
    bash.BashOperator = _BashOperator  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "airflow", airflow)
    monkeypatch.setitem(sys.modules, "airflow.operators", types.ModuleType("airflow.operators"))
    monkeypatch.setitem(sys.modules, "airflow.operators.bash", bash)
    _Recorder.operators = []
    source = (DOCS / "airflow_dag.py").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "nbsec_dag"}
    exec(compile(source, "airflow_dag.py", "exec"), namespace)  # our own example file, with Airflow stubbed
    assert namespace["dag"].kwargs["dag_id"] == "nbsec_nightly_assessment"
    commands = [op["bash_command"].replace("{{ ds }}", "2026-01-01") for op in _Recorder.operators]
    assert len(commands) == 2
    args = assert_valid_nbsec(commands[0])
    assert "--matrix" in args and "--dask-scheduler" in args
    assert_valid_nbsec(commands[1])
    assert namespace["assess"].downstream == [namespace["history"]]


def test_binder_environment_and_scripts() -> None:
    import subprocess

    binder = DOCS.parents[1] / "binder"
    env = yaml.safe_load((binder / "environment.yml").read_text(encoding="utf-8"))
    assert any(str(d).startswith("python") for d in env["dependencies"])
    for script in ("postBuild", "start"):
        path = binder / script
        assert path.stat().st_mode & 0o111, f"{script} must be executable"
        subprocess.run(["bash", "-n", str(path)], check=True)  # parses
    post = (binder / "postBuild").read_text(encoding="utf-8")
    assert "-c constraints.txt" in post and "nbsec demo notebooks/nbsec-demo" in post
