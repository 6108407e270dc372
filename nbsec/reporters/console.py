"""Console: the report for a terminal (rich), grouped by severity, worst first.

`print_report` writes to a rich Console (colours when it is a terminal);
`render` returns the same layout as plain text, without ANSI codes, for files
and logs. Everything from the report is printed as `rich.text.Text`, never as
markup, and control characters are shown escaped: evidence from a hostile
notebook must not restyle the output (`[red]`), turn into emoji (`:x:`) or
send escape sequences to the reader's terminal.
"""

from __future__ import annotations

import io
import re

from rich.console import Console
from rich.text import Text

from nbsec.fix import fix_command, fixable
from nbsec.model import Finding, FixSection, Report, Severity
from nbsec.model.fixes import NO_FIX
from nbsec.reporters._common import reference_label, suppression_text
from nbsec.rule_catalogue import report_order

STYLES = {
    Severity.CRITICAL: "bold white on magenta",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "blue",
    Severity.INFO: "dim",
}
RENDER_WIDTH = 120
INDENT = "    "

# C0 controls except tab/newline, DEL and C1 controls: terminals act on them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def render(report: Report) -> str:
    """Plain text (no ANSI codes), the same layout `print_report` prints; long lines are not wrapped."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=RENDER_WIDTH,
        force_terminal=False,
        no_color=True,
        color_system=None,
        soft_wrap=True,
        highlight=False,
        emoji=False,
        markup=False,
    )
    print_report(report, console, verbose=True)
    return buffer.getvalue()


def print_report(report: Report, console: Console | None = None, verbose: bool = False) -> None:
    """Findings by severity (critical first), then what could not be scanned, then the summary.

    `verbose` adds remediation and references to each finding, and lists suppressed findings.
    """
    out = console or Console()
    if report.fixes is not None:  # `nbsec fix`: the changes and what remains; the findings list with -v
        print_fixes(report.fixes, out, verbose)
        if verbose:
            _print_findings(report, out, verbose)
    else:
        _print_findings(report, out, verbose)
    _print_errors(report, out)
    if verbose:
        _print_suppressed(report, out)
    _print_summary(report, out)


def clean(text: str) -> str:
    """Show control characters as escapes (\\x1b) instead of sending them to the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _print_findings(report: Report, out: Console, verbose: bool) -> None:
    findings = report_order(report)  # the notebook view's order, sectioned here by severity
    if not findings:
        # A clean result still says what was looked at: "nothing found" is only as good as the coverage.
        scanners = sorted({c.scanner for c in report.checks})
        checked = f"No findings: {len(report.checks)} check(s) on {len(report.targets)} target(s)"
        if scanners:
            checked += f" by {', '.join(scanners)}"
        out.print(Text(clean(checked) + ".", style="green"))
        out.print()
        return
    for severity in Severity:  # declared worst first
        group = [f for f in findings if f.severity is severity]
        if not group:
            continue
        out.print(Text(f"{severity.value.upper()} ({len(group)})", style=STYLES[severity]))
        for finding in group:
            _print_finding(finding, out, verbose)
        out.print()


def _finding_head(finding: Finding) -> Text:
    """`  HIGH     NBSEC-NB-002  notebook.ipynb, cell 3, line 2`: the line every listed finding starts with."""
    head = Text("  ")
    head.append(f"{finding.severity.value.upper():8}", style=STYLES[finding.severity])
    head.append(" ")
    head.append(clean(finding.rule_id), style="bold")
    head.append("  ")
    head.append(clean(finding.location.describe()), style="cyan")
    return head


def _print_finding(finding: Finding, out: Console, verbose: bool) -> None:
    out.print(_finding_head(finding))
    out.print(Text(INDENT + clean(finding.title) + f" ({finding.confidence.value} confidence)"))
    if finding.evidence:
        out.print(_labelled("evidence", finding.evidence))
    if verbose and finding.remediation:
        out.print(_labelled("fix", finding.remediation, style="green"))
    if verbose and finding.references:
        refs = ", ".join(reference_label(r) for r in finding.references)
        out.print(_labelled("refs", refs, style="dim"))
    if verbose and fixable(finding.rule_id):
        out.print(_labelled("fixable", fix_command(finding.location.path, finding.rule_id), style="green"))


def _labelled(label: str, value: str, style: str = "") -> Text:
    text = Text(f"{INDENT}{label}: ", style="dim")
    # Continuation lines of multi-line evidence stay indented under the label.
    pad = "\n" + INDENT + " " * (len(label) + 2)
    text.append(clean(value).replace("\n", pad), style=style)
    return text


def _print_errors(report: Report, out: Console) -> None:
    if not report.errors:
        return
    out.print(Text(f"Could not scan ({len(report.errors)})", style="bold red"))
    for error in report.errors:
        line = Text("  ")
        line.append(clean(error.target), style="cyan")
        line.append(f" ({clean(error.scanner)}): {clean(error.message)}")
        out.print(line)
        if error.hint:
            out.print(Text(f"{INDENT}hint: {clean(error.hint)}", style="dim"))
    out.print()


def _print_suppressed(report: Report, out: Console) -> None:
    if not report.suppressed:
        return
    out.print(Text(f"Suppressed ({len(report.suppressed)})", style="bold dim"))
    for item in report.suppressed:
        f = item.finding
        out.print(
            Text(
                f"  {f.severity.value.upper():8} {clean(f.rule_id)}  {clean(f.location.describe())}  "
                f"[{suppression_text(item)}]",
                style="dim",
            )
        )
    out.print()


def _print_summary(report: Report, out: Console) -> None:
    worst = report.worst_severity()
    if worst is not None:
        style = STYLES[worst]
    else:
        style = "bold yellow" if report.errors else "bold green"
    out.print(Text(clean(report.summary_line()), style=style))
    if report.fixes is not None:
        out.print(Text(clean(fixes_summary(report.fixes)), style="bold"))
    if report.baseline is not None:
        b = report.baseline
        line = f"baseline: {b.get('new', 0)} new, {b.get('fixed', 0)} fixed, {b.get('unchanged', 0)} unchanged"
        if b.get("path"):
            line += f" ({b['path']})"
        out.print(Text(clean(line), style="dim"))


# -- nbsec fix: each change with its diff, then what remains and why ---------------------------------------------

DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))
CHANGE_STYLES = {"planned": "yellow", "applied": "green", "refused": "bold red", "failed": "bold red"}


def print_fixes(fixes: FixSection, out: Console, verbose: bool = False) -> None:
    """Every change (summary, status, its redacted diff, notes), then the findings that remain, grouped by why."""
    if not fixes.changes:
        out.print(Text("No changes to make.", style="green"))
        out.print()
    for change in fixes.changes:
        head = Text()
        head.append(f"{change.status.upper():8}", style=CHANGE_STYLES.get(change.status, ""))
        head.append(" ")
        head.append(clean(change.path), style="cyan")
        head.append(f"  ({clean(change.kind)}; {clean(', '.join(change.rule_ids))})", style="dim")
        out.print(head)
        out.print(Text(INDENT + clean(change.summary)))
        if change.reason:
            out.print(_labelled("why", change.reason, style="red"))
        for note in change.notes:
            out.print(_labelled("note", note, style="yellow"))
        if change.backup:
            out.print(_labelled("backup", change.backup, style="dim"))
        for line in change.diff.splitlines():
            out.print(_diff_line(line), soft_wrap=True)  # a diff line wrapped by the terminal width misreads
        out.print()
    _print_remaining(fixes, out, verbose)


def _diff_line(line: str) -> Text:
    style = next((s for prefix, s in DIFF_STYLES if line.startswith(prefix)), "")
    return Text(INDENT + clean(line), style=style)


def _print_remaining(fixes: FixSection, out: Console, verbose: bool) -> None:
    remaining = [o for o in fixes.outcomes if o.status == "remains"]
    unfixable = [o for o in remaining if o.reason.startswith(NO_FIX)]
    listed = remaining if verbose else [o for o in remaining if o not in unfixable]
    if listed:
        out.print(Text(f"Remain ({len(listed)})", style="bold yellow"))
        for outcome in listed:
            out.print(_finding_head(outcome.finding))
            out.print(_labelled("why", outcome.reason, style="dim"))
        out.print()
    if unfixable and not verbose:
        rules = sorted({o.finding.rule_id for o in unfixable})
        shown = ", ".join(rules[:6]) + (f" and {len(rules) - 6} more" if len(rules) > 6 else "")
        out.print(
            Text(f"{len(unfixable)} finding(s) have no automatic fix ({clean(shown)}); -v lists them.", style="dim")
        )
        out.print()


def fixes_summary(fixes: FixSection) -> str:
    """The fix counts, and what to do next."""
    line = fixes.summary_line()
    if fixes.mode == "dry-run" and any(c.status == "planned" for c in fixes.changes):
        line += " (dry run: nothing written; add --apply to write)"
    if fixes.backups:
        folders = sorted({m.group(1) for b in fixes.backups if (m := _BACKUP_FOLDER.match(b.replace("\\", "/")))})
        line += f"; {len(fixes.backups)} backup(s) in {', '.join(f + '/' for f in folders)}"
    return line


_BACKUP_FOLDER = re.compile(r"^(.*?\.nbsec/backups/[^/]+)/")
