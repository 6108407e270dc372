"""nbsec's Jupyter server extension: a thin REST API over `nbsec.api` for the JupyterLab extension.

Routes (under the server's base_url; JSON in and out):

- `POST /nbsec/api/scan` with `{"path": "relative/to/root", "only": ["NBSEC-NB", ...]}` (`only` optional:
  rule ids, prefixes or scanner names, as `nbsec scan --only`) -> 200 and the Report (`report.to_dict()`,
  schema `nbsec/model/schema/report.v1.json`). The project's `[tool.nbsec]` / `.nbsec.toml` and NBSEC_*
  apply as they do for `nbsec scan`. `""` or `"."` scans the whole root.
- `GET /nbsec/api/rules` -> `{"rules": [rule, ...]}`; `GET /nbsec/api/rules/{id}` -> one rule.

Every error is `{"code", "message", "hint"}`: 400 `bad-request` / `bad-json` / `bad-path` / `usage-error` /
`config-error`, 403 `forbidden` / `path-outside-root` / `hidden-path`, 404 `not-found` / `unknown-rule`,
413 `body-too-large`, 504 `scan-timeout`, 500 `internal-error` (details only in the server's log).

Security model. The browser is trusted no more than any other client of the server:

- Authentication, XSRF and Origin checks are Jupyter's own (the handlers are APIHandlers under
  `@web.authenticated`): no token or session, no answer; a cookie-authenticated POST needs the `_xsrf` token.
- Authorization is the server's Authorizer (`@authorized`, resource "nbsec": "read" to list rules, "write"
  to scan); a scan also needs "read" on "contents", since findings quote the files scanned.
- Paths are relative to the server's root_dir: absolute paths and `..` are refused before the disk is
  touched, symlinks that resolve outside the root are refused, and hidden files and folders are refused
  (and skipped inside scanned folders) while `ContentsManager.allow_hidden` is False, as Jupyter's default.
- Bodies are bounded by nbsec, not only by the server-wide upload limit: the scan body is streamed and
  refused (413) past `max_body_bytes`. Scans run in threads off the event loop, a few at a time, each with
  a deadline, so they never stall kernels, terminals or the file browser.

Paths in the Report are as `nbsec scan` writes them: relative to the server's working directory when the
file is under it (Jupyter is usually started in its root_dir, so they match the file browser's paths).

Settings (traitlets, section `NbsecServer`, see `nbsec/server/settings.py`): `scan_timeout` (s, 300),
`max_concurrent_scans` (2), `max_body_bytes` (65536).

Enabled by `jupyter-config/jupyter_server_config.d/nbsec.json` (installed with the wheel);
`nbsec._jupyter_server_extension_points` points Jupyter here. Importing this package costs nothing:
tornado and jupyter_server load only when Jupyter loads the extension.
"""

from __future__ import annotations

from typing import Any


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Called by Jupyter at start-up: register the routes under the server's base_url."""
    from nbsec.server.handlers import handlers
    from nbsec.server.runner import ScanRunner
    from nbsec.server.settings import NbsecServer

    limits = NbsecServer(config=serverapp.config, parent=serverapp)
    runner = ScanRunner(limit=limits.max_concurrent_scans, timeout=limits.scan_timeout)
    web_app = serverapp.web_app
    web_app.add_handlers(".*$", handlers(web_app.settings["base_url"], limits, runner))
    serverapp.log.info(
        "nbsec: REST API at %snbsec/api (%d scans at a time, %g s each)",
        web_app.settings["base_url"],
        limits.max_concurrent_scans,
        limits.scan_timeout,
    )
