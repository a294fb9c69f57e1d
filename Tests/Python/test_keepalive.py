"""Keep-alive between nginx and wecom-fcgi (`fastcgi_keep_conn on` + an upstream `keepalive` pool).

libfcgi serves one connection per worker thread, and an idle kept connection holds its thread. The
stack's nginx keeps up to 8 idle connections while wecom-fcgi runs 2 threads: without the responder
giving idle kept connections up when new ones wait, requests beyond the first two connections would
wait until nginx's fastcgi_read_timeout (5 s) and fail with 504.
"""
from __future__ import annotations

import http.client
import threading
import time

from wechatpy.enterprise.crypto import WeChatCrypto

from helpers import VECTORS, delivery, text_message

A = VECTORS["credential_sets"]["A"]
CLIENTS = 16
REQUESTS_PER_CLIENT = 20


def keepalive_delivery(msg_id: int) -> tuple[str, bytes]:
    return delivery(text_message(f"hello {msg_id}", str(msg_id)), nonce=str(msg_id), path="/keepalive/callback")


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
    assert "upstream timed out" not in stack.nginx.error_log()
    # The mechanism was exercised: with 16 connections and 2 threads, idle kept connections were given up.
    assert "gave up an idle kept-alive connection" in stack.responder.log()


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
    log = stack.responder.log()
    assert "gave up an idle kept-alive connection" not in log
    assert log.count(" 200 app=") == 50


def test_one_waiting_connection_makes_only_one_idle_worker_give_up(responder_factory):
    """Two workers idle on kept connections and one new connection: exactly one kept connection is
    given up (the others' owners see the claim and wait), the new request is served, and the other
    kept connection still carries requests. The client plays nginx: it closes a kept connection as
    soon as the responder closes its side."""
    import select
    import socket

    import fastcgi_client
    from test_transport import OK, base_params

    responder = responder_factory(mode="listen", args=["--threads", "2"])
    kept = []
    for _ in range(2):
        conn = fastcgi_client.FastCGIConnection(responder.address)
        conn.begin(base_params(), keep_conn=True)
        conn.end_body()
        status, _, body = conn.read_response()
        assert (status, body) == OK
        kept.append(conn)

    closed: list[int] = []
    stop = threading.Event()

    def watch(i: int) -> None:
        sock = kept[i].sock
        while not stop.is_set():
            if select.select([sock], [], [], 0.02)[0]:
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    closed.append(i)
                    sock.close()
                return

    watchers = [threading.Thread(target=watch, args=(i,)) for i in range(2)]
    for w in watchers:
        w.start()
    time.sleep(0.2)  # both workers are back waiting on their kept connections
    t0 = time.monotonic()
    status, _, body = fastcgi_client.request(responder.address, base_params())
    took = time.monotonic() - t0
    assert (status, body) == OK
    assert took < 1.5, took  # ~20 ms of grace, then the give-up; not libfcgi's 2 s close wait
    time.sleep(0.3)  # let any further (wrong) give-up happen
    stop.set()
    for w in watchers:
        w.join(timeout=5)
    assert len(closed) == 1, closed
    assert responder.log().count("gave up an idle kept-alive connection") == 1
    other = kept[1 - closed[0]]
    other.begin(base_params(), keep_conn=True)
    other.end_body()
    status, _, body = other.read_response()
    assert (status, body) == OK
    other.close()


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
