"""Retried deliveries answered once, the reply budget and active send, through a real nginx (issue 7).

A mock WeCom API on loopback (never the real host; wecom_api_mock.py) stands in for gettoken and message/send."""
from __future__ import annotations

import textwrap
import threading
import time
import urllib.parse

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from conftest import wait_until
from helpers import VECTORS, app_toml, delivery, text_message
from wecom_api_mock import MockWeComAPI

A = VECTORS["credential_sets"]["A"]


@pytest.fixture
def api():
    mock = MockWeComAPI()
    yield mock
    mock.close()


def start(stack_factory, tmp_path, api, *, sleep: float, timeout_ms: int, budget_ms: int | None = None):
    counter = tmp_path / "runs"
    program = tmp_path / "slow.sh"
    program.write_text(f"#!/bin/sh\ncat >/dev/null\necho run >> '{counter}'\nsleep {sleep}\necho done\n")
    program.chmod(0o755)
    server = f"reply_budget_ms = {budget_ms}\n" if budget_ms else ""
    config = tmp_path / "config.toml"
    config.write_text(f"[server]\n{server}\n" + app_toml("bot")
                      + f'agent_id = 1000002\ncorp_secret = "app-secret"\napi_base = "{api.base}"\n\n'
                      + textwrap.dedent(f"""\
        [[app.route]]
        msg_type = "text"
        action = "exec"
        command = ["{program}"]
        timeout_ms = {timeout_ms}

        [[app.route]]
        msg_type = "event"
        action = "exec"
        command = ["/bin/sh", "-c", "cat >/dev/null; echo run >> '{tmp_path / 'events'}'"]
        """))
    stack = stack_factory(mode="listen", args=["--config", str(config), "--threads", "4"])
    return stack, counter


def post_at(stack, t0: float, at: float, path: str, body: bytes):
    time.sleep(max(0.0, t0 + at - time.monotonic()))
    started = time.monotonic()
    r = stack.post(path, body, timeout=5.0)  # WeCom gives up after 5 s
    return r, time.monotonic() - started


def test_slow_program_runs_once_and_its_result_arrives_once_by_active_send(stack_factory, tmp_path, api):
    stack, counter = start(stack_factory, tmp_path, api, sleep=8, timeout_ms=15000)
    path, body = delivery(text_message("tell me a story", "8000000000000000001"))
    t0 = time.monotonic()
    answers = [post_at(stack, t0, at, path, body) for at in (0, 5, 10)]
    for r, took in answers:
        assert r.status == 200 and r.body == b""
        assert took < 4.5
    wait_until(lambda: len(api.sent) >= 1, timeout=5, what="message/send")
    time.sleep(0.5)
    assert counter.read_text().splitlines() == ["run"]  # the program ran exactly once
    assert api.sent == [{"touser": "alice", "agentid": 1000002, "msgtype": "text", "text": {"content": "done"},
                         "enable_duplicate_check": 1, "duplicate_check_interval": 1800}]
    assert api.token_requests == 1
    log = stack.responder.log()
    assert "reply budget missed" in log and "app-secret" not in log and "TOKEN-1" not in log


def test_a_retry_after_an_in_time_answer_gets_the_cached_passive_reply(stack_factory, tmp_path, api):
    stack, counter = start(stack_factory, tmp_path, api, sleep=3.5, timeout_ms=6000, budget_ms=4800)
    path, body = delivery(text_message("slow but in time", "8000000000000000002"))
    t0 = time.monotonic()
    first, took_first = post_at(stack, t0, 0, path, body)
    retry_path, retry_body = delivery(text_message("slow but in time", "8000000000000000002"), nonce="778",
                                      timestamp="1700000005")
    retry, took_retry = post_at(stack, t0, 5, retry_path, retry_body)
    crypto = WeChatCrypto(A["token"], A["encoding_aes_key"], A["receive_id"])
    for r, nonce, timestamp in ((first, "777", "1700000000"), (retry, "778", "1700000005")):
        assert r.status == 200
        sig = r.body.decode().split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
        plain = crypto.decrypt_message(r.body.decode(), sig, timestamp, nonce)
        assert "<Content><![CDATA[done]]></Content>" in plain
    assert 3.5 < took_first < 4.8  # the program (3.5 s) finished inside the 4.8 s budget
    assert took_retry < 0.5
    assert counter.read_text().splitlines() == ["run"]
    assert api.sent == []


def test_distinct_change_contact_events_in_the_same_second_are_each_handled_once(stack_factory, tmp_path, api):
    stack, _ = start(stack_factory, tmp_path, api, sleep=0, timeout_ms=1000)
    def event(user: str) -> str:
        return (f"<xml><ToUserName><![CDATA[{A['receive_id']}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
                f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event>"
                f"<ChangeType>delete_user</ChangeType><UserID>{user}</UserID></xml>")
    for user in ("u1", "u2", "u3"):
        for nonce in ("1", "2"):  # each event delivered twice
            path, body = delivery(event(user), nonce=nonce)
            assert stack.post(path, body).status == 200
    assert (tmp_path / "events").read_text().splitlines() == ["run", "run", "run"]


def test_slow_programs_on_every_thread_never_make_nginx_time_out(stack_factory, tmp_path, api):
    """More slow deliveries than threads: the budget counts from nginx's REQUEST_START ($msec), so a
    request that waited for a worker is answered at once instead of after a budget of its own."""
    counter = tmp_path / "runs"
    program = tmp_path / "slow.sh"
    program.write_text(f"#!/bin/sh\ncat >/dev/null\necho run >> '{counter}'\nsleep 8\necho done\n")
    program.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text(app_toml("bot") + textwrap.dedent(f"""\
        [[app.route]]
        action = "exec"
        command = ["{program}"]
        timeout_ms = 10000
        """))
    stack = stack_factory(mode="listen", args=["--config", str(config), "--threads", "2"])
    requests = [delivery(text_message(f"slow {i}", f"90000000000000000{i:02d}"), nonce=str(100 + i)) for i in range(6)]
    results: list = [None] * 6

    def send(i: int) -> None:
        started = time.monotonic()
        r = stack.post(requests[i][0], requests[i][1], timeout=10.0)
        results[i] = (r.status, time.monotonic() - started)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in results] == [200] * 6
    assert max(took for _, took in results) < 4.9  # inside WeCom's 5 s and nginx's fastcgi_read_timeout
    get = VECTORS["published"][0]
    q = urllib.parse.urlencode(get["request"]["query"], quote_via=urllib.parse.quote, safe="")
    assert stack.get(f"/wecom/callback?{q}").body == get["plaintext"].encode()
