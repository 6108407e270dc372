"""Static twins: every interactive view also leaves its last state in the notebook as plain HTML.

A widget's output holds only a reference to a model that lives in the kernel. Once that kernel is
gone (the notebook closed and reopened, shared with a reviewer, opened on nbviewer or GitHub, run
headlessly by `nbsec run`), JupyterLab shows "Error displaying widget: model not found" and the
other front ends show a `VBox(...)` repr. So each nbsec view is shown as two outputs:

1. the live widget, marked with the class `nbsec-live`, whose text/plain says what it is;
2. its twin: a `text/html` snapshot of what the widget shows (tables, and figures as inline SVG),
   with a display id, re-rendered on every change of the widget (`Twin.refresh`).

A small stylesheet inside the twin tells JupyterLab and Notebook 7 which of the two to show: the
twin is hidden while the widget next to it is live; once the widget's model is gone, the dead
widget output is hidden and the twin stays. Front ends that drop the stylesheet (GitHub, an
untrusted notebook) show both: the twin then still tells the truth. Nothing here needs a
JavaScript extension; the twin holds no script and only escaped text (callers render with
nbsec.escaping).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from nbsec.escaping import html_text

LIVE_CLASS = "nbsec-live"
TWIN_CLASS = "nbsec-twin"
TWIN_MIME_KIND = "data-nbsec-twin"

# JupyterLab and Notebook 7 wrap each output in .jp-OutputArea-child. While the widget before a twin is live,
# hide the twin; once that widget cannot be drawn (its renderer turns into a .jupyter-widgets error node with no
# live view inside), hide the widget's output instead. `:has()` is in every current browser engine.
STYLE = (
    "<style>"
    f".jp-OutputArea-child:has(.{LIVE_CLASS}) + .jp-OutputArea-child:has(.{TWIN_CLASS}) {{ display: none; }}"
    f".jp-OutputArea-child:has(+ .jp-OutputArea-child .{TWIN_CLASS}):has(.jupyter-widgets)"
    f":not(:has(.{LIVE_CLASS})) {{ display: none; }}"
    f".{TWIN_CLASS} {{ border-left: 3px solid #d0d7de; padding-left: .6rem; }}"
    f".{TWIN_CLASS} .nbsec-twin-note {{ color: #6e7781; font-size: .85em; margin: .2rem 0 .4rem; }}"
    "</style>"
)


def twin_html(kind: str, title: str, body_html: str, when: datetime | None = None) -> str:
    """The twin's HTML: stylesheet, a one-line note saying it is a snapshot (and of what, when), the body."""
    stamp = (when or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f'{STYLE}<div class="{TWIN_CLASS}" {TWIN_MIME_KIND}="{html_text(kind)}">'
        f'<p class="nbsec-twin-note">Snapshot of the interactive {html_text(title)} ({stamp}); '
        "re-run the cell for the live view.</p>"
        f"{body_html}</div>"
    )


class Twin:
    """The static twin of one interactive view.

    `render()` returns the body HTML of the view's current state (escaped by the caller);
    `plain()` an optional text/plain summary for terminals and text exports.
    Call `show(widget)` where the view would have been displayed, and `refresh()` after every change.
    """

    def __init__(self, kind: str, title: str, render: Callable[[], str], plain: Callable[[], str] | None = None):
        self.kind = kind
        self.title = title
        self._render = render
        self._plain = plain
        self._handles: list[Any] = []

    def bundle(self) -> dict[str, str]:
        data = {"text/html": twin_html(self.kind, self.title, self._render())}
        data["text/plain"] = self._plain() if self._plain is not None else f"nbsec {self.title} (snapshot)"
        return data

    @property
    def shown(self) -> bool:
        return bool(self._handles)

    def show(self, widget: Any) -> None:
        """Display the live widget, then its twin (with a display id the widget's changes update)."""
        from IPython.display import display

        widget.add_class(LIVE_CLASS)
        display(live_bundle(widget, self.title), raw=True)
        self._handles.append(display(self.bundle(), raw=True, display_id=True))

    def refresh(self) -> None:
        """Re-render the twin wherever it is shown (no-op before `show`)."""
        if not self._handles:
            return
        data = self.bundle()
        for handle in self._handles:
            handle.update(data, raw=True)


def live_bundle(widget: Any, title: str) -> dict[str, Any]:
    """The widget's own display bundle, with a text/plain that says what it is instead of `VBox(children=...)`."""
    data = dict(widget._repr_mimebundle_() or {})
    data["text/plain"] = f"nbsec {title}: interactive, needs the kernel that made it (its snapshot follows)"
    return data
