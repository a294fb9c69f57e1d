"""`wecom-fcgi simulate bot` (issue 12, tools) against a bot server played in Python (bot_double.py), whose
crypto is written independently on the `cryptography` package: the simulator's requests must decrypt there
with receiveid "", and its replies must be checked like WeCom checks them."""
import base64
import hashlib
import json
import os
import subprocess

import pytest

from bot_double import BOT_ENV, CORP_ID, BotServer, stream
from helpers import binary


def run(args, env=None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("WECOM_APP_", "WECOM_BOT_"))}
    full.update(BOT_ENV)
    full.update(env or {})
    return subprocess.run([binary(), "simulate", "bot", *args], capture_output=True, env=full, timeout=120)


def message(server, *args) -> subprocess.CompletedProcess:
    return run(["message", "--url", server.url, "--interval-ms", "50", *args])


def out(result) -> str:
    return result.stdout.decode()


@pytest.fixture
def server():
    with BotServer() as running:
        yield running


def test_a_stream_is_refreshed_like_wecom_until_finish_and_every_content_is_printed(server):
    result = message(server, "--type", "text", "--content", "写一首诗 <&> \"q\"", "--from", "alice",
                     "--aibot-id", "aib_test")
    assert result.returncode == 0, out(result) + result.stderr.decode()
    steps = BotServer.STEPS
    lines = out(result).splitlines()
    assert lines[:4] == [f"stream {i}: finish={'true' if i == 3 else 'false'}, content={json.dumps(s, ensure_ascii=False)}"
                         for i, s in enumerate(steps)]
    assert lines[4].startswith("finished after 3 refreshes (") and lines[4].endswith("stream id s1")
    assert lines[5:8] == ["images: 0", "card: none", "content:"]
    assert "\n".join(lines[8:]) == steps[-1]

    first, *refreshes = server.requests
    assert first["content_type"] == "application/json"
    assert first["message"]["msgtype"] == "text" and first["message"]["text"] == {"content": "写一首诗 <&> \"q\""}
    assert first["message"]["from"] == {"userid": "alice"} and first["message"]["chattype"] == "single"
    assert "chatid" not in first["message"] and first["message"]["response_url"].startswith("https://")
    assert len(refreshes) == 3
    for refresh in refreshes:
        m = refresh["message"]
        assert m["msgtype"] == "stream" and m["stream"] == {"id": "s1"}
        assert (m["aibotid"], m["from"], m["chattype"]) == ("aib_test", {"userid": "alice"}, "single")
        assert "response_url" not in m
    # A fresh msgid, nonce and signature per request (each signature was checked by the server: 403 otherwise).
    for key in ("msg_signature", "nonce"):
        assert len({r["query"][key] for r in server.requests}) == 4
    assert len({r["message"]["msgid"] for r in server.requests}) == 4


def test_group_chat_carries_chatid_on_the_message_and_every_refresh(server):
    result = message(server, "--content", "@bot hi", "--chat-type", "group", "--chat-id", "wrGROUP1")
    assert result.returncode == 0, out(result)
    assert {(r["message"]["chattype"], r["message"]["chatid"]) for r in server.requests} == {("group", "wrGROUP1")}


@pytest.mark.parametrize("args,payload", [
    (["--type", "image", "--image-url", "https://img.example/1"], {"image": {"url": "https://img.example/1"}}),
    (["--type", "voice", "--content", "语音转文字"], {"voice": {"content": "语音转文字"}}),
    (["--type", "file", "--file-url", "https://f.example/a.pdf"], {"file": {"url": "https://f.example/a.pdf"}}),
    (["--type", "mixed", "--item", "text:看图", "--item", "image:https://img.example/2"],
     {"mixed": {"msg_item": [{"msgtype": "text", "text": {"content": "看图"}},
                             {"msgtype": "image", "image": {"url": "https://img.example/2"}}]}}),
    (["--type", "text", "--content", "好", "--quote", "原文"],
     {"text": {"content": "好"}, "quote": {"msgtype": "text", "text": {"content": "原文"}}}),
], ids=["image", "voice", "file", "mixed", "quote"])
def test_each_message_type_is_built_per_spec(server, args, payload):
    result = message(server, *args)
    assert result.returncode == 0, out(result)
    sent = server.requests[0]["message"]
    for key, value in payload.items():
        assert sent[key] == value


def test_enter_chat_prints_the_welcome_text(server):
    result = message(server, "--type", "event", "--event", "enter_chat", "--from", "bob", "--create-time", "1700000123")
    assert result.returncode == 0, out(result)
    assert json.loads(out(result)) == {"msgtype": "text", "text": {"content": "你好 bob"}}
    sent = server.requests[0]["message"]
    assert sent["event"] == {"eventtype": "enter_chat"} and sent["create_time"] == 1700000123
    assert "response_url" not in sent


def test_template_card_event_fields_and_update_reply(server):
    result = message(server, "--event", "template_card_event", "--event-key", "confirm", "--task-id", "task_9",
                     "--card-type", "vote_interaction", "--selected", "q1=a,b", "--selected", "q2=c")
    assert result.returncode == 0, out(result)
    assert json.loads(out(result))["response_type"] == "update_template_card"
    card = server.requests[0]["message"]["event"]["template_card_event"]
    assert card == {"card_type": "vote_interaction", "event_key": "confirm", "task_id": "task_9",
                    "selected_items": {"selected_item": [
                        {"question_key": "q1", "option_ids": {"option_id": ["a", "b"]}},
                        {"question_key": "q2", "option_ids": {"option_id": ["c"]}}]}}


def test_feedback_event_gets_no_reply(server):
    result = message(server, "--event", "feedback_event", "--feedback-id", "fb1", "--feedback-type", "2",
                     "--feedback-content", "不对", "--inaccurate-reason", "1", "--inaccurate-reason", "3")
    assert result.returncode == 0, out(result)
    assert out(result) == "no reply\n"
    assert server.requests[0]["message"]["event"]["feedback_event"] == {
        "id": "fb1", "type": 2, "content": "不对", "inaccurate_reason_list": [1, 3]}


def test_feedback_event_answered_with_a_reply_is_a_violation(server):
    server.answer = lambda m: stream("x", "no", True)
    result = message(server, "--event", "feedback_event")
    assert result.returncode == 1
    assert "FAIL: reply not allowed: feedback_event accepts an empty reply only" in out(result)


@pytest.mark.parametrize("tamper,expected", [
    ({"reply_token": "AnotherTokenOfTheRightShape123"}, "FAIL: reply msgsignature does not match"),
    ({"reply_receive_id": CORP_ID}, f'FAIL: reply receiveid is "{CORP_ID}", expected the empty string'),
    ({"reply_nonce": "123"}, 'FAIL: reply nonce "123" is not the request\'s nonce'),
], ids=["bad-signature", "corp-id-receiveid", "other-nonce"])
def test_a_tampered_reply_envelope_fails(server, tamper, expected):
    for key, value in tamper.items():
        setattr(server, key, value)
    result = message(server, "--content", "hi")
    assert result.returncode == 1, out(result)
    assert out(result).startswith(expected), out(result)


def test_a_bad_signature_on_a_refresh_reply_fails_after_the_first_content(server):
    original = server.answer

    def answer(m):
        if m["msgtype"] == "stream":
            server.reply_token = "AnotherTokenOfTheRightShape123"
        return original(m)

    server.answer = answer
    result = message(server, "--content", "hi")
    assert result.returncode == 1
    assert out(result).splitlines() == [f"stream 0: finish=false, content={json.dumps(BotServer.STEPS[0], ensure_ascii=False)}",
                                        "FAIL: reply msgsignature does not match (-40001)"]


def image(data: bytes) -> dict:
    return {"msgtype": "image", "image": {"base64": base64.b64encode(data).decode(), "md5": hashlib.md5(data).hexdigest()}}


@pytest.mark.parametrize("reply,expected", [
    (stream("s", "x" * 20481, True), "stream.content is 20481 bytes, over the 20480-byte limit"),
    (stream("s", "early", False, msg_item=[image(b"\x89PNG")]), "stream.msg_item in a reply with finish false"),
    (stream("s", "many", True, msg_item=[image(b"\x89PNG")] * 11), "stream.msg_item has 11 images, at most 10"),
    (b'{"msgtype":"stream","stream":{"id":"s","finish":true,"content":"\xff\xfe"}}', "decrypted reply is not valid UTF-8"),
    ({"msgtype": "text", "text": {"content": "plain"}}, "reply not allowed: a user message cannot get a text reply"),
    (b"not json", "decrypted reply is not a JSON object"),
], ids=["content-over-20480", "msg_item-before-finish", "11-images", "not-utf8", "text-for-a-message", "not-json"])
def test_stream_limits_are_violations(server, reply, expected):
    server.answer = lambda m: reply
    result = message(server, "--content", "hi")
    assert result.returncode == 1, out(result)
    assert out(result).startswith("FAIL: " + expected), out(result)


def test_a_final_reply_with_images_within_the_limits_passes(server):
    server.answer = lambda m: stream("s", "图片如下", True, msg_item=[image(b"\x89PNG one"), image(b"\xff\xd8 two")],
                                     feedback={"id": "fb_9"})
    result = message(server, "--content", "hi")
    assert result.returncode == 0, out(result)
    lines = out(result).splitlines()
    assert lines[0] == 'stream 0: finish=true, content="图片如下"'
    assert lines[1].startswith("finished after 0 refreshes") and lines[2:6] == ["images: 2", "card: none",
                                                                                 "feedback id: fb_9", "content:"]


def test_stream_with_template_card_prints_the_card_and_a_repeated_card_is_a_violation(server):
    card = {"card_type": "text_notice", "main_title": {"title": "T"}, "task_id": "task_1"}
    calls = []

    def answer(m):
        calls.append(m["msgtype"])
        if len(calls) == 1:
            return {"msgtype": "stream_with_template_card", "stream": {"id": "c1", "finish": False, "content": "a"},
                    "template_card": card}
        return stream("c1", "ab", True)

    server.answer = answer
    result = message(server, "--content", "hi")
    assert result.returncode == 0, out(result)
    assert f"card: text_notice {json.dumps(card, sort_keys=True, separators=(',', ':'))}" in out(result).splitlines()

    calls.clear()
    server.answer = lambda m: {"msgtype": "stream_with_template_card", "stream": {"id": "c1", "finish": False,
                                                                                  "content": "a"}, "template_card": card}
    result = message(server, "--content", "hi")
    assert result.returncode == 1
    assert "FAIL: reply not allowed: a refresh got stream_with_template_card" in out(result)


def test_a_refresh_answered_with_another_stream_id_fails(server):
    server.answer = lambda m: stream("first" if m["msgtype"] == "text" else "other", "x", False)
    result = message(server, "--content", "hi")
    assert result.returncode == 1
    assert 'FAIL: refresh of stream "first" answered with stream "other"' in out(result)


def test_max_refreshes_stops_an_open_stream_with_status_2(server):
    server.answer = lambda m: stream("open", "still going", False)
    result = message(server, "--content", "hi", "--max-refreshes", "2")
    assert result.returncode == 2, out(result)
    assert out(result).splitlines()[-1] == "stopped after 2 refreshes (--max-refreshes); the stream is not finished"
    assert len(server.requests) == 3


def test_a_stream_never_finished_within_the_window_fails(server):
    server.answer = lambda m: stream("open", "still going", False)
    result = run(["message", "--url", server.url, "--interval-ms", "400", "--window-s", "1", "--content", "hi"])
    assert result.returncode == 1, out(result)
    assert out(result).splitlines()[-1] == "FAIL: stream not finished after 1 s (WeCom stops refreshing after 360 s)"
    # Refreshes were sent inside the window (how many depends on the machine's speed; the exact schedule is
    # checked on a fake clock in BotSimulationTests).
    assert len(server.requests) >= 2
    assert {r["message"]["msgtype"] for r in server.requests[1:]} == {"stream"}


def test_a_non_200_answer_fails(server):
    result = run(["message", "--url", server.url, "--content", "hi"], env={"WECOM_BOT_TOKEN": "WrongTokenForThisServer1"})
    assert result.returncode == 1
    assert out(result) == "FAIL: status 403\n"


def test_group_image_is_refused_before_sending(server):
    result = message(server, "--type", "image", "--chat-type", "group")
    assert result.returncode != 0 and server.requests == []
    assert "image messages come from single chats only" in result.stderr.decode()


def test_verify_url_passes_with_receiveid_empty_and_fails_on_a_trailing_newline(server):
    result = run(["verify-url", "--url", server.url, "--echostr", "1234567890123456789"])
    assert result.returncode == 0, out(result)
    assert out(result) == "PASS: 200, body is the echostr plaintext exactly (19 bytes)\n"
    server.get_suffix = b"\n"
    result = run(["verify-url", "--url", server.url])
    assert result.returncode == 1
    assert out(result).startswith("FAIL: body has a trailing newline")


def test_verify_url_fails_against_a_server_with_another_token(server):
    result = run(["verify-url", "--url", server.url], env={"WECOM_BOT_TOKEN": "WrongTokenForThisServer1"})
    assert result.returncode == 1 and out(result).startswith("FAIL: status 403")


def test_print_curl_writes_the_json_envelope(tmp_path, server):
    body = tmp_path / "b.json"
    result = run(["message", "--url", server.url, "--print-curl", "--body-file", str(body), "--timestamp", "1700000000",
                  "--nonce", "42"])
    assert result.returncode == 0
    assert "-H 'Content-Type: application/json'" in out(result) and "timestamp=1700000000&nonce=42" in out(result)
    from bot_double import BotCrypto
    plaintext, receive_id = BotCrypto().decrypt(json.loads(body.read_bytes())["encrypt"])
    assert receive_id == b"" and json.loads(plaintext)["msgtype"] == "text"
