"""Several hosts sharing one Redis ([cluster], issue 13): three wecom-fcgi processes with the same
configuration, each on its own socket behind its own nginx, and a real redis-server started by the test
on a free loopback port. Replies are decrypted by wechatpy; a mock WeCom API (loopback, wecom_api_mock.py)
stands in for gettoken and message/send."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from conftest import free_port, wait_until
from helpers import VECTORS, app_toml, delivery, run_cli, text_message
from wecom_api_mock import MockWeComAPI

A = VECTORS["credential_sets"]["A"]
CRYPTO = WeChatCrypto(A["token"], A["encoding_aes_key"], A["receive_id"])


class RedisServer:
    """redis-server on 127.0.0.1:<free port>, no persistence; stop() and start() keep the port."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.access(binary, os.X_OK):
            pytest.fail("redis-server is not installed: run scripts/install-deps.sh")  # never a silent pass
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(self.answers, what="redis-server to answer")
        return self

    def answers(self) -> bool:
        try:
            return self.cli("PING") == "PONG"
        except Exception:
            return False

    def cli(self, *args: str) -> str:
        import socket
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            # redis-cli would do; an inline command keeps the test free of another tool.
            s.sendall((" ".join(args) + "\r\n").encode())
            data = s.recv(65536).decode()
        return data[1:].strip() if data[:1] in "+:" else data.strip()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def api():
    mock = MockWeComAPI()
    mock.token_delay = 0.5  # slow gettoken, so that concurrent refreshes by the three hosts overlap
    yield mock
    mock.close()


def cluster_config(tmp_path: Path, redis: RedisServer, routes: str, *, extra_app: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(textwrap.dedent(f"""\
        [server]
        status_path = "/wecom-fcgi/metrics"

        [cluster]
        redis_url = "{redis.url}"
        key_prefix = "t{uuid.uuid4().hex[:8]}:"
        timeout_ms = 200

        """) + app_toml("cluster") + extra_app + textwrap.dedent(routes))
    return config


def three_hosts(stack_factory, config: Path) -> list:
    return [stack_factory(mode="listen", args=["--config", str(config), "--threads", "8"]) for _ in range(3)]


def program(tmp_path: Path, body: str) -> Path:
    path = tmp_path / f"prog{uuid.uuid4().hex[:6]}.sh"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def content_of(response, nonce: str, timestamp: str = "1700000000") -> str:
    assert response.status == 200, response.status
    body = response.body.decode()
    signature = body.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    plain = CRYPTO.decrypt_message(body, signature, timestamp, nonce)
    return plain.split("<Content><![CDATA[")[1].split("]]></Content>")[0]


def exec_route(command: Path, timeout_ms: int = 10000) -> str:
    return f"""
        [[app.route]]
        msg_type = "text"
        action = "exec"
        command = ["{command}"]
        timeout_ms = {timeout_ms}
        """


def test_the_same_message_on_three_hosts_runs_once_and_all_get_the_same_reply(stack_factory, tmp_path, redis):
    runs = tmp_path / "runs"
    prog = program(tmp_path, f"cat >/dev/null\necho \"run $$\" >> '{runs}'\nsleep 1\necho \"reply from $$\"\n")
    hosts = three_hosts(stack_factory, cluster_config(tmp_path, redis, exec_route(prog)))
    message = text_message("once across hosts", "7100000000000000001")
    requests = [delivery(message, nonce=str(700 + i)) for i in range(4)]

    def send(i: int):
        time.sleep(0.15 * i)  # host 0 claims first; the others arrive while its program runs
        return hosts[i].post(*requests[i], timeout=5.0)

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(send, range(3)))
    contents = [content_of(r, str(700 + i)) for i, r in enumerate(answers)]
    assert len(runs.read_text().splitlines()) == 1  # the program ran once, on one host
    pid = runs.read_text().split()[1]
    assert contents == [f"reply from {pid}"] * 3
    # A fourth arrival after it finished, on another host, gets the same reply from Redis.
    assert content_of(hosts[2].post(*requests[3], timeout=5.0), "703") == f"reply from {pid}"
    assert len(runs.read_text().splitlines()) == 1
    # The cached reply is sealed with the app's key: no message content at rest in Redis.
    keys = redis.cli("KEYS", "*")
    assert "outcome" in keys
    outcome_key = next(line for line in keys.splitlines() if line.endswith(":outcome"))
    stored = redis.cli("GET", outcome_key)
    assert "v1:" in stored and "reply from" not in stored


def test_a_hundred_messages_over_three_hosts_each_run_exactly_once(stack_factory, tmp_path, redis):
    runs = tmp_path / "runs"
    prog = program(tmp_path, f"read -r line || true\necho \"$line\" >> '{runs}'\necho ok\n")
    # The program's stdin is the message as JSON on one line: each run writes its own message.
    hosts = three_hosts(stack_factory, cluster_config(tmp_path, redis, exec_route(prog)))

    def send(job):
        i, copy = job
        path, body = delivery(text_message(f"message {i}", f"72000000000000{i:05d}"), nonce=f"{i}{copy}")
        return hosts[(i + copy) % 3].post(path, body, timeout=5.0).status

    # Every message arrives twice, on two different hosts, at about the same time.
    jobs = [(i, copy) for i in range(100) for copy in (0, 1)]
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(send, jobs))
    assert statuses == [200] * 200
    lines = runs.read_text().splitlines()
    assert len(lines) == 100
    assert sorted(json.loads(line)["Content"] for line in lines) == sorted(f"message {i}" for i in range(100))


def test_active_sends_from_three_hosts_fetch_one_access_token(stack_factory, tmp_path, redis, api):
    long_text = "x" * 2100  # over the 2048-byte passive limit: sent by message/send, in two parts
    routes = f"""
        [[app.route]]
        msg_type = "text"
        action = "text"
        text = "{long_text}"
        """
    extra = f'agent_id = 1000002\ncorp_secret = "app-secret"\napi_base = "{api.base}"\n'
    hosts = three_hosts(stack_factory, cluster_config(tmp_path, redis, routes, extra_app=extra))

    def send(i: int) -> int:
        path, body = delivery(text_message(f"send {i}", f"73000000000000000{i}"), nonce=str(i))
        return hosts[i].post(path, body, timeout=5.0).status

    with ThreadPoolExecutor(3) as pool:
        assert list(pool.map(send, range(3))) == [200] * 3
    wait_until(lambda: len(api.sent) == 6, timeout=10, what="six message/send calls")
    assert api.token_requests == 1  # one gettoken for three hosts that all needed a token at once
    assert sum(len(m["text"]["content"]) for m in api.sent) == 3 * len(long_text)


def test_a_killed_owner_loses_its_lease_and_a_retry_on_another_host_runs_the_action(stack_factory, tmp_path, redis):
    runs, marker, pids = tmp_path / "runs", tmp_path / "marker", tmp_path / "pids"
    # The first run hangs (its host is killed meanwhile); a later run answers at once.
    prog = program(tmp_path, textwrap.dedent(f"""\
        cat >/dev/null
        echo "run $$" >> '{runs}'
        echo $$ >> '{pids}'
        if [ ! -e '{marker}' ]; then touch '{marker}'; sleep 30; fi
        echo "taken over"
        """))
    hosts = three_hosts(stack_factory, cluster_config(tmp_path, redis, exec_route(prog, timeout_ms=40000)))
    message = text_message("owner dies", "7400000000000000001")
    first = threading.Thread(target=lambda: _ignore(lambda: hosts[0].post(*delivery(message, nonce="1"), timeout=5.0)))
    t0 = time.monotonic()
    first.start()
    wait_until(lambda: runs.exists(), timeout=5, what="the first run to start")
    hosts[0].responder.signal(signal.SIGKILL)
    first.join()
    time.sleep(max(0.0, t0 + 6 - time.monotonic()))  # WeCom's retry, about 5–6 s later, to another host
    try:
        content = content_of(hosts[1].post(*delivery(message, nonce="2"), timeout=5.0), "2")
    finally:
        for pid in pids.read_text().split():
            _ignore(lambda: os.kill(int(pid), signal.SIGKILL))
    assert content == "taken over"
    assert len(runs.read_text().splitlines()) == 2  # at least once across a crash


def test_redis_down_degrades_to_local_stores_and_sharing_resumes_when_it_is_back(stack_factory, tmp_path, redis):
    runs = tmp_path / "runs"
    prog = program(tmp_path, f"read -r line || true\necho \"$line\" >> '{runs}'\nsleep 0.5\necho done\n")
    hosts = three_hosts(stack_factory, cluster_config(tmp_path, redis, exec_route(prog)))
    redis.stop()
    for i in range(6):  # every request answered, with its reply, never a 5xx
        r = hosts[i % 3].post(*delivery(text_message(f"down {i}", f"75000000000000000{i}"), nonce=str(i)), timeout=5.0)
        assert content_of(r, str(i)) == "done"
    for host in hosts:
        assert host.responder.log().count("redis lost") == 1
    metrics = hosts[0].get("/wecom-fcgi/metrics").text
    errors = [line for line in metrics.splitlines() if line.startswith("wecom_store_errors_total") and 'store="delivery"' in line]
    assert errors and float(errors[0].split()[-1]) >= 1
    redis.start()
    time.sleep(1.2)  # past the backoff after the last failure
    message = text_message("back again", "7500000000000000099")
    before = len(runs.read_text().splitlines())

    def send(i: int):
        time.sleep(0.15 * i)
        return hosts[i].post(*delivery(message, nonce=f"9{i}"), timeout=5.0)

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(send, range(3)))
    assert [content_of(r, f"9{i}") for i, r in enumerate(answers)] == ["done"] * 3
    assert len(runs.read_text().splitlines()) == before + 1  # shared again: one run for three arrivals
    assert all(host.responder.log().count("redis regained") == 1 for host in hosts)


def test_check_config_reports_whether_redis_answers(tmp_path, redis):
    config = cluster_config(tmp_path, redis, """
        [[app.route]]
        action = "echo"
        """)
    out = run_cli(["check-config", "--config", str(config)]).stdout.decode()
    assert f"cluster: redis 127.0.0.1:{redis.port}/0" in out and "answers PING" in out
    redis.stop()
    out = run_cli(["check-config", "--config", str(config)]).stdout.decode()
    assert "does not answer" in out and "warning" in out


def test_cluster_table_is_validated_with_lines_and_suggestions(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[cluster]\nredis_url = "http://x"\nkey_prefx = "a:"\ntimeout_ms = 5\n\n'
                      + app_toml("a") + '[[app.route]]\naction = "echo"\n')
    result = run_cli(["check-config", "--config", str(config)], check=False)
    out = result.stdout.decode()
    assert result.returncode == 1
    assert 'cluster.key_prefx' in out and 'did you mean "key_prefix"' in out and "line 3" in out
    assert "cluster.redis_url" in out and "redis://" in out and "line 2" in out
    assert "cluster.timeout_ms" in out and "line 4" in out


def _ignore(call) -> None:
    try:
        call()
    except Exception:
        pass


def test_an_ai_bot_stream_started_on_one_host_is_refreshed_to_finish_through_the_others(stack_factory, tmp_path, redis):
    import bot_crypto as bc

    runs = tmp_path / "runs"
    prog = program(tmp_path, textwrap.dedent(f"""\
        cat >/dev/null
        echo run >> '{runs}'
        for i in 1 2 3 4 5; do sleep 0.3; printf '秘密 step %s\\n' "$i"; done
        printf 'done'
        """))
    config = tmp_path / "bot.toml"
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    config.write_text(textwrap.dedent(f"""\
        [cluster]
        redis_url = "{redis.url}"
        key_prefix = "{prefix}"
        timeout_ms = 200

        [[bot]]
        name = "assistant"
        path = "/bot"
        token = "{bc.TOKEN}"
        encoding_aes_key = "{bc.AES_KEY}"

        [[bot.route]]
        msg_type = "text"
        action = "exec"
        command = ["{prog}"]
        timeout_ms = 20000
        """), encoding="utf-8")
    hosts = three_hosts(stack_factory, config)

    def reply(host, message) -> dict:
        target, body, _, nonce = bc.request(message)
        response = host.post(target, body, content_type="application/json")
        assert response.status == 200, response
        return bc.open_reply(response.body, nonce)

    msg = bc.message("text", {"content": "tell me"}, msgid="cluster-stream-1")
    first = reply(hosts[0], msg)
    stream_id = first["stream"]["id"]
    assert first["stream"]["finish"] is False
    # WeCom's retry of the msgid lands on another host: the same stream, no second run.
    assert reply(hosts[1], msg)["stream"]["id"] == stream_id
    seen, n, deadline = [], 0, time.monotonic() + 20
    while time.monotonic() < deadline:
        n += 1
        r = reply(hosts[1 + n % 2], bc.message("stream", {"id": stream_id}, msgid=f"cluster-refresh-{n}"))
        assert r["msgtype"] == "stream" and r["stream"]["id"] == stream_id
        seen.append(r["stream"])
        if r["stream"]["finish"]:
            break
        time.sleep(0.1)
    expected = "".join(f"秘密 step {i}\n" for i in range(1, 6)) + "done"
    contents = [s["content"] for s in seen]
    assert seen[-1]["finish"] is True and contents[-1] == expected
    partial = [c for s, c in zip(seen, contents) if not s["finish"] and c]
    assert partial and all(expected.startswith(c) and c != expected for c in partial)  # seen growing on hosts 2 and 3
    for earlier, later in zip(contents, contents[1:]):
        assert later.startswith(earlier)
    assert runs.read_text() == "run\n"
    # At rest: sealed with the bot's key, with the stream's lifetime as TTL.
    stored = redis.cli("GET", f"{prefix}stream:{stream_id}")
    assert "v1:assistant:" in stored and "step" not in stored
    assert 0 < int(redis.cli("PTTL", f"{prefix}stream:{stream_id}")) <= 360_000
