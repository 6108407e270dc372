"""Configuration: defaults < [tool.nbsec] / .nbsec.toml < NBSEC_* env < call arguments.

The file is found by walking up from the scan target, so a repository's
settings apply wherever in it you point nbsec.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from nbsec.errors import ConfigError
from nbsec.model.finding import Finding, Severity
from nbsec.model.report import Suppressed

CONFIG_FILENAMES = (".nbsec.toml", "pyproject.toml")
DEFAULT_EXCLUDE_PATHS = (
    ".git",
    ".hg",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
)
FAIL_ON_NEVER = "never"
# NBSEC_* variables that are not settings: the config file's path and the CLI's traceback switch.
RESERVED_ENV = frozenset({"NBSEC_CONFIG", "NBSEC_DEBUG"})


@dataclass(frozen=True)
class Config:
    """Every setting nbsec reads. Field names are the TOML keys (dashes allowed)."""

    only: tuple[str, ...] = ()
    include_rules: tuple[str, ...] = ()
    exclude_rules: tuple[str, ...] = ()
    min_severity: Severity = Severity.INFO
    fail_on: Severity | None = Severity.HIGH
    baseline: str | None = None
    exclude_paths: tuple[str, ...] = DEFAULT_EXCLUDE_PATHS
    max_file_size: int = 64 * 1024 * 1024
    # Pickle globals ("module.name" or a whole "module") you trust beyond nbsec's allowlist.
    # The hard denylist still wins: os.system cannot be allowed.
    allow_globals: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=(), compare=False)
    # Settings given by a file, the environment or an argument (not defaults): lets a command whose
    # own default differs (e.g. `nbsec lineage verify --fail-on low`) yield to a configured value.
    explicit: frozenset[str] = field(default=frozenset(), compare=False)

    def rule_enabled(self, rule_id: str) -> bool:
        """include/exclude take exact ids, prefixes (NBSEC-NB) or globs (NBSEC-NB-00*).

        Rule ids given in `only` narrow the rules the same way `include_rules` does.
        """
        only_rules = tuple(i for i in self.only if i.upper().startswith("NBSEC-"))
        for patterns in (self.include_rules, only_rules):
            if patterns and not rule_matches(rule_id, patterns):
                return False
        return not rule_matches(rule_id, self.exclude_rules)

    def path_excluded(self, path: Path) -> bool:
        return any(fnmatch.fnmatch(part, pattern) for part in path.parts for pattern in self.exclude_paths)


def rule_matches(rule_id: str, patterns: Sequence[str]) -> bool:
    """Whether a rule id matches one of `patterns`: ids, prefixes (NBSEC-NB) or globs (NBSEC-NB-00*)."""
    rid = rule_id.upper()
    for pattern in patterns:
        p = pattern.strip().upper()
        if rid == p or rid.startswith(p + "-") or fnmatch.fnmatch(rid, p):
            return True
    return False


_KEYS = {f.name for f in fields(Config)} - {"sources", "explicit"}


def _coerce(key: str, value: Any, origin: str) -> Any:
    """Turn a TOML/env/argument value into the field's type, or say what is wrong."""
    try:
        if key in ("only", "include_rules", "exclude_rules", "exclude_paths", "allow_globals"):
            if isinstance(value, str):
                value = [v for v in value.replace(";", ",").split(",")]
            if not isinstance(value, (list, tuple)):
                raise TypeError("expected a list of strings")
            return tuple(str(v).strip() for v in value if str(v).strip())
        if key == "min_severity":
            return Severity.parse(value)
        if key == "fail_on":
            if value is None or str(value).strip().lower() in (FAIL_ON_NEVER, "none", "off"):
                return None
            return Severity.parse(value)
        if key == "baseline":
            return None if value in (None, "") else str(value)
        if key == "max_file_size":
            size = int(value)
            if size <= 0:
                raise ValueError("must be a positive number of bytes")
            return size
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{origin}: invalid value {value!r} for '{key}': {exc}",
            f"fix '{key}' in {origin}; `nbsec --help` lists the accepted values",
        ) from None
    raise ConfigError(f"{origin}: unknown setting '{key}'", _did_you_mean(key))


def _did_you_mean(key: str) -> str:
    import difflib  # only for the error message

    close = difflib.get_close_matches(key, sorted(_KEYS), n=1)
    known = ", ".join(sorted(_KEYS))
    return f"did you mean '{close[0]}'? known settings: {known}" if close else f"known settings: {known}"


def _apply(config: Config, values: Mapping[str, Any], origin: str) -> Config:
    changes: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_")
        if key not in _KEYS:
            raise ConfigError(f"{origin}: unknown setting '{raw_key}'", _did_you_mean(key))
        changes[key] = _coerce(key, value, origin)
    if not changes:
        return config
    return replace(config, sources=(*config.sources, origin), explicit=config.explicit | set(changes), **changes)


def with_overrides(config: Config, values: Mapping[str, Any], origin: str = "arguments") -> Config:
    """A copy of `config` with explicit settings (CLI flags, magic options, API arguments) on top."""
    return _apply(config, {k: v for k, v in values.items() if v is not None}, origin)


def find_config_file(start: Path) -> Path | None:
    """The nearest .nbsec.toml, or pyproject.toml with a [tool.nbsec] table, walking up."""
    here = start.resolve()
    if here.is_file() or not here.exists():
        here = here.parent
    for folder in (here, *here.parents):
        for name in CONFIG_FILENAMES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_nbsec_table(candidate)):
                return candidate
    return None


def _has_nbsec_table(pyproject: Path) -> bool:
    try:
        return "[tool.nbsec]" in pyproject.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def read_config_file(path: Path) -> dict[str, Any]:
    # Imported here: most runs find no config file, and tomllib costs start-up time.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})", "check the file exists and is readable") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})", "fix the syntax at the position shown") from None
    table = data.get("tool", {}).get("nbsec", {}) if path.name == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.nbsec] must be a table", "write settings as key = value under [tool.nbsec]")
    return table


def env_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """NBSEC_FAIL_ON=medium -> {'fail_on': 'medium'}; reserved names (NBSEC_CONFIG, NBSEC_DEBUG) are not settings."""
    out = {}
    for name, value in environ.items():
        if name.startswith("NBSEC_") and name not in RESERVED_ENV:
            out[name[len("NBSEC_") :].lower()] = value
    return out


def load_config(
    target: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | Config | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> Config:
    """Build the Config for a scan of `target`, layering every source in order."""
    if isinstance(overrides, Config):
        return overrides
    environ = os.environ if environ is None else environ
    config = Config()
    explicit = config_file or environ.get("NBSEC_CONFIG")
    path = Path(explicit) if explicit else (find_config_file(Path(target)) if target is not None else None)
    if explicit and path is not None and not path.is_file():
        raise ConfigError(f"{path}: config file not found", "point --config / NBSEC_CONFIG at an existing TOML file")
    if path is not None:
        settings = read_config_file(path)
        baseline = settings.get("baseline")
        if isinstance(baseline, str) and baseline and not Path(baseline).is_absolute():
            # A path in a config file means "next to this file", wherever nbsec is run from.
            settings = {**settings, "baseline": str(path.parent / baseline)}
        config = _apply(config, settings, str(path))
    for key, value in env_settings(environ).items():
        config = _apply(config, {key: value}, f"environment variable NBSEC_{key.upper()}")
    return with_overrides(config, overrides or {})


def apply_policy(findings: list[Finding], config: Config) -> tuple[list[Finding], list[Suppressed]]:
    """Split findings by include/exclude rules and the severity threshold; the dropped are kept, with why."""
    kept: list[Finding] = []
    dropped: list[Suppressed] = []
    for finding in findings:
        if not config.rule_enabled(finding.rule_id):
            dropped.append(Suppressed(finding, "config"))
        elif finding.severity.rank < config.min_severity.rank:
            dropped.append(Suppressed(finding, "severity-threshold"))
        else:
            kept.append(finding)
    return kept, dropped
