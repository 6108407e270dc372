"""Config precedence: defaults < [tool.nbsec] / .nbsec.toml < NBSEC_* < arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbsec.config import Config, load_config
from nbsec.errors import ConfigError
from nbsec.model import Severity


def test_defaults() -> None:
    cfg = load_config(Path("."), environ={})
    assert cfg.fail_on is Severity.HIGH
    assert cfg.min_severity is Severity.INFO
    assert ".git" in cfg.exclude_paths


def test_pyproject_found_walking_up_then_env_then_arguments(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname="x"\n[tool.nbsec]\nfail-on = "low"\nexclude_rules = ["NBSEC-NB-005"]\n'
    )
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    target = deep / "x.ipynb"
    target.write_text("{}")

    from_file = load_config(target, environ={})
    assert from_file.fail_on is Severity.LOW
    assert from_file.exclude_rules == ("NBSEC-NB-005",)
    assert str(tmp_path / "pyproject.toml") in from_file.sources

    from_env = load_config(target, environ={"NBSEC_FAIL_ON": "medium"})
    assert from_env.fail_on is Severity.MEDIUM
    assert from_env.exclude_rules == ("NBSEC-NB-005",)  # the file still applies below the env

    from_args = load_config(target, {"fail_on": "critical"}, environ={"NBSEC_FAIL_ON": "medium"})
    assert from_args.fail_on is Severity.CRITICAL


def test_nbsec_toml_is_preferred_and_pyproject_without_table_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nbsec]\nfail_on = "low"\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text('[project]\nname = "no-nbsec-table"\n')
    assert load_config(sub, environ={}).fail_on is Severity.LOW
    (sub / ".nbsec.toml").write_text('fail_on = "never"\nmin_severity = "medium"\n')
    cfg = load_config(sub, environ={})
    assert cfg.fail_on is None
    assert cfg.min_severity is Severity.MEDIUM


def test_unknown_key_names_the_file_and_suggests(tmp_path: Path) -> None:
    (tmp_path / ".nbsec.toml").write_text('fail_onn = "low"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, environ={})
    assert str(tmp_path / ".nbsec.toml") in info.value.message
    assert "did you mean 'fail_on'" in info.value.hint


def test_invalid_toml_and_invalid_values_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / ".nbsec.toml").write_text("fail_on = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path, environ={})
    (tmp_path / ".nbsec.toml").write_text('min_severity = "severe"\n')
    with pytest.raises(ConfigError, match="min_severity"):
        load_config(tmp_path, environ={})
    (tmp_path / ".nbsec.toml").unlink()
    with pytest.raises(ConfigError, match="environment variable NBSEC_MAX_FILE_SIZE"):
        load_config(Path("."), environ={"NBSEC_MAX_FILE_SIZE": "-3"})
    with pytest.raises(ConfigError, match="unknown setting 'fial_on'"):
        load_config(Path("."), environ={"NBSEC_FIAL_ON": "low"})


def test_explicit_config_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path, environ={"NBSEC_CONFIG": str(tmp_path / "missing.toml")})


def test_env_lists_are_comma_separated() -> None:
    cfg = load_config(Path("."), environ={"NBSEC_EXCLUDE_RULES": "NBSEC-NB-001, NBSEC-NB-002"})
    assert cfg.exclude_rules == ("NBSEC-NB-001", "NBSEC-NB-002")


@pytest.mark.parametrize(
    ("config", "rule", "enabled"),
    [
        (Config(), "NBSEC-NB-001", True),
        (Config(exclude_rules=("NBSEC-NB-001",)), "NBSEC-NB-001", False),
        (Config(exclude_rules=("NBSEC-NB",)), "NBSEC-NB-003", False),
        (Config(exclude_rules=("NBSEC-NB-00*",)), "NBSEC-NB-004", False),
        (Config(include_rules=("NBSEC-NB-001",)), "NBSEC-NB-002", False),
        (Config(include_rules=("NBSEC-NB",), exclude_rules=("NBSEC-NB-002",)), "NBSEC-NB-001", True),
        (Config(only=("NBSEC-NB-005",)), "NBSEC-NB-001", False),
        (Config(only=("notebook-code",)), "NBSEC-NB-001", True),
    ],
)
def test_rule_selection(config: Config, rule: str, enabled: bool) -> None:
    assert config.rule_enabled(rule) is enabled


def test_reserved_env_names_are_not_settings() -> None:
    cfg = load_config(Path("."), environ={"NBSEC_DEBUG": "1", "NBSEC_FAIL_ON": "low"})
    assert cfg.fail_on is Severity.LOW


def test_baseline_in_a_config_file_is_relative_to_that_file(tmp_path: Path) -> None:
    (tmp_path / ".nbsec.toml").write_text('baseline = ".nbsec-baseline.json"\n')
    sub = tmp_path / "src"
    sub.mkdir()
    assert load_config(sub, environ={}).baseline == str(tmp_path / ".nbsec-baseline.json")
