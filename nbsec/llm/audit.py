"""Audit an HTTP model endpoint the user names: credentials, rate limit, error pages, transport, CORS.

Five tests, each a Check in the Report (passed ones too), a finding when it fails:

- NBSEC-LLM-013: a minimal chat request with no Authorization header gets a completion;
- NBSEC-LLM-014: a short burst (default 30 requests, at most 100, a few at a time; it stops at the first 429)
  is answered in full;
- NBSEC-LLM-015: malformed JSON, a wrong type and an unknown model get errors that show a stack trace, file
  paths, exception classes, configuration keys, internal host names or a secret (found by nbsec's secrets
  detector and shown redacted);
- NBSEC-LLM-016: the URL is plain http:// (info only on a loopback address);
- NBSEC-LLM-017: CORS answers `Access-Control-Allow-Origin: *` (or echoes any origin).

Requests go only to the URL's own host: no proxy from the environment (trust_env=False), redirects not
followed. The key, when one is needed, comes from the environment variable the user names and appears in no
report. An endpoint that does not answer is a ScanError, never a clean result.
"""

from __future__ import annotations

import ipaddress
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from nbsec.errors import UsageError
from nbsec.llm.http import BoundedClient
from nbsec.llm.rules import (
    CORS_ANY_ORIGIN,
    ERROR_DISCLOSURE,
    NO_RATE_LIMIT,
    PLAIN_HTTP,
    SCANNER,
    UNAUTHENTICATED_ENDPOINT,
)
from nbsec.model import Check, Location, Report, ScanError, Severity, Target, utc_now_iso
from nbsec.redact import redact
from nbsec.scanners.notebook.detectors import TextContext
from nbsec.scanners.notebook.secrets import find_secrets

__all__ = ["MAX_BURST", "audit_endpoint"]

MAX_BURST = 100
_CONCURRENCY = 4
_BODY_LIMIT = 64 * 1024
_ORIGIN = "https://nbsec-audit.invalid"
_UNKNOWN_MODEL = "nbsec-audit-no-such-model"
_TRACES = (
    ("a Python stack trace", re.compile(r"Traceback \(most recent call last\)")),
    ("a Java stack trace", re.compile(r"\n\s+at [\w$.]+\([\w$]+\.java:\d+\)")),
    ("a Node.js stack trace", re.compile(r"\n\s+at .{1,200}\(?/[^\s)]+\.[cm]?js:\d+:\d+\)?")),
    ("a Go panic", re.compile(r"goroutine \d+ \[running\]")),
)
_PATH = re.compile(
    r"File \"([^\"\n]{1,300})\", line \d+|((?:/(?:usr|home|opt|srv|app|var|root|Users|tmp|workspace|code)/|"
    r"[A-Za-z]:\\\\?)[^\s\"'<>:]{1,300}\.(?:py|js|ts|java|go|rb|php))"
)
_EXCEPTION = re.compile(r"\b(?:[A-Z][a-z]+){1,4}(?:Error|Exception)\b|\b(?:KeyError|StopIteration|AssertionError)\b")
_CONFIG_KEY = re.compile(
    r"\b([A-Z][A-Z0-9]{1,30}_(?:[A-Z0-9]{1,30}_)*(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|DSN|URL|URI|HOST|DB|DATABASE))\b"
    r"\s*[=:]|\b(os\.environ|settings\.py|DEBUG\s*=\s*True)\b"
)
_INTERNAL_HOST = re.compile(r"\b[a-z0-9][a-z0-9.-]{0,200}\.(?:internal|local|corp|lan|intranet)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Endpoint:
    name: str  # the URL without credentials, query or fragment: what the report shows
    base: str  # scheme://host:port
    chat: str  # path of chat/completions
    models: str  # path of models
    host: str
    scheme: str


def _endpoint(url: str) -> _Endpoint:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{url!r} is not an http(s) URL", "give the endpoint's base URL, e.g. http://127.0.0.1:8000/v1"
        )
    netloc = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    if ":" in parts.hostname:
        netloc = f"[{parts.hostname}]" + ("" if parts.port is None else f":{parts.port}")
    path = parts.path.rstrip("/")
    base_path = path[: -len("/chat/completions")] if path.endswith("/chat/completions") else path
    name = urlunsplit((parts.scheme, netloc, path, "", ""))
    return _Endpoint(name, f"{parts.scheme}://{netloc}", base_path + "/chat/completions", base_path + "/models",
                     parts.hostname, parts.scheme)  # fmt: skip


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _chat(model: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 1}


def _leaks(response: httpx.Response) -> tuple[list[str], bool]:
    """What an error response gives away (labels, values redacted), and whether it is more than a class name."""
    body = response.text[:_BODY_LIMIT]
    found = [label for label, pattern in _TRACES if pattern.search(body)]
    paths = {m.group(1) or m.group(2) for m in _PATH.finditer(body)}
    if paths:
        names = sorted({re.split(r"[\\/]", p)[-1] for p in paths})
        found.append(f"file paths ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})")
    keys = sorted({m.group(1) or m.group(2) for m in _CONFIG_KEY.finditer(body)})
    if keys:
        found.append(f"configuration ({', '.join(keys[:4])})")
    hosts = sorted({m.group(0).lower() for m in _INTERNAL_HOST.finditer(body)})
    if hosts:
        found.append(f"internal host names ({', '.join(hosts[:3])})")
    for match in find_secrets(body, TextContext(part="output-text")):
        found.append(f"a {match.kind} ({redact(match.value)})")
    serious = bool(found)
    classes = sorted(set(_EXCEPTION.findall(body)))
    if classes:
        found.append(f"exception classes ({', '.join(classes[:4])})")
    return found, serious


class _Auditor:
    def __init__(self, endpoint: _Endpoint, key: str | None, model: str | None, timeout: float) -> None:
        self.endpoint, self.key, self.model = endpoint, key, model
        self.client = BoundedClient(
            base_url=endpoint.base, trust_env=False, follow_redirects=False, timeout=timeout,
            headers={"User-Agent": "nbsec-llm-audit"},
        )  # fmt: skip
        self.report = Report()
        self.leaks: list[tuple[str, httpx.Response]] = []

    def check(self, status: str, detail: str, rule_id: str) -> None:
        self.report.checks.append(Check(SCANNER, self.endpoint.name, status, detail, (rule_id,)))

    def location(self, what: str) -> Location:
        return Location(path=self.endpoint.name, endpoint=what)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    # -- 013 ---------------------------------------------------------------------

    def unauthenticated(self) -> None:
        rule, where = UNAUTHENTICATED_ENDPOINT, f"POST {self.endpoint.chat}"
        model = self.model or self._listed_model() or "default"
        response = self.client.post(self.endpoint.chat, json=_chat(model))
        self.leaks.append(("minimal request without credentials", response))
        status = response.status_code
        if 200 <= status < 300:
            completion = _is_completion(response)
            evidence = f"{where} with no Authorization header answered {status}" + (
                " with a completion" if completion else " (not a recognisable completion)"
            )
            self.report.findings.append(rule.finding(self.location(where), evidence,
                                                     confidence=None if completion else "medium"))  # fmt: skip
            self.check("failed", evidence, rule.id)
        elif status in (401, 403):
            self.check("passed", f"{where} without credentials was refused ({status})", rule.id)
        elif 300 <= status < 400:
            self.check("error", f"{where} redirected to {response.headers.get('location', '?')!r}; audit that URL "
                                "(nbsec follows no redirect)", rule.id)  # fmt: skip
        else:
            self.check("error", f"{where} without credentials answered {status}: neither a completion nor a refusal "
                                "(name the model with --model?)", rule.id)  # fmt: skip

    def _listed_model(self) -> str | None:
        try:
            response = self.client.get(self.endpoint.models, headers=self.auth_headers())
            data = response.json().get("data") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        if isinstance(data, list) and data and isinstance(data[0], dict) and isinstance(data[0].get("id"), str):
            return str(data[0]["id"])
        return None

    # -- 014 ---------------------------------------------------------------------

    def rate_limit(self, burst: int) -> None:
        rule, where = NO_RATE_LIMIT, f"POST {self.endpoint.chat}"
        stop = threading.Event()
        model = self.model or self._listed_model() or "default"

        def one(_: int) -> int | str:
            if stop.is_set():
                return "skipped"
            try:
                status = self.client.post(
                    self.endpoint.chat, json=_chat(model), headers=self.auth_headers()
                ).status_code
            except httpx.HTTPError as exc:
                return type(exc).__name__
            if status == 429:
                stop.set()
            return status

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=_CONCURRENCY) as pool:
            outcomes = list(pool.map(one, range(burst)))
        seconds = time.perf_counter() - started
        sent = [o for o in outcomes if o != "skipped"]
        codes = Counter(sent)
        summary = ", ".join(f"{n}x {c}" for c, n in sorted(codes.items(), key=lambda kv: str(kv[0])))
        ok = sum(n for c, n in codes.items() if isinstance(c, int) and 200 <= c < 300)
        if codes.get(429):
            first = next(i for i, o in enumerate(outcomes) if o == 429) + 1
            self.check("passed", f"burst of up to {burst}: 429 after {first} requests in {seconds:.1f} s ({summary})",
                       rule.id)  # fmt: skip
        elif ok == len(sent):
            evidence = f"{ok} of {burst} requests in {seconds:.1f} s ({_CONCURRENCY} at a time) answered 2xx; none 429"
            self.report.findings.append(rule.finding(self.location(where), evidence))
            self.check("failed", evidence, rule.id)
        elif codes.get(401) or codes.get(403):
            self.check("skipped", f"burst refused for lack of credentials ({summary}): name the key's environment "
                                  "variable (--api-key-env) to test the limit behind it", rule.id)  # fmt: skip
        else:
            self.check("error", f"burst of {burst}: neither all answered nor limited ({summary})", rule.id)

    # -- 015 ---------------------------------------------------------------------

    def error_pages(self) -> None:
        rule, where = ERROR_DISCLOSURE, f"POST {self.endpoint.chat}"
        headers = {"Content-Type": "application/json", **self.auth_headers()}
        model = self.model or "default"
        cases: list[tuple[str, Callable[[], httpx.Response]]] = [
            ("malformed JSON", lambda: self.client.post(self.endpoint.chat, content=b'{"model": "x", "messages": [',
                                                        headers=headers)),
            ("wrong type", lambda: self.client.post(self.endpoint.chat, json={"model": model, "messages": "Hello"},
                                                    headers=headers)),
            ("unknown model", lambda: self.client.post(self.endpoint.chat, json=_chat(_UNKNOWN_MODEL),
                                                       headers=headers)),
        ]  # fmt: skip
        for name, send in cases:
            self.leaks.append((name, _patiently(send)))
        leaked = []
        for name, response in self.leaks:
            labels, serious = _leaks(response)
            if not labels:
                continue
            evidence = f"{name}: HTTP {response.status_code} shows {'; '.join(labels)}"
            leaked.append(evidence)
            self.report.findings.append(
                rule.finding(self.location(f"{where} ({name})"), evidence,
                             severity=None if serious else Severity.LOW, confidence=None if serious else "medium")
            )  # fmt: skip
        tried = ", ".join(name for name, _ in self.leaks)
        limited = [name for name, response in self.leaks[-len(cases) :] if response.status_code == 429]
        if limited and not leaked:
            self.check("error", f"still rate-limited (429) after waiting: {', '.join(limited)} not tested", rule.id)
            return
        self.check("failed" if leaked else "passed",
                   "; ".join(leaked) if leaked else f"no trace, path, configuration or secret in answers to: {tried}",
                   rule.id)  # fmt: skip

    # -- 016 / 017 ---------------------------------------------------------------------

    def transport(self) -> None:
        rule, host = PLAIN_HTTP, self.endpoint.host
        if self.endpoint.scheme == "https":
            self.check("passed", "served over https", rule.id)
            return
        loopback = _loopback(host)
        evidence = f"{self.endpoint.name} is plain http://" + (
            f" on a loopback address ({host}): fine for local use" if loopback else f" on {host}"
        )
        self.report.findings.append(
            rule.finding(self.location("transport"), evidence, severity=Severity.INFO if loopback else None)
        )
        self.check("failed", evidence, rule.id)

    def cors(self) -> None:
        rule = CORS_ANY_ORIGIN
        preflight = {"Origin": _ORIGIN, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization, content-type"}  # fmt: skip
        answers = [
            (f"OPTIONS {self.endpoint.chat}", self.client.options(self.endpoint.chat, headers=preflight)),
            (f"GET {self.endpoint.models}", self.client.get(self.endpoint.models, headers={"Origin": _ORIGIN})),
        ]
        for what, response in answers:
            allowed = response.headers.get("access-control-allow-origin", "")
            credentials = response.headers.get("access-control-allow-credentials", "").lower() == "true"
            if allowed.strip() == "*" or allowed.strip() == _ORIGIN:
                echoed = allowed.strip() == _ORIGIN
                evidence = f"{what} with Origin {_ORIGIN} answered Access-Control-Allow-Origin: {allowed.strip()}" + (
                    " (echoes any origin" + (", with credentials)" if credentials else ")") if echoed else ""
                )
                severity = Severity.HIGH if echoed and credentials else None
                self.report.findings.append(rule.finding(self.location(what), evidence, severity=severity))
                self.check("failed", evidence, rule.id)
                return
        tried = ", ".join(what for what, _ in answers)
        self.check("passed", f"no Access-Control-Allow-Origin for a foreign origin ({tried})",
                   rule.id)  # fmt: skip


def _patiently(send: Callable[[], httpx.Response], tries: int = 3) -> httpx.Response:
    """`send()`, again after Retry-After (at most 10 s) while the answer is 429: the burst test just spent the
    endpoint's allowance, and an error test answered by the rate limiter would test nothing."""
    response = send()
    for _ in range(tries - 1):
        if response.status_code != 429:
            break
        try:
            wait = float(response.headers.get("retry-after", "1"))
        except ValueError:
            wait = 1.0
        time.sleep(min(max(wait, 0.2), 10.0))
        response = send()
    return response


def _is_completion(response: httpx.Response) -> bool:
    try:
        data = response.json()
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("choices"), list)


def audit_endpoint(
    url: str, *, api_key_env: str | None = None, model: str | None = None, burst: int = 30, timeout: float = 10.0
) -> Report:
    """Audit the HTTP model endpoint at `url` (an OpenAI-compatible base URL, or its /chat/completions URL)."""
    from nbsec._version import __version__

    if not 1 <= burst <= MAX_BURST:
        raise UsageError(f"burst of {burst} requests", f"choose between 1 and {MAX_BURST}: the audit stays polite")
    key = None
    if api_key_env:
        key = os.environ.get(api_key_env)
        if not key:
            raise UsageError(f"environment variable {api_key_env} is not set",
                             "export the endpoint's key under that name, or leave --api-key-env out")  # fmt: skip
    endpoint = _endpoint(url)
    started = time.perf_counter()
    auditor = _Auditor(endpoint, key, model, timeout)
    report = auditor.report
    report.tool_version, report.started_at = __version__, utc_now_iso()
    auditor.transport()
    steps: list[tuple[str, Callable[[], None]]] = [
        ("credentials", auditor.unauthenticated),
        ("rate limit", lambda: auditor.rate_limit(burst)),
        ("error pages", auditor.error_pages),
        ("CORS", auditor.cors),
    ]
    rules = {"credentials": UNAUTHENTICATED_ENDPOINT, "rate limit": NO_RATE_LIMIT, "error pages": ERROR_DISCLOSURE,
             "CORS": CORS_ANY_ORIGIN}  # fmt: skip
    status = "scanned"
    try:
        for index, (name, step) in enumerate(steps):
            try:
                step()
            except httpx.HTTPError as exc:
                status = "error"
                report.errors.append(
                    ScanError(SCANNER, endpoint.name, f"{endpoint.name}: no answer during the {name} test "
                              f"({type(exc).__name__})", "check the URL, that the server runs, and --timeout")
                )  # fmt: skip
                for later, _ in steps[index:]:
                    auditor.check("error", f"{later} test not run: the endpoint did not answer", rules[later].id)
                break
    finally:
        auditor.client.close()
    report.targets.append(Target(endpoint.name, "llm-endpoint", status, f"{len(report.checks)} checks"))
    report.timings["llm-audit"] = time.perf_counter() - started
    report.finished_at = utc_now_iso()
    return report
