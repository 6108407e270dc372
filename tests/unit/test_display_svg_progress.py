"""Shared figure drawing (nbsec.display.svg), the robustness Report's notebook view, and the kernel progress bar."""

from __future__ import annotations

import re
from typing import Any

import pytest

from nbsec.display import svg
from nbsec.model import Figure, Report

HOSTILE = "<img src=x onerror=alert(1)>"


def line(names: list[str], note: str | None = None) -> Figure:
    series = [{"name": n, "x": [0, 0.1], "y": [1.0, 0.5 - i / 10]} for i, n in enumerate(names)]
    data: dict[str, Any] = {"x_label": "epsilon", "y_label": "accuracy", "y_range": [0.0, 1.0], "series": series}
    if note:
        data["note"] = note
    return Figure("robustness", "Robust accuracy", "line", data)


def test_merged_series_names_wrap_in_the_legend_and_the_note_is_drawn_escaped() -> None:
    merged = "pgd = apgd-ce = apgd-t = square = worst"
    drawn = svg.line_svg(line([merged, "fgsm"], note=f"attacks agree {HOSTILE}"))
    legend = re.findall(r'<text x="\d+" y="[\d.]+" font-size="11">([^<]*)</text>', drawn)
    assert legend[:-1] and all(len(text) <= svg.LEGEND_CHARS for text in legend)
    assert " ".join(legend[:-1]) == "pgd = apgd-ce = apgd-t = square = worst" and legend[-1] == "fgsm"
    assert "nbsec-figure-note" in drawn and "attacks agree &lt;img" in drawn and "<img" not in drawn
    assert 'fill="currentColor"' in drawn  # text takes the page colour: readable in a dark theme


def test_series_names_and_titles_are_escaped_and_urls_are_never_images() -> None:
    drawn = svg.figures_html([line([HOSTILE]), Figure(HOSTILE, HOSTILE, "image-grid",
                             {"rows": [{"images": [{"src": "https://evil.example/x.png"}]}]})])  # fmt: skip
    assert "<img src=x" not in drawn and "evil.example" not in drawn and "(image left out)" in drawn
    assert svg.figure_body(Figure("f", "t", "line", {"series": "nonsense"})).startswith("<p>")


def test_the_html_reporter_draws_with_the_same_functions() -> None:
    from nbsec.reporters import html

    assert html._line_svg is svg.line_svg and html._bar_svg is svg.bar_svg and html._image_grid is svg.image_grid_html


def test_a_reports_notebook_view_draws_its_figures_once_and_plotly_only_on_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import plotly.graph_objects as go

    import nbsec.display  # noqa: F401  (a Report's rich display)
    from nbsec.widgets.robustness import show

    shown: list[Any] = []
    monkeypatch.setattr(go.Figure, "show", lambda fig, *a, **k: shown.append(fig))
    report = Report(tool_version="1", figures=[line(["pgd"]), line(["fgsm = pgd"])])
    assert show(report) is report and shown == []
    bundle = report._repr_mimebundle_()
    assert bundle["text/html"].count("<svg") == 2 and 'class="nbsec-figures"' in bundle["text/html"]
    assert "application/vnd.plotly.v1+json" not in bundle and "<script" not in bundle["text/html"]
    assert "<svg" not in Report(tool_version="1")._repr_mimebundle_()["text/html"]
    show(report, plotly=True)
    assert len(shown) == 2


# -- progress ------------------------------------------------------------------------------------------


class Handle:
    def __init__(self) -> None:
        self.updates: list[dict[str, str]] = []

    def update(self, data: dict[str, str], raw: bool = False) -> None:
        self.updates.append(data)


def test_kernel_bar_is_throttled_and_leaves_its_final_state() -> None:
    from nbsec.display.progress import MAX_UPDATES_PER_SECOND, HtmlProgress

    now = [100.0]
    shown: list[dict[str, str]] = []
    handle = Handle()

    def show(data: dict[str, str], raw: bool = False, display_id: bool = False) -> Handle:
        assert raw and display_id
        shown.append(data)
        return handle

    bar = HtmlProgress(48, "nbsec robustness", show=show, clock=lambda: now[0])
    for _ in range(48):  # 48 steps over 12.3 s: one every 0.256 s
        now[0] += 12.3 / 48
        bar.set_postfix_str("pgd eps=0.1", refresh=False)
        bar.update(1)
    before_close = len(handle.updates)
    bar.close()
    bar.close()  # closing twice changes nothing
    assert len(shown) == 1 and before_close <= 12.3 * MAX_UPDATES_PER_SECOND + 1
    assert len(handle.updates) == before_close + 1
    final = handle.updates[-1]
    assert final["text/plain"] == "nbsec robustness: 48/48 done in 12.3 s"
    assert '<progress value="48" max="48"' in final["text/html"] and "<script" not in final["text/html"]

    fast = Handle()
    quick = HtmlProgress(1000, "x", show=lambda *a, **k: fast, clock=lambda: now[0])
    for _ in range(999):
        now[0] += 0.001  # 1,000 steps a second: at most 5 redraws a second
        quick.update()
    assert len(fast.updates) <= 1 * MAX_UPDATES_PER_SECOND + 1
    quick.close()
    assert fast.updates[-1]["text/plain"].startswith("x: stopped at 999/1000 after")


def test_the_bar_escapes_its_text() -> None:
    from nbsec.display.progress import HtmlProgress

    bar = HtmlProgress(2, HOSTILE, show=lambda *a, **k: None)
    assert "<img" not in bar.bundle()["text/html"] and "&lt;img" in bar.bundle()["text/html"]


def test_outside_a_kernel_the_bar_is_plain_tqdm_on_stderr_and_nothing_when_disabled(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tqdm.std import tqdm

    from nbsec.adversarial import progress as runner_progress
    from nbsec.display import progress

    bar = progress.progress_bar(3, "nbsec robustness")
    assert type(bar) is tqdm  # tqdm.std, never tqdm.notebook's widget
    bar.update(3)
    bar.close()
    assert "nbsec robustness" in capsys.readouterr().err
    assert isinstance(progress.progress_bar(3, "x", enabled=False), runner_progress.NullBar)
    monkeypatch.setattr(progress, "in_jupyter_kernel", lambda: True)
    monkeypatch.setattr(progress, "_display", lambda *a, **k: Handle())
    assert isinstance(progress.progress_bar(3, "x"), progress.HtmlProgress)
    # The runners' progress=True draws with what nbsec.display registered; False draws nothing.
    assert isinstance(runner_progress.open_bar(True, 3, "x"), progress.HtmlProgress)
    assert isinstance(runner_progress.open_bar(False, 3, "x"), runner_progress.NullBar)
