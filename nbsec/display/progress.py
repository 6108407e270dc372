"""Progress bars for work that runs in the kernel (robustness attacks), that survive closing the notebook.

`tqdm.auto` draws an ipywidgets bar in Jupyter, which is "Error displaying widget" once the kernel that
made it is gone (the notebook reopened, shared, run headlessly). Here, in a Jupyter kernel
(ZMQInteractiveShell) the bar is one small `text/html` output (an HTML `<progress>` element and a line of
text, no script) updated in place through its display id, at most MAX_UPDATES_PER_SECOND times a second;
its final state stays in the notebook: "nbsec robustness: 48/48 done in 12.3 s". Elsewhere (a terminal,
the IPython shell, a script) it is a plain tqdm bar on stderr; disabled, nothing.

Importing this module makes it the bar the adversarial runners draw with `progress=True`
(`nbsec.adversarial.progress.register`); `%load_ext nbsec` imports it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from nbsec.adversarial.progress import Bar, NullBar, register, stderr_bar
from nbsec.escaping import html_text

MAX_UPDATES_PER_SECOND = 5


def in_jupyter_kernel() -> bool:
    """True inside a Jupyter kernel (ipykernel's ZMQInteractiveShell, or a front end's subclass of it)."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and any(cls.__name__ == "ZMQInteractiveShell" for cls in type(shell).__mro__)


def _display(*args: Any, **kwargs: Any) -> Any:
    from IPython.display import display

    return display(*args, **kwargs)


class HtmlProgress:
    """A progress line shown as one display output and updated in place; the last state stays."""

    def __init__(
        self,
        total: int,
        description: str,
        *,
        show: Callable[..., Any] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        show = show or _display
        self.total = max(int(total), 0)
        self.description = description
        self.n = 0
        self.postfix = ""
        self.closed = False
        self._clock = clock
        self._started = clock()
        self._last = self._started
        self._elapsed = 0.0
        self._handle = show(self.bundle(), raw=True, display_id=True)

    def update(self, n: int = 1) -> None:
        self.n += n
        self._refresh()

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = s
        if refresh:
            self._refresh()

    def close(self) -> None:
        """Write the final state ("done in ..." or "stopped at ..."), whatever the throttle says."""
        if self.closed:
            return
        self.closed = True
        self._elapsed = self._clock() - self._started
        if self._handle is not None:
            self._handle.update(self.bundle(), raw=True)

    def __enter__(self) -> HtmlProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _refresh(self) -> None:
        now = self._clock()
        if self.closed or now - self._last < 1 / MAX_UPDATES_PER_SECOND:
            return
        self._last = now
        if self._handle is not None:
            self._handle.update(self.bundle(), raw=True)

    def text(self) -> str:
        """'nbsec robustness: 12/48 (pgd eps=0.1), 3.1 s'; closed: '... 48/48 done in 12.3 s' or 'stopped at'."""
        if self.closed:
            seconds = self._elapsed
            if self.n >= self.total:
                return f"{self.description}: {self.n}/{self.total} done in {seconds:.1f} s"
            return f"{self.description}: stopped at {self.n}/{self.total} after {seconds:.1f} s"
        seconds = self._clock() - self._started
        detail = f" ({self.postfix})" if self.postfix else ""
        return f"{self.description}: {self.n}/{self.total}{detail}, {seconds:.1f} s"

    def bundle(self) -> dict[str, str]:
        value = min(self.n, self.total)
        return {
            "text/plain": self.text(),
            "text/html": (
                '<div class="nbsec-progress" style="text-align:left;font-size:.9em">'
                f'<progress value="{value}" max="{max(self.total, 1)}" style="width:12em;vertical-align:middle">'
                f"{value}/{self.total}</progress> {html_text(self.text())}</div>"
            ),
        }


def progress_bar(total: int, description: str = "nbsec", *, enabled: bool = True) -> Bar:
    """The bar for this place: HTML in a Jupyter kernel, tqdm on stderr elsewhere, nothing when disabled."""
    if not enabled:
        return NullBar()
    if in_jupyter_kernel():
        return HtmlProgress(total, description)
    return stderr_bar(total, description)


register(progress_bar)
