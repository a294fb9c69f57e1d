"""AI bot (智能机器人) callbacks end to end through nginx (issue 12), every reply checked with the
independent crypto of bot_crypto.py (the `cryptography` package): JSON envelopes, receiveid "",
streams driven by refreshes like WeCom does, retries, welcome, feedback and refusals."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import bot_crypto as bc
from helpers import ROOT, run_cli

STREAM_BOT = ROOT / "deploy/examples/stream-bot.sh"
BOT_VECTORS = json.loads((ROOT / "Tests/Fixtures/bot/vectors.json").read_text(encoding="utf-8"))


def bot_toml(tmp_path: Path, counter: Path) -> str:
    counting = ["/bin/sh", "-c", f"cat >/dev/null; echo run >> '{counter}'; printf 'counted\\n'; sleep 1; printf 'done'"]
    return f"""
[server]
status_path = "/metrics"

[[bot]]
name = "assistant"
path = "/bot"
token = "{bc.TOKEN}"
encoding_aes_key = "{bc.AES_KEY}"
journal = "{tmp_path / 'bot.jsonl'}"

[[bot.route]]
event = "enter_chat"
action = "text"
text = "你好 {{{{from.userid}}}}，有什么可以帮你？"

[[bot.route]]
msg_type = "text"
content_regex = "^count"
action = "exec"
command = {json.dumps(counting)}
timeout_ms = 20000

[[bot.route]]
msg_type = "text"
content_regex = "^echo "
action = "echo"

[[bot.route]]
msg_type = "text"
action = "exec"
command = ["{STREAM_BOT}"]
timeout_ms = 60000
on_error = "抱歉，出错了。"
"""


@pytest.fixture
def stack(stack_factory, tmp_path):
    config = tmp_path / "bot.toml"
    config.write_text(bot_toml(tmp_path, tmp_path / "runs"), encoding="utf-8")
    return stack_factory(mode="listen", args=["--config", str(config), "--threads", "4"])


def post(stack, message, **kw):
    target, body, _, nonce = bc.request(message, **kw)
    return stack.post(target, body, content_type="application/json"), nonce


def reply(stack, message, **kw) -> dict | None:
    response, nonce = post(stack, message, **kw)
    assert response.status == 200, response
    if not response.body:
        return None
    assert response.headers["content-type"].startswith("application/json")
    return bc.open_reply(response.body, nonce)


def refresh_until_finished(stack, stream_id: str, limit: float = 30.0) -> list[dict]:
    """Refreshes like WeCom (new msgid, timestamp, nonce and signature each time) until finish."""
    seen, deadline, n = [], time.monotonic() + limit, 0
    while time.monotonic() < deadline:
        n += 1
        r = reply(stack, bc.message("stream", {"id": stream_id}, msgid=f"refresh-{stream_id[:8]}-{n}"))
        assert r["msgtype"] == "stream" and r["stream"]["id"] == stream_id
        seen.append(r["stream"])
        if r["stream"]["finish"]:
            return seen
        time.sleep(0.1)
    raise AssertionError("the stream did not finish")


def test_url_verification_with_an_empty_receiveid(stack):
    r = stack.get(bc.verify_url("echo-1700000000-ok", timestamp=str(int(time.time()))))
    assert r.status == 200 and r.body == b"echo-1700000000-ok"


def test_a_stream_grows_as_the_program_writes_and_finishes(stack):
    first = reply(stack, bc.message("text", {"content": "tell me"}, msgid="s-1"))
    stream_id = first["stream"]["id"]
    assert len(stream_id) == 32 and int(stream_id, 16) >= 0
    assert first["stream"]["finish"] is False
    assert first["stream"]["feedback"] == {"id": stream_id}  # so feedback on the answer names the stream
    seen = [first["stream"]] + refresh_until_finished(stack, stream_id)
    expected = "Thinking about it, zhangsan…\n" + "".join(f"step {i} of 5 done\n" for i in range(1, 6)) + "**Done.**\n"
    contents = [s["content"] for s in seen]
    assert contents[-1] == expected
    for earlier, later in zip(contents, contents[1:]):  # content only grows, as written
        assert later.startswith(earlier)
    partial = [c for s, c in zip(seen, contents) if not s["finish"] and c]
    assert partial and all(expected.startswith(c) and c != expected for c in partial)
    assert "msg_item" not in seen[-1]


def test_a_retried_msgid_runs_the_program_once_and_gets_the_same_stream(stack, tmp_path):
    msg = bc.message("text", {"content": "count once"}, msgid="retry-1")
    first = reply(stack, msg)
    again = reply(stack, msg)
    assert again["stream"]["id"] == first["stream"]["id"]
    final = refresh_until_finished(stack, first["stream"]["id"])[-1]
    assert final["content"] == "counted\ndone"
    assert reply(stack, msg)["stream"] == {"id": first["stream"]["id"], "finish": True, "content": "counted\ndone",
                                           "feedback": {"id": first["stream"]["id"]}}
    assert (tmp_path / "runs").read_text() == "run\n"


def test_enter_chat_gets_the_welcome(stack):
    assert reply(stack, bc.event("enter_chat", msgid="enter-1")) == {
        "msgtype": "text", "text": {"content": "你好 zhangsan，有什么可以帮你？"}}


def test_echo_is_one_finished_stream(stack):
    r = reply(stack, bc.message("text", {"content": "echo 回声"}, msgid="echo-1"))
    assert r["stream"]["finish"] is True and r["stream"]["content"] == "echo 回声"


def test_feedback_gets_an_empty_body_and_is_journaled(stack, tmp_path):
    assert reply(stack, bc.event("feedback_event", {"id": "fb1", "type": 2, "content": "wrong"}, msgid="fb-1")) is None
    lines = [json.loads(line) for line in (tmp_path / "bot.jsonl").read_text().splitlines()]
    assert any(line.get("message", {}).get("event", {}).get("eventtype") == "feedback_event" for line in lines), lines


def test_unknown_stream_id_is_finished_and_empty(stack):
    r = reply(stack, bc.message("stream", {"id": "0" * 32}, msgid="unknown-1"))
    assert r == {"msgtype": "stream", "stream": {"id": "0" * 32, "finish": True, "content": ""}}
    assert "refresh of unknown or expired stream" in stack.responder.log()


def test_a_message_encrypted_with_a_corp_id_is_refused(stack):
    response, _ = post(stack, bc.message("text", {"content": "x"}, msgid="corp-1"), receive_id="wwcorp")
    assert response.status == 403


def test_a_body_that_is_not_json_gets_400(stack):
    target, _, _, _ = bc.request(bc.message("text", {"content": "x"}, msgid="nojson-1"))
    assert stack.post(target, b"<xml><Encrypt>abc</Encrypt></xml>", content_type="application/json").status == 400
    target, body, _, _ = bc.request(b"this is not json")
    assert stack.post(target, body, content_type="application/json").status == 400


@pytest.mark.parametrize("case", BOT_VECTORS["cases"], ids=lambda c: c["name"])
def test_bot_vectors(stack, case):
    assert (case["token"] if "token" in case else BOT_VECTORS["token"]) == bc.TOKEN
    if case["method"] == "GET":
        r = stack.get(case["target"])
        assert r.status == case["status"] and r.body == case["body"].encode()
        return
    r = stack.post(case["target"], case["body"].encode(), content_type="application/json")
    assert r.status == case["status"]
    if r.status != 200:
        return
    answer = bc.open_reply(r.body, case["nonce"])
    if case["name"] == "enter_chat":
        assert answer["text"]["content"] == "你好 zhangsan，有什么可以帮你？"
    else:
        assert answer["msgtype"] == "stream" and len(answer["stream"]["id"]) == 32


def test_metrics_count_refreshes_programs_streams_and_feedback(stack):
    first = reply(stack, bc.message("text", {"content": "metrics please"}, msgid="met-1"))
    refresh_until_finished(stack, first["stream"]["id"])
    reply(stack, bc.event("feedback_event", {"id": "fb2", "type": 1}, msgid="met-fb"))
    text = stack.get("/metrics").body.decode()
    assert 'wecom_bot_programs_total{app="assistant"} 1' in text
    assert 'wecom_bot_stream_refreshes_total{app="assistant",result="finished"} 1' in text
    assert 'wecom_bot_feedback_total{app="assistant",type="1"} 1' in text
    assert "wecom_bot_streams_open 0" in text
    assert "wecom_bot_stream_duration_seconds_count 1" in text


def test_check_config_knows_the_bot_keys(tmp_path):
    config = tmp_path / "bot.toml"
    config.write_text(bot_toml(tmp_path, tmp_path / "runs"), encoding="utf-8")
    ok = run_cli(["check-config", "--config", str(config)])
    assert "1 bot: assistant (/bot, 4 routes)" in ok.stdout.decode()
    config.write_text(bot_toml(tmp_path, tmp_path / "runs").replace('content_regex = "^echo "', 'content_regx = "^echo "'), encoding="utf-8")
    bad = run_cli(["check-config", "--config", str(config)], check=False)
    out = bad.stdout.decode()
    assert bad.returncode == 1
    line = bot_toml(tmp_path, tmp_path / "runs").splitlines().index('content_regex = "^echo "') + 1
    assert f'bot[0].route[2].content_regx' in out and 'did you mean "content_regex"?' in out and f"line {line}" in out, out


def test_the_readme_example_config_is_valid(tmp_path):
    (tmp_path / "assistant.key").write_text(bc.AES_KEY + "\n")
    text = ((ROOT / "deploy/examples/bot.example.toml").read_text(encoding="utf-8")
            .replace("/etc/wecom-fcgi/assistant.key", str(tmp_path / "assistant.key"))
            .replace("/var/lib/wecom-fcgi/", f"{tmp_path}/")
            .replace("/usr/local/bin/stream-bot.sh", str(STREAM_BOT)))
    config = tmp_path / "bot.toml"
    config.write_text(text, encoding="utf-8")
    out = run_cli(["check-config", "--config", str(config)], env={"ASSISTANT_TOKEN": bc.TOKEN}).stdout.decode()
    assert f"{config}: OK, 1 bot: assistant (/wecom/assistant, 4 routes)\n" in out  # a bot-only file: no "0 apps"
    assert "app" not in out.split("OK, ")[1].splitlines()[0]


def test_the_simulator_drives_a_stream_of_the_real_server_to_finish(stack):
    """`wecom-fcgi simulate bot` (the bot-sim tools) against this server through nginx."""
    env = {"WECOM_BOT_TOKEN": bc.TOKEN, "WECOM_BOT_AES_KEY": bc.AES_KEY}
    url = f"{stack.base_url}/bot"
    verify = run_cli(["simulate", "bot", "verify-url", "--url", url], env=env, check=False)
    assert verify.returncode == 0, verify.stdout.decode() + verify.stderr.decode()
    result = run_cli(["simulate", "bot", "message", "--url", url, "--interval-ms", "100", "--type", "text",
                      "--content", "tell me", "--from", "lisi"], env=env, check=False)
    out = result.stdout.decode()
    assert result.returncode == 0, out + result.stderr.decode()
    expected = "Thinking about it, lisi…\n" + "".join(f"step {i} of 5 done\n" for i in range(1, 6)) + "**Done.**\n"
    assert out.split("\ncontent:\n", 1)[1].rstrip("\n") == expected.rstrip("\n"), out
    assert "finish=true" in out and "finish=false" in out
