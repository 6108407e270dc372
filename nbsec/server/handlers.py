"""The REST handlers: parse and check the request, call nbsec.api in a thread, answer with JSON.

Each handler is an APIHandler, so Jupyter's own checks run before any of nbsec's code: the
IdentityProvider (token or login cookie; `@web.authenticated` answers 403 to an anonymous request),
XSRF on POST for cookie-authenticated requests, and the Origin check. `@authorized` then asks the
server's Authorizer for the "nbsec" resource ("read" for GET, "write" for POST); a scan also needs
"read" on "contents", because its evidence quotes the files it reads.
"""

from __future__ import annotations

import asyncio
import json
from functools import partial
from http.client import responses
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from nbsec import api
from nbsec.config import with_overrides
from nbsec.errors import ConfigError, NbsecError, TargetNotFoundError
from nbsec.rule_catalogue import RuleCatalogue, load_catalogue
from nbsec.safe_input import parse_json
from nbsec.server.paths import PathRefused, resolve_under_root
from nbsec.server.runner import ScanRunner, ScanTimeout
from nbsec.server.settings import NbsecServer

RESOURCE = "nbsec"
BODY_KEYS = frozenset({"path", "only"})
MAX_ONLY = 200  # more rule ids or scanner names than nbsec has; bounds the work a body can ask for
MAX_JSON_DEPTH = 8  # {"path": ..., "only": [...]} needs 2

# Jupyter's own refusals (authentication, XSRF, authorization, Origin) reach write_error as a bare
# HTTPError: give each a code and a hint so the UI can say what to do instead of showing a status.
HTTP_CODES = {
    400: ("bad-request", "check the request against the nbsec server API"),
    401: ("not-authenticated", "log in to Jupyter again (the token or session may have expired)"),
    403: (
        "forbidden",
        "log in to Jupyter again; if you are logged in, ask the server's administrator for the nbsec permission",
    ),
    404: ("not-found", "check the URL"),
    405: ("method-not-allowed", "see the nbsec server API for the methods each route accepts"),
}


class ApiError(web.HTTPError):
    """A refusal with nbsec's JSON body: a short machine code, a message naming the problem, a hint."""

    def __init__(self, status: int, code: str, message: str, hint: str) -> None:
        # log_message is %-formatted by tornado's logger: a "%" in a user's path must not break it.
        super().__init__(status, log_message=message.replace("%", "%%"))
        self.code = code
        self.message = message
        self.hint = hint


class NbsecHandler(APIHandler):
    """Common ground: the auth resource, the settings and the JSON error body."""

    auth_resource = RESOURCE

    def initialize(self, limits: NbsecServer, runner: ScanRunner) -> None:
        self.limits = limits
        self.runner = runner

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            body = {"code": exc.code, "message": exc.message, "hint": exc.hint}
        elif isinstance(exc, web.HTTPError) or exc is None:
            code, hint = HTTP_CODES.get(status_code, ("http-error", "see the Jupyter server's log"))
            message = (exc.log_message if exc is not None else None) or responses.get(status_code, "error")
            if exc is not None and exc.args:
                message = message % exc.args
            body = {"code": code, "message": message, "hint": hint}
        else:  # a bug: the log has the traceback (tornado logged it); the client gets no internals
            body = {
                "code": "internal-error",
                "message": "nbsec failed while handling this request",
                "hint": "see the Jupyter server's log, and report the traceback to nbsec",
            }
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def send_json(self, payload: str) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(payload)


class RulesHandler(NbsecHandler):
    """GET /nbsec/api/rules: every rule nbsec can report (built-ins and plugins)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        rules = [rule.to_dict() for rule in (await catalogue()).rules]
        self.send_json(json.dumps({"rules": rules}))


class RuleHandler(NbsecHandler):
    """GET /nbsec/api/rules/{id}: one rule, or 404 with nbsec's JSON error."""

    @web.authenticated
    @authorized
    async def get(self, rule_id: str) -> None:
        rule = (await catalogue()).get(rule_id)
        if rule is None:
            shown = rule_id[:80]
            raise ApiError(404, "unknown-rule", f"{shown}: no such rule", "GET /nbsec/api/rules lists every rule id")
        self.send_json(json.dumps(rule.to_dict()))


@web.stream_request_body
class ScanHandler(NbsecHandler):
    """POST /nbsec/api/scan {"path": "relative/to/root", "only": [...]}: the Report, as `nbsec scan` builds it.

    The body is streamed (`stream_request_body`) so that its bound is nbsec's, not the server-wide one
    (Jupyter accepts uploads of hundreds of MB): a declared Content-Length over the limit is refused before
    the body is read, and a chunked body stops being kept once it passes the limit.
    """

    async def prepare(self, **kwargs: Any) -> None:
        await super().prepare(**kwargs)  # authentication, XSRF and Origin, as for every APIHandler
        self._body = bytearray()
        self._too_large = False
        declared = self.request.headers.get("Content-Length", "")
        # Only for a known user: an anonymous client gets the 403 of @web.authenticated, not hints about limits.
        if self.current_user and declared.isdigit() and int(declared) > self.limits.max_body_bytes:
            raise self._body_too_large()

    def data_received(self, chunk: bytes) -> None:
        if self._too_large or len(self._body) + len(chunk) > self.limits.max_body_bytes:
            self._too_large = True
            self._body.clear()
        else:
            self._body += chunk

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # A refusal can come before the body was read (authentication, XSRF, a declared size over the limit):
        # the rest of the body may still be on the wire, and tornado drops the connection after answering. Say
        # so, or a client that reuses the connection for its next request reads "connection reset".
        self.set_header("Connection", "close")
        super().write_error(status_code, **kwargs)

    def _body_too_large(self) -> ApiError:
        limit = self.limits.max_body_bytes
        return ApiError(
            413, "body-too-large", f"the request body is larger than {limit} bytes", 'send only {"path", "only"}'
        )

    @web.authenticated
    @authorized
    async def post(self) -> None:
        if not await ensure_async(self.authorizer.is_authorized(self, self.current_user, "read", "contents")):
            raise ApiError(
                403,
                "forbidden",
                "scanning needs permission to read files (the 'contents' resource)",
                "ask the server's administrator for read access to files",
            )
        path, only = self._parse_body()
        allow_hidden = bool(self.contents_manager.allow_hidden)
        try:
            target = resolve_under_root(self.settings["server_root_dir"], path, allow_hidden=allow_hidden)
        except PathRefused as refused:
            raise ApiError(refused.status, refused.code, refused.message, refused.hint) from None
        self.log.info("nbsec: scanning %s", path or ".")
        try:
            payload = await self.runner.run(partial(scan_to_json, target, only, allow_hidden))
        except ScanTimeout as exc:
            raise ApiError(
                504,
                "scan-timeout",
                f"{path or '.'}: {exc}",
                "scan a smaller folder, or raise c.NbsecServer.scan_timeout in the server's config",
            ) from None
        except TargetNotFoundError as exc:  # removed between the check and the scan
            raise ApiError(404, "not-found", exc.message, exc.hint) from None
        except NbsecError as exc:
            code = "config-error" if isinstance(exc, ConfigError) else "usage-error"
            raise ApiError(400, code, exc.message, exc.hint) from None
        self.send_json(payload)

    def _parse_body(self) -> tuple[object, list[str] | None]:
        if self._too_large:
            raise self._body_too_large()
        hint = 'send a JSON object: {"path": "folder/file.ipynb", "only": ["NBSEC-NB"]}'
        try:
            body = parse_json(
                bytes(self._body),
                source="request body",
                hint=hint,
                max_bytes=self.limits.max_body_bytes,
                max_depth=MAX_JSON_DEPTH,
            )
        except NbsecError as exc:
            raise ApiError(400, "bad-json", exc.message, exc.hint) from None
        if not isinstance(body, dict):
            raise ApiError(400, "bad-request", "the request body must be a JSON object", hint)
        unknown = sorted(str(key) for key in body if key not in BODY_KEYS)
        if unknown:
            raise ApiError(400, "bad-request", f"unknown field(s): {', '.join(unknown)[:200]}", hint)
        if "path" not in body:
            raise ApiError(400, "bad-request", 'the "path" field is missing', hint)
        return body["path"], _only(body.get("only"), hint)


async def catalogue() -> RuleCatalogue:
    """The rule catalogue; its first load imports every rule module, so that happens in a thread, not on the loop."""
    return await asyncio.to_thread(load_catalogue)


def _only(value: object, hint: str) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items) or len(items) > MAX_ONLY:
        raise ApiError(400, "bad-request", f'"only" must be a string or a list of at most {MAX_ONLY} strings', hint)
    return items


def scan_to_json(target: Path, only: list[str] | None, allow_hidden: bool) -> str:
    """Runs in a scan thread: the project's config, the scan, the JSON (all of it off the event loop).

    `api.configure(target)` finds `[tool.nbsec]` / `.nbsec.toml` above the target and applies NBSEC_* as
    `nbsec scan` does. When Jupyter hides dotfiles, a folder scan skips them too, so a scan cannot show
    the evidence of a `.env` the file browser would not show.
    """
    config = api.configure(target)
    if not allow_hidden:
        config = with_overrides(config, {"exclude_paths": (*config.exclude_paths, ".*")}, origin="jupyter server")
    return json.dumps(api.scan(target, only=only, config=config).to_dict())


def handlers(base_url: str, limits: NbsecServer, runner: ScanRunner) -> list[tuple[str, type[NbsecHandler], Any]]:
    """The routes under the server's base_url."""
    options = {"limits": limits, "runner": runner}
    root = url_path_join(base_url, "nbsec", "api")
    return [
        (url_path_join(root, "scan"), ScanHandler, options),
        (url_path_join(root, "rules"), RulesHandler, options),
        (url_path_join(root, "rules", r"(?P<rule_id>[^/]+)"), RuleHandler, options),
    ]
