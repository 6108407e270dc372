"""How the adversarial runners report progress, without knowing where it is drawn.

A runner takes `progress`:

- False: nothing;
- a factory `(total, description) -> bar`: that bar (`%aisec robustness` passes
  `nbsec.display.progress.progress_bar`, which in a Jupyter kernel is a small HTML output);
- True: the factory a surface registered in this process (`nbsec.display.progress` registers itself
  when imported, which `%load_ext nbsec` does), else a plain tqdm bar on stderr.

Never `tqdm.auto`: in Jupyter that is an ipywidgets bar, which shows "Error displaying widget" once the
notebook is closed and reopened. Producers may not import a surface (docs/architecture.md), so the
drawing is registered from the display side, the way `Report.mimebundle_renderer` is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Protocol


class Bar(Protocol):
    """The part of tqdm's interface the runners use."""

    def update(self, n: int = 1) -> Any: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> Any: ...

    def close(self) -> Any: ...


Factory = Callable[[int, str], Bar]
_registered: list[Factory] = []


class NullBar:
    """progress=False: counts nothing, draws nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def register(factory: Factory) -> None:
    """Make `factory` what progress=True draws in this process (the last one registered wins)."""
    _registered[:] = [factory]


def stderr_bar(total: int, description: str) -> Bar:
    """A plain text tqdm bar on stderr (tqdm.std: never the notebook widget)."""
    from tqdm.std import tqdm

    bar: Bar = tqdm(total=total, desc=description, file=sys.stderr)
    return bar


def open_bar(progress: bool | Factory, total: int, description: str) -> Bar:
    """The bar `progress` asks for (see the module docstring)."""
    if progress is False or progress is None:
        return NullBar()
    if callable(progress):
        return progress(total, description)
    factory = _registered[0] if _registered else stderr_bar
    return factory(total, description)
