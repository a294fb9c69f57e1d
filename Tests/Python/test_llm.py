"""The `llm` route action (issue 15) for apps, against a mock OpenAI-compatible server on loopback that
streams a known answer as server-sent events in awkward chunks, and a mock WeCom API for active send.

Replies are decrypted by wechatpy; the mock records every request it got, so the tests see what the
server sent to the model (history, system prompt, key) and how often it was called."""
from __future__ import annotations

import json
import signal
import socket
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from conftest import wait_until
from helpers import VECTORS, delivery
from wecom_api_mock import MockWeComAPI

A = VECTORS["credential_sets"]["A"]
KEY = "sk-test-SECRET-4242"
ANSWER = "你好，我是助手。Hello!"
ON_ERROR = "模型暂时不可用，请稍后再试。"


def chunk(content: str | None = None, reasoning: str | None = None, finish: str | None = None) -> bytes:
    delta = {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    body = {"id": "c1", "object": "chat.completion.chunk", "model": "test-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(body, ensure_ascii=False).encode()


def answer_stream(answer: str) -> list[bytes]:
    """The body of a streamed answer, as the pieces the mock writes one by one: a comment, a role-only
    delta, reasoning (apps drop it), the answer in 3 deltas (the first cut inside a UTF-8 character,
    one line ending CRLF), a finish chunk and [DONE]."""
    third = len(answer) // 3
    parts = [answer[:third], answer[third:2 * third], answer[2 * third:]]
    raw = (b": keep-alive\n\n"
           + b'data: {"choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n'
           + chunk(reasoning="thinking about it") + b"\n\n"
           + chunk(parts[0]) + b"\r\n\r\n"
           + chunk(parts[1]) + b"\n\n"
           + chunk(parts[2]) + b"\n\n"
           + chunk(finish="stop") + b"\n\n"
           + b"data: [DONE]\n\n")
    # Cut inside the first non-ASCII character's UTF-8 bytes (or in the middle of an ASCII answer).
    first = next((i + 1 for i, b in enumerate(raw) if b >= 0x80), len(raw) // 2)
    return [raw[:first], raw[first:first + 40], raw[first + 40:]]


class MockLLM:
    """POST /v1/chat/completions on 127.0.0.1:<free port>. `mode` picks the answer: ok, 401, 500,
    garbage, hang; `delay` seconds pass before the first byte. Records each request's JSON body and
    Authorization header."""

    def __init__(self) -> None:
        mock = self
        self.mode = "ok"
        self.delay = 0.0
        self.answers: list[str] = []  # answers in call order; ANSWER when exhausted
        self.pieces: list[bytes] | None = None  # when set: the body written for every "ok" call instead
        self.chunk_delay = 0.05  # seconds between written pieces
        self.requests: list[dict] = []
        self.authorization: list[str | None] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                mock.requests.append(body)
                mock.authorization.append(self.headers.get("Authorization"))
                if self.path != "/v1/chat/completions":
                    return self.json(404, {"error": {"message": "no such path"}})
                time.sleep(mock.delay)
                if mock.mode == "401":
                    return self.json(401, {"error": {"message": f"Incorrect API key provided: {KEY}",
                                                     "type": "invalid_request_error"}})
                if mock.mode == "500":
                    return self.json(500, {"error": "model runner crashed"})
                if mock.mode == "hang":
                    time.sleep(6)
                    return self.json(500, {"error": "too late"})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                if mock.mode == "garbage":
                    pieces = [b"data: this is not json\n\n", b"data: [DONE]\n\n"]
                elif mock.pieces is not None:
                    pieces = mock.pieces
                else:
                    answer = mock.answers.pop(0) if mock.answers else ANSWER
                    pieces = answer_stream(answer)
                for piece in pieces:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    time.sleep(mock.chunk_delay)

            def json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def llm():
    mock = MockLLM()
    yield mock
    mock.close()


@pytest.fixture
def api():
    mock = MockWeComAPI()
    yield mock
    mock.close()


def start(stack_factory, tmp_path, llm, api=None, *, budget_ms: int = 4000, timeout_ms: int = 10000,
          base_url: str | None = None, history_turns: int = 2):
    active = f'corp_secret = "app-secret"\napi_base = "{api.base}"\n' if api else ""
    config = tmp_path / "config.toml"
    config.write_text(textwrap.dedent(f"""\
        [server]
        reply_budget_ms = {budget_ms}
        status_path = "/wecom-fcgi/metrics"

        [[app]]
        name = "bot"
        corp_id = "{A['receive_id']}"
        token = "{A['token']}"
        encoding_aes_key = "{A['encoding_aes_key']}"
        agent_id = 1000002
        """) + active + textwrap.dedent(f"""\

        [[app.route]]
        msg_type = "text"
        action = "llm"
        base_url = "{base_url or llm.base_url}"
        model = "test-model"
        api_key_env = "LLM_API_KEY"
        system = "你是{{{{ToUserName}}}}的助手。"
        history_turns = {history_turns}
        max_tokens = 256
        timeout_ms = {timeout_ms}
        on_error = "{ON_ERROR}"
        """))
    return stack_factory(mode="listen", args=["--config", str(config), "--threads", "4"],
                         env={"LLM_API_KEY": KEY})


def message(content: str, msg_id: str, user: str = "alice") -> str:
    return (f"<xml><ToUserName><![CDATA[{A['receive_id']}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")


def ask(stack, content: str, msg_id: str, user: str = "alice", nonce: str = "777") -> tuple[int, str | None]:
    """Posts a text message; returns the status and the decrypted reply XML (None for an empty body)."""
    path, body = delivery(message(content, msg_id, user), nonce=nonce)
    r = stack.post(path, body, timeout=5.0)
    if not r.body:
        return r.status, None
    sig = r.body.decode().split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    crypto = WeChatCrypto(A["token"], A["encoding_aes_key"], A["receive_id"])
    return r.status, crypto.decrypt_message(r.body.decode(), sig, "1700000000", nonce)


def content_of(reply: str) -> str:
    return reply.split("<Content><![CDATA[")[1].split("]]></Content>")[0]


def test_an_app_gets_the_streamed_answer_as_its_passive_reply(stack_factory, tmp_path, llm):
    stack = start(stack_factory, tmp_path, llm)
    status, reply = ask(stack, "PRIVATE-QUESTION-1", "7100000000000000001")
    assert status == 200 and reply is not None
    assert "<MsgType><![CDATA[text]]></MsgType>" in reply
    assert content_of(reply) == ANSWER  # reasoning dropped, chunks across UTF-8 and CRLF joined
    assert llm.requests == [{
        "model": "test-model", "stream": True, "max_tokens": 256,
        "messages": [{"role": "system", "content": f"你是{A['receive_id']}的助手。"},
                     {"role": "user", "content": "PRIVATE-QUESTION-1"}]}]
    assert llm.authorization == [f"Bearer {KEY}"]
    metrics = stack.get("/wecom-fcgi/metrics").body.decode()
    assert 'wecom_llm_calls_total{app="bot",outcome="ok"} 1' in metrics
    assert 'wecom_llm_deltas_total{app="bot"} 4' in metrics  # reasoning + 3 content deltas
    assert 'wecom_llm_first_token_seconds_count{app="bot"} 1' in metrics
    log = stack.responder.log()
    assert KEY not in log and "PRIVATE-QUESTION-1" not in log


def test_a_slow_model_is_answered_empty_and_the_answer_goes_by_active_send(stack_factory, tmp_path, llm, api):
    llm.delay = 2.0
    stack = start(stack_factory, tmp_path, llm, api, budget_ms=1000)
    status, reply = ask(stack, "tell me a story", "7100000000000000002")
    assert status == 200 and reply is None
    wait_until(lambda: len(api.sent) >= 1, timeout=10, what="message/send")
    time.sleep(0.3)
    assert api.sent == [{"touser": "alice", "agentid": 1000002, "msgtype": "text", "text": {"content": ANSWER},
                         "enable_duplicate_check": 1, "duplicate_check_interval": 1800}]
    assert len(llm.requests) == 1
    assert "reply budget missed" in stack.responder.log()


def test_a_long_answer_goes_by_active_send_split_into_messages(stack_factory, tmp_path, llm, api):
    long_answer = "答" * 1000  # 3000 UTF-8 bytes: over the 2048-byte passive limit
    llm.answers = [long_answer]
    stack = start(stack_factory, tmp_path, llm, api)
    status, reply = ask(stack, "write a lot", "7100000000000000003")
    assert status == 200 and reply is None
    wait_until(lambda: len(api.sent) >= 2, timeout=10, what="two message/send calls")
    assert "".join(m["text"]["content"] for m in api.sent) == long_answer
    assert all(len(m["text"]["content"].encode()) <= 2048 for m in api.sent)


def test_the_same_user_sends_the_first_exchange_as_history_and_another_user_does_not(stack_factory, tmp_path, llm):
    llm.answers = ["first answer", "second answer", "third answer", "bob's answer"]
    stack = start(stack_factory, tmp_path, llm, history_turns=2)
    system = {"role": "system", "content": f"你是{A['receive_id']}的助手。"}
    assert content_of(ask(stack, "question one", "7100000000000000011")[1]) == "first answer"
    assert content_of(ask(stack, "question two", "7100000000000000012")[1]) == "second answer"
    assert content_of(ask(stack, "question three", "7100000000000000013")[1]) == "third answer"
    assert content_of(ask(stack, "bob asks", "7100000000000000014", user="bob")[1]) == "bob's answer"
    assert [r["messages"] for r in llm.requests] == [
        [system, {"role": "user", "content": "question one"}],
        [system, {"role": "user", "content": "question one"}, {"role": "assistant", "content": "first answer"},
         {"role": "user", "content": "question two"}],
        # history_turns = 2: both earlier exchanges, oldest first
        [system, {"role": "user", "content": "question one"}, {"role": "assistant", "content": "first answer"},
         {"role": "user", "content": "question two"}, {"role": "assistant", "content": "second answer"},
         {"role": "user", "content": "question three"}],
        [system, {"role": "user", "content": "bob asks"}],
    ]
    # A fourth from alice: only the last two exchanges are sent.
    llm.answers = ["fourth answer"]
    ask(stack, "question four", "7100000000000000015")
    assert [m["content"] for m in llm.requests[-1]["messages"][1:]] == [
        "question two", "second answer", "question three", "third answer", "question four"]


def test_the_memory_outlives_a_reload(stack_factory, tmp_path, llm):
    llm.answers = ["before reload", "after reload"]
    stack = start(stack_factory, tmp_path, llm)
    ask(stack, "question one", "7100000000000000016")
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace("max_tokens = 256", "max_tokens = 128"))
    stack.responder.signal(signal.SIGHUP)
    wait_until(lambda: "reloaded" in stack.responder.log(), what="the reload")
    ask(stack, "question two", "7100000000000000017")
    assert llm.requests[1]["max_tokens"] == 128  # the new configuration …
    assert [m["content"] for m in llm.requests[1]["messages"][1:]] == ["question one", "before reload", "question two"]


def test_history_turns_zero_sends_no_history(stack_factory, tmp_path, llm):
    stack = start(stack_factory, tmp_path, llm, history_turns=0)
    ask(stack, "question one", "7100000000000000021")
    ask(stack, "question two", "7100000000000000022")
    assert [len(r["messages"]) for r in llm.requests] == [2, 2]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("mode,logged", [
    ("401", "status 401: Incorrect API key provided: ***"),
    ("500", "status 500: model runner crashed"),
    ("garbage", "malformed event: data is not a JSON object"),
    ("hang", "timed out after 1500 ms"),
    ("refused", "cannot connect: connection refused"),
])
def test_each_failure_gives_on_error_and_one_log_line_without_the_key_or_the_text(stack_factory, tmp_path, llm,
                                                                                 mode, logged):
    llm.mode = mode
    base_url = f"http://127.0.0.1:{closed_port()}/v1" if mode == "refused" else None
    stack = start(stack_factory, tmp_path, llm, timeout_ms=1500, base_url=base_url)
    status, reply = ask(stack, "PRIVATE-QUESTION-2", "7100000000000000031")
    assert status == 200 and reply is not None
    assert content_of(reply) == ON_ERROR
    log = stack.responder.log()
    lines = [line for line in log.splitlines() if "action failed" in line]
    assert len(lines) == 1 and logged in lines[0], log
    assert KEY not in log and "PRIVATE-QUESTION-2" not in log
    outcome = {"401": "status", "500": "status", "garbage": "malformed", "hang": "timeout", "refused": "connection"}[mode]
    metrics = stack.get("/wecom-fcgi/metrics").body.decode()
    assert f'wecom_llm_calls_total{{app="bot",outcome="{outcome}"}} 1' in metrics
    # A failed exchange is not remembered.
    llm.mode = "ok"
    if mode != "refused":
        ask(stack, "again", "7100000000000000032")
        assert [m["role"] for m in llm.requests[-1]["messages"]] == ["system", "user"]


def test_a_retried_message_calls_the_model_once(stack_factory, tmp_path, llm):
    stack = start(stack_factory, tmp_path, llm)
    first = ask(stack, "only once please", "7100000000000000041", nonce="777")
    retry = ask(stack, "only once please", "7100000000000000041", nonce="778")
    assert content_of(first[1]) == ANSWER
    assert retry[0] == 200 and retry[1] is not None and content_of(retry[1]) == ANSWER
    assert len(llm.requests) == 1


def test_a_retry_of_a_slow_answer_calls_the_model_once_and_sends_once(stack_factory, tmp_path, llm, api):
    llm.delay = 2.0
    stack = start(stack_factory, tmp_path, llm, api, budget_ms=1000)
    assert ask(stack, "slow and retried", "7100000000000000042", nonce="777") == (200, None)
    assert ask(stack, "slow and retried", "7100000000000000042", nonce="778") == (200, None)
    wait_until(lambda: len(api.sent) >= 1, timeout=10, what="message/send")
    time.sleep(1.0)
    assert len(llm.requests) == 1 and len(api.sent) == 1


def test_check_config_reports_llm_key_problems_with_line_numbers(tmp_path):
    from helpers import app_toml, run_cli
    config = tmp_path / "config.toml"
    config.write_text(app_toml("bot") + textwrap.dedent("""\
        [[app.route]]
        action = "llm"
        model = "m"
        history_turn = 3
        api_key_env = "NOT_SET_ANYWHERE"
        timeout_ms = 0
        """))
    r = run_cli(["check-config", "--config", str(config)], check=False)
    out = r.stdout.decode() + r.stderr.decode()
    assert r.returncode != 0
    assert "line 6" in out and "base_url" in out
    assert 'history_turn: unknown key; did you mean "history_turns"?' in out
    assert "environment variable NOT_SET_ANYWHERE is not set" in out
    assert "timeout_ms: must be between 1 and 600000" in out
