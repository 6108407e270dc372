"""The threat model and its assessment as Markdown: what a reviewer pastes into a ticket or a PR.

Titles, names, owners, notes and descriptions may come from an imported file
(a Threat Dragon export anyone can write), so every one goes through
nbsec.escaping and renders as literal text: no live HTML, link or image.
"""

from __future__ import annotations

from typing import Any

from nbsec.escaping import md_cell, md_code, md_inline
from nbsec.threatmodel.document import ThreatModel
from nbsec.threatmodel.engine import Assessment, Threat, evaluate
from nbsec.threatmodel.risk import IMPACT_WORDS, LIKELIHOOD_WORDS


def _cell(text: object) -> str:
    return md_cell(" ".join(str(text).split())) or "-"  # one line per row: a reviewer's table, not a document


def _paragraphs(text: str) -> list[str]:
    """Blank-line-separated paragraphs, each escaped on one line (Markdown joins a paragraph's lines anyway)."""
    return [md_inline(p) for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def risk_matrix(threats: list[Threat], residual: bool = True) -> list[list[int]]:
    """counts[impact-1][likelihood-1] of open threats."""
    grid = [[0] * 5 for _ in range(5)]
    for threat in threats:
        risk = threat.residual if residual else threat.inherent
        grid[risk.impact - 1][risk.likelihood - 1] += 1
    return grid


def to_markdown(model: ThreatModel, assessment: Assessment | None = None) -> str:
    assessment = assessment if assessment is not None else evaluate(model)
    threats = sorted(assessment.threats, key=lambda t: (-t.residual.score, t.rule_id, t.target))
    open_threats = [t for t in threats if t.is_open]
    out = [f"# Threat model: {md_inline(model.title)}", ""]
    if model.owner:
        out.append(f"Owner: {md_inline(model.owner)}")
    for paragraph in _paragraphs(model.description):
        out += ["", paragraph]
    out += [
        "",
        f"{len(model.elements)} elements, {len(model.flows)} flows, {len(threats)} threats: "
        f"{len(open_threats)} open, {len(threats) - len(open_threats)} decided. "
        "Risk is likelihood x impact (1-5 each); residual risk counts the declared controls.",
        "",
        "## Open threats",
        "",
    ]
    rows = [
        [t.residual.severity.value, t.rule_id, t.title, t.target_label, t.inherent.score, t.residual.score,
         ", ".join(t.controls_missing) or "-", t.owner, t.due]
        for t in open_threats
    ]  # fmt: skip
    header = ["severity", "rule", "threat", "where", "inherent", "residual", "controls missing", "owner", "due"]
    out += _table(header, rows) if rows else ["None."]
    decided = [t for t in threats if not t.is_open]
    out += ["", "## Decided threats", ""]
    rows = [[t.status, t.rule_id, t.title, t.target_label, t.owner, t.due, t.note] for t in decided]
    out += _table(["status", "rule", "threat", "where", "owner", "due", "note"], rows) if rows else ["None."]
    out += ["", "## Residual risk matrix (open threats)", ""]
    grid = risk_matrix(open_threats)
    header = ["impact \\ likelihood", *(f"{i + 1} {w}" for i, w in enumerate(LIKELIHOOD_WORDS))]
    out += _table(header, [[f"{i + 1} {IMPACT_WORDS[i]}", *grid[i]] for i in reversed(range(5))])
    out += ["", "## Elements", ""]
    out += _table(
        ["id", "kind", "zone", "stage", "controls"],
        [[e.id, e.kind, e.zone, e.lifecycle_stage, ", ".join(e.controls)] for e in model.elements],
    )
    out += ["", "## Data flows", ""]
    out += _table(
        ["id", "from", "to", "data", "controls"],
        [[f.id, f.source, f.target, f.label, ", ".join(f.controls)] for f in model.flows],
    )
    out += ["", "## Mitigations and the nbsec checks that test them", ""]
    seen: set[str] = set()
    for threat in open_threats:
        if threat.rule_id in seen or threat.custom_id:
            continue
        seen.add(threat.rule_id)
        out.append(f"- **{md_inline(threat.rule_id)} {md_inline(threat.title)}**: {md_inline(threat.remediation)}")
    if assessment.stale_entries:
        out += ["", "## Entries for threats that no longer apply", ""]
        out += [
            f"- {md_inline(t.rule)} on {md_code(t.target) or '(system)'} ({md_inline(t.status)})"
            for t in assessment.stale_entries
        ]
    return "\n".join(out) + "\n"
