"""The HTTP policy every network target shares: one host, no proxy, bounded retries, bounded load.

- Requests go only to the host the user named: `trust_env=False` (no proxy or netrc the user did not
  name), `follow_redirects=False` (a redirect is a TargetError saying where it points, never followed),
  and every URL is checked against the named origin before it is sent.
- Retries on 429, 5xx, connect errors and timeouts, with exponential backoff; a Retry-After header is
  honoured up to 10 s (a server that asks for longer gets an error, not a stalled scan).
- A semaphore bounds concurrent requests; a token bucket bounds the request rate.
- The API key is read only from the environment variable the user named, sent only in a header, and
  never appears in a name, an error, a repr or a log: errors are built from the display URL, and any
  text from the server is scrubbed of the key before it is quoted.
"""

from __future__ import annotations

import email.utils
import json
import os
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from nbsec.errors import UsageError
from nbsec.llm.types import TargetError
from nbsec.redact import redact

MAX_RETRY_AFTER = 10.0  # seconds: a longer Retry-After is an error, not a wait
MAX_THROTTLED = 60.0  # seconds one request may spend waiting out 429s before it is an error
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_BODY_EXCERPT = 160


def display_url(url: str) -> str:
    """The URL as reports show it: scheme, host, port and path; no userinfo, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def check_url(url: str) -> None:
    """UsageError unless `url` is an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{display_url(url) or url!r}: not an http(s) URL",
            "give the full URL, e.g. http://127.0.0.1:8000/v1",
        )


MAX_ANSWER_BYTES = 8 * 1024 * 1024  # an LLM answer, an error page: a hostile endpoint may send gigabytes


class AnswerTooLarge(httpx.HTTPError):
    """The endpoint's answer (decoded) passed MAX_ANSWER_BYTES; reading stopped there."""


class BoundedClient(httpx.Client):
    """An httpx.Client that never holds more than `limit` bytes of an answer in memory.

    Every request is streamed and read chunk by chunk (after content decoding, so a gzip bomb is cut off too);
    past the limit the connection is closed and AnswerTooLarge raised. What comes back is an ordinary, fully
    read httpx.Response, so callers use .status_code, .headers, .text and .json() as usual.
    """

    def __init__(self, *args: Any, limit: int = MAX_ANSWER_BYTES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit

    def send(self, request: httpx.Request, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        response = super().send(request, stream=True, **kwargs)
        body = bytearray()
        try:
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.limit:
                    raise AnswerTooLarge(f"answer larger than {self.limit // (1024 * 1024)} MiB; not read further")
        finally:
            response.close()
        # The body is decoded already: drop the headers that would make httpx decode (or size-check) it again.
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]  # fmt: skip
        return httpx.Response(
            response.status_code, headers=headers, content=bytes(body), request=request, extensions=response.extensions
        )


class TokenBucket:
    """At most `rate` requests per second on average, bursts of at most `burst` (thread-safe)."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        if rate <= 0:
            raise UsageError(f"rate {rate!r}: must be a positive number of requests per second", "e.g. rate=2.0")
        self.rate = float(rate)
        self.capacity = max(1.0, float(burst))
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                wait = (1.0 - self._tokens) / self.rate
            time.sleep(wait)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# The request policy's defaults, shared by every target built on HttpClient (the CLI's options show the same).
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF_S = 0.5
DEFAULT_CONCURRENCY = 4


class HttpClient:
    """One httpx.Client for one target, with the policy above. Thread-safe; `close()` when done."""

    def __init__(
        self,
        url: str,
        *,
        api_key_env: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF_S,
        concurrency: int = DEFAULT_CONCURRENCY,
        rate: float | None = None,
    ) -> None:
        check_url(url)
        if retries < 0 or concurrency < 1 or timeout <= 0 or backoff < 0:
            raise UsageError(
                f"bad HTTP policy for {display_url(url)}: retries={retries}, concurrency={concurrency}, "
                f"timeout={timeout}, backoff={backoff}",
                "retries >= 0, concurrency >= 1, timeout > 0, backoff >= 0",
            )
        self.name = display_url(url)
        self._origin = _origin(url)
        self.retries = retries
        self.backoff = backoff
        self._semaphore = threading.BoundedSemaphore(concurrency)
        self._bucket = TokenBucket(rate) if rate else None
        self._pause_lock = threading.Lock()
        self._paused_until = 0.0  # monotonic time before which no request is sent (the app said 429)
        self._key = self._read_key(api_key_env)
        self._api_key_env = api_key_env
        sent = dict(headers or {})
        if self._key is not None:
            templated = {k: v for k, v in sent.items() if "$KEY" in v}
            for k, v in templated.items():
                sent[k] = v.replace("$KEY", self._key)
            if not templated:
                sent["Authorization"] = f"Bearer {self._key}"
        self._client = BoundedClient(
            headers=sent, timeout=httpx.Timeout(timeout), trust_env=False, follow_redirects=False
        )

    def __repr__(self) -> str:
        key = f", key from ${self._api_key_env}" if self._api_key_env else ""
        return f"HttpClient({self.name!r}{key})"

    def _read_key(self, api_key_env: str | None) -> str | None:
        if api_key_env is None:
            return None
        value = os.environ.get(api_key_env, "")
        if not value:
            raise UsageError(
                f"{self.name}: the environment variable {api_key_env} holding the API key is not set or empty",
                f"export {api_key_env}=... before running, or leave the key option out for an endpoint without one",
            )
        return value

    def scrub(self, text: str) -> str:
        """`text` with the key (if any) replaced by its redacted form: safe to put in an error."""
        if self._key and self._key in text:
            text = text.replace(self._key, redact(self._key))
        return text

    def close(self) -> None:
        self._client.close()

    # -- requests ------------------------------------------------------------

    def request_json(self, method: str, url: str, payload: Any) -> Any:
        """Send `payload` as JSON, return the parsed JSON answer; TargetError when there is none."""
        if _origin(url) != self._origin:
            # Defence in depth: targets build URLs from the named base, so this never fires in use.
            raise TargetError(
                f"{self.name}: refused a request to {display_url(url)}, a host the target was not given",
                "nbsec only talks to the host you named",
            )
        shown = display_url(url)
        attempt = 0
        throttled = 0.0
        while True:
            delay: float | None = None
            status = 0
            try:
                response = self._send(method, url, payload)
            except AnswerTooLarge as error:
                raise TargetError(
                    f"{shown}: {error}", "the endpoint sent far more than an answer; check the URL"
                ) from None
            except httpx.TimeoutException:
                problem = f"{shown}: no answer within the timeout"
                hint = "raise the timeout, or check that the app is up and not overloaded"
            except httpx.TransportError as error:
                problem = f"{shown}: could not connect ({type(error).__name__})"
                hint = "check the URL and that the app is running and reachable"
            else:
                status = response.status_code
                if status in RETRY_STATUSES:
                    problem = f"{shown}: HTTP {response.status_code}{self._excerpt(response)}"
                    hint = "the app is overloaded or failing; lower concurrency/rate or try later"
                    delay = _retry_after(response)
                    if delay is not None and delay > MAX_RETRY_AFTER:
                        raise TargetError(
                            f"{problem}; it asked to retry after {delay:.0f} s (more than {MAX_RETRY_AFTER:.0f} s)",
                            "lower the rate option so the app does not throttle the scan",
                        )
                else:
                    return self._parse(response, shown)
            wait = delay if delay is not None else self.backoff * (2**attempt)
            if delay is not None and status == 429 and throttled + wait <= MAX_THROTTLED:
                # Throttled, not failing: every worker of this target pauses, and the wait is not a retry.
                throttled += wait
                self._pause(wait)
                continue
            if attempt >= self.retries:
                tries = f" after {attempt + 1} tries" if attempt else ""
                raise TargetError(self.scrub(problem + tries), hint)
            time.sleep(wait)
            attempt += 1

    def _pause(self, seconds: float) -> None:
        with self._pause_lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def _send(self, method: str, url: str, payload: Any) -> httpx.Response:
        with self._semaphore:
            pause = self._paused_until - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            if self._bucket is not None:
                self._bucket.acquire()
            return self._client.request(method, url, json=payload)

    def _excerpt(self, response: httpx.Response) -> str:
        body = " ".join(response.text.split())[:_BODY_EXCERPT]
        return f" ({self.scrub(body)})" if body else ""

    def _parse(self, response: httpx.Response, shown: str) -> Any:
        status = response.status_code
        if 300 <= status < 400:
            where = response.headers.get("location", "")
            pointed = display_url(str(response.url.join(where))) if where else "nowhere"
            raise TargetError(
                f"{shown}: HTTP {status} redirect to {pointed}, not followed",
                "give the final URL yourself; nbsec never follows a redirect to a host you did not name",
            )
        if status in (401, 403):
            key = f"the key in ${self._api_key_env}" if self._api_key_env else "an API key (api_key_env=...)"
            raise TargetError(f"{shown}: HTTP {status}{self._excerpt(response)}", f"check {key}")
        if status >= 400:
            raise TargetError(
                f"{shown}: HTTP {status}{self._excerpt(response)}", "check the URL, the model name and the request"
            )
        try:
            return json.loads(response.content)
        except ValueError:
            raise TargetError(
                f"{shown}: the answer is not JSON{self._excerpt(response)}",
                "check that the URL is the API endpoint, not a web page",
            ) from None
