"""Reports in files and on the terminal: how every surface reaches the reporters.

The CLI, the magics and the widgets render through here rather than importing
`nbsec.reporters` themselves (surfaces meet only in `nbsec.api` and `nbsec.display`),
so a format added to the reporters' registry is available to all of them at once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nbsec.errors import UsageError

if TYPE_CHECKING:
    from nbsec.model import Report

DEFAULT_REPORT_STEM = "nbsec-report"


def formats() -> tuple[str, ...]:
    """Every format name: the built-ins (console, json, sarif, html, junit, md), then plugins."""
    from nbsec.reporters import available_formats

    return available_formats()


def canonical(fmt: str) -> str:
    """The registered name of `fmt` ('Markdown' -> 'md'); UsageError listing the choices when unknown."""
    from nbsec.reporters import ALIASES, default_extension

    default_extension(fmt)  # raises UsageError, listing the formats, when unknown
    key = fmt.strip().lower()
    return ALIASES.get(key, key)


def extension(fmt: str) -> str:
    """The file suffix of a format, with its dot: '.sarif', '.xml', '.md'."""
    from nbsec.reporters import default_extension

    ext = default_extension(fmt)
    return ext if ext.startswith(".") else f".{ext}"


def guess(path: str | Path) -> str | None:
    """The format a file name implies ('out/report.sarif' -> 'sarif'), or None."""
    from nbsec.reporters import guess_format

    return guess_format(path)


def render(report: Report, fmt: str) -> str:
    from nbsec import reporters

    return reporters.render(report, fmt)


def write(report: Report, fmt: str, path: str | Path) -> Path:
    """Render and write UTF-8 (parent folders created); returns the path written.

    A file that cannot be written is a UsageError naming it, on every surface (the CLI exits 2,
    a magic prints error/hint), never a traceback.
    """
    from nbsec import reporters

    try:
        return reporters.write(report, fmt, path)
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot write the {fmt} report ({exc.strerror or exc})",
            "check that the folder exists and is writable",
        ) from None


def print_console(report: Report, *, verbose: bool = False) -> None:
    """The terminal view (rich): findings by severity, what could not be scanned, the summary."""
    from nbsec.reporters.console import print_report

    print_report(report, verbose=verbose)


def parse(raw: Sequence[str], output: str | None = None) -> list[str]:
    """`-f sarif,json -f html` -> ['sarif', 'json', 'html'] (validated, de-duplicated, in order).

    With no --format, `-o report.sarif` means SARIF: writing console text into a
    .sarif file would only confuse the tool that reads it.
    """
    if not raw:
        guessed = guess(output) if output is not None else None
        return [guessed or "console"]
    chosen: list[str] = []
    for item in raw:
        for name in item.split(","):
            if not name.strip():
                continue
            if ("." in name or "/" in name) and name.strip().lower() not in formats():
                raise UsageError(
                    f"-f {name.strip()}: -f/--format takes a report format, not a file",
                    f"choose from {', '.join(formats())}; write to a file with -o PATH",
                )
            fmt = canonical(name)  # UsageError, listing the formats, when unknown
            if fmt not in chosen:
                chosen.append(fmt)
    return chosen or ["console"]


def plan(chosen: list[str], output: str | None) -> list[tuple[str, Path | None]]:
    """Where each format goes: a file path, or None for stdout.

    One format: --output is the file (or, if it is an existing folder, a file in it).
    Several: --output is a folder (existing, or written with a trailing slash) or a
    path stem, and each format is written with its own extension; console stays
    on the terminal because a terminal view in a file helps nobody.
    """
    if len(chosen) == 1:
        fmt = chosen[0]
        if output is None:
            return [(fmt, None)]
        target = Path(output)
        if target.is_dir():
            target = target / f"{DEFAULT_REPORT_STEM}{extension(fmt)}"
        return [(fmt, target)]
    if output is None:
        raise UsageError(
            f"--format {','.join(chosen)}: several formats need --output",
            "give a folder or a path stem, e.g. `-o reports/` or `-o reports/scan`",
        )
    stem = _output_stem(output, chosen)
    return [(f, None if f == "console" else stem.with_name(stem.name + extension(f))) for f in chosen]


def _output_stem(output: str, chosen: list[str]) -> Path:
    target = Path(output)
    if target.is_dir() or output.endswith(("/", os.sep)):
        return target / DEFAULT_REPORT_STEM
    # `-o reports/scan.json` with several formats: drop the one extension we would add anyway.
    if target.suffix and target.suffix.lower() in {extension(f) for f in chosen}:
        return target.with_suffix("")
    return target
