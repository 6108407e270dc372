"""Reporters: turn one Report into text in a file format (console, JSON, SARIF, HTML, JUnit, Markdown).

A registry in papermill's style: built-ins are registered when this package is
imported, plugins come from the entry point group `nbsec.reporters` and are
loaded only when a format is asked for that no built-in provides. The built-in
renderers are imported on first use, so `import nbsec.reporters` stays cheap
(no rich, no xml) and `import nbsec` does not import this package at all.

    >>> from nbsec import reporters
    >>> reporters.render(report, "sarif")            # doctest: +SKIP
    >>> reporters.write(report, "html", "out/report.html")  # doctest: +SKIP

A plugin's entry point (`name = "pkg.module:obj"`) loads either a callable
`render(report) -> str` (its `extension` attribute, if any, names the file
extension) or an object with `render` and `extension` attributes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nbsec.errors import UsageError
from nbsec.model import Report

ENTRY_POINT_GROUP = "nbsec.reporters"

# The built-in formats, in the order help texts list them.
FORMATS: tuple[str, ...] = ("console", "json", "sarif", "html", "junit", "md")

# Other names people type for a format.
ALIASES: dict[str, str] = {"markdown": "md"}
_SUFFIX_ALIASES = {".htm": ".html", ".markdown": ".md"}

Renderer = Callable[[Report], str]


@dataclass(frozen=True)
class _Entry:
    render: Renderer
    extension: str


_REGISTRY: dict[str, _Entry] = {}
# Plugins that failed to load, by format name: reported when that format is asked for.
_PLUGIN_FAILURES: dict[str, str] = {}
_plugins_loaded = False


def register(name: str, render: Renderer, extension: str) -> None:
    """Add (or replace) a format. `extension` is the file suffix, with or without the dot."""
    key = name.strip().lower()
    if not key:
        raise ValueError("a reporter needs a non-empty format name")
    if not callable(render):
        raise TypeError(f"reporter {key!r}: render must be callable, got {type(render).__name__}")
    suffix = extension.strip()
    if not suffix.startswith("."):
        suffix = "." + suffix
    _REGISTRY[key] = _Entry(render, suffix)


def _lazy(module: str, attribute: str = "render") -> Renderer:
    """A renderer that imports its module on first call (keeps this package's import cheap)."""

    def render(report: Report) -> str:
        target: Renderer = getattr(importlib.import_module(module), attribute)
        return target(report)

    render.__qualname__ = f"lazy<{module}.{attribute}>"
    return render


def _register_builtins() -> None:
    register("console", _lazy("nbsec.reporters.console"), ".txt")
    register("json", _lazy("nbsec.reporters.json_report"), ".json")
    register("sarif", _lazy("nbsec.reporters.sarif"), ".sarif")
    register("html", _lazy("nbsec.reporters.html"), ".html")
    register("junit", _lazy("nbsec.reporters.junit"), ".xml")
    register("md", _lazy("nbsec.reporters.markdown"), ".md")


def _load_plugins() -> None:
    """Load entry points once; a built-in (or explicitly registered) name is never taken over."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib import metadata  # ~20 ms: only when a format is not built in

    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        key = entry.name.strip().lower()
        if key in _REGISTRY or key in ALIASES:
            continue
        try:
            obj = entry.load()
            render = obj if callable(obj) else obj.render
            extension = str(getattr(obj, "extension", "") or f".{key}")
            register(key, render, extension)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the built-ins
            _PLUGIN_FAILURES[key] = f"{type(exc).__name__}: {exc} (entry point {entry.value!r})"


def available_formats() -> tuple[str, ...]:
    """Built-in formats first, then formats registered later or provided by plugins."""
    _load_plugins()
    extra = sorted(name for name in _REGISTRY if name not in FORMATS)
    return FORMATS + tuple(extra)


def _entry(fmt: str) -> _Entry:
    key = fmt.strip().lower()
    key = ALIASES.get(key, key)
    found = _REGISTRY.get(key)
    if found is None:
        _load_plugins()
        found = _REGISTRY.get(key)
    if found is not None:
        return found
    if key in _PLUGIN_FAILURES:
        raise UsageError(
            f"report format {fmt!r}: its plugin could not be loaded: {_PLUGIN_FAILURES[key]}",
            f"fix or uninstall the package that provides it; built-in formats: {', '.join(FORMATS)}",
        )
    raise UsageError(
        f"unknown report format {fmt!r}",
        f"choose one of: {', '.join(available_formats())} ('markdown' is accepted for md)",
    )


def render(report: Report, fmt: str) -> str:
    """The report as text in format `fmt`; UsageError (with the choices) for an unknown format."""
    return _entry(fmt).render(report)


def default_extension(fmt: str) -> str:
    """File suffix for a format: '.json', '.sarif', '.html', '.xml', '.md', '.txt'."""
    return _entry(fmt).extension


def guess_format(path: str | Path) -> str | None:
    """The format a file name implies ('report.sarif' -> 'sarif'), or None when it implies none."""
    name = Path(path).name.lower()
    if name.endswith(".sarif.json"):
        return "sarif"
    suffix = _SUFFIX_ALIASES.get(Path(name).suffix, Path(name).suffix)
    for fmt, entry in _REGISTRY.items():
        if entry.extension == suffix:
            return fmt
    return None


def write(report: Report, fmt: str, path: str | Path) -> Path:
    """Render and write UTF-8 to `path` (parent folders created); returns the path.

    The file holds `render(report, fmt)` plus a final newline when the text lacks
    one, with '\\n' line ends on every platform (reports get diffed and committed).
    """
    text = render(report, fmt)
    if not text.endswith("\n"):
        text += "\n"
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8", newline="\n")
    return target


_register_builtins()

__all__ = [
    "ALIASES",
    "ENTRY_POINT_GROUP",
    "FORMATS",
    "available_formats",
    "default_extension",
    "guess_format",
    "register",
    "render",
    "write",
]
