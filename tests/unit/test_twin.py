"""The static twin: a live widget, then a text/html snapshot (display id) that every change re-renders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from nbsec.display.twin import LIVE_CLASS, TWIN_CLASS, Twin, twin_html


@pytest.fixture()
def shell() -> Iterator[InteractiveShell]:
    yield InteractiveShell.instance()


def test_twin_html_names_what_it_is_and_escapes_its_labels() -> None:
    html = twin_html("lineage", "<img src=x onerror=alert(1)>", "<b>body</b>")
    assert f'class="{TWIN_CLASS}"' in html and 'data-nbsec-twin="lineage"' in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>body</b>" in html  # the body is the caller's (already escaped) markup
    assert "<script" not in html.lower()


def test_show_displays_the_widget_then_its_twin_and_refresh_updates_the_twin(shell: InteractiveShell) -> None:
    import ipywidgets as widgets

    view = widgets.HTML("first")
    twin = Twin("demo", "demo view", lambda: f"<p>{view.value}</p>", lambda: f"demo: {view.value}")
    with capture_output() as captured:
        twin.show(view)
        view.value = "second"
        twin.refresh()
    live, snapshot, update = captured.outputs
    assert "application/vnd.jupyter.widget-view+json" in live.data
    assert not live.data["text/plain"].startswith(("HTML(", "VBox("))
    assert LIVE_CLASS in view._dom_classes
    assert "<p>first</p>" in snapshot.data["text/html"] and snapshot.data["text/plain"] == "demo: first"
    display_id = snapshot.transient["display_id"]
    assert update.update and update.transient["display_id"] == display_id
    assert "<p>second</p>" in update.data["text/html"] and "first" not in update.data["text/html"]


def test_refresh_before_show_displays_nothing(shell: InteractiveShell) -> None:
    twin = Twin("demo", "demo view", lambda: "<p>x</p>")
    with capture_output() as captured:
        twin.refresh()
    assert captured.outputs == [] and not twin.shown
