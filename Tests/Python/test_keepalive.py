"""Keep-alive between nginx and wecom-fcgi (`fastcgi_keep_conn on` + an upstream `keepalive` pool).

libfcgi reads one connection at a time per worker thread, but a kept connection between two requests is
parked in the workers' shared epoll set, not held by a thread: any number of kept connections share the
threads, and the responder never closes one to free a thread. The stack's nginx keeps up to 8 idle
connections, the tests run 2 to 4 threads, and nginx is NOT told to retry (`fastcgi_next_upstream …
non_idempotent`), so a kept connection closed under nginx would show as a 502.
"""
from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time

import pytest

from wechatpy.enterprise.crypto import WeChatCrypto

from helpers import ROOT, VECTORS, delivery, text_message

A = VECTORS["credential_sets"]["A"]
CLIENTS = 16
REQUESTS_PER_CLIENT = 20


def keepalive_delivery(msg_id: int) -> tuple[str, bytes]:
    return delivery(text_message(f"hello {msg_id}", str(msg_id)), nonce=str(msg_id), path="/keepalive/callback",
                    timestamp=str(int(time.time())))


def test_more_kept_connections_than_threads_neither_stall_nor_fail(stack_factory):
    stack = stack_factory(mode="listen", args=["--threads", "2"])
    crypto = WeChatCrypto(A["token"], A["encoding_aes_key"], A["receive_id"])
    results: list[tuple[int, float, bytes, int]] = []
    lock = threading.Lock()
    deliveries = {c: [keepalive_delivery(9_000_000 + c * 1000 + i) for i in range(REQUESTS_PER_CLIENT)] for c in range(CLIENTS)}
    start = threading.Barrier(CLIENTS)

    def client(c: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", stack.nginx.port, timeout=10)
        start.wait()
        for i, (path, body) in enumerate(deliveries[c]):
            t0 = time.monotonic()
            conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
            r = conn.getresponse()
            data = r.read()
            with lock:
                results.append((r.status, time.monotonic() - t0, data, 9_000_000 + c * 1000 + i))
        conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == CLIENTS * REQUESTS_PER_CLIENT
    statuses = sorted({status for status, *_ in results})
    assert statuses == [200], (statuses, stack.nginx.error_log()[-2000:])
    # Every answer is the echo of its own message, decrypted independently (wechatpy).
    for _, _, data, msg_id in results[:: max(1, len(results) // 40)]:
        text = data.decode()
        signature = text.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
        timestamp = text.split("<TimeStamp>")[1].split("</TimeStamp>")[0]
        nonce = text.split("<Nonce><![CDATA[")[1].split("]]>")[0]
        reply = crypto.decrypt_message(text, signature, timestamp, nonce)
        assert f"<![CDATA[hello {msg_id}]]>" in reply
    # A stalled request would have waited for nginx's 5 s fastcgi_read_timeout (and failed). The
    # bound is generous for a loaded machine; a give-up costs 20 ms.
    slowest = max(latency for _, latency, _, _ in results)
    assert slowest < 4.0, slowest
    error_log = stack.nginx.error_log()
    assert "upstream timed out" not in error_log
    assert "prematurely closed" not in error_log, error_log[-2000:]


def test_keepalive_carries_many_requests_on_few_connections(stack_factory):
    """With threads to spare, kept connections are reused and never given up."""
    stack = stack_factory(mode="listen", args=["--threads", "12"])
    conn = http.client.HTTPConnection("127.0.0.1", stack.nginx.port, timeout=10)
    for i in range(50):
        path, body = keepalive_delivery(9_500_000 + i)
        conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
        r = conn.getresponse()
        r.read()
        assert r.status == 200
    conn.close()
    assert stack.responder.log().count(" 200 app=") == 50


def test_more_idle_kept_connections_than_threads_are_all_served_and_none_closed(responder_factory):
    """Two threads, six kept connections opened one after another and left idle: each one's first
    request is served at once (no thread is held by an idle kept connection), none is closed by the
    responder, and each carries a second request afterwards, in the reverse order."""
    import select

    import fastcgi_client
    from test_transport import OK, base_params

    responder = responder_factory(mode="listen", args=["--threads", "2"])
    kept = []
    for _ in range(6):
        # A thread held by each idle kept connection would leave this one unanswered: the read times out.
        conn = fastcgi_client.FastCGIConnection(responder.address, timeout=5)
        conn.begin(base_params(), keep_conn=True)
        conn.end_body()
        status, _, body = conn.read_response()
        assert (status, body) == OK
        kept.append(conn)
    time.sleep(0.3)  # every connection idle and parked; a responder that closes idle ones has done so
    for conn in kept:
        readable, _, _ = select.select([conn.sock], [], [], 0)
        assert not readable, "the responder closed (or wrote to) an idle kept connection"
    for conn in reversed(kept):
        conn.begin(base_params(), keep_conn=True)
        conn.end_body()
        status, _, body = conn.read_response()
        assert (status, body) == OK
        conn.close()


def test_a_too_large_body_on_a_kept_connection_closes_it_after_the_413(responder_factory):
    """The unread rest of an oversize body would be taken for the next request on a kept connection,
    so the responder closes that connection right after its 413 (nginx then opens a new one)."""
    import fastcgi_client
    from test_transport import base_params

    responder = responder_factory(mode="listen", args=["--threads", "2", "--max-body-bytes", "2000"])
    conn = fastcgi_client.FastCGIConnection(responder.address, timeout=5)
    conn.begin(base_params(REQUEST_METHOD="POST", CONTENT_LENGTH="70000"), keep_conn=True)
    # Only part of the body so far: kept open, the connection would now sit idle with the rest of
    # this body still to come as its "next request".
    conn.send_body(b"x" * 5000)
    status, _, _ = conn.read_response()
    assert status == 413
    conn.sock.settimeout(3)
    rest = b""
    while chunk := conn.sock.recv(65536):  # nothing more, then the close
        rest += chunk
    assert rest == b""
    conn.close()
    # A body within the limit keeps its connection: two requests on one connection.
    conn = fastcgi_client.FastCGIConnection(responder.address, timeout=5)
    for _ in range(2):
        conn.begin(base_params(), keep_conn=True)
        conn.send_body(b"y" * 1500)
        conn.end_body()
        assert conn.read_response()[0] == 200
    conn.close()


def test_wrk_through_nginx_keepalive_more_clients_than_threads_no_non_2xx(stack_factory, tmp_path):
    """A bounded wrk run (3 s) through nginx with keep-alive: 32 connections, 4 threads, nginx keeping
    up to 8 idle connections, no `fastcgi_next_upstream … non_idempotent`. Every answer is 200 and nginx
    never saw a kept connection close under it."""
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.skip("wrk not installed (apt-get install wrk; scripts/install-deps.sh installs it)")
    stack = stack_factory(mode="listen", args=["--threads", "4"])
    now = str(int(time.time()))
    lines = ["return {"]
    for i in range(300):
        msg_id = 9_700_000 + i
        target, body = delivery(text_message(f"load {msg_id}", str(msg_id)), nonce=str(msg_id),
                                path="/keepalive/callback", timestamp=now)
        query = target.split("?", 1)[1]
        lines.append("{q=%s, b=%s}," % (lua_string(query), lua_string(body.decode())))
    lines.append("}")
    requests = tmp_path / "requests.lua"
    requests.write_text("\n".join(lines) + "\n")
    run = subprocess.run(
        [wrk, "-t2", "-c32", "-d3s", "--timeout", "5s", "-s", str(ROOT / "bench" / "wrk-messages.lua"),
         f"http://127.0.0.1:{stack.nginx.port}"],
        env={"WRK_REQUESTS": str(requests), "WRK_PATH": "/keepalive/callback", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    result = re.search(r"RESULT requests=(\d+) .* non200=(\d+) socket_errors=(\d+)", run.stdout)
    assert result, run.stdout
    total, non200, socket_errors = (int(g) for g in result.groups())
    error_log = stack.nginx.error_log()
    assert non200 == 0, (run.stdout, error_log[-2000:])
    assert socket_errors == 0, run.stdout
    assert total >= 300, run.stdout  # the load really ran: each message at least once
    assert "prematurely closed" not in error_log, error_log[-2000:]
    assert "[error]" not in error_log, error_log[-2000:]


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def test_check_config_prints_the_keepalive_note_only_nginx_can_act_on():
    """The race left (a close at shutdown or after a 413 meeting a request nginx sends) is named by
    check-config, with the nginx line that absorbs it."""
    from conftest import SAMPLE_ENV
    from helpers import run_cli

    out = run_cli(["check-config"], env={**SAMPLE_ENV, "WECOM_FCGI_CONFIG": ""}).stdout.decode()
    note = [line for line in out.splitlines() if line.startswith("note: with nginx keep-alive")]
    assert len(note) == 1, out
    assert "shutdown" in note[0] and "413" in note[0]
    assert "fastcgi_next_upstream error timeout non_idempotent" in note[0]
