"""The threat-model builder: ipywidgets 8, an SVG data-flow diagram and a plotly risk matrix, over a YAML file.

    from nbsec.widgets.threatmodel import ThreatModelBuilder
    builder = ThreatModelBuilder.open("threatmodel.nbsec.yaml")
    builder                     # add elements, flows, controls; record decisions; save; export

Every edit builds a new ThreatModel and re-evaluates it (a pure function), so
the threat list, the risk matrix and the diagram always show exactly what
the file would give; all state lives in this object, none in the module, so
re-running the cell starts from the file again and never doubles anything.

Every button says what it changed (or why it changed nothing) in the message line;
the review form always shows the values of the threat selected in it. Shown in a
notebook, the builder is followed by its static twin (nbsec.display.twin: header,
threat list, SVG diagram and risk matrix), re-rendered on every change, so the
notebook still shows the model once the kernel is gone. Save edits the YAML file in
place, keeping its comments and layout (nbsec.threatmodel.roundtrip).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from nbsec.display.twin import Twin
from nbsec.escaping import html_text
from nbsec.threatmodel import assess, evaluate, load
from nbsec.threatmodel.document import Element, Flow, ThreatEntry, ThreatModel
from nbsec.threatmodel.engine import Assessment, Threat
from nbsec.threatmodel.palette import SEVERITY_COLOURS
from nbsec.threatmodel.vocabulary import CONTROLS, KINDS, STAGES, STATUSES, attributes_for

SYSTEM = "(system-wide)"
Key = tuple[str, str]


def changes(before: Assessment, after: Assessment) -> str:
    """What an edit did to the threats, in words: new ones, gone ones, residual risk lowered or raised."""
    old = {t.key: t for t in before.threats}
    new = {t.key: t for t in after.threats}
    added = [k for k in new if k not in old]
    gone = [k for k in old if k not in new]
    lower = [k for k in new if k in old and new[k].residual.score < old[k].residual.score]
    higher = [k for k in new if k in old and new[k].residual.score > old[k].residual.score]
    parts = []
    if added:
        parts.append(f"{_count(added, 'new threat')} ({_names(added)})")
    if gone:
        parts.append(f"{_count(gone, 'threat')} no longer apply ({_names(gone)})")
    for keys, word in ((lower, "lower"), (higher, "higher")):
        if keys:
            moves = ", ".join(
                f"{k[0]} on {k[1] or 'system'} {old[k].residual.score}\u2192{new[k].residual.score}" for k in keys[:4]
            )
            parts.append(
                f"{_count(keys, 'threat')} with {word} residual risk ({moves}{', ...' if len(keys) > 4 else ''})"
            )
    return "; ".join(parts) if parts else "no threat changed"


def _count(items: list[Any], word: str) -> str:
    return f"{len(items)} {word}{'s' if len(items) != 1 else ''}"


def _names(keys: list[Key]) -> str:
    shown = ", ".join(f"{rule} on {target or 'system'}" for rule, target in keys[:4])
    return shown + (", ..." if len(keys) > 4 else "")


# JupyterLab right-aligns the cells of rendered HTML tables (`.jp-RenderedHTMLCommon td`, the twin): a more specific
# selector wins, without a style on each of hundreds of cells. Front ends that drop <style> align left anyway.
_STYLE = (
    "<style>table.nbsec-threat-list.nbsec-threat-list td, table.nbsec-threat-list.nbsec-threat-list th "
    "{ text-align: left; vertical-align: top; }</style>"
)


def threat_table_html(assessment: Assessment) -> str:
    """The live threat list: worst residual first; decided threats greyed, with their status."""
    threats = sorted(assessment.threats, key=lambda t: (not t.is_open, -t.residual.score, t.rule_id, t.target))
    rows = []
    for t in threats:
        colour = SEVERITY_COLOURS[t.residual.severity.value] if t.is_open else "#999"
        review = " ".join(x for x in (t.owner, t.due) if x)
        rows.append(
            f"<tr style='color:{'inherit' if t.is_open else '#888'}'>"
            f"<td><b style='color:{colour}'>{t.residual.severity.value}</b></td>"
            f"<td style='white-space:nowrap'>{html_text(t.rule_id)}</td>"
            f"<td>{html_text(t.title)}</td><td>{html_text(t.target_label)}</td>"
            f"<td style='white-space:nowrap'>{t.inherent.score} &rarr; {t.residual.score}</td>"
            f"<td>{html_text(t.status)}</td><td>{html_text(review)}</td>"
            f"<td>{html_text(', '.join(t.controls_missing))}</td></tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("severity", "rule", "threat", "where", "risk", "status", "owner/due", "controls missing")
    )
    body = "".join(rows) or "<tr><td colspan='8'>No threats apply yet: add elements and flows.</td></tr>"
    table = "<table class='nbsec-threat-list' style='font-size:12px'>"
    return f"{_STYLE}{table}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class ThreatModelBuilder:
    """One builder per cell run: holds its model, evaluates on every change, saves on request."""

    def __init__(self, model: ThreatModel, path: str | None = None) -> None:
        import ipywidgets as w

        self.model = model
        self.path = path
        self.assessment: Assessment = evaluate(model)
        self.heatmap_figure: Any = None
        self.snapshot_handle: Any = None  # the notebook's copy of the model (set by the magic), updated on save
        self.twin = Twin("threatmodel", "threat-model builder", self._twin_html, self._twin_plain)
        self.header = w.HTML()
        self.message = w.HTML()
        self.threat_list = w.HTML()
        self.diagram = w.HTML(layout=w.Layout(width="100%"))  # SVG: scales to the output area, text and all
        self.figures = w.Output()
        self._build_review(w)
        self._build_builder(w)
        buttons = []
        for label, handler in (
            ("Save YAML", self.save),
            ("Export Markdown", self.export_markdown),
            ("Export Report (JSON)", self.export_report),
            ("Export Threat Dragon", self.export_threat_dragon),
        ):
            button = w.Button(description=label, layout=w.Layout(width="auto"))
            button.on_click(lambda _b, h=handler: self._guarded(h))
            buttons.append(button)
        self.buttons = buttons
        self.tabs = w.Tab(children=[w.VBox([self.review_box, self.threat_list]), self.builder_box])
        self.tabs.titles = ("Threats", "Build")
        self.widget = w.VBox([self.header, w.HBox(buttons), self.message, self.tabs, self.diagram, self.figures])
        self.refresh()

    @classmethod
    def open(cls, path: str) -> ThreatModelBuilder:
        return cls(load(path), path)

    def _ipython_display_(self) -> None:
        """In a notebook: the live builder, then its static twin (what stays once the kernel is gone)."""
        self.twin.show(self.widget)

    # -- layout pieces ---------------------------------------------------------------

    def _build_review(self, w: Any) -> None:
        self.review_threat = w.Dropdown(description="Threat", layout=w.Layout(width="95%"))
        self.review_status = w.Dropdown(options=STATUSES, value="open", description="Status")
        self.review_owner = w.Text(description="Owner")
        self.review_due = w.Text(description="Due", placeholder="YYYY-MM-DD")
        self.review_note = w.Text(description="Note", layout=w.Layout(width="95%"))
        self.review_threat.observe(lambda _c: self._load_review_form(), names="value")
        record = w.Button(description="Record decision")
        record.on_click(lambda _b: self._guarded(self.record_decision))
        self.review_box = w.VBox(
            [
                w.HTML("<b>Review</b>"),
                self.review_threat,
                w.HBox([self.review_status, self.review_owner, self.review_due], layout=w.Layout(flex_flow="row wrap")),
                self.review_note,
                record,
            ]
        )

    def _build_builder(self, w: Any) -> None:
        self.new_id = w.Text(description="Id")
        self.new_kind = w.Dropdown(options=sorted(KINDS), value="llm", description="Kind")
        self.new_zone = w.Combobox(description="Zone", placeholder="internal", ensure_option=False)
        self.new_stage = w.Dropdown(options=("", *STAGES), value="", description="Stage")
        add_element = w.Button(description="Add element")
        add_element.on_click(lambda _b: self._guarded(self.add_element_from_form))
        self.attr_target = w.Dropdown(description="Element")
        self.attr_name = w.Dropdown(description="Attribute")
        self.attr_value = w.Dropdown(options=("true", "false"), description="Value")
        self.attr_target.observe(lambda _c: self._sync_attribute_choices(), names="value")
        self.attr_name.observe(lambda _c: self._sync_attribute_values(), names="value")
        set_attr = w.Button(description="Set attribute")
        set_attr.on_click(lambda _b: self._guarded(self.set_attribute_from_form))
        self.flow_from = w.Dropdown(description="From")
        self.flow_to = w.Dropdown(description="To")
        self.flow_data = w.Text(description="Data")
        add_flow = w.Button(description="Add flow")
        add_flow.on_click(lambda _b: self._guarded(self.add_flow_from_form))
        self.control_target = w.Dropdown(description="On")
        self.control_name = w.Dropdown(options=sorted(CONTROLS), description="Control")
        add_control = w.Button(description="Add control")
        add_control.on_click(lambda _b: self._guarded(self.add_control_from_form))
        sections = (
            ("Element", [self.new_id, self.new_kind, self.new_zone, self.new_stage], add_element),
            ("Attribute", [self.attr_target, self.attr_name, self.attr_value], set_attr),
            ("Data flow", [self.flow_from, self.flow_to, self.flow_data], add_flow),
            ("Control in place", [self.control_target, self.control_name], add_control),
        )
        rows: list[Any] = []
        for title, fields, button in sections:
            rows += [w.HTML(f"<b>{title}</b>"), w.HBox(fields, layout=w.Layout(flex_flow="row wrap")), button]
        self.builder_box = w.VBox(rows)

    # -- state -> view ---------------------------------------------------------------

    def _header_html(self) -> str:
        opened = len(self.assessment.open())
        where = html_text(self.path) if self.path else "not saved yet"
        return (
            f"<h3 style='margin:4px 0'>Threat model: {html_text(self.model.title)}</h3>"
            f"<span class='nbsec-threat-summary'>{len(self.model.elements)} elements, {len(self.model.flows)} flows, "
            f"{len(self.assessment.threats)} threats ({opened} open) &middot; {where}</span>"
        )

    def refresh(self, select: Key | None = None) -> None:
        """Re-evaluate the model and redraw every view from it (and the twin); `select` picks the review threat."""
        self.assessment = evaluate(self.model)
        self.header.value = self._header_html()
        self.threat_list.value = threat_table_html(self.assessment)
        ids = [e.id for e in self.model.elements]
        keys = [t.key for t in self.assessment.threats]
        chosen = select if select in keys else self.review_threat.value
        if chosen not in keys:
            chosen = next((t.key for t in self.assessment.threats if t.is_open), keys[0] if keys else None)
        self.review_threat.options = [(self._threat_label(t), t.key) for t in self.assessment.threats]
        self.review_threat.value = chosen  # options= resets the choice to the first; keep the one meant
        self._load_review_form()
        for dropdown in (self.attr_target, self.flow_from, self.flow_to):
            current = dropdown.value
            dropdown.options = ids
            if current in ids:
                dropdown.value = current
        current = self.control_target.value
        self.control_target.options = [SYSTEM, *ids, *(f.id for f in self.model.flows)]
        if current in self.control_target.options:
            self.control_target.value = current
        self.new_zone.options = tuple(self.model.zone_ids())
        self._sync_attribute_choices()
        self._draw()
        self.twin.refresh()

    @staticmethod
    def _threat_label(threat: Threat) -> str:
        return f"{threat.rule_id} {threat.title} @ {threat.target or 'system'} [{threat.status}]"

    def _threat(self, key: Key | None) -> Threat | None:
        return next((t for t in self.assessment.threats if t.key == key), None)

    def _load_review_form(self) -> None:
        """Show the selected threat's own status, owner, due date and note (empty where it has none)."""
        threat = self._threat(self.review_threat.value)
        self.review_status.value = threat.status if threat is not None and threat.status in STATUSES else "open"
        self.review_owner.value = threat.owner if threat is not None else ""
        self.review_due.value = threat.due if threat is not None else ""
        self.review_note.value = threat.note if threat is not None else ""

    @property
    def dfd_figure(self) -> Any:
        """The data-flow diagram as a plotly figure (same geometry as the SVG shown; for `.show()` or a page)."""
        from nbsec.threatmodel.diagram import data_flow_figure

        return data_flow_figure(self.model, self.assessment)

    def _draw(self) -> None:
        """The diagram as SVG (it scales to any width, so labels stay where layout put them); the risk matrix as a
        plotly heatmap, whose hover lists the threats in each cell."""
        from IPython.display import display

        from nbsec.threatmodel.diagram import risk_heatmap
        from nbsec.threatmodel.diagram_svg import data_flow_svg

        title = f"<h4 style='margin:12px 0 4px'>Data flows: {html_text(self.model.title)}</h4>"
        self.diagram.value = title + data_flow_svg(self.model, self.assessment)
        self.heatmap_figure = risk_heatmap(self.assessment)
        from IPython import get_ipython

        if get_ipython() is None:  # plain Python: keep the figures, there is no output area to draw in
            return
        self.figures.clear_output(wait=True)
        with self.figures:
            display(self.heatmap_figure)

    def _twin_html(self) -> str:
        """The twin's body: the header, the threat list, the diagram (the SVG the widget shows) and the risk matrix
        as SVG too (the live one is plotly, which needs a script)."""
        from nbsec.threatmodel.diagram_svg import risk_matrix_svg

        return (
            f"{self._header_html()}{threat_table_html(self.assessment)}{self.diagram.value}"
            f"<div style='margin-top:12px'>{risk_matrix_svg(self.assessment)}</div>"
        )

    def _twin_plain(self) -> str:
        opened = len(self.assessment.open())
        return (
            f"nbsec threat model '{self.model.title}': {len(self.model.elements)} elements, "
            f"{len(self.model.flows)} flows, {len(self.assessment.threats)} threats ({opened} open)"
        )

    def _sync_attribute_choices(self) -> None:
        element = self.model.element(self.attr_target.value or "")
        self.attr_name.options = [a.name for a in attributes_for(element.kind)] if element else []
        self._sync_attribute_values()

    def _sync_attribute_values(self) -> None:
        from nbsec.threatmodel.vocabulary import ATTRIBUTES

        spec = ATTRIBUTES.get(self.attr_name.value or "")
        self.attr_value.options = list(spec.choices) if spec is not None and spec.choices else ["true", "false"]

    def _guarded(self, action: Any) -> None:
        """Run an action from a button; show what happened (or what went wrong) in the message line."""
        from nbsec.errors import NbsecError

        try:
            note = action()
        except (NbsecError, ValueError, KeyError, OSError) as exc:
            text = exc.message if isinstance(exc, NbsecError) else str(exc.args[0] if exc.args else exc)
            self.message.value = f"<span style='color:#d62728'>error: {html_text(text)}</span>"
            return
        self.message.value = f"<span class='nbsec-message'>{html_text(str(note))}</span>"

    # -- edits (also the Python API the buttons call); each returns what it did, in words ----------

    def update(self, model: ThreatModel, select: Key | None = None) -> None:
        from nbsec.threatmodel import loader

        self.model = loader.model_from_data(model.to_dict(), None, "the edited model")  # validate every edit
        self.refresh(select)

    def _edit(self, model: ThreatModel, select: Key | None = None) -> str:
        """Apply an edit and say what it did to the threats."""
        before = self.assessment
        self.update(model, select)
        return changes(before, self.assessment)

    def add_element(self, ident: str, kind: str, zone: str = "", stage: str = "") -> str:
        ident = ident.strip()
        if not ident:
            raise ValueError("give the element an id")
        if self.model.element(ident) is not None:
            raise ValueError(f"an element {ident!r} already exists: nothing added")
        zone = zone.strip() or "internal"
        done = self._edit(self.model.with_element(Element(id=ident, kind=kind, zone=zone, stage=stage)))
        return f"added {kind} {ident} in zone {zone}: {done}"

    def add_element_from_form(self) -> str:
        done = self.add_element(self.new_id.value, self.new_kind.value, self.new_zone.value, self.new_stage.value)
        self.new_id.value = ""  # ready for the next element; kind, zone and stage stay (often the same)
        return done

    def set_attribute(self, ident: str, name: str, value: bool | str) -> str:
        element = self.model.element(ident)
        if element is None:
            raise KeyError(f"no element {ident!r}")
        if not name:
            raise ValueError(f"choose an attribute of {ident}")
        if name in element.attributes and element.attributes[name] == value:
            return f"{ident} already has {name} = {_word(value)}: nothing changed"
        attributes = {**element.attributes, name: value}
        done = self._edit(self.model.with_element(dataclasses.replace(element, attributes=attributes)))
        return f"{ident}: {name} = {_word(value)}: {done}"

    def set_attribute_from_form(self) -> str:
        raw = self.attr_value.value
        value: bool | str = {"true": True, "false": False}.get(raw, raw)
        return self.set_attribute(self.attr_target.value or "", self.attr_name.value or "", value)

    def add_flow(self, source: str, target: str, data: str = "") -> str:
        if not source or not target:
            raise ValueError("choose both ends of the flow")
        if source == target:
            raise ValueError("a flow needs two different elements")
        flow = Flow(id=f"{source}->{target}", source=source, target=target, data=data.strip())
        if self.model.flow(flow.id) is not None:
            raise ValueError(f"a flow {flow.id} already exists: nothing added")
        done = self._edit(self.model.with_flow(flow))
        return f"added flow {flow.id}: {done}"

    def add_flow_from_form(self) -> str:
        done = self.add_flow(self.flow_from.value or "", self.flow_to.value or "", self.flow_data.value)
        self.flow_data.value = ""
        return done

    def add_control(self, target: str, control: str) -> str:
        target = "" if target in ("", SYSTEM) else target
        where = target or "the whole system"
        if control in self.model.controls:
            also = f" (it covers {target} too)" if target else ""
            return f"control {control} is already in place system-wide{also}: nothing changed"
        if target:
            part = self.model.element(target) or self.model.flow(target)
            if part is None:
                raise KeyError(f"no element or flow {target!r}")
            if control in part.controls:
                return f"control {control} is already in place on {target}: nothing changed"
        done = self._edit(self.model.with_control(target, control))
        if done == "no threat changed":
            done = f"no threat here lists {control}, so no risk changed (see 'controls missing' in the list)"
        return f"control {control} on {where}: {done}"

    def add_control_from_form(self) -> str:
        return self.add_control(self.control_target.value or SYSTEM, self.control_name.value)

    def record(
        self, rule_or_custom: str, target: str, status: str, owner: str = "", due: str = "", note: str = ""
    ) -> str:
        """Record a decision on one threat; the review form then moves to the next threat in the list."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
        if rule_or_custom.startswith("custom:"):
            found = [t for t in self.model.threats if t.is_custom and t.id == rule_or_custom[7:]]
            if not found:
                raise KeyError(f"no custom threat {rule_or_custom[7:]!r}")
            old: ThreatEntry | None = found[0]
            entry = dataclasses.replace(found[0], status=status, owner=owner, due=due, note=note)
        else:
            old = self.model.entry(rule_or_custom, target)
            base = old or ThreatEntry(rule=rule_or_custom, target=target)
            entry = dataclasses.replace(base, status=status, owner=owner, due=due, note=note)
        key = (rule_or_custom, target)
        name = f"{rule_or_custom} on {target or 'system'}"
        was = self._threat(key)
        if was is not None and (was.status, was.owner, was.due, was.note) == (status, owner, due, note):
            return f"{name} already is {status} with this owner, due date and note: nothing changed"
        keys = [t.key for t in self.assessment.threats]
        following = keys[keys.index(key) + 1] if key in keys and keys.index(key) + 1 < len(keys) else key
        self.update(self.model.with_entry(entry), select=following)
        detail = ", ".join(x for x in (f"owner {owner}" if owner else "", f"due {due}" if due else "") if x)
        opened = len(self.assessment.open())
        after = f" ({detail})" if detail else ""
        moved = f"; next: {following[0]} on {following[1] or 'system'}" if following != key else ""
        return f"{name}: {was.status if was else 'open'} \u2192 {status}{after}; {opened} open threats left{moved}"

    def record_decision(self) -> str:
        if self.review_threat.value is None:
            raise ValueError("choose a threat first")
        rule, target = self.review_threat.value
        return self.record(rule, target, self.review_status.value, self.review_owner.value.strip(),
                           self.review_due.value.strip(), self.review_note.value.strip())  # fmt: skip

    # -- files -----------------------------------------------------------------------------

    def _sibling(self, suffix: str) -> Path:
        base = Path(self.path or "threatmodel.nbsec.yaml")
        stem = base.name.removesuffix(".yaml").removesuffix(".yml")
        return base.with_name(stem + suffix)

    def save(self) -> str:
        """Write the model to its file, changing only the lines the edits changed (comments and layout kept)."""
        from nbsec.threatmodel.roundtrip import save_keeping_format

        saved = save_keeping_format(self.model, self.path or "threatmodel.nbsec.yaml")
        self.path = str(saved.path)
        self.refresh()
        kept = ""
        if self.snapshot_handle is not None:
            from nbsec.threatmodel.notebook import snapshot

            self.snapshot_handle.update(snapshot(self.model, self.path))
            kept = "; the copy kept in this notebook is updated too"
        return saved.describe() + kept

    def _counts(self) -> str:
        opened = len(self.assessment.open())
        return f"{len(self.assessment.threats)} threats, {opened} open"

    def export_markdown(self) -> str:
        from nbsec.threatmodel.markdown import to_markdown

        target = self._sibling(".md")
        target.write_text(to_markdown(self.model, self.assessment), encoding="utf-8")
        return f"wrote {target} ({self._counts()})"

    def report(self) -> Any:
        return assess(self.model, self.path or "<threat model>")

    def export_report(self) -> str:
        from nbsec.display import formats

        target = self._sibling(".report.json")
        report = self.report()
        formats.write(report, "json", target)
        return f"wrote {target} ({len(report.findings)} findings: the open threats)"

    def export_threat_dragon(self) -> str:
        import json

        from nbsec.threatmodel.threat_dragon_export import export_threat_dragon

        target = self._sibling(".threatdragon.json")
        target.write_text(
            json.dumps(export_threat_dragon(self.model, self.assessment), indent=2) + "\n", encoding="utf-8"
        )
        return f"wrote {target} ({len(self.model.elements)} elements, {len(self.model.flows)} flows, {self._counts()})"


def _word(value: bool | str) -> str:
    return {True: "true", False: "false"}.get(value, str(value)) if isinstance(value, bool) else value
