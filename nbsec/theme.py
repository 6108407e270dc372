"""How nbsec's HTML looks, shared by the notebook display, the HTML report and the compliance page.

Stdlib only, like the escaping it relies on: engines that render a page of their own
(the compliance table) use it without importing a surface.
"""

from __future__ import annotations

from nbsec.escaping import html_text as escape

SEVERITY_COLORS = {
    "critical": "#7b1fa2",
    "high": "#c62828",
    "medium": "#ef6c00",
    "low": "#1565c0",
    "info": "#546e7a",
}


def severity_badge(severity: object, count: int | None = None) -> str:
    """A coloured label: 'HIGH', or '3 high' with a count. `severity` is a Severity or its value."""
    value = str(getattr(severity, "value", severity))
    color = SEVERITY_COLORS.get(value, "#546e7a")
    label = value.upper() if count is None else f"{count} {value}"
    return (
        f'<span class="nbsec-sev nbsec-sev-{escape(value)}" style="background:{color};color:#fff;'
        f'border-radius:3px;padding:1px 6px;font-size:0.85em;font-weight:600">{escape(label)}</span>'
    )


# The stylesheet of nbsec's standalone HTML pages (report, compliance): light and dark, no web fonts.
PAGE_STYLE = """
:root { color-scheme: light dark; --fg: #1f2328; --bg: #fff; --muted: #656d76; --line: #d0d7de; --panel: #f6f8fa; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8d96a0; --line: #30363d; --panel: #161b22; }
}
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
       margin: 0 auto; padding: 1.5rem; max-width: 1400px; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; } h2 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
.meta, small { color: var(--muted); }
.cards { display: flex; gap: .75rem; flex-wrap: wrap; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-left: 6px solid var(--sev); border-radius: 6px; padding: .5rem 1rem;
        min-width: 6rem; background: var(--panel); }
.card .n { font-size: 1.6rem; font-weight: 700; display: block; } .card .l { text-transform: uppercase; }
.filters { display: flex; gap: 1rem; flex-wrap: wrap; align-items: center; margin: .5rem 0 1rem; }
.filters input[type=search] { min-width: 20rem; padding: .3rem .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: .4rem .5rem; vertical-align: top; text-align: left; }
th { background: var(--panel); }
td code { white-space: pre-wrap; word-break: break-word; }
.nbsec-findings td:nth-child(2) code { white-space: nowrap; }
details { border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0; }
summary { cursor: pointer; font-weight: 600; }
.nbsec-errors { border-left: 6px solid #c62828; padding: .5rem 1rem; background: var(--panel); }
.clean { font-size: 1.1rem; color: #2e7d32; font-weight: 600; }
[hidden] { display: none !important; }
.nbsec-figure { margin: 1rem 0; } .nbsec-figure svg { max-width: 100%; height: auto; }
.nbsec-figure text { fill: var(--fg); font: 12px system-ui, sans-serif; }
.nbsec-grid td { text-align: center; } .nbsec-grid img { image-rendering: pixelated; width: 96px; height: 96px; }
"""
