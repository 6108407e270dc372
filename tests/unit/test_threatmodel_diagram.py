"""The data-flow diagram's geometry and its two drawings (plotly live, SVG in the notebook's twin).

What a reader relies on: a flow's label never sits on an element (at the demo's size and on a crowded
column), a flow never runs through an element it does not connect, every colour has a legend entry,
and names from the file are shown as text.
"""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from nbsec.demo.threatmodel import DEMO_MODEL
from nbsec.threatmodel import evaluate, loads
from nbsec.threatmodel.diagram import data_flow_figure, risk_heatmap
from nbsec.threatmodel.diagram_svg import data_flow_svg, risk_matrix_svg
from nbsec.threatmodel.layout import Box, Diagram, diagram, label_size
from nbsec.threatmodel.palette import SEVERITY_WORDS, ZONE_FILLS, band_ranges

HOSTILE = "<img src=x onerror=alert(1)>"
CROWDED = """\
nbsec_threat_model: 1
title: One column
zones: [{id: web, trust: untrusted}, {id: app, trust: internal}]
elements:
  - {id: a, kind: llm, zone: app}
  - {id: b, kind: vector_store, zone: app}
  - {id: c, kind: tool, zone: app}
  - {id: d, kind: serving_endpoint, zone: app}
  - {id: u, kind: user, zone: web}
flows:
  - {from: u, to: d, data: questions from the public website}
  - {from: d, to: u, data: answers}
  - {from: d, to: a, data: prompt}
  - {from: a, to: d, data: completion}
  - {from: b, to: a, data: retrieved articles}
  - {from: a, to: c, data: ticket updates}
"""


def segment_hits(a: tuple[float, float], b: tuple[float, float], box: Box) -> bool:
    """Does the segment a-b pass through the box? (sampled every pixel: independent of layout's clipping)"""
    steps = max(1, int(max(abs(b[0] - a[0]), abs(b[1] - a[1]))))
    return any(
        box.contains((a[0] + (b[0] - a[0]) * i / steps, a[1] + (b[1] - a[1]) * i / steps)) for i in range(steps + 1)
    )


def check_geometry(drawing: Diagram, flows: dict[str, tuple[str, str]]) -> None:
    places = drawing.layout
    labels = [r.label_box for r in drawing.routes if r.label_box is not None]
    for route in drawing.routes:
        source, target = flows[route.flow_id]
        box = route.label_box
        if box is not None:
            hit = [e for e, node in places.elements.items() if box.intersects(node)]
            assert hit == [], f"label of {route.flow_id} lies on {hit}"
            assert not [t for t, title in places.zone_titles.items() if box.intersects(title)]
            assert 0 <= box.x and box.right <= places.width and 0 <= box.y and box.bottom <= places.height
        others = {e: node.grown(-1) for e, node in places.elements.items() if e not in (source, target)}
        through = [e for e, node in others.items() for a, b in pairwise(route.points) if segment_hits(a, b, node)]
        assert through == [], f"{route.flow_id} runs through {through}"
        # the path starts on the source's border and ends, arrow first, on the target's
        assert places.elements[source].grown(0.5).contains(route.points[0])
        assert places.elements[target].grown(0.5).contains(route.points[-1])
    for first, second in pairwise(sorted(labels, key=lambda b: (b.x, b.y))):
        assert not first.intersects(second)
    assert all(not a.intersects(b) for i, a in enumerate(labels) for b in labels[i + 1 :]), "two labels overlap"


@pytest.mark.parametrize("text", [DEMO_MODEL, CROWDED], ids=["demo", "crowded-column"])
def test_labels_sit_on_their_flow_and_off_every_element(text: str) -> None:
    model = loads(text)
    drawing = diagram(model)
    flows = {f.id: (f.source, f.target) for f in model.flows}
    labelled = {f.id for f in model.flows if f.data or f.name}
    assert {r.flow_id for r in drawing.routes if r.label_box is not None} == labelled
    check_geometry(drawing, flows)
    for route in drawing.routes:  # and the label is on (or right beside) its own path
        if route.label_box is None:
            continue
        box = route.label_box.grown(route.label_box.height / 2 + 4)
        assert any(segment_hits(a, b, box) for a, b in pairwise(route.points)), route.flow_id


def test_the_demo_diagram_lays_out_the_same_every_time_and_fits_its_columns() -> None:
    first, second = diagram(loads(DEMO_MODEL)), diagram(loads(DEMO_MODEL))
    assert first == second
    assert first.layout.columns == ("data", "development", "training", "deployment", "operation")
    small = diagram(loads(CROWDED)).layout
    assert small.columns == ("operation",) and small.width < 300  # only the stages a model uses take room


def test_a_label_too_long_for_a_gap_is_wrapped_and_still_clear() -> None:
    model = loads(DEMO_MODEL)
    route = next(r for r in diagram(model).routes if r.flow_id == "tickets->demo-notebook")
    assert route.label == ("ticket", "export")  # the 70 px between two boxes is too narrow for one line
    assert label_size(route.label)[0] < 70


def test_svg_twin_has_a_legend_for_every_colour_and_escapes_names() -> None:
    model = loads(DEMO_MODEL.replace("name: Support assistant", f'name: "{HOSTILE}"'))
    assessment = evaluate(model)
    svg = data_flow_svg(model, assessment)
    assert "<img" not in svg and "&lt;img src=x onerror=alert(1)&gt;" in svg
    assert "<script" not in svg.lower() and "onerror=" not in svg.replace("onerror=alert", "")
    for _fill, words in ZONE_FILLS.values():
        assert words in svg
    for words in SEVERITY_WORDS.values():
        assert f"element: {words}" in svg
    assert "crosses a trust boundary unencrypted" in svg
    matrix = risk_matrix_svg(assessment)
    for name, low, high in band_ranges():
        assert f"{name} {low}-{high}" in matrix
    counts = [int(n) for n in re.findall(r"font-weight='700' fill='#1f2328'>(\d+)</text>", matrix)]
    assert sum(counts) == len(assessment.open())
    assert f"open threats ({len(assessment.open())})" in matrix


def test_plotly_figures_draw_the_same_geometry_with_legends() -> None:
    model = loads(DEMO_MODEL)
    assessment = evaluate(model)
    figure = data_flow_figure(model, assessment)
    drawing = diagram(model)
    paths = {s.path for s in figure.layout.shapes if s.type == "path"}
    assert {r.path() for r in drawing.routes} <= paths
    labels = {(round(a.x), round(a.y)) for a in figure.layout.annotations if not a.showarrow}
    assert {
        (round(r.label_box.center[0]), round(r.label_box.center[1])) for r in drawing.routes if r.label_box
    } <= labels
    assert figure.layout.width == int(drawing.layout.width) and figure.layout.autosize is False  # 1 unit = 1 px
    legend = {t.name for t in figure.data if t.showlegend is not False and t.name != "elements"}
    assert {words for _fill, words in ZONE_FILLS.values()} <= legend
    assert {f"element: {w}" for w in SEVERITY_WORDS.values()} <= legend
    heat = risk_heatmap(assessment)
    assert list(heat.data[0].colorbar.ticktext) == [f"{n} {lo}-{hi}" for n, lo, hi in band_ranges()]
