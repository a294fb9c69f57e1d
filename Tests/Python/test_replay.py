"""Replay protection (pipeline issue, defect 2): `[server] max_timestamp_skew_s` refuses a signed request
whose timestamp is outside the window; inside it the retry cache answers a replay without running the
action again. The rest of the suite runs with the window off (fixed-timestamp vectors); here it is on."""
from __future__ import annotations

import textwrap
import time
import urllib.parse

from wechatpy.enterprise.crypto import WeChatCrypto

from helpers import VECTORS, app_toml, credential_set, delivery, text_message


def _start(stack_factory, tmp_path, skew: int | None):
    runs = tmp_path / "runs"
    server = f"[server]\nmax_timestamp_skew_s = {skew}\n" if skew is not None else ""
    config = tmp_path / "config.toml"
    config.write_text(server + app_toml("helpdesk") + textwrap.dedent(f"""\
        path = "/wecom/callback"
        journal = "{tmp_path / 'journal.jsonl'}"
        [[app.route]]
        action = "exec"
        command = ["/bin/sh", "-c", "cat >/dev/null; echo run >> '{runs}'; printf done"]
        """))
    stack = stack_factory(mode="listen", args=["--config", str(config), "--threads", "4"], replay_window_off=False)
    return stack, runs


def _decrypt(body: bytes, query: str) -> str:
    c = credential_set("A")
    q = dict(urllib.parse.parse_qsl(query.split("?", 1)[1]))
    text = body.decode()
    signature = text.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    timestamp = text.split("<TimeStamp>")[1].split("</TimeStamp>")[0]
    return WeChatCrypto(c["token"], c["encoding_aes_key"], c["receive_id"]).decrypt_message(
        text, signature, timestamp, q["nonce"])


def test_a_replay_inside_the_window_is_answered_from_the_cache_and_never_runs_again(stack_factory, tmp_path):
    stack, runs = _start(stack_factory, tmp_path, None)  # the default window: 300 s
    target, body = delivery(text_message("hi", "5500000000000000001"), timestamp=str(int(time.time())))
    first = stack.post(target, body)
    replay = stack.post(target, body)
    assert (first.status, replay.status) == (200, 200)
    assert "<Content><![CDATA[done]]></Content>" in _decrypt(first.body, target)
    assert _decrypt(replay.body, target) == _decrypt(first.body, target)
    assert runs.read_text().splitlines() == ["run"]


def test_timestamps_outside_the_window_are_refused_in_either_direction(stack_factory, tmp_path):
    stack, runs = _start(stack_factory, tmp_path, 60)
    now = int(time.time())
    for timestamp in (now - 90, now + 90):
        target, body = delivery(text_message("old", f"55000000000000{timestamp}"), timestamp=str(timestamp))
        assert stack.post(target, body).status == 403
    log = stack.responder.log()
    assert log.count("beyond max_timestamp_skew_s (60 s)") == 2
    assert "behind the server clock" in log and "ahead of the server clock" in log
    assert not runs.exists()
    # Inside the window: handled.
    target, body = delivery(text_message("fresh", "5500000000000000002"), timestamp=str(now - 30))
    assert stack.post(target, body).status == 200
    assert runs.read_text().splitlines() == ["run"]


def test_url_verification_follows_the_same_window(stack_factory, tmp_path):
    stack, _ = _start(stack_factory, tmp_path, 300)
    published = {v["id"]: v for v in VECTORS["published"]}
    get = published["official-py-A-get"]
    query = urllib.parse.urlencode(get["request"]["query"], quote_via=urllib.parse.quote, safe="")
    assert stack.get(f"/wecom/callback?{query}").status == 403  # a 2016 timestamp
    c = credential_set("A")
    crypto = WeChatCrypto(c["token"], c["encoding_aes_key"], c["receive_id"])
    timestamp, nonce = str(int(time.time())), "4242"
    echostr = crypto.encrypt_message("<xml/>", nonce, timestamp).split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    from wechatpy.crypto import _get_signature  # the same signature WeCom sends
    signature = _get_signature(c["token"], timestamp, nonce, echostr)
    fresh = urllib.parse.urlencode({"msg_signature": signature, "timestamp": timestamp, "nonce": nonce,
                                    "echostr": echostr}, quote_via=urllib.parse.quote, safe="")
    response = stack.get(f"/wecom/callback?{fresh}")
    assert (response.status, response.body) == (200, b"<xml/>")
