"""Read a threat model (YAML file, text or plain data), validate it, and say what to fix.

Every problem names the line it is on and how to fix it; an unknown key,
kind, attribute, control or id suggests the nearest valid one. All problems
are collected, not only the first, so one edit-and-rerun fixes them all.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nbsec.errors import NbsecError
from nbsec.threatmodel import yamlio
from nbsec.threatmodel.document import FORMAT_KEY, FORMAT_VERSION, Element, Flow, ThreatEntry, ThreatModel, Zone
from nbsec.threatmodel.vocabulary import (
    ATTRIBUTES,
    CONTROLS,
    DEFAULT_ZONE,
    FLOW,
    KINDS,
    STAGES,
    STATUS_ALIASES,
    STATUSES,
    TRUST_LEVELS,
)

STRIDE = (
    "Spoofing",
    "Tampering",
    "Repudiation",
    "Information disclosure",
    "Denial of service",
    "Elevation of privilege",
)
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}$")

TOP_KEYS = (FORMAT_KEY, "title", "owner", "description", "zones", "controls", "elements", "flows", "threats", "extra")
ZONE_KEYS = ("id", "name", "trust", "description")
ELEMENT_KEYS = ("id", "kind", "name", "zone", "stage", "description", "attributes", "controls", "extra")
FLOW_KEYS = ("id", "from", "to", "name", "data", "attributes", "controls", "extra")
THREAT_KEYS = (
    "rule", "target", "id", "title", "stride", "description", "mitigation",
    "status", "owner", "due", "note", "likelihood", "impact", "extra",
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str
    hint: str


class ThreatModelError(NbsecError):
    """A threat model that cannot be used as written; `problems` lists each one with its line and fix."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        self.problems = problems
        shown = problems[:20]
        lines = [_where(source, p.line) + f": {p.message}" + (f" ({p.hint})" if p.hint else "") for p in shown]
        if len(problems) > len(shown):
            lines.append(f"... and {len(problems) - len(shown)} more")
        first = problems[0] if problems else Problem(None, "invalid threat model", "")
        message = lines[0] if len(lines) == 1 else f"{len(problems)} problems in {source}:\n  " + "\n  ".join(lines)
        super().__init__(message, first.hint or "fix the threat model and run again")


def _where(source: str, line: int | None) -> str:
    return f"{source}, line {line}" if line else source


def nearest(word: str, choices: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str], what: str) -> str:
    options = list(choices)
    close = nearest(word, options)
    if close is not None:
        return f"did you mean {close!r}?"
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"use one of the {what}: {shown}"


# -- entry points ------------------------------------------------------------------


def load(path: str | os.PathLike[str], display: str | None = None) -> ThreatModel:
    """Read and validate a threat-model YAML file. Raises ThreatModelError (with lines) or NbsecError."""
    source = display or str(path)
    try:
        text = yamlio.read_text(path)
    except FileNotFoundError:
        raise NbsecError(
            f"{source}: no such file", "check the path, or create one with `nbsec threatmodel new`"
        ) from None
    except OSError as exc:
        raise NbsecError(f"{source}: cannot read ({exc.strerror})", "check the file's permissions") from None
    except yamlio.YamlProblem as exc:
        raise ThreatModelError(source, [Problem(exc.line, exc.message, "")]) from None
    return loads(text, source)


def loads(text: str, source: str = "<threat model>") -> ThreatModel:
    try:
        data, lines = yamlio.parse(text)
    except yamlio.YamlProblem as exc:
        raise ThreatModelError(source, [Problem(exc.line, exc.message, "fix the YAML syntax at that line")]) from None
    return model_from_data(data, lines, source)


def model_from_data(data: Any, lines: yamlio.Lines | None = None, source: str = "<threat model>") -> ThreatModel:
    """Validate plain data (parsed YAML, JSON, or `ThreatModel.to_dict()`) into a ThreatModel."""
    reader = _Reader(lines or {}, source)
    model = reader.read(data)
    if reader.problems:
        raise ThreatModelError(source, reader.problems)
    return model


# -- the reader ---------------------------------------------------------------------


class _Reader:
    def __init__(self, lines: yamlio.Lines, source: str) -> None:
        self.lines = lines
        self.source = source
        self.problems: list[Problem] = []

    def line(self, path: tuple[Any, ...]) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def problem(self, path: tuple[Any, ...], message: str, hint: str) -> None:
        self.problems.append(Problem(self.line(path), message, hint))

    # -- generic helpers ------------------------------------------------------------

    def mapping(self, value: Any, path: tuple[Any, ...], what: str) -> dict[Any, Any]:
        if isinstance(value, dict):
            return value
        self.problem(path, f"{what} must be a mapping (key: value lines), not {_type_name(value)}", "")
        return {}

    def sequence(self, data: dict[Any, Any], key: str, path: tuple[Any, ...]) -> list[Any]:
        value = data.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.problem((*path, key), f"`{key}` must be a list (lines starting with '- ')", "")
        return []

    def keys(self, data: dict[Any, Any], allowed: tuple[str, ...], path: tuple[Any, ...], what: str) -> None:
        for key in data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed, f"keys of {what}")
                self.problem((*path, key), f"unknown key {key!r} in {what}", hint)

    def text(self, data: dict[Any, Any], key: str, path: tuple[Any, ...], default: str = "") -> str:
        value = data.get(key, default)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            self.problem((*path, key), f"`{key}` must be text", "")
            return default
        if isinstance(value, (_dt.date, _dt.datetime)):
            return value.isoformat()
        return str(value)

    def ident(self, data: dict[Any, Any], path: tuple[Any, ...], what: str, fallback: str = "") -> str:
        ident = self.text(data, "id", path, fallback)
        if not ident:
            self.problem(path, f"{what} has no `id`", "add `id: some-name` (letters, digits, - _ . :)")
        elif not ID_PATTERN.match(ident):
            self.problem((*path, "id"), f"id {ident!r} has characters ids cannot use", "use letters, digits, - _ . :")
        return ident

    def names(self, value: Any, path: tuple[Any, ...]) -> tuple[str, ...]:
        """A list of control names, each checked against the catalogue."""
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, "`controls` must be a list of control names", "e.g. controls: [artifact_scanning]")
            return ()
        out: list[str] = []
        for index, name in enumerate(value):
            name = str(name)
            if name not in CONTROLS:
                self.problem((*path, index), f"unknown control {name!r}", did_you_mean(name, CONTROLS, "controls"))
            elif name not in out:
                out.append(name)
        return tuple(out)

    def attributes(self, value: Any, kind: str, path: tuple[Any, ...]) -> dict[str, Any]:
        data = self.mapping(value, path, "`attributes`") if value is not None else {}
        out: dict[str, Any] = {}
        for key, raw in data.items():
            spec = ATTRIBUTES.get(str(key))
            here = (*path, key)
            if spec is None:
                options = [a.name for a in ATTRIBUTES.values() if kind in a.kinds]
                self.problem(
                    here, f"unknown attribute {key!r} for {kind}", did_you_mean(str(key), options, "attributes")
                )
                continue
            if kind not in spec.kinds:
                where = ", ".join(sorted(spec.kinds))
                self.problem(here, f"attribute {key!r} does not apply to {kind}", f"it applies to: {where}")
                continue
            if spec.choices:
                if str(raw) not in spec.choices:
                    hint = did_you_mean(str(raw), spec.choices, f"values of {key}")
                    self.problem(here, f"{key}: {raw!r} is not a known value", hint)
                    continue
                out[spec.name] = str(raw)
            elif spec.name == "protocol":
                out[spec.name] = str(raw)
            elif isinstance(raw, bool):
                out[spec.name] = raw
            else:
                self.problem(
                    here, f"{key} must be true or false, not {raw!r}", f"write `{key}: true` or `{key}: false`"
                )
        return out

    # -- sections ----------------------------------------------------------------

    def read(self, data: Any) -> ThreatModel:
        if data is None:
            self.problem(
                (), "the threat model is empty", f"start with `{FORMAT_KEY}: {FORMAT_VERSION}` and `elements:`"
            )
            return ThreatModel()
        top = self.mapping(data, (), "the threat model")
        if not top:
            return ThreatModel()
        self.keys(top, TOP_KEYS, (), "the threat model")
        version = top.get(FORMAT_KEY)
        if version != FORMAT_VERSION:
            hint = f"put `{FORMAT_KEY}: {FORMAT_VERSION}` on the first line"
            self.problem((FORMAT_KEY,), f"`{FORMAT_KEY}` must be {FORMAT_VERSION} (found {version!r})", hint)
        zones = self.zones(top)
        declared_zones = {z.id for z in zones}
        elements = self.elements(top, declared_zones)
        flows = self.flows(top, {e.id for e in elements})
        clash = {e.id for e in elements} & {f.id for f in flows}
        for ident in sorted(clash):
            self.problem(("flows",), f"flow id {ident!r} is also an element id", "give the flow another id")
        targets = {e.id for e in elements} | {f.id for f in flows}
        return ThreatModel(
            title=self.text(top, "title", (), "Untitled AI system"),
            owner=self.text(top, "owner", ()),
            description=self.text(top, "description", ()),
            zones=zones,
            elements=elements,
            flows=flows,
            controls=self.names(top.get("controls"), ("controls",)),
            threats=self.threats(top, targets),
            extra=self.mapping(top["extra"], ("extra",), "`extra`") if top.get("extra") is not None else {},
        )

    def zones(self, top: dict[Any, Any]) -> tuple[Zone, ...]:
        out: list[Zone] = []
        for index, raw in enumerate(self.sequence(top, "zones", ())):
            path = ("zones", index)
            data = self.mapping(raw, path, "a zone")
            if not data:
                continue
            self.keys(data, ZONE_KEYS, path, "a zone")
            trust = self.text(data, "trust", path, "internal")
            if trust not in TRUST_LEVELS:
                self.problem((*path, "trust"), f"unknown trust {trust!r}", did_you_mean(trust, TRUST_LEVELS, "levels"))
            ident = self.ident(data, path, "a zone")
            if any(z.id == ident for z in out):
                self.problem(path, f"zone {ident!r} is declared twice", "merge the two entries")
            out.append(
                Zone(ident, self.text(data, "name", path), trust, self.text(data, "description", path), self.line(path))
            )
        return tuple(out)

    def elements(self, top: dict[Any, Any], zones: set[str]) -> tuple[Element, ...]:
        out: list[Element] = []
        for index, raw in enumerate(self.sequence(top, "elements", ())):
            path = ("elements", index)
            data = self.mapping(raw, path, "an element")
            if not data:
                continue
            self.keys(data, ELEMENT_KEYS, path, "an element")
            ident = self.ident(data, path, "an element")
            kind = self.text(data, "kind", path)
            if kind not in KINDS:
                hint = did_you_mean(kind, KINDS, "element kinds")
                self.problem((*path, "kind"), f"element {ident!r}: unknown kind {kind!r}", hint)
            zone = self.text(data, "zone", path, DEFAULT_ZONE)
            if zones and zone not in zones:
                hint = did_you_mean(zone, sorted(zones), "declared zones") + " (or declare the zone under `zones:`)"
                self.problem((*path, "zone"), f"element {ident!r}: zone {zone!r} is not declared", hint)
            stage = self.text(data, "stage", path)
            if stage and stage not in STAGES:
                self.problem((*path, "stage"), f"unknown stage {stage!r}", did_you_mean(stage, STAGES, "stages"))
            if any(e.id == ident for e in out):
                self.problem(path, f"element id {ident!r} is used twice", "ids must be unique: rename one")
            out.append(
                Element(
                    id=ident,
                    kind=kind,
                    name=self.text(data, "name", path),
                    zone=zone,
                    stage=stage,
                    description=self.text(data, "description", path),
                    attributes=self.attributes(data.get("attributes"), kind, (*path, "attributes")),
                    controls=self.names(data.get("controls"), (*path, "controls")),
                    extra=self.mapping(data["extra"], (*path, "extra"), "`extra`") if data.get("extra") else {},
                    line=self.line(path),
                )
            )
        return tuple(out)

    def flows(self, top: dict[Any, Any], element_ids: set[str]) -> tuple[Flow, ...]:
        out: list[Flow] = []
        for index, raw in enumerate(self.sequence(top, "flows", ())):
            path = ("flows", index)
            data = self.mapping(raw, path, "a flow")
            if not data:
                continue
            self.keys(data, FLOW_KEYS, path, "a flow")
            ends = []
            for key in ("from", "to"):
                end = self.text(data, key, path)
                if not end:
                    self.problem(path, f"flow has no `{key}`", f"add `{key}: ELEMENT_ID`")
                elif end not in element_ids:
                    hint = did_you_mean(end, sorted(element_ids), "element ids")
                    self.problem((*path, key), f"flow {key} {end!r}: no element has this id", hint)
                ends.append(end)
            ident = self.text(data, "id", path) or _unique(f"{ends[0]}->{ends[1]}", {f.id for f in out})
            if any(f.id == ident for f in out):
                self.problem(path, f"flow id {ident!r} is used twice", "ids must be unique: rename one")
            out.append(
                Flow(
                    id=ident,
                    source=ends[0],
                    target=ends[1],
                    name=self.text(data, "name", path),
                    data=self.text(data, "data", path),
                    attributes=self.attributes(data.get("attributes"), FLOW, (*path, "attributes")),
                    controls=self.names(data.get("controls"), (*path, "controls")),
                    extra=self.mapping(data["extra"], (*path, "extra"), "`extra`") if data.get("extra") else {},
                    line=self.line(path),
                )
            )
        return tuple(out)

    def threats(self, top: dict[Any, Any], targets: set[str]) -> tuple[ThreatEntry, ...]:
        from nbsec.threatmodel.library import RULES_BY_ID

        out: list[ThreatEntry] = []
        for index, raw in enumerate(self.sequence(top, "threats", ())):
            path = ("threats", index)
            data = self.mapping(raw, path, "a threat entry")
            if not data:
                continue
            self.keys(data, THREAT_KEYS, path, "a threat entry")
            rule = self.text(data, "rule", path).upper()
            target = self.text(data, "target", path)
            if rule and rule not in RULES_BY_ID:
                hint = did_you_mean(rule, sorted(RULES_BY_ID), "threat-library rules (`nbsec rules --only TM`)")
                self.problem((*path, "rule"), f"no threat-library rule {rule!r}", hint)
            if rule and not target:
                self.problem(path, f"entry for {rule} has no `target`", "add `target: ELEMENT_OR_FLOW_ID`")
            if not rule and not (data.get("id") and data.get("title")):
                self.problem(
                    path, "a threat entry needs `rule` + `target`, or `id` + `title`", "see `nbsec threatmodel new`"
                )
            if target and target not in targets:
                hint = did_you_mean(target, sorted(targets), "element and flow ids")
                self.problem((*path, "target"), f"target {target!r}: no element or flow has this id", hint)
            entry = ThreatEntry(
                rule=rule,
                target=target,
                id=self.text(data, "id", path),
                title=self.text(data, "title", path),
                stride=self.stride(data, path),
                description=self.text(data, "description", path),
                mitigation=self.text(data, "mitigation", path),
                status=self.status(data, path),
                owner=self.text(data, "owner", path),
                due=self.due(data, path),
                note=self.text(data, "note", path),
                likelihood=self.score(data, "likelihood", path),
                impact=self.score(data, "impact", path),
                extra=self.mapping(data["extra"], (*path, "extra"), "`extra`") if data.get("extra") else {},
                line=self.line(path),
            )
            if any(t.key == entry.key for t in out):
                self.problem(
                    path, f"two entries for the same threat {entry.key}", "keep one entry per threat and target"
                )
            out.append(entry)
        return tuple(out)

    def status(self, data: dict[Any, Any], path: tuple[Any, ...]) -> str:
        raw = self.text(data, "status", path, "open").strip().lower()
        status = STATUS_ALIASES.get(raw, raw)
        if status not in STATUSES:
            self.problem((*path, "status"), f"unknown status {raw!r}", did_you_mean(raw, STATUSES, "statuses"))
            return "open"
        return status

    def stride(self, data: dict[Any, Any], path: tuple[Any, ...]) -> str:
        raw = self.text(data, "stride", path)
        if not raw:
            return ""
        match = next((s for s in STRIDE if s.lower() == raw.strip().lower()), None)
        if match is None:
            self.problem((*path, "stride"), f"unknown STRIDE category {raw!r}", did_you_mean(raw, STRIDE, "categories"))
            return ""
        return match

    def due(self, data: dict[Any, Any], path: tuple[Any, ...]) -> str:
        value = data.get("due")
        if value in (None, ""):
            return ""
        if isinstance(value, _dt.date):
            return value.isoformat()[:10]
        try:
            return _dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            self.problem((*path, "due"), f"due date {value!r} is not a date", "write it as YYYY-MM-DD, e.g. 2026-12-31")
            return ""

    def score(self, data: dict[Any, Any], key: str, path: tuple[Any, ...]) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            self.problem(
                (*path, key),
                f"{key} must be a whole number from 1 to 5, not {value!r}",
                "1 = rare/minor, 5 = certain/severe",
            )
            return None
        return value


def _unique(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}#{n}" in taken:
        n += 1
    return f"{base}#{n}"


def _type_name(value: Any) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), type(value).__name__
    )
