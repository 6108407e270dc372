"""Errors nbsec raises to its callers. Each names the file or rule and ends with a hint.

A scanner that fails on one target does not raise past the engine: it becomes a
`ScanError` in the Report. These exceptions are for usage and configuration
mistakes, which the CLI turns into exit code 2.
"""

from __future__ import annotations


class NbsecError(Exception):
    """Base class: a message, a hint that says what to do, and the CLI exit code."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\nhint: {self.hint}" if self.hint else self.message


class UsageError(NbsecError):
    """The command or call was wrong (unknown option value, missing path, ...)."""


class ConfigError(NbsecError):
    """A configuration file or NBSEC_* variable is invalid."""


class TargetNotFoundError(UsageError):
    """The path to scan does not exist."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path}: no such file or directory",
            "check the path (quote paths with spaces) and run the command again",
        )
        self.path = path


class BaselineError(NbsecError):
    """A baseline file is missing or not an nbsec baseline."""


class InputError(UsageError):
    """A file nbsec was given (or downloaded) is missing, too large, not UTF-8, not valid JSON/YAML, or hostile.

    Raised by `nbsec.safe_input`. `source` names the file, `line` is 1-based when known,
    `reason` is the problem without the file name (for callers that wrap it in their own
    error type), and `kind` says which limit or check failed.
    """

    def __init__(self, source: str, reason: str, hint: str, *, line: int | None = None, kind: str = "invalid") -> None:
        where = f"{source}, line {line}" if line else source
        super().__init__(f"{where}: {reason}", hint)
        self.source = source
        self.reason = reason
        self.line = line
        self.kind = kind  # missing | unreadable | too-large | not-utf8 | syntax | too-deep | too-many-nodes | invalid
