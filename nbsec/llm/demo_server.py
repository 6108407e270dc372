"""The demo LLM app served OpenAI-compatibly on 127.0.0.1 (stdlib http.server), for `nbsec demo serve-llm`.

Endpoints: POST /v1/chat/completions (messages, tool calls in answers) and GET /v1/models.

Vulnerable mode adds the endpoint flaws `nbsec llm audit` looks for: no authentication, no rate limit, a
Python traceback (with the app's configuration) in the body of a 500 on bad input, and
`Access-Control-Allow-Origin: *`. Hardened mode puts the guarded app behind a bearer key (compared in constant
time), a per-client token bucket (answers 429 with Retry-After), generic JSON errors and no CORS header.

Who the caller is: in vulnerable mode the request's OpenAI `user` field names the role (guest, customer,
employee, hr, admin): the server trusts the client, one more flaw. In hardened mode the role comes from the key
only (the key is a customer-facing key: role "guest"); `user` is just a client id for the rate limit and the
guard log.

It binds to loopback only unless `allow_remote=True`: it is deliberately vulnerable.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import math
import secrets
import threading
import time
import traceback
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from nbsec.errors import UsageError
from nbsec.llm.demo_app import DemoApp
from nbsec.llm.demo_data import DEMO_SECRET, ROLES
from nbsec.llm.types import Message, ToolCall

__all__ = ["MODEL", "DemoServer", "serve"]

MODEL = "brightcart-demo"
MAX_BODY = 1 << 20
# What a vulnerable error page shows besides the traceback: the app's settings, as debug pages do.
_DEBUG_SETTINGS = {"MODEL": MODEL, "PAYMENTS_KEY": DEMO_SECRET, "ORDER_DB": "db-prod-7.brightcart.internal:5432"}


class _Bucket:
    """Per-client token buckets: `burst` requests at once, then `rate` per second."""

    def __init__(self, burst: float, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0.0 when the request may go; else the seconds until a token is back."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._state[client] = (tokens - 1.0, now)
                return 0.0
            self._state[client] = (tokens, now)
            if len(self._state) > 10000:  # bounded memory under a flood of client ids
                self._state.clear()
            return (1.0 - tokens) / self.rate


class _ClientError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    if content is None:
        return ""
    raise TypeError(f"message content must be a string or a list of parts, not {type(content).__name__}")


def _messages(raw: Any) -> list[Message]:
    if not isinstance(raw, list) or not raw:
        raise _ClientError(400, "'messages' must be a non-empty list")
    out = []
    for item in raw:
        if not isinstance(item, dict) or item.get("role") not in ("system", "user", "assistant", "tool"):
            raise _ClientError(400, "each message needs a role of system, user, assistant or tool")
        out.append(Message(item["role"], _text(item.get("content")), item.get("name")))
    return out


def _tool_call_json(index: int, call: ToolCall) -> dict[str, Any]:
    return {
        "id": f"call_{index}",
        "type": "function",
        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; without this, Nagle + the client's delayed ACK add ~40 ms per answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # quiet: tests and `serve` print what matters

    def version_string(self) -> str:
        return "nbsec-demo" if self.server.hardened else super().version_string()

    # -- plumbing ----------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if not self.server.hardened:
            self.send_header("Access-Control-Allow-Origin", "*")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _error(
        self, status: int, message: str, code: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        kind = "rate_limit_error" if status == 429 else "invalid_request_error" if status < 500 else "server_error"
        self._json(status, {"error": {"message": message, "type": kind, "code": code}}, headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise _ClientError(413, "request body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _gate(self) -> bool:
        """Hardened: the bearer key and the rate limit. True when the request may go on."""
        if not self.server.hardened:
            return True
        header = self.headers.get("Authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not hmac.compare_digest(given.encode(), self.server.api_key.encode()):
            self._error(401, "missing or invalid API key", "invalid_api_key", {"WWW-Authenticate": "Bearer"})
            return False
        wait = self.server.bucket.take(f"{self.client_address[0]}|{given[:8]}")
        if wait > 0:
            self._error(429, "rate limit reached; retry later", "rate_limited", {"Retry-After": str(math.ceil(wait))})
            return False
        return True

    # -- endpoints ---------------------------------------------------------------

    def do_OPTIONS(self) -> None:  # noqa: N802 - http.server's naming
        if self.server.hardened:
            self._error(405, "method not allowed")
            return
        self._send(204, b"", "text/plain", {"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                                            "Access-Control-Allow-Headers": "*"})  # fmt: skip

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/") != "/v1/models":
            self._error(404, "not found")
            return
        if self._gate():
            self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "nbsec"}]})

    def do_POST(self) -> None:  # noqa: N802
        try:
            body = self._body()  # read first, so a refused request leaves the keep-alive connection in step
        except _ClientError as err:
            self.close_connection = True
            self._error(err.status, err.message)
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._error(404, "not found")
        elif self.server.hardened:
            self._post_hardened(body)
        else:
            try:
                self._complete(json.loads(body))
            except Exception:  # noqa: BLE001 - the flaw on show
                # The flaw: the traceback and the settings go to the client, as a framework's debug page does.
                settings = "\n".join(f"{k} = {v}" for k, v in _DEBUG_SETTINGS.items())
                self._send(500, (traceback.format_exc() + "\nSettings:\n" + settings).encode(), "text/plain")

    def _post_hardened(self, body: bytes) -> None:
        if not self._gate():
            return
        try:
            try:
                payload = json.loads(body)
            except ValueError:
                raise _ClientError(400, "request body is not valid JSON") from None
            if not isinstance(payload, dict):
                raise _ClientError(400, "request body must be a JSON object")
            self._complete(payload)
        except _ClientError as err:
            self._error(err.status, err.message, err.code)
        except Exception:  # noqa: BLE001 - the client learns nothing of the cause (the demo keeps no server log)
            self._error(500, "internal error")

    def _complete(self, payload: dict[str, Any]) -> None:
        model = payload.get("model", MODEL)
        if self.server.hardened and model not in (MODEL, "default", None):
            raise _ClientError(404, "unknown model; GET /v1/models lists the models", "model_not_found")
        if self.server.hardened and payload.get("stream"):
            raise _ClientError(400, "streaming is not supported")
        messages = _messages(payload.get("messages") if self.server.hardened else payload["messages"])
        user = payload.get("user")
        role = "guest" if self.server.hardened or user not in ROLES else str(user)
        client = f"{self.client_address[0]}|{str(user)[:64]}" if user else self.client_address[0]
        reply = self.server.app.respond(messages, role=role, client=client)
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.tool_calls:
            message["tool_calls"] = [_tool_call_json(i, c) for i, c in enumerate(reply.tool_calls)]
        prompt_tokens = sum(len(m.content.split()) for m in messages)
        self._json(
            200,
            {
                "id": f"chatcmpl-{secrets.token_hex(8)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": MODEL,
                "choices": [
                    {"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_calls else "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": len(reply.text.split()),
                    "total_tokens": prompt_tokens + len(reply.text.split()),
                },  # fmt: skip
            },
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: DemoApp
    hardened: bool
    api_key: str
    bucket: _Bucket


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DemoServer:
    """The demo app on http://HOST:PORT/v1 in a background thread; `with DemoServer() as s: s.url`.

    `port=0` picks a free port. Hardened mode needs a key: `api_key`, or a random one (`.api_key`).
    `burst`/`rate` set the hardened rate limit per client: 15 at once, then 5 per second (a probe run that
    honours 429 and Retry-After goes through; a burst of 30 in a second does not).
    """

    def __init__(
        self,
        hardened: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        *,
        allow_remote: bool = False,
        burst: float = 15.0,
        rate: float = 5.0,
        log: str | Path | None = None,
    ) -> None:
        if not (_loopback(host) or allow_remote):
            raise UsageError(
                f"refusing to serve the deliberately vulnerable demo on {host}",
                "bind to 127.0.0.1 (the default); pass allow_remote=True only on a network you control",
            )
        self.hardened = hardened
        self.host, self.port = host, port
        self.api_key = api_key or (secrets.token_urlsafe(24) if hardened else "")
        self._burst, self._rate, self._log = burst, rate, log
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._app: DemoApp | None = None

    @property
    def url(self) -> str:
        """Base URL ending in /v1 (the OpenAI client's base_url)."""
        if self._server is None:
            raise RuntimeError("the demo server is not running: call start() or use it as a context manager")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/v1"

    def start(self) -> DemoServer:
        if self._server is not None:
            return self
        self._app = DemoApp(hardened=self.hardened, log=self._log if self.hardened else None)
        server = _Server((self.host, self.port), _Handler)
        server.app, server.hardened, server.api_key = self._app, self.hardened, self.api_key
        server.bucket = _Bucket(self._burst, self._rate)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="nbsec-demo-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._app is not None:
            self._app.close()
        self._server = self._thread = self._app = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    hardened: bool = False,
    api_key: str | None = None,
    *,
    allow_remote: bool = False,
    log: str | Path | None = None,
    key_env: str | None = None,
) -> None:
    """Serve the demo until Ctrl-C, printing the URL (and, hardened with no key given, the generated key) and the
    commands that probe and audit it (`key_env`: the variable that holds the key, for the printed command)."""
    server = DemoServer(hardened, host, port, api_key, allow_remote=allow_remote, log=log).start()
    mode = "hardened (nbsec's guards in front)" if hardened else "DELIBERATELY VULNERABLE"
    print(f"nbsec demo LLM app, {mode}: {server.url}  (model {MODEL}; Ctrl-C stops)", flush=True)
    key = ""
    if hardened:
        if api_key is None:
            print(f"API key for this run: {server.api_key}", flush=True)
        name = key_env or "DEMO_KEY"
        key = f" --api-key-env {name}" + (f"  (after: export {name}=<the key>)" if key_env is None else "")
    print(f"probe it:  nbsec llm --target {server.url} --demo-context{key}", flush=True)
    print(f"audit it:  nbsec llm audit {server.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
