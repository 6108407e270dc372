"""The figures a Report carries (robustness curves, per-class bars, example grids, ROC curves) in the notebook.

The Report holds charts as data (`nbsec.model.Figure`); this module only draws them, so the same
curve appears in the notebook, in the HTML report and in Markdown (tables).

    from nbsec.widgets.robustness import show, figures
    r = show(report)                 # the Report, whose notebook view draws its figures as inline SVG
    r = show(report, plotly=True)    # ... after the interactive plotly figures (fig.show() for each)
    figures(report)                  # plotly go.Figure objects

In a notebook the light default is one output: the Report's view with its figures as inline SVG
(`nbsec.display.svg`), which reads the same after the notebook is closed and reopened, on nbviewer
and on GitHub. Plotly figures are heavier (their JSON is kept in the notebook, and they need a
plotly renderer in the front end), so they are shown only on request; the SVG is already there
after them, so they need no static twin.
"""

from __future__ import annotations

from typing import Any

from nbsec.escaping import plotly_text
from nbsec.model import Figure, Report


def to_plotly(figure: Figure) -> Any:
    """A plotly go.Figure for one Report figure."""
    import plotly.graph_objects as go

    data = figure.data
    if figure.kind == "image-grid":
        return _image_grid(figure)
    fig = go.Figure()
    if figure.kind == "line":
        for series in data.get("series", []):
            dashed = series.get("name") in ("worst", "chance")
            fig.add_trace(
                go.Scatter(x=series["x"], y=series["y"], name=series["name"], mode="lines+markers",
                           line={"dash": "dash" if dashed else "solid", "width": 3 if series["name"] == "worst" else 2})
            )  # fmt: skip
    else:
        for series in data.get("series", []):
            fig.add_trace(go.Bar(x=data.get("categories", []), y=series["values"], name=series["name"]))
        fig.update_layout(barmode="group")
    fig.update_layout(
        title=figure.title, xaxis_title=data.get("x_label", ""), yaxis_title=data.get("y_label", ""),
        template="plotly_white", height=380, margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )  # fmt: skip
    if data.get("note"):
        fig.update_layout(title={"text": figure.title, "subtitle": {"text": plotly_text(data["note"])}},
                          margin={"t": 80})  # fmt: skip
    if "y_range" in data:
        low, high = data["y_range"]
        fig.update_yaxes(range=[low - 0.02, high + 0.02])
    return fig


def _image_grid(figure: Figure) -> Any:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows = figure.data.get("rows", [])
    columns = max((len(r.get("images", [])) for r in rows), default=1)
    titles = [image.get("caption", "") for row in rows for image in row.get("images", [])]
    fig = make_subplots(rows=max(len(rows), 1), cols=columns, subplot_titles=titles, vertical_spacing=0.06)
    for r, row in enumerate(rows, start=1):
        for c, image in enumerate(row.get("images", []), start=1):
            fig.add_trace(go.Image(source=image["src"]), row=r, col=c)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_annotations(font_size=11)
    fig.update_layout(title=figure.title, height=150 * max(len(rows), 1) + 80, template="plotly_white",
                      margin={"l": 10, "r": 10, "t": 70, "b": 10})  # fmt: skip
    return fig


def figures(report: Report) -> list[Any]:
    """Every figure of the report, drawn with plotly, in report order."""
    return [to_plotly(f) for f in report.figures]


def show(report: Report, *, plotly: bool = False) -> Report:
    """The Report to display (its notebook view draws its figures as SVG); with `plotly`, the interactive
    figures are shown first."""
    if plotly:
        for fig in figures(report):
            fig.show()
    return report
