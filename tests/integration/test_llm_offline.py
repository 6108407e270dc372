"""The whole probe suite, the audit and the guard, with every socket outside loopback refused.

nbsec promises no request to a host the user did not name and no download at run time. Here the
network is cut in-process (connect and name resolution for anything but 127.0.0.1/::1/localhost
raise, and are recorded), the demo app is served over HTTP on 127.0.0.1, and everything nbsec does
for an LLM app runs against it: the record of refused connections must stay empty.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from nbsec import api
from nbsec.llm.demo_app import demo_context
from nbsec.llm.demo_server import DemoServer
from nbsec.llm.rules import FAMILY_RULES
from nbsec.model import Severity

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    attempts: list[Any] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK:
            attempts.append(("connect", address))
            raise OSError(f"test: network access to {host} refused")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in LOOPBACK:
            attempts.append(("resolve", name))
            raise socket.gaierror(f"test: name resolution of {name} refused")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts


def test_probes_audit_and_guard_touch_only_loopback(refused: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    with DemoServer() as server:
        report = api.probe_llm(server.url, context=demo_context(), attempts=5, concurrency=4)
        audit = api.audit_llm_endpoint(server.url, burst=20)
    assert refused == []
    assert report.errors == [], [e.message for e in report.errors]
    assert {rule.id for rule in FAMILY_RULES.values()} <= {f.rule_id for f in report.findings}
    assert {"NBSEC-LLM-013", "NBSEC-LLM-015"} <= {f.rule_id for f in audit.findings}

    monkeypatch.setenv("DEMO_LLM_TEST_KEY", "demo-key-for-tests-0123456789")
    with DemoServer(hardened=True, api_key="demo-key-for-tests-0123456789") as server:
        hardened = api.probe_llm(
            server.url,
            context=demo_context(hardened=True),
            attempts=3,
            target_options={"api_key_env": "DEMO_LLM_TEST_KEY"},
        )
        hardened_audit = api.audit_llm_endpoint(server.url, burst=30)
    assert refused == []
    assert hardened.errors == [], [e.message for e in hardened.errors]
    assert not [f for f in hardened.findings if f.severity in (Severity.HIGH, Severity.CRITICAL)]
    assert not {"NBSEC-LLM-013", "NBSEC-LLM-014", "NBSEC-LLM-015", "NBSEC-LLM-017"} & {
        f.rule_id for f in hardened_audit.findings
    }


def test_a_url_elsewhere_is_refused_here_and_reported_as_an_error(refused: list[Any]) -> None:
    """The cut is real: a target on another host gets an error in the Report (never a pass)."""
    report = api.probe_llm("http://192.0.2.10:9/v1", probes=["prompt-injection"], attempts=1,
                           target_options={"timeout": 2.0, "retries": 0})  # fmt: skip
    assert refused and report.errors and not report.findings
