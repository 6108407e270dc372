"""How nbsec shows things: where every surface renders (surfaces meet here and in `nbsec.api`).

- a Report's rich display in JupyterLab, Notebook 7, VS Code and nbviewer (`report_view`):
  importing this package gives every Report its `_repr_mimebundle_`;
- reports in files and on the terminal (`formats`, over the reporters);
- the interactive widgets the magics show (`views`).

Light on purpose: the CLI imports `nbsec.display.formats`, so this package loads only the model;
the HTML view loads the first time a Report is displayed.
"""

from __future__ import annotations

from typing import Any

from nbsec.model import Report


def mimebundle(report: Report) -> dict[str, Any]:
    """text/plain, text/html and nbsec's MIME type for `report` (what `Report._repr_mimebundle_` returns)."""
    from nbsec.display.report_view import mimebundle as build

    return build(report)


Report.mimebundle_renderer = mimebundle
