"""What one static pickle walk reports: globals, calls, computed names, anomalies and stream shape.

Kept apart from the machine (pickle_vm) so the modules that read a walk's result (pickle_findings,
the walker) depend on these plain records only, not on the opcode machine that fills them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from nbsec.scanners.artifacts.pickle_shape import NestedRef


class GlobalRef(NamedTuple):
    module: str
    name: str
    offset: int
    opcode: str


class CallRef(NamedTuple):
    func: str  # qualified name of the callable, or a description when it is not a plain global
    offset: int
    opcode: str
    args: str  # short preview of the arguments


class ComputedRef(NamedTuple):
    offset: int
    opcode: str
    detail: str


class Anomaly(NamedTuple):
    kind: str  # frame | truncated | invalid-opcode | memo | stack | trailing | limit | joblib
    offset: int
    message: str


@dataclass
class PickleAnalysis:
    """Everything one walk saw. Offsets are absolute positions in the analysed stream."""

    globals: list[GlobalRef] = field(default_factory=list)
    calls: list[CallRef] = field(default_factory=list)
    computed: list[ComputedRef] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    pickles: int = 0
    protocol: int | None = None
    end_offset: int = 0
    ops: int = 0
    first_value: Any = None  # the first pickle's result (legacy torch: the magic number)
    nested: list[NestedRef] = field(default_factory=list)  # deserializer calls (their bytes, when embedded)
    # Shape of the streams, for expansion and self-reference bombs (never from building the objects).
    dups: int = 0  # DUP opcodes: Python's pickler never writes one
    gets: int = 0  # memo reads
    memo_entries: int = 0
    self_refs: int = 0  # containers filled with themselves (L.append(L), d[k] = d)
    expansion: int = 0  # the largest result's size as a tree (0: not estimated)
    cyclic: bool = False

    def merge(self, other: PickleAnalysis) -> None:
        self.globals.extend(other.globals)
        self.calls.extend(other.calls)
        self.computed.extend(other.computed)
        self.anomalies.extend(other.anomalies)
        self.nested.extend(other.nested)
        self.ops += other.ops
        self.dups += other.dups
        self.gets += other.gets
        self.memo_entries += other.memo_entries
        self.self_refs += other.self_refs
        self.expansion = max(self.expansion, other.expansion)
        self.cyclic = self.cyclic or other.cyclic
