"""The endpoint audit against real servers on 127.0.0.1: the demo server in both modes, a dead port, a redirect."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from nbsec.errors import UsageError
from nbsec.llm.audit import _Auditor, _endpoint, audit_endpoint
from nbsec.llm.demo_data import DEMO_SECRET
from nbsec.llm.demo_server import DemoServer
from nbsec.model import Report, Severity

AUDIT_RULES = {f"NBSEC-LLM-0{n}" for n in (13, 14, 15, 16, 17)}


def rules(report: Report) -> set[str]:
    return {f.rule_id for f in report.findings}


def checks(report: Report) -> dict[str, str]:
    return {c.rules[0]: c.status for c in report.checks}


def test_vulnerable_demo_server_fails_every_test() -> None:
    with DemoServer() as server:
        report = audit_endpoint(server.url)
    assert rules(report) == AUDIT_RULES
    plain = [f for f in report.findings if f.rule_id == "NBSEC-LLM-016"]
    assert [f.severity for f in plain] == [Severity.INFO]  # loopback: info only
    leak = " ".join(f.evidence for f in report.findings if f.rule_id == "NBSEC-LLM-015")
    assert "Python stack trace" in leak and "Stripe secret key" in leak and "PAYMENTS_KEY" in leak
    assert DEMO_SECRET not in report.to_json()  # the leaked key is shown redacted only
    assert set(checks(report).values()) == {"failed"} and set(checks(report)) == AUDIT_RULES
    assert report.targets[0].kind == "llm-endpoint" and report.targets[0].status == "scanned"
    assert not report.errors


def test_hardened_demo_server_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBSEC_TEST_DEMO_KEY", "k-test-audit")
    with DemoServer(hardened=True, api_key="k-test-audit") as server:
        report = audit_endpoint(server.url, api_key_env="NBSEC_TEST_DEMO_KEY")
    assert rules(report) == {"NBSEC-LLM-016"}
    assert [f.severity for f in report.findings] == [Severity.INFO]
    status = checks(report)
    assert {status[r] for r in AUDIT_RULES - {"NBSEC-LLM-016"}} == {"passed"}
    assert "k-test-audit" not in report.to_json()


def test_the_hardened_limit_lets_a_patient_client_through() -> None:
    with DemoServer(hardened=True, api_key="k") as server, httpx.Client(trust_env=False) as client:
        body = {"messages": [{"role": "user", "content": "What is your return policy?"}]}
        headers = {"Authorization": "Bearer k"}
        codes = [client.post(server.url + "/chat/completions", json=body, headers=headers) for _ in range(30)]
        limited = [r for r in codes if r.status_code == 429]
        assert limited and all(r.headers["retry-after"].isdigit() for r in limited)
        assert limited[0].json()["error"]["type"] == "rate_limit_error"
        import time

        time.sleep(float(limited[0].headers["retry-after"]))
        assert client.post(server.url + "/chat/completions", json=body, headers=headers).status_code == 200


def test_an_endpoint_that_does_not_answer_is_an_error_not_a_pass() -> None:
    with DemoServer() as server:
        url = server.url  # a port that was free a moment ago and is closed now
    report = audit_endpoint(url, timeout=2.0)
    assert report.errors and "no answer" in report.errors[0].message
    assert report.targets[0].status == "error"
    assert checks(report)["NBSEC-LLM-013"] == "error"
    assert "passed" not in {c.status for c in report.checks}


class _Redirect(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _go(self) -> None:
        self.send_response(307)
        self.send_header("Location", "http://127.0.0.2:9/v1/chat/completions")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_OPTIONS = _go


@pytest.fixture
def redirecting() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_redirects_are_reported_not_followed(redirecting: str) -> None:
    report = audit_endpoint(redirecting, burst=3, timeout=2.0)
    credentials = next(c for c in report.checks if c.rules == ("NBSEC-LLM-013",))
    assert credentials.status == "error" and "redirected to 'http://127.0.0.2:9" in credentials.detail
    assert "NBSEC-LLM-013" not in rules(report)


class _Flood(BaseHTTPRequestHandler):
    """Answers every request with 10 MiB: more than an answer, read no further than the bound."""

    def log_message(self, *args: object) -> None:
        pass

    def _go(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))  # unread request bytes would reset the socket
        self.send_response(500)
        self.send_header("Content-Length", str(10 * 1024 * 1024))
        self.end_headers()
        try:
            for _ in range(10 * 16):
                self.wfile.write(b"x" * 65536)
        except OSError:
            pass  # the auditor stopped reading: what the test wants

    do_GET = do_POST = do_OPTIONS = _go


def test_an_endpoint_that_floods_its_answers_is_an_error_not_a_crash() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flood)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        report = audit_endpoint(f"http://127.0.0.1:{server.server_address[1]}/v1", burst=3, timeout=5.0)
    finally:
        server.shutdown()
        server.server_close()
    assert report.errors and "AnswerTooLarge" in report.errors[0].message
    assert "passed" not in {c.status for c in report.checks if c.rules != ("NBSEC-LLM-016",)}


def test_plain_http_off_loopback_is_medium_and_https_passes() -> None:
    remote = _Auditor(_endpoint("http://192.0.2.10:8000/v1"), None, None, 1.0)
    remote.transport()  # looks at the URL only: no request is made
    assert [f.severity for f in remote.report.findings] == [Severity.MEDIUM]
    secure = _Auditor(_endpoint("https://models.example.com/v1/chat/completions"), None, None, 1.0)
    secure.transport()
    assert not secure.report.findings and secure.report.checks[0].status == "passed"
    assert secure.endpoint.chat == "/v1/chat/completions" and secure.endpoint.models == "/v1/models"


def test_usage_errors() -> None:
    with pytest.raises(UsageError, match="between 1 and 100"):
        audit_endpoint("http://127.0.0.1:1/v1", burst=101)
    with pytest.raises(UsageError, match="NBSEC_TEST_UNSET_KEY is not set"):
        audit_endpoint("http://127.0.0.1:1/v1", api_key_env="NBSEC_TEST_UNSET_KEY")
    with pytest.raises(UsageError, match="not an http"):
        audit_endpoint("ftp://127.0.0.1/v1")


def test_the_demo_server_refuses_non_loopback_binds() -> None:
    with pytest.raises(UsageError, match="refusing"):
        DemoServer(host="0.0.0.0")
