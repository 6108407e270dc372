"""LLM targets: a callable, an OpenAI-compatible endpoint and a REST endpoint, and the HTTP policy they share.

The HTTP tests run against a real server on 127.0.0.1 that each test scripts (status, headers, body, delay),
started in a thread and stopped after the test.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from nbsec.errors import UsageError
from nbsec.llm.targets import (
    OpenAITarget,
    RestTarget,
    callable_target,
    openai_messages,
    resolve_target,
)
from nbsec.llm.types import Message, Reply, TargetError, ToolCall

KEY_ENV = "NBSEC_TEST_LLM_KEY"
KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def ok(
    content: str | None = "hello", tool_calls: list[dict[str, Any]] | None = None
) -> tuple[int, dict[str, str], bytes]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return 200, {"Content-Type": "application/json"}, json.dumps({"choices": [{"message": message}]}).encode()


@dataclass
class Served:
    """A scripted server: each request takes the next scripted answer (the last one repeats)."""

    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=lambda: [ok()])
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with served.lock:
                served.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                served.in_flight += 1
                served.max_in_flight = max(served.max_in_flight, served.in_flight)
            try:
                status, headers, payload = served.answer()
                if served.delay:
                    time.sleep(served.delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with served.lock:
                    served.in_flight -= 1

        do_POST = _any
        do_GET = _any
        do_PUT = _any

    return Handler


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []

    def start(served: Served | None = None) -> Served:
        served = served or Served()
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        served.url = f"http://127.0.0.1:{server.server_address[1]}"
        return served

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def user(text: str) -> list[Message]:
    return [Message("user", text)]


# --------------------------------------------------------------------------- OpenAI-compatible


def test_openai_target_sends_the_conversation_and_reads_text_and_tool_calls(serve: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "send_email", "arguments": '{"to": "a@b.example"}'}},
        {"id": "c2", "type": "function", "function": {"name": "lookup", "arguments": "not json"}},
    ]
    served = serve(Served([ok(None, calls)]))
    target = OpenAITarget(served.url + "/v1", "shop-bot", api_key_env=KEY_ENV)
    conversation = [
        Message("system", "be brief"),
        Message("user", "check the page"),
        Message("assistant", "", tool_calls=(ToolCall("fetch_url", {"url": "https://x.example"}),)),
        Message("tool", "page text", name="fetch_url"),
    ]
    reply = target.send(conversation)
    assert reply == Reply("", (ToolCall("send_email", {"to": "a@b.example"}), ToolCall("lookup", {"_raw": "not json"})))
    sent = served.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == f"Bearer {KEY}"
    body = json.loads(sent["body"])
    assert body["model"] == "shop-bot"
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "tool"]
    call_id = body["messages"][2]["tool_calls"][0]["id"]
    assert body["messages"][3]["tool_call_id"] == call_id
    assert json.loads(body["messages"][2]["tool_calls"][0]["function"]["arguments"]) == {"url": "https://x.example"}


def test_the_key_never_appears_in_names_reprs_or_errors(serve: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    echo = json.dumps({"error": f"invalid key {KEY}"}).encode()
    served = serve(Served([(401, {"Content-Type": "application/json"}, echo)]))
    target = OpenAITarget(served.url + "/v1", api_key_env=KEY_ENV, retries=0)
    with pytest.raises(TargetError) as caught:
        target.send(user("hi"))
    shown = " ".join(
        [target.name, repr(target), repr(target.http), caught.value.message, caught.value.hint, str(caught.value)]
    )
    assert "401" in caught.value.message and KEY_ENV in caught.value.hint
    assert KEY not in shown and KEY[8:24] not in shown


def test_a_missing_key_variable_is_a_usage_error_naming_it(monkeypatch: Any) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(UsageError, match=KEY_ENV):
        OpenAITarget("http://127.0.0.1:9/v1", api_key_env=KEY_ENV)


def test_429_with_retry_after_is_waited_out_then_retried(serve: Any) -> None:
    served = serve(Served([(429, {"Retry-After": "1"}, b"slow down"), ok("after the wait")]))
    target = OpenAITarget(served.url + "/v1", retries=2, backoff=0.01)
    start = time.monotonic()
    assert target.send(user("hi")).text == "after the wait"
    assert time.monotonic() - start >= 0.9
    assert len(served.requests) == 2


def test_throttling_is_waited_out_without_spending_retries(serve: Any) -> None:
    """A rate-limited app (429 + Retry-After) is slowed down for, not given up on: a probe run keeps its answers."""
    throttled = [(429, {"Retry-After": "1"}, b"slow down")] * 3
    served = serve(Served([*throttled, ok("served at last")]))
    target = OpenAITarget(served.url + "/v1", retries=0)
    start = time.monotonic()
    assert target.send(user("hi")).text == "served at last"
    assert time.monotonic() - start >= 2.9 and len(served.requests) == 4


def test_an_answer_past_the_size_bound_is_cut_off_and_an_error(serve: Any) -> None:
    from nbsec.llm.http import MAX_ANSWER_BYTES

    served = serve(Served([(200, {"Content-Type": "application/json"}, b" " * (MAX_ANSWER_BYTES + 1024))]))
    with pytest.raises(TargetError, match="larger than 8 MiB"):
        OpenAITarget(served.url + "/v1", retries=3).send(user("hi"))
    assert len(served.requests) == 1  # not retried: the next answer would be as large


def test_a_gzip_bomb_is_cut_off_after_decoding(serve: Any) -> None:
    import gzip

    from nbsec.llm.http import MAX_ANSWER_BYTES

    bomb = gzip.compress(b"0" * (4 * MAX_ANSWER_BYTES))  # 32 MiB of zeros in ~32 KB
    served = serve(Served([(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, bomb)]))
    with pytest.raises(TargetError, match="larger than"):
        OpenAITarget(served.url + "/v1").send(user("hi"))


def test_a_retry_after_beyond_ten_seconds_is_an_error_not_a_stall(serve: Any) -> None:
    served = serve(Served([(429, {"Retry-After": "3600"}, b""), ok()]))
    start = time.monotonic()
    with pytest.raises(TargetError, match="retry after 3600"):
        OpenAITarget(served.url + "/v1", retries=3).send(user("hi"))
    assert time.monotonic() - start < 2 and len(served.requests) == 1


def test_a_500_then_success_is_retried_with_backoff(serve: Any) -> None:
    served = serve(Served([(500, {}, b"boom"), ok("fine now")]))
    assert OpenAITarget(served.url + "/v1", retries=2, backoff=0.01).send(user("hi")).text == "fine now"
    assert len(served.requests) == 2


def test_persistent_5xx_ends_in_a_target_error_after_the_retries(serve: Any) -> None:
    served = serve(Served([(503, {}, b"down")]))
    with pytest.raises(TargetError, match="503.*after 3 tries"):
        OpenAITarget(served.url + "/v1", retries=2, backoff=0.01).send(user("hi"))
    assert len(served.requests) == 3


def test_a_timeout_is_a_target_error(serve: Any) -> None:
    served = serve(Served(delay=1.0))
    start = time.monotonic()
    with pytest.raises(TargetError, match="timeout"):
        OpenAITarget(served.url + "/v1", timeout=0.2, retries=0).send(user("hi"))
    assert time.monotonic() - start < 0.9


def test_bad_json_is_a_target_error(serve: Any) -> None:
    served = serve(Served([(200, {"Content-Type": "text/html"}, b"<html>login page</html>")]))
    with pytest.raises(TargetError, match="not JSON"):
        OpenAITarget(served.url + "/v1", retries=0).send(user("hi"))


def test_json_without_choices_is_a_target_error_naming_what_it_has(serve: Any) -> None:
    served = serve(Served([(200, {}, b'{"result": "x"}')]))
    with pytest.raises(TargetError, match="result"):
        OpenAITarget(served.url + "/v1", retries=0).send(user("hi"))


def test_a_redirect_to_another_host_is_not_followed(serve: Any) -> None:
    elsewhere = serve(Served([ok("you should never see this")]))
    served = serve(Served([(302, {"Location": elsewhere.url + "/v1/chat/completions?k=1"}, b"")]))
    with pytest.raises(TargetError) as caught:
        OpenAITarget(served.url + "/v1", retries=2, backoff=0.01).send(user("hi"))
    assert "redirect" in caught.value.message and elsewhere.url.split(":")[-1] in caught.value.message
    assert elsewhere.requests == [] and len(served.requests) == 1


def test_no_proxy_from_the_environment_is_used(serve: Any, monkeypatch: Any) -> None:
    # A proxy the user did not name for this target: with trust_env it would get (and fail) the request.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    served = serve()
    assert OpenAITarget(served.url + "/v1", retries=0).send(user("hi")).text == "hello"


def test_the_concurrency_limit_bounds_requests_in_flight(serve: Any) -> None:
    served = serve(Served(delay=0.15))
    target = OpenAITarget(served.url + "/v1", concurrency=2)
    threads = [threading.Thread(target=target.send, args=(user("hi"),)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(served.requests) == 6
    assert served.max_in_flight == 2


def test_the_rate_limit_spaces_requests(serve: Any) -> None:
    served = serve()
    target = OpenAITarget(served.url + "/v1", rate=10.0)
    start = time.monotonic()
    for _ in range(5):
        target.send(user("hi"))
    assert time.monotonic() - start >= 0.35  # the first is free, the next four wait ~0.1 s each


def test_a_refused_connection_is_a_target_error() -> None:
    with pytest.raises(TargetError, match="could not connect"):
        OpenAITarget("http://127.0.0.1:9/v1", retries=1, backoff=0.01).send(user("hi"))


def test_a_non_http_url_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        OpenAITarget("ftp://example.org/v1")


def test_the_name_shows_no_credentials_or_query() -> None:
    target = OpenAITarget("http://user:pw@127.0.0.1:8000/v1/?token=abc")
    assert target.name == "http://127.0.0.1:8000/v1"


# --------------------------------------------------------------------------- REST


def test_rest_target_fills_the_template_json_escaped_and_follows_the_answer_path(serve: Any) -> None:
    answer = {"data": {"items": [{"text": "from the list"}]}}
    served = serve(Served([(200, {}, json.dumps(answer).encode())]))
    target = RestTarget(served.url + "/ask", template='{"q": "$INPUT", "lang": "en"}', answer_path="data.items.0.text")
    text = 'say "hi"\nand a \\ backslash'
    assert target.send(user(text)).text == "from the list"
    assert json.loads(served.requests[0]["body"]) == {"q": text, "lang": "en"}
    assert not target.accepts_messages


def test_rest_target_with_messages_in_the_template_sends_the_conversation(serve: Any) -> None:
    served = serve(Served([(200, {}, b'{"output": "ok"}')]))
    target = RestTarget(served.url + "/chat", template='{"messages": $MESSAGES}')
    assert target.accepts_messages
    target.send([Message("system", "s"), Message("user", "u")])
    assert json.loads(served.requests[0]["body"])["messages"] == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
    ]


def test_rest_target_missing_answer_path_is_a_target_error(serve: Any) -> None:
    served = serve(Served([(200, {}, b'{"reply": "x"}')]))
    with pytest.raises(TargetError, match="'output'.*reply"):
        RestTarget(served.url + "/ask", retries=0).send(user("hi"))


def test_rest_target_key_goes_in_a_templated_header_only(serve: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    served = serve(Served([(200, {}, b'{"output": "x"}')]))
    target = RestTarget(served.url + "/ask", headers={"X-Api-Key": "$KEY"}, api_key_env=KEY_ENV)
    target.send(user("hi"))
    headers = served.requests[0]["headers"]
    assert headers["X-Api-Key"] == KEY and "Authorization" not in headers
    assert KEY not in served.requests[0]["body"].decode()


@pytest.mark.parametrize("template", ['{"input": $INPUT}', '{"input": "x"}'])
def test_rest_target_rejects_a_template_that_cannot_work(template: str) -> None:
    with pytest.raises(UsageError):
        RestTarget("http://127.0.0.1:9/ask", template=template)


# --------------------------------------------------------------------------- callables and resolution


def test_a_str_callable_gets_the_last_user_text() -> None:
    seen: list[Any] = []

    def app(text: str) -> str:
        seen.append(text)
        return "answer"

    target = callable_target(app)
    assert not target.accepts_messages
    assert target.send([Message("system", "s"), Message("user", "first"), Message("user", "last")]) == Reply("answer")
    assert seen == ["last"] and target.name.endswith(":test_a_str_callable_gets_the_last_user_text.<locals>.app")


def test_a_messages_callable_gets_dicts_and_may_return_tool_calls() -> None:
    seen: list[Any] = []

    def app(messages: list[dict[str, str]]) -> dict[str, Any]:
        seen.append(messages)
        call = {"type": "function", "function": {"name": "send_email", "arguments": {"to": "x@y.example"}}}
        return {"role": "assistant", "content": None, "tool_calls": [call]}

    target = callable_target(app, name="my-app")
    assert target.accepts_messages and target.name == "my-app"
    reply = target.send([Message("system", "s"), Message("user", "u")])
    assert reply == Reply("", (ToolCall("send_email", {"to": "x@y.example"}),))
    assert seen == [[{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]]


def test_a_callable_annotated_with_nbsec_messages_gets_message_objects() -> None:
    from collections.abc import Sequence

    def app(messages: Sequence[Message], *, role: str = "guest") -> Reply:
        assert all(isinstance(m, Message) for m in messages)
        return Reply(f"{len(messages)} messages, last from {messages[-1].role}")

    target = callable_target(app)
    assert target.accepts_messages
    assert target.send([Message("system", "s"), Message("user", "u")]).text == "2 messages, last from user"


def test_an_unannotated_parameter_named_messages_takes_the_conversation() -> None:
    target = callable_target(lambda messages: messages[-1]["content"].upper())
    assert target.accepts_messages and target.send(user("abc")).text == "ABC"
    assert not callable_target(lambda prompt: prompt).accepts_messages
    assert callable_target(lambda prompt: str(prompt), messages=True).accepts_messages


def test_a_callable_that_raises_or_returns_junk_gives_a_target_error() -> None:
    def broken(text: str) -> str:
        raise RuntimeError("model crashed")

    with pytest.raises(TargetError, match="RuntimeError: model crashed"):
        callable_target(broken).send(user("hi"))
    with pytest.raises(TargetError, match="int"):
        callable_target(lambda text: 42).send(user("hi"))


def test_openai_messages_pairs_tool_results_with_their_calls() -> None:
    out = openai_messages(
        [
            Message("assistant", "", tool_calls=(ToolCall("a", {}), ToolCall("b", {}))),
            Message("tool", "result b", name="b"),
            Message("tool", "result a", name="a"),
        ]
    )
    ids = {c["function"]["name"]: c["id"] for c in out[0]["tool_calls"]}
    assert out[1]["tool_call_id"] == ids["b"] and out[2]["tool_call_id"] == ids["a"]


def test_resolve_target_forms(monkeypatch: Any) -> None:
    assert isinstance(resolve_target("http://127.0.0.1:8000/v1"), OpenAITarget)
    assert isinstance(resolve_target("http://127.0.0.1:8000/ask", template='{"i": "$INPUT"}'), RestTarget)
    imported = resolve_target("posixpath:basename")
    assert imported.send(user("/a/b.txt")).text == "b.txt" and imported.name == "posixpath:basename"
    from_namespace = resolve_target("chat", namespace={"chat": lambda text: "ns " + text})
    assert from_namespace.send(user("x")).text == "ns x" and from_namespace.name == "chat"
    with pytest.raises(UsageError, match="unknown LLM target"):
        resolve_target("no such thing")
    with pytest.raises(UsageError, match="cannot import"):
        resolve_target("nbsec_no_such_module:fn")
