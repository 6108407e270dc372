"""Where each element goes on a data-flow diagram, computed in Python (no Graphviz, no Java).

Columns are lifecycle stages (data -> development -> training -> deployment ->
operation), bands are trust zones, so trust boundaries are plain rectangles and
a flow that crosses one is visibly a line leaving its band. Deterministic:
the same model always gets the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbsec.threatmodel.document import ThreatModel
from nbsec.threatmodel.vocabulary import STAGES

COLUMN = 230.0
ROW = 110.0
BOX_W = 160.0
BOX_H = 70.0
PAD = 30.0


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.height / 2)


@dataclass(frozen=True)
class Layout:
    elements: dict[str, Box]
    zones: dict[str, Box]
    width: float
    height: float


def layout(model: ThreatModel) -> Layout:
    elements: dict[str, Box] = {}
    zones: dict[str, Box] = {}
    top = PAD
    width = PAD * 2 + COLUMN * len(STAGES)
    for zone in model.zone_ids():
        members = [e for e in model.elements if e.zone == zone]
        if not members and model.zone(zone) is None:
            continue
        slots = dict.fromkeys(STAGES, 0)
        for element in members:
            stage = element.lifecycle_stage if element.lifecycle_stage in slots else STAGES[-1]
            column = STAGES.index(stage)
            x = PAD + column * COLUMN + (COLUMN - BOX_W) / 2
            y = top + PAD + slots[stage] * ROW
            elements[element.id] = Box(x, y, BOX_W, BOX_H)
            slots[stage] += 1
        height = PAD * 2 + max(1, max(slots.values())) * ROW - (ROW - BOX_H)
        zones[zone] = Box(PAD / 2, top, width - PAD, height)
        top += height + PAD
    return Layout(elements, zones, width, top)
