"""`nbsec fix` in HTML: each change with its diff, what was fixed and what remains (the HTML report, `%aisec fix`).

Stdlib only for the HTML (`fixes_html`): the HTML report and the notebook both use it. Every string comes from
the Report and is escaped (nbsec.escaping); diffs are already redacted by nbsec.fix.diff, and colours are inline
`style=`s (GitHub and some front ends drop `<style>`). `FixView` is the `%aisec fix` widget: the same HTML and an
Apply button (ipywidgets, imported when the view is built), shown with its static twin (nbsec.display.twin) so a
reopened notebook still shows the diffs and, after Apply, what was fixed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbsec.escaping import html_text as escape
from nbsec.model import FixChange, FixOutcome, FixSection
from nbsec.model.fixes import NO_FIX
from nbsec.theme import severity_badge

if TYPE_CHECKING:
    from nbsec.fix.session import PendingFix
    from nbsec.model import Report

_PRE = (
    "white-space:pre;overflow-x:auto;text-align:left;margin:4px 0;padding:4px 6px;"
    "background:rgba(128,128,128,.10);font-size:.9em;line-height:1.35;max-height:28em;overflow-y:auto"
)
_LINE_STYLES = (
    ("+++", "font-weight:600"),
    ("---", "font-weight:600"),
    ("@@", "color:#0969da"),
    ("+", "color:#1a7f37;background:rgba(46,160,67,.12)"),
    ("-", "color:#cf222e;background:rgba(248,81,73,.12)"),
)
STATUS_COLORS = {"planned": "#9a6700", "applied": "#1a7f37", "refused": "#cf222e", "failed": "#cf222e"}
OUTCOME_COLORS = {"fixable": "#9a6700", "fixed": "#1a7f37", "remains": "#cf222e"}
MAX_REMAINING = 200


def _tag(text: str, color: str) -> str:
    return (
        f'<span style="border:1px solid {color};color:{color};border-radius:3px;padding:0 5px;'
        f'font-size:.85em;font-weight:600">{escape(text)}</span>'
    )


def diff_html(diff: str) -> str:
    """A redacted unified diff as a <pre>, each line coloured by its first characters."""
    lines = []
    for line in diff.splitlines():
        style = next((s for prefix, s in _LINE_STYLES if line.startswith(prefix)), "")
        lines.append(f'<span style="{style}">{escape(line)}</span>' if style else escape(line))
    return f'<pre class="nbsec-diff" style="{_PRE}">' + "\n".join(lines) + "</pre>"


def change_html(change: FixChange) -> str:
    head = (
        f"{_tag(change.status, STATUS_COLORS.get(change.status, '#57606a'))} <code>{escape(change.path)}</code> "
        f"<small>({escape(change.kind)}; {escape(', '.join(change.rule_ids))})</small>"
    )
    body = [f'<div style="text-align:left">{escape(change.summary)}</div>']
    if change.reason:
        body.append(f'<div style="color:#cf222e"><strong>Why not:</strong> {escape(change.reason)}</div>')
    body += [f"<div><strong>Note:</strong> {escape(note)}</div>" for note in change.notes]
    if change.backup:
        body.append(f"<div><small>backup: <code>{escape(change.backup)}</code></small></div>")
    if change.diff:
        body.append(diff_html(change.diff))
    return (
        f'<details class="nbsec-fix-change" data-status="{escape(change.status)}" open '
        'style="border:1px solid rgba(128,128,128,.35);border-radius:4px;padding:2px 8px;margin:6px 0">'
        f'<summary style="cursor:pointer">{head}</summary>{"".join(body)}</details>'
    )


def _outcome_row(outcome: FixOutcome) -> str:
    f = outcome.finding
    tag = _tag(outcome.status, OUTCOME_COLORS.get(outcome.status, "#57606a"))
    return (
        f'<tr class="nbsec-fix-outcome" data-status="{escape(outcome.status)}">'
        f'<td style="text-align:left;vertical-align:top">{severity_badge(f.severity)}</td>'
        f'<td style="text-align:left;vertical-align:top"><code>{escape(f.rule_id)}</code></td>'
        f'<td style="text-align:left;vertical-align:top">{escape(f.location.describe())}</td>'
        f'<td style="text-align:left;vertical-align:top">{tag} {escape(outcome.reason)}</td></tr>'
    )


def outcomes_html(fixes: FixSection, limit: int = MAX_REMAINING) -> str:
    """Findings by outcome: fixed (or fixable) first, then those that remain with why; no-fix ones as a count."""
    shown = [o for o in fixes.outcomes if not (o.status == "remains" and o.reason.startswith(NO_FIX))]
    unfixable = len(fixes.outcomes) - len(shown)
    rows = "".join(_outcome_row(o) for o in shown[:limit])
    parts = []
    if rows:
        parts.append(
            '<table class="nbsec-fix-outcomes" style="width:100%;border-collapse:collapse;margin:4px 0">'
            '<thead><tr><th style="text-align:left">Severity</th><th style="text-align:left">Rule</th>'
            '<th style="text-align:left">Location</th><th style="text-align:left">Outcome</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    if len(shown) > limit:
        parts.append(f"<p><small>{len(shown) - limit} more not shown.</small></p>")
    if unfixable:
        parts.append(f"<p><small>{unfixable} finding(s) have no automatic fix.</small></p>")
    return "".join(parts)


def fixes_html(fixes: FixSection) -> str:
    """The whole fix section: the summary line, every change (diff included), each finding's outcome."""
    mode = "applied" if fixes.mode == "apply" else "dry run: nothing written yet"
    changes = "".join(change_html(c) for c in fixes.changes) or "<p>No changes to make.</p>"
    return (
        '<div class="nbsec-fixes" style="text-align:left;max-width:100%;overflow-wrap:anywhere">'
        f'<p style="margin:0 0 6px 0"><strong>nbsec fix</strong> ({escape(mode)}): {escape(fixes.summary_line())}</p>'
        f"{changes}{outcomes_html(fixes)}</div>"
    )


# -- %aisec fix: the diffs and an Apply button ------------------------------------------------------------------


class FixView:
    """The plan's diffs, an Apply button, then what was fixed; shown with its static twin."""

    def __init__(self, pending: PendingFix, *, backup: bool = True, on_apply: Any = None) -> None:
        import ipywidgets as widgets

        from nbsec.display.twin import Twin

        self.pending = pending
        self.backup = backup
        self.on_apply = on_apply
        self.report: Report = pending.report
        self.html = widgets.HTML(self._body())
        self.button = widgets.Button(
            description=f"Apply {pending.changes} change(s)",
            button_style="warning",
            icon="check",
            disabled=pending.changes == 0,
            tooltip="write the changes shown (atomically, each file backed up first)",
        )
        self.status = widgets.HTML("")
        self.button.on_click(lambda _button: self.apply())
        self.widget = widgets.VBox([self.html, widgets.HBox([self.button, self.status])])
        self.twin = Twin("fix", "nbsec fix", self._body, lambda: self._summary())

    def _body(self) -> str:
        return fixes_html(self.report.fixes) if self.report.fixes is not None else "<p>No fixes.</p>"

    def _summary(self) -> str:
        return f"nbsec fix: {self.report.fixes.summary_line()}" if self.report.fixes is not None else "nbsec fix"

    def show(self) -> None:
        self.twin.show(self.widget)

    def apply(self) -> Report:
        """Apply the plan shown (a file changed since is refused), then show what was fixed."""
        self.button.disabled = True
        self.status.value = "<small>applying…</small>"
        self.report = self.pending.apply(backup=self.backup)
        self.html.value = self._body()
        self.status.value = f"<small>{escape(self._summary())}</small>"
        self.button.description = "Applied"
        self.twin.refresh()
        if self.on_apply is not None:
            self.on_apply(self.report)
        return self.report

    def _ipython_display_(self) -> None:
        self.show()
