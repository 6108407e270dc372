"""The option table every command and magic that produces a Report shares (stdlib only).

One definition of `-f/--format`, `-o/--output`, `--fail-on`, `-q`, `-v`, `--no-progress` and the
policy options (`--min-severity`, `--exclude-rule`, `--baseline`, `--config`): the CLI builds
click options from it (`nbsec.commands._output`), `%aisec` builds argparse arguments from it
(`nbsec.magics`), so a flag means the same everywhere and its help is written once.
"""

from __future__ import annotations

from typing import NamedTuple

SEVERITY_CHOICES = ("critical", "high", "medium", "low", "info")
FAIL_ON_CHOICES = (*SEVERITY_CHOICES, "never")
FORMAT_NAMES = ("console", "json", "sarif", "html", "junit", "md")


class Option(NamedTuple):
    """One option: its flags, the attribute it fills, its help, and how it takes values.

    kind: "flag" (on/off), "value" (one value), "multiple" (repeatable), "choice" (one of `choices`).
    """

    flags: tuple[str, ...]
    dest: str
    help: str
    kind: str = "value"
    choices: tuple[str, ...] = ()
    metavar: str | None = None


FORMAT = Option(
    ("-f", "--format"),
    "formats",
    f"Report format: {', '.join(FORMAT_NAMES)}; repeat or comma-separate for several "
    "[default: console, or what -o's extension says].",
    kind="multiple",
    metavar="FMT",
)
OUTPUT = Option(
    ("-o", "--output"),
    "output",
    "Where the report goes: a file for one format; a folder or path stem for several (each gets its extension).",
    metavar="PATH",
)
FAIL_ON = Option(
    ("--fail-on",),
    "fail_on",
    "Fail (CLI: exit 1; notebook: a warning) on findings at or above this severity; 'never' ignores "
    "findings [default: fail_on from the config, else high].",
    kind="choice",
    choices=FAIL_ON_CHOICES,
)
QUIET = Option(("-q", "--quiet"), "quiet", "Only the summary line; no progress bar.", kind="flag")
VERBOSE = Option(
    ("-v", "--verbose"), "verbose", "Console: add remediation, references and suppressed findings.", kind="flag"
)
NO_PROGRESS = Option(("--no-progress",), "no_progress", "Never show a progress bar.", kind="flag")

# How every Report is shown or written.
OUTPUT_OPTIONS: tuple[Option, ...] = (FORMAT, OUTPUT, FAIL_ON, QUIET, VERBOSE, NO_PROGRESS)

# Which findings count: the config file's settings, overridden for this run.
POLICY_OPTIONS: tuple[Option, ...] = (
    Option(
        ("--min-severity",),
        "min_severity",
        "Leave out findings below this severity (kept as suppressed in the report).",
        kind="choice",
        choices=SEVERITY_CHOICES,
    ),
    Option(
        ("--exclude-rule",),
        "exclude_rule",
        "Rule id, prefix or glob to leave out (repeatable; adds to exclude_rules in the config).",
        kind="multiple",
        metavar="ID",
    ),
    Option(("--baseline",), "baseline", "Report only findings not in this baseline file.", metavar="FILE"),
    Option(
        ("--config",),
        "config_file",
        "TOML config file to use [default: .nbsec.toml or [tool.nbsec] in pyproject.toml, found upwards].",
        metavar="FILE",
    ),
)

# What a file scan looks at (`nbsec scan`, `%aisec scan`).
SCAN_OPTIONS: tuple[Option, ...] = (
    Option(("--only",), "only", "Scanner name or rule id/prefix to run (repeatable).", kind="multiple", metavar="NAME"),
    Option(
        ("--allow-global",),
        "allow_global",
        "Pickle global (or whole module) you trust beyond the allowlist (repeatable); the denylist still wins.",
        kind="multiple",
        metavar="MODULE.NAME",
    ),
)
