"""Where each element, flow and flow label goes on a data-flow diagram, computed in Python (no Graphviz, no Java).

Columns are the lifecycle stages the model uses (data -> development -> training -> deployment ->
operation), bands are trust zones, so trust boundaries are plain rectangles and a flow that crosses
one is visibly a line leaving its band. A flow is a straight line when that line is clear; when an
element is in the way it is routed around it through the gaps between columns or rows (a two-bend
path), and apart from a flow already drawn there (such as the reverse direction). Each flow's label
goes at the first point along its path, from the middle outwards, where the label's box touches no
element, no zone title and no other label, so labels never hide what they describe.

Both renderers (plotly in the live widget, SVG in the notebook's static twin) draw exactly these
numbers, in the same units (1 unit = 1 px at 100 %). Deterministic: the same model always gets the
same picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from nbsec.threatmodel.document import ThreatModel
from nbsec.threatmodel.vocabulary import STAGES

COLUMN = 220.0
ROW = 96.0
BOX_W = 150.0
BOX_H = 54.0
PAD = 30.0

NODE_FONT = 12.0
KIND_FONT = 10.0
LABEL_FONT = 10.0
ZONE_FONT = 12.0
LINE = 1.25  # line height, in em
CHAR_EM = 0.62  # a generous average advance of sans-serif text, in em: estimated boxes are never too small
BOLD_EM = 0.68
NODE_CHARS = int((BOX_W - 12) / (NODE_FONT * 0.56))  # bold names: about 0.55 em a character
LABEL_CHARS = 20  # per line of a flow label (two lines at most)

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> Point:
        return (self.x + self.width / 2, self.y + self.height / 2)

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def grown(self, margin: float) -> Box:
        return Box(self.x - margin, self.y - margin, self.width + 2 * margin, self.height + 2 * margin)

    def intersects(self, other: Box) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def contains(self, point: Point) -> bool:
        return self.x <= point[0] <= self.right and self.y <= point[1] <= self.bottom

    def overlap(self, other: Box) -> float:
        width = min(self.right, other.right) - max(self.x, other.x)
        height = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(0.0, width) * max(0.0, height)


@dataclass(frozen=True)
class Layout:
    elements: dict[str, Box]
    zones: dict[str, Box]
    width: float
    height: float
    zone_titles: dict[str, Box]  # where each zone's title text is written (an obstacle for labels)
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Route:
    """One flow's path: a polyline from the source's border to the target's border, and its label."""

    flow_id: str
    points: tuple[Point, ...]
    label: tuple[str, ...] = ()
    label_box: Box | None = None

    def path(self) -> str:
        """The polyline as SVG path data (plotly's path shapes read the same syntax)."""
        head, *rest = self.points
        return f"M{head[0]:.1f},{head[1]:.1f}" + "".join(f" L{x:.1f},{y:.1f}" for x, y in rest)

    def arrow(self, length: float = 9.0, half_width: float = 4.5) -> tuple[Point, Point, Point]:
        """The arrowhead at the target's border: (tip, one corner, the other corner)."""
        (x0, y0), (x1, y1) = self.points[-2], self.points[-1]
        dx, dy = _unit(x1 - x0, y1 - y0)
        bx, by = x1 - dx * length, y1 - dy * length
        return ((x1, y1), (bx - dy * half_width, by + dx * half_width), (bx + dy * half_width, by - dx * half_width))


@dataclass(frozen=True)
class Diagram:
    layout: Layout
    routes: tuple[Route, ...]


def text_width(text: str, size: float, em: float = CHAR_EM) -> float:
    return len(text) * size * em


def zone_title(name: str, trust: str) -> str:
    return f"{name} ({trust})"


def wrap(text: str, chars: int, max_lines: int = 2) -> tuple[str, ...]:
    """Greedy wrap at spaces or after / - _ . (names are often paths or ids), ending in "..." when cut."""
    lines: list[str] = []
    rest = " ".join(text.split())
    while rest and len(lines) < max_lines:
        if len(rest) <= chars:
            lines.append(rest)
            rest = ""
            break
        cut = max(rest.rfind(" ", 1, chars + 1), rest.rfind("/", 1, chars))  # words and path parts first
        if cut < chars // 3:
            cut = max(cut, *(rest.rfind(c, 1, chars) for c in "-_."))
        if cut <= 0:
            head, rest = rest[:chars], rest[chars:]
        elif rest[cut] == " ":
            head, rest = rest[:cut], rest[cut + 1 :]
        else:
            head, rest = rest[: cut + 1], rest[cut + 1 :]
        lines.append(head)
    if rest:
        lines[-1] = lines[-1][: chars - 1] + "\u2026"
    return tuple(lines)


def node_lines(label: str) -> tuple[str, ...]:
    """An element's name in at most two lines that fit its box (the full name is in the tooltip)."""
    return wrap(label, NODE_CHARS) or ("",)


def flow_label_lines(text: str, chars: int = LABEL_CHARS) -> tuple[str, ...]:
    return wrap(text, chars)


def label_size(lines: tuple[str, ...]) -> tuple[float, float]:
    width = max(text_width(line, LABEL_FONT) for line in lines) + 6
    return (width, len(lines) * LABEL_FONT * LINE + 4)


# -- elements and zones ------------------------------------------------------------------------


def layout(model: ThreatModel) -> Layout:
    used = {e.lifecycle_stage if e.lifecycle_stage in STAGES else STAGES[-1] for e in model.elements}
    columns = tuple(s for s in STAGES if s in used) or (STAGES[-1],)
    elements: dict[str, Box] = {}
    zones: dict[str, Box] = {}
    titles: dict[str, Box] = {}
    top = PAD
    width = PAD * 2 + COLUMN * len(columns)
    for zone in model.zone_ids():
        members = [e for e in model.elements if e.zone == zone]
        declared = model.zone(zone)
        if not members and declared is None:
            continue
        slots = dict.fromkeys(columns, 0)
        for element in members:
            stage = element.lifecycle_stage if element.lifecycle_stage in slots else columns[-1]
            column = columns.index(stage)
            x = PAD + column * COLUMN + (COLUMN - BOX_W) / 2
            y = top + PAD + slots[stage] * ROW
            elements[element.id] = Box(x, y, BOX_W, BOX_H)
            slots[stage] += 1
        height = PAD * 2 + max(1, max(slots.values())) * ROW - (ROW - BOX_H)
        zones[zone] = Box(PAD / 2, top, width - PAD, height)
        title = zone_title(declared.name if declared and declared.name else zone, model.zone_trust(zone))
        titles[zone] = Box(PAD / 2 + 4, top + 2, text_width(title, ZONE_FONT, BOLD_EM) + 4, ZONE_FONT * LINE + 2)
        top += height + PAD
    return Layout(elements, zones, width, top, titles, columns)


# -- flows ------------------------------------------------------------------------------------------


def diagram(model: ThreatModel) -> Diagram:
    """The layout plus a route and a label place for every flow whose two ends are on the diagram."""
    places = layout(model)
    routes: list[Route] = []
    drawn: set[tuple[int, int]] = set()  # cells (of NEAR units) some flow already passes through
    labels: list[Box] = []
    bounds = Box(0, 0, places.width, places.height)
    for flow in model.flows:
        source, target = places.elements.get(flow.source), places.elements.get(flow.target)
        if source is None or target is None or flow.source == flow.target:
            continue
        others = [box for ident, box in places.elements.items() if ident not in (flow.source, flow.target)]
        points = _best_route(source, target, others, list(places.zone_titles.values()), drawn, places)
        drawn.update(_cell(p) for p in _samples(points))
        lines = flow_label_lines(flow.name or flow.data)
        box = None
        if lines:
            obstacles = [*places.elements.values(), *places.zone_titles.values()]
            lines, box = _place_label(points, lines, obstacles, labels, bounds)
            labels.append(box)
        routes.append(Route(flow.id, points, lines, box))
    return Diagram(places, tuple(routes))


def _unit(dx: float, dy: float) -> tuple[float, float]:
    length = math.hypot(dx, dy) or 1.0
    return (dx / length, dy / length)


def _border(box: Box, toward: Point, start: Point | None = None) -> Point:
    """Where the line from `start` (the box's centre by default) to `toward` leaves the box."""
    cx, cy = start or box.center
    dx, dy = toward[0] - cx, toward[1] - cy
    scales = []
    if dx:
        scales.append(((box.right if dx > 0 else box.x) - cx) / dx)
    if dy:
        scales.append(((box.bottom if dy > 0 else box.y) - cy) / dy)
    scale = min((s for s in scales if s > 0), default=0.0)
    return (cx + dx * scale, cy + dy * scale)


def _segment_hits(a: Point, b: Point, box: Box) -> bool:
    """Does the segment a-b pass through the box (Liang-Barsky clipping)?"""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - box.x), (dx, box.right - a[0]), (-dy, a[1] - box.y), (dy, box.bottom - a[1])):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return False
    return True


def _samples(points: tuple[Point, ...] | list[Point], step: float = 8.0) -> list[Point]:
    out: list[Point] = []
    for (x0, y0), (x1, y1) in pairwise(points):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) / step))
        out += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(n)]
    out.append(points[-1])
    return out


NEAR = 6.0


def _cell(point: Point) -> tuple[int, int]:
    return (int(point[0] // NEAR), int(point[1] // NEAR))


def _length(points: tuple[Point, ...]) -> float:
    return sum(math.hypot(x1 - x0, y1 - y0) for (x0, y0), (x1, y1) in pairwise(points))


def _candidates(source: Box, target: Box, places: Layout) -> list[tuple[tuple[Point, ...], float]]:
    """(polyline, extra cost) for the straight line (and two lines beside it) and the two-bend detours."""
    (sx, sy), (tx, ty) = source.center, target.center
    out: list[tuple[tuple[Point, ...], float]] = []
    nx, ny = _unit(-(ty - sy), tx - sx)
    for shift in (0.0, 8.0, -8.0):
        a, b = (sx + nx * shift, sy + ny * shift), (tx + nx * shift, ty + ny * shift)
        out.append(((_border(source, b, a), _border(target, a, b)), abs(shift) / 8))
    half_gap_x, half_gap_y = (COLUMN - BOX_W) / 2, (ROW - BOX_H) / 2
    lanes_x = sorted({b.x - half_gap_x for b in (source, target)} | {b.right + half_gap_x for b in (source, target)})
    lanes_y = sorted(
        {box.y - half_gap_y for box in (source, target)} | {box.bottom + half_gap_y for box in (source, target)}
        | {zone.y + zone.height + PAD / 2 for zone in places.zones.values()}
        | {zone.y - PAD / 2 for zone in places.zones.values()}
    )  # fmt: skip
    for lane in lanes_x:
        for offset in (0.0, -12.0, 12.0):
            x = lane + offset
            for port in (0.0, -10.0, 10.0):
                start = (source.right if x > sx else source.x, sy + port)
                end = (target.right if x > tx else target.x, ty + port)
                out.append(((start, (x, start[1]), (x, end[1]), end), 4 + (abs(offset) + abs(port)) / 10))
    for lane in lanes_y:
        for offset in (0.0, -8.0, 8.0):
            y = lane + offset
            for port in (0.0, -12.0, 12.0):
                start = (sx + port, source.bottom if y > sy else source.y)
                end = (tx + port, target.bottom if y > ty else target.y)
                out.append(((start, (start[0], y), (end[0], y), end), 4 + (abs(offset) + abs(port)) / 10))
    return out


def _best_route(
    source: Box, target: Box, others: list[Box], titles: list[Box], drawn: set[tuple[int, int]], places: Layout
) -> tuple[Point, ...]:
    best: tuple[float, tuple[Point, ...]] | None = None
    grown = [box.grown(8) for box in others]
    for points, extra in _candidates(source, target, places):
        segments = list(pairwise(points))
        hits = sum(1 for box in grown for a, b in segments if _segment_hits(a, b, box))
        hits += sum(1 for a, b in segments[1:-1] for box in (source, target) if _segment_hits(a, b, box.grown(2)))
        title_hits = sum(1 for box in titles for a, b in segments if _segment_hits(a, b, box))
        inside = not all(0 <= x <= places.width and 0 <= y <= places.height for x, y in points)
        mine = _samples(points)
        near = sum(1 for p in mine if _cell(p) in drawn)
        cost = 1000 * (hits + inside) + 40 * title_hits + 4 * near + _length(points) / 60 + extra
        if best is None or cost < best[0]:
            best = (cost, points)
    assert best is not None  # the straight line is always a candidate
    return best[1]


def _point_at(points: tuple[Point, ...], fraction: float) -> tuple[Point, tuple[float, float]]:
    """The point `fraction` of the way along the polyline, and the direction of its segment there."""
    goal = _length(points) * fraction
    for (x0, y0), (x1, y1) in pairwise(points):
        step = math.hypot(x1 - x0, y1 - y0)
        if goal <= step or (x1, y1) == points[-1]:
            t = goal / step if step else 0.0
            return (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t), _unit(x1 - x0, y1 - y0)
        goal -= step
    return points[-1], (1.0, 0.0)


FRACTIONS = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.1, 0.9)


def _place_label(
    points: tuple[Point, ...], lines: tuple[str, ...], obstacles: list[Box], placed: list[Box], bounds: Box
) -> tuple[tuple[str, ...], Box]:
    """The first spot along the path, middle first, whose box is clear; else a shorter text; else the least bad."""
    nodes = [box.grown(3) for box in obstacles]
    labels = [box.grown(2) for box in placed]
    fallback: tuple[float, tuple[str, ...], Box] | None = None
    for text in (lines, flow_label_lines(" ".join(lines), 12), (lines[0][:9] + "\u2026",)):
        width, height = label_size(text)
        for side in (0.0, 1.0, -1.0):
            for fraction in FRACTIONS:
                (x, y), (dx, dy) = _point_at(points, fraction)
                # beside the line (side +-1): moved along the normal until the box just clears the line
                shift = side * (abs(dx) * height / 2 + abs(dy) * width / 2 + 3)
                cx, cy = x - dy * shift, y + dx * shift
                box = Box(cx - width / 2, cy - height / 2, width, height)
                bad = sum(box.overlap(o) for o in (*nodes, *labels))
                if bad == 0 and _within(box, bounds):
                    return text, box
                if fallback is None or bad < fallback[0]:
                    fallback = (bad, text, box)
    assert fallback is not None
    return fallback[1], fallback[2]


def _within(box: Box, bounds: Box) -> bool:
    return box.x >= bounds.x and box.y >= bounds.y and box.right <= bounds.right and box.bottom <= bounds.bottom
