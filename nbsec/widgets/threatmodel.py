"""The threat-model builder: ipywidgets 8 + plotly, over a YAML file.

    from nbsec.widgets.threatmodel import ThreatModelBuilder
    builder = ThreatModelBuilder.open("threatmodel.nbsec.yaml")
    builder                     # add elements, flows, controls; record decisions; save; export

Every edit builds a new ThreatModel and re-evaluates it (a pure function), so
the threat list, the risk matrix and the diagram always show exactly what
the file would give; all state lives in this object, none in the module, so
re-running the cell starts from the file again and never doubles anything.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from nbsec.escaping import html_text
from nbsec.threatmodel import assess, evaluate, load, save
from nbsec.threatmodel.document import Element, Flow, ThreatEntry, ThreatModel
from nbsec.threatmodel.engine import Assessment, Threat
from nbsec.threatmodel.vocabulary import CONTROLS, KINDS, STAGES, STATUSES, attributes_for

SEVERITY_COLOURS = {"critical": "#7f0000", "high": "#d62728", "medium": "#e67e00", "low": "#8c8c00", "info": "#7f7f7f"}
SYSTEM = "(system-wide)"


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
            f"<td>{html_text(t.status)}</td>"
            f"<td>{html_text(review)}</td><td>{html_text(', '.join(t.controls_missing))}</td></tr>"
        )
    head = "".join(
        f"<th style='text-align:left'>{h}</th>"
        for h in ("severity", "rule", "threat", "where", "risk", "status", "owner/due", "controls missing")
    )
    body = "".join(rows) or "<tr><td colspan='8'>No threats apply yet: add elements and flows.</td></tr>"
    table = "<table class='nbsec-threat-list' style='font-size:12px'>"
    return f"{table}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class ThreatModelBuilder:
    """One builder per cell run: holds its model, evaluates on every change, saves on request."""

    def __init__(self, model: ThreatModel, path: str | None = None) -> None:
        import ipywidgets as w

        self.model = model
        self.path = path
        self.assessment: Assessment = evaluate(model)
        self.dfd_figure: Any = None
        self.heatmap_figure: Any = None
        self.header = w.HTML()
        self.message = w.HTML()
        self.threat_list = w.HTML()
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
        self.tabs = w.Tab(children=[w.VBox([self.threat_list, self.review_box]), self.builder_box])
        self.tabs.titles = ("Threats", "Build")
        self.widget = w.VBox([self.header, w.HBox(buttons), self.message, self.tabs, self.figures])
        self.refresh()

    @classmethod
    def open(cls, path: str) -> ThreatModelBuilder:
        return cls(load(path), path)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- layout pieces ---------------------------------------------------------------

    def _build_review(self, w: Any) -> None:
        self.review_threat = w.Dropdown(description="Threat", layout=w.Layout(width="60%"))
        self.review_status = w.Dropdown(options=STATUSES, value="open", description="Status")
        self.review_owner = w.Text(description="Owner")
        self.review_due = w.Text(description="Due", placeholder="YYYY-MM-DD")
        self.review_note = w.Text(description="Note", layout=w.Layout(width="60%"))
        record = w.Button(description="Record decision")
        record.on_click(lambda _b: self._guarded(self.record_decision))
        self.review_box = w.VBox(
            [
                w.HTML("<b>Review</b>"),
                self.review_threat,
                w.HBox([self.review_status, self.review_owner, self.review_due]),
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

    def refresh(self) -> None:
        """Re-evaluate the model and redraw every view from it."""
        self.assessment = evaluate(self.model)
        opened = len(self.assessment.open())
        where = html_text(self.path) if self.path else "not saved yet"
        self.header.value = (
            f"<h3 style='margin:4px 0'>Threat model: {html_text(self.model.title)}</h3>"
            f"<span class='nbsec-threat-summary'>{len(self.model.elements)} elements, {len(self.model.flows)} flows, "
            f"{len(self.assessment.threats)} threats ({opened} open) &middot; {where}</span>"
        )
        self.threat_list.value = threat_table_html(self.assessment)
        ids = [e.id for e in self.model.elements]
        self.review_threat.options = [(self._threat_label(t), t.key) for t in self.assessment.threats]
        for dropdown in (self.attr_target, self.flow_from, self.flow_to):
            dropdown.options = ids
        self.control_target.options = [SYSTEM, *ids, *(f.id for f in self.model.flows)]
        self.new_zone.options = tuple(self.model.zone_ids())
        self._sync_attribute_choices()
        self._draw()

    @staticmethod
    def _threat_label(threat: Threat) -> str:
        return f"{threat.rule_id} {threat.title} @ {threat.target or 'system'} [{threat.status}]"

    def _draw(self) -> None:
        from IPython.display import display

        from nbsec.threatmodel.diagram import data_flow_figure, risk_heatmap

        self.dfd_figure = data_flow_figure(self.model, self.assessment)
        self.heatmap_figure = risk_heatmap(self.assessment)
        from IPython import get_ipython

        if get_ipython() is None:  # plain Python: keep the figures, there is no output area to draw in
            return
        self.figures.clear_output(wait=True)
        with self.figures:
            display(self.dfd_figure)
            display(self.heatmap_figure)

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
            text = exc.message if isinstance(exc, NbsecError) else str(exc)
            self.message.value = f"<span style='color:#d62728'>error: {html_text(text)}</span>"
            return
        self.message.value = html_text(str(note or ""))

    # -- edits (also the Python API the buttons call) ------------------------------------

    def update(self, model: ThreatModel) -> None:
        from nbsec.threatmodel import loader

        self.model = loader.model_from_data(model.to_dict(), None, "the edited model")  # validate every edit
        self.refresh()

    def add_element(self, ident: str, kind: str, zone: str = "", stage: str = "") -> str:
        if not ident.strip():
            raise ValueError("give the element an id")
        if self.model.element(ident) is not None:
            raise ValueError(f"an element {ident!r} already exists")
        zone = zone.strip() or "internal"
        self.update(self.model.with_element(Element(id=ident.strip(), kind=kind, zone=zone, stage=stage)))
        return f"added {kind} {ident}"

    def add_element_from_form(self) -> str:
        return self.add_element(self.new_id.value, self.new_kind.value, self.new_zone.value, self.new_stage.value)

    def set_attribute(self, ident: str, name: str, value: bool | str) -> str:
        element = self.model.element(ident)
        if element is None:
            raise KeyError(f"no element {ident!r}")
        attributes = {**element.attributes, name: value}
        self.update(self.model.with_element(dataclasses.replace(element, attributes=attributes)))
        return f"{ident}: {name} = {value}"

    def set_attribute_from_form(self) -> str:
        raw = self.attr_value.value
        value: bool | str = {"true": True, "false": False}.get(raw, raw)
        return self.set_attribute(self.attr_target.value or "", self.attr_name.value or "", value)

    def add_flow(self, source: str, target: str, data: str = "") -> str:
        if not source or not target:
            raise ValueError("choose both ends of the flow")
        flow = Flow(id=f"{source}->{target}", source=source, target=target, data=data)
        if self.model.flow(flow.id) is not None:
            raise ValueError(f"a flow {flow.id} already exists")
        self.update(self.model.with_flow(flow))
        return f"added flow {flow.id}"

    def add_flow_from_form(self) -> str:
        return self.add_flow(self.flow_from.value or "", self.flow_to.value or "", self.flow_data.value)

    def add_control(self, target: str, control: str) -> str:
        self.update(self.model.with_control("" if target == SYSTEM else target, control))
        return f"control {control} on {target or SYSTEM}"

    def add_control_from_form(self) -> str:
        return self.add_control(self.control_target.value or SYSTEM, self.control_name.value)

    def record(
        self, rule_or_custom: str, target: str, status: str, owner: str = "", due: str = "", note: str = ""
    ) -> str:
        if rule_or_custom.startswith("custom:"):
            old = next(t for t in self.model.threats if t.is_custom and t.id == rule_or_custom[7:])
            entry = dataclasses.replace(old, status=status, owner=owner, due=due, note=note)
        else:
            old_entry = self.model.entry(rule_or_custom, target)
            base = old_entry or ThreatEntry(rule=rule_or_custom, target=target)
            entry = dataclasses.replace(base, status=status, owner=owner, due=due, note=note)
        self.update(self.model.with_entry(entry))
        return f"{rule_or_custom} on {target or 'system'}: {status}"

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
        path = save(self.model, self.path or "threatmodel.nbsec.yaml")
        self.path = str(path)
        self.refresh()
        return f"saved {path}; re-run the cell to refresh the copy kept in the notebook"

    def export_markdown(self) -> str:
        from nbsec.threatmodel.markdown import to_markdown

        target = self._sibling(".md")
        target.write_text(to_markdown(self.model, self.assessment), encoding="utf-8")
        return f"wrote {target}"

    def report(self) -> Any:
        return assess(self.model, self.path or "<threat model>")

    def export_report(self) -> str:
        from nbsec.display import formats

        target = self._sibling(".report.json")
        formats.write(self.report(), "json", target)
        return f"wrote {target}"

    def export_threat_dragon(self) -> str:
        import json

        from nbsec.threatmodel.threat_dragon_export import export_threat_dragon

        target = self._sibling(".threatdragon.json")
        target.write_text(
            json.dumps(export_threat_dragon(self.model, self.assessment), indent=2) + "\n", encoding="utf-8"
        )
        return f"wrote {target}"
