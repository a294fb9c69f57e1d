"""The `llm` action for AI bots (issue 15) end to end through nginx: a mock OpenAI-compatible server (the
one of test_llm.py) streams an answer in slow chunks while the test refreshes the stream like WeCom, every
reply checked with the independent crypto of bot_crypto.py (the `cryptography` package)."""
from __future__ import annotations

import json
import textwrap

import pytest

import bot_crypto as bc
from test_bot import reply, refresh_until_finished
from test_llm import KEY, ON_ERROR, MockLLM, chunk

REASONING = ["先想", "一想"]
ANSWER_PARTS = ["你好，", "我是", "助手。"]
ANSWER = "".join(ANSWER_PARTS)
SHOWN = "<think>" + "".join(REASONING) + "</think>\n" + ANSWER


def slow_answer() -> list[bytes]:
    """Two reasoning deltas, the answer in three deltas, a finish chunk and [DONE]: one piece each."""
    return ([chunk(reasoning=r) + b"\n\n" for r in REASONING]
            + [chunk(part) + b"\n\n" for part in ANSWER_PARTS]
            + [chunk(finish="stop") + b"\n\n", b"data: [DONE]\n\n"])


@pytest.fixture
def model():
    mock = MockLLM()
    mock.pieces = slow_answer()
    mock.chunk_delay = 0.2  # slow enough for refreshes (every 0.1 s) to see the answer grow
    yield mock
    mock.close()


@pytest.fixture
def stack(stack_factory, tmp_path, model):
    config = tmp_path / "bot.toml"
    config.write_text(textwrap.dedent(f"""\
        [server]
        status_path = "/metrics"

        [[bot]]
        name = "assistant"
        path = "/bot"
        token = "{bc.TOKEN}"
        encoding_aes_key = "{bc.AES_KEY}"

        [[bot.route]]
        action = "llm"
        base_url = "{model.base_url}"
        model = "test-model"
        api_key_env = "LLM_API_KEY"
        system = "你是{{{{from.userid}}}}的助手。"
        history_turns = 2
        timeout_ms = 10000
        on_error = "{ON_ERROR}"
        """), encoding="utf-8")
    return stack_factory(mode="listen", args=["--config", str(config), "--threads", "4"], env={"LLM_API_KEY": KEY})


def system(user: str) -> dict:
    return {"role": "system", "content": f"你是{user}的助手。"}


def ask(stack, text: str, msgid: str, userid: str = "zhangsan") -> list[dict]:
    """Sends a text message and refreshes its stream until it finishes: every state seen, first reply first."""
    first = reply(stack, bc.message("text", {"content": text}, msgid=msgid, userid=userid))
    assert first["msgtype"] == "stream"
    return [first["stream"]] + refresh_until_finished(stack, first["stream"]["id"])


def test_the_answer_streams_into_the_stream_with_reasoning_as_think(stack, model):
    msg = bc.message("text", {"content": "PRIVATE-BOT-QUESTION"}, msgid="llm-1")
    first = reply(stack, msg)
    stream_id = first["stream"]["id"]
    assert first["stream"]["finish"] is False and first["stream"]["feedback"] == {"id": stream_id}
    # A retry while the model is still answering gets the same stream and does not call the model again.
    assert reply(stack, msg)["stream"]["id"] == stream_id
    seen = [first["stream"]] + refresh_until_finished(stack, stream_id)
    contents = [s["content"] for s in seen]
    assert contents[-1] == SHOWN and seen[-1]["finish"] is True
    for earlier, later in zip(contents, contents[1:]):  # the content only grows
        assert later.startswith(earlier)
    partial = {c for s, c in zip(seen, contents) if not s["finish"] and c}
    # The refreshes saw the answer grow: reasoning alone, then part of the answer.
    assert any(c.startswith("<think>") and "</think>" not in c for c in partial), contents
    assert any("</think>" in c and c != SHOWN for c in partial), contents
    assert all(SHOWN.startswith(c) for c in partial)
    # A retry after the end: the finished stream, still one call.
    assert reply(stack, msg)["stream"] == {"id": stream_id, "finish": True, "content": SHOWN, "feedback": {"id": stream_id}}
    assert len(model.requests) == 1
    assert model.requests[0] == {"model": "test-model", "stream": True,
                                 "messages": [system("zhangsan"), {"role": "user", "content": "PRIVATE-BOT-QUESTION"}]}
    assert model.authorization == [f"Bearer {KEY}"]
    metrics = stack.get("/metrics").body.decode()
    assert 'wecom_llm_calls_total{app="assistant",outcome="ok"} 1' in metrics
    assert 'wecom_llm_deltas_total{app="assistant"} 5' in metrics  # 2 reasoning + 3 answer deltas
    assert 'wecom_llm_first_token_seconds_count{app="assistant"} 1' in metrics
    log = stack.responder.log()
    assert KEY not in log and "PRIVATE-BOT-QUESTION" not in log


def test_the_same_user_sends_the_first_exchange_as_history_and_another_user_does_not(stack, model):
    model.chunk_delay = 0.01
    assert ask(stack, "question one", "llm-h1")[-1]["content"] == SHOWN
    assert ask(stack, "question two", "llm-h2")[-1]["content"] == SHOWN
    assert ask(stack, "lisi asks", "llm-h3", userid="lisi")[-1]["content"] == SHOWN
    voice = reply(stack, bc.message("voice", {"content": "语音问题"}, msgid="llm-h4"))
    assert refresh_until_finished(stack, voice["stream"]["id"])[-1]["content"] == SHOWN
    # The answer remembered is the content without the reasoning.
    assert [r["messages"] for r in model.requests] == [
        [system("zhangsan"), {"role": "user", "content": "question one"}],
        [system("zhangsan"), {"role": "user", "content": "question one"}, {"role": "assistant", "content": ANSWER},
         {"role": "user", "content": "question two"}],
        [system("lisi"), {"role": "user", "content": "lisi asks"}],
        [system("zhangsan"), {"role": "user", "content": "question one"}, {"role": "assistant", "content": ANSWER},
         {"role": "user", "content": "question two"}, {"role": "assistant", "content": ANSWER},
         {"role": "user", "content": "语音问题"}],
    ]


def test_an_image_is_not_sent_to_the_model(stack, model):
    assert reply(stack, bc.message("image", {"url": "http://127.0.0.1:9/i.png"}, msgid="llm-img")) is None
    assert model.requests == []


def test_a_500_ends_the_stream_with_on_error_and_one_log_line(stack, model):
    model.mode = "500"
    seen = ask(stack, "PRIVATE-BOT-QUESTION-2", "llm-err")
    assert seen[-1]["finish"] is True and seen[-1]["content"] == ON_ERROR
    log = stack.responder.log()
    lines = [line for line in log.splitlines() if "bot stream failed" in line]
    assert len(lines) == 1 and "status 500: model runner crashed" in lines[0], log
    assert KEY not in log and "PRIVATE-BOT-QUESTION-2" not in log
    metrics = stack.get("/metrics").body.decode()
    assert 'wecom_llm_calls_total{app="assistant",outcome="status"} 1' in metrics
    # The failed exchange is not remembered.
    model.mode = "ok"
    model.chunk_delay = 0.01
    assert ask(stack, "again", "llm-err-2")[-1]["content"] == SHOWN
    assert [m["role"] for m in model.requests[-1]["messages"]] == ["system", "user"]
    assert json.dumps(model.requests[-1], ensure_ascii=False).count("PRIVATE-BOT-QUESTION-2") == 0
