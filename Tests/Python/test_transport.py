"""Transport tests: nginx → FastCGI → wecom-fcgi and back, in both modes, plus CGI mode and direct
FastCGI edge cases. Requests are the spec's published URL verification and message (credential set A,
the harness's default environment); WeCom-specific assertions live in test_callback.py."""
from __future__ import annotations

import os
import signal
import stat
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import urllib.parse

import fastcgi_client
from conftest import run_cgi, wait_until
from conftest import SAMPLE_ENV
from helpers import VECTORS

# The environment a directly started responder needs: the published sample credentials.
RESPONDER_ENV = {**os.environ, **SAMPLE_ENV}

CALLBACK = "/wecom/callback"
_PUBLISHED = {v["id"]: v for v in VECTORS["published"]}
_GET, _POST = _PUBLISHED["official-py-A-get"], _PUBLISHED["official-py-A-post-xml"]
GET_QUERY = urllib.parse.urlencode(_GET["request"]["query"], quote_via=urllib.parse.quote, safe="")
GET_PLAIN = _GET["plaintext"].encode()
POST_QUERY = urllib.parse.urlencode(_POST["request"]["query"])
POST_BODY = _POST["request"]["body"].encode()
OK = (200, GET_PLAIN)


def base_params(**extra: str) -> dict[str, str]:
    """A published URL verification (GET); its answer is OK whatever body the transport delivers."""
    params = {"REQUEST_METHOD": "GET", "QUERY_STRING": GET_QUERY, "DOCUMENT_URI": CALLBACK,
              "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "text/xml"}
    params.update(extra)
    return params


# --- through nginx -------------------------------------------------------------------------------

def test_get_reaches_responder(server):
    r = server.get(f"{CALLBACK}?{GET_QUERY}")
    assert (r.status, r.body) == OK
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-length"] == str(len(GET_PLAIN))


def test_post_reaches_responder(server):
    r = server.post(f"{CALLBACK}?{POST_QUERY}", POST_BODY)
    assert r.status == 200
    assert r.headers["content-type"] == "text/xml; charset=utf-8"
    assert r.body.startswith(b"<xml>\n<Encrypt><![CDATA[")


def test_500_requests_from_16_parallel_clients_all_succeed(server):
    def one(i: int) -> tuple[int, bytes]:
        if i % 2:
            r = server.post(f"{CALLBACK}?{POST_QUERY}", POST_BODY)
            return r.status, r.body[:len(b"<xml>\n<Encrypt>")]
        r = server.get(f"{CALLBACK}?{GET_QUERY}")
        return r.status, r.body

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, range(500)))
    failures = [r for r in results if r not in (OK, (200, b"<xml>\n<Encrypt>"))]
    assert failures == []


def test_body_over_nginx_limit_gets_413(server):
    r = server.post(CALLBACK, b"x" * (100 * 1024))
    assert r.status == 413


def test_body_over_responder_limit_gets_413(stack_factory):
    stack = stack_factory(mode="listen", args=["--max-body-bytes", "1024"])
    assert stack.post(f"{CALLBACK}?{POST_QUERY}", b"x" * 1024).status == 400  # read, not an envelope
    r = stack.post(f"{CALLBACK}?{POST_QUERY}", b"x" * 1025)
    assert r.status == 413


@pytest.mark.parametrize("mode", ["spawn-fcgi", "listen"])
def test_kill_9_gives_502_and_a_restarted_responder_serves_again(stack_factory, mode):
    stack = stack_factory(mode=mode)
    assert stack.get(f"{CALLBACK}?{GET_QUERY}").status == 200
    stack.responder.signal(signal.SIGKILL)
    stack.responder.wait()
    assert stack.responder.socket_path.exists()  # stale socket file left behind
    assert stack.get(f"{CALLBACK}?{GET_QUERY}").status == 502
    stack.responder.start()  # replaces the stale socket
    r = stack.get(f"{CALLBACK}?{GET_QUERY}")
    assert (r.status, r.body) == OK


# --- shutdown ------------------------------------------------------------------------------------

@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("mode", ["spawn-fcgi", "listen"])
def test_stop_signal_when_idle_exits_0(responder_factory, mode, signo):
    responder = responder_factory(mode=mode)
    status, _, body = fastcgi_client.request(responder.address, base_params(), b"hi")
    assert (status, body) == OK
    responder.signal(signo)
    assert responder.wait(timeout=5) == 0
    assert "stopped" in responder.log()
    if mode == "listen":
        assert not responder.socket_path.exists()  # our own socket file is removed


@pytest.mark.parametrize("mode", ["spawn-fcgi", "listen"])
def test_sigterm_finishes_request_in_flight_then_exits_0(responder_factory, mode):
    responder = responder_factory(mode=mode, args=["--threads", "2"])
    conn = fastcgi_client.FastCGIConnection(responder.address)
    try:
        conn.begin(base_params(CONTENT_LENGTH="10"))
        conn.send_body(b"hello")  # half the body: the worker now waits for the rest
        time.sleep(0.3)
        responder.signal(signal.SIGTERM)
        wait_until(lambda: "stopping" in responder.log(), timeout=5, what="the stop to be logged")
        time.sleep(0.3)
        assert responder.proc.poll() is None, "exited with a request in flight"
        conn.send_body(b"world")
        conn.end_body()
        status, _, body = conn.read_response()
    finally:
        conn.close()
    assert (status, body) == OK
    assert responder.wait(timeout=5) == 0


# --- direct FastCGI: the body is read from the stream, not from CONTENT_LENGTH -------------------

@pytest.mark.parametrize("declared", ["1000", "1", "0", "-5", "99999999999", "", None, "nonsense"])
def test_lying_or_missing_content_length_neither_hangs_nor_overruns(responder_factory, declared):
    responder = responder_factory(mode="listen", args=["--max-body-bytes", "64"])
    extra = {} if declared is None else {"CONTENT_LENGTH": declared}
    started = time.monotonic()
    status, _, body = fastcgi_client.request(responder.address, base_params(**extra), b"x" * 10)
    assert (status, body) == OK
    status, _, _ = fastcgi_client.request(responder.address, base_params(**extra), b"x" * 65)
    assert status == 413
    assert time.monotonic() - started < 3


def test_many_requests_on_fewer_threads(responder_factory):
    responder = responder_factory(mode="listen", args=["--threads", "1"])
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: fastcgi_client.request(responder.address, base_params(), b"b")[0],
                                range(100)))
    assert results == [200] * 100


# --- socket handling -----------------------------------------------------------------------------

def test_listen_socket_mode_is_applied(responder_factory):
    responder = responder_factory(mode="listen", args=["--socket-mode", "0600"])
    assert stat.S_IMODE(os.stat(responder.socket_path).st_mode) == 0o600
    assert stat.S_ISSOCK(os.stat(responder.socket_path).st_mode)


def test_listen_refuses_to_replace_a_regular_file(tmp_path):
    path = tmp_path / "not-a-socket"
    path.write_text("keep me")
    import subprocess
    from conftest import binary
    proc = subprocess.run([str(binary()), "serve", "--max-timestamp-skew-s", "0", "--listen", f"unix:{path}"], capture_output=True,
                          timeout=10, stdin=subprocess.DEVNULL, env=RESPONDER_ENV)
    assert proc.returncode != 0
    assert b"not a socket" in proc.stderr
    assert path.read_text() == "keep me"


def test_listen_refuses_a_socket_in_use(responder_factory):
    import subprocess
    from conftest import binary
    responder = responder_factory(mode="listen")
    proc = subprocess.run([str(binary()), "serve", "--max-timestamp-skew-s", "0", "--listen", responder.address], capture_output=True,
                          timeout=10, stdin=subprocess.DEVNULL, env=RESPONDER_ENV)
    assert proc.returncode != 0
    assert b"in use" in proc.stderr
    status, _, _ = fastcgi_client.request(responder.address, base_params(), b"")
    assert status == 200


def test_listen_on_tcp_loopback(responder_factory, tmp_path):
    import subprocess
    from conftest import binary, free_port
    port = free_port()
    log = tmp_path / "tcp.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(binary()), "serve", "--max-timestamp-skew-s", "0", "--listen", f"127.0.0.1:{port}", "--threads", "2"],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=RESPONDER_ENV)
    try:
        wait_until(lambda: b"wecom-fcgi serving" in log.read_bytes(), what="tcp listener")
        status, _, body = fastcgi_client.request(f"127.0.0.1:{port}", base_params(), b"x")
        assert (status, body) == OK
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- CGI mode ------------------------------------------------------------------------------------

def test_cgi_mode_answers_one_request_with_status_line():
    proc = run_cgi({"REQUEST_METHOD": "GET", "QUERY_STRING": GET_QUERY, "DOCUMENT_URI": CALLBACK}, body=b"")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (b"Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                           b"Content-Length: 19\r\n\r\n" + GET_PLAIN)


def test_cgi_mode_body_over_limit_gets_413():
    proc = run_cgi({"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "10"}, body=b"x" * 10,
                   args=["serve", "--max-body-bytes", "4"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"Status: 413 Payload Too Large\r\n")


def test_cgi_mode_content_length_larger_than_input_does_not_hang():
    proc = run_cgi({"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "1000", "QUERY_STRING": POST_QUERY},
                   body=b"short", timeout=5)
    assert proc.stdout.startswith(b"Status: 400 Bad Request\r\n")  # read what arrived; not an envelope


def test_without_socket_or_cgi_request_exits_with_a_hint():
    proc = run_cgi({}, body=b"")
    assert proc.returncode != 0
    assert b"--listen" in proc.stderr
    assert proc.stdout == b""


def test_stop_signal_works_with_an_inherited_blocked_mask_and_ignored_disposition(tmp_path):
    """A process started from a thread that blocks SIGTERM (or by a shell that ignores SIGINT for
    background jobs) still stops gracefully: the mask and dispositions are reset at start-up."""
    import subprocess
    from conftest import binary

    def inherit_hostile_signal_state() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    for signo in (signal.SIGTERM, signal.SIGINT):
        sock = tmp_path / f"s{signo}.sock"
        log = tmp_path / f"s{signo}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([str(binary()), "serve", "--max-timestamp-skew-s", "0", "--listen", f"unix:{sock}", "--threads", "2"],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    preexec_fn=inherit_hostile_signal_state, env=RESPONDER_ENV)
        try:
            wait_until(lambda: b"wecom-fcgi serving" in log.read_bytes(), what="start-up")
            proc.send_signal(signo)
            assert proc.wait(timeout=5) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_held_by_the_inherited_mask_during_start_up_is_not_lost(tmp_path, signo):
    """Sent right after exec, long before the watcher thread exists: the inherited mask holds it
    pending, and it must stay pending until the watcher takes it (not be delivered, and lost, to the
    inherited SIG_IGN or to libfcgi's SIGTERM handler while the mask is being set up)."""
    import subprocess
    from conftest import binary

    def inherit_hostile_signal_state() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    sock = tmp_path / "s.sock"
    log = tmp_path / "s.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(binary()), "serve", "--max-timestamp-skew-s", "0", "--listen", f"unix:{sock}", "--threads", "2"],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=inherit_hostile_signal_state, env=RESPONDER_ENV)
    try:
        proc.send_signal(signo)  # Popen returns once the exec succeeded
        assert proc.wait(timeout=10) == 0, log.read_text(errors="replace")
        assert "stopped" in log.read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("stall", ["connect-only", "half-record", "params-without-end"])
def test_stalled_tcp_fastcgi_peers_free_their_workers_after_the_io_timeout(tmp_path, stall):
    """A TCP peer that stalls mid-request (only nginx should connect, but a bug or a local process may)
    holds a worker for at most --io-timeout-ms (SO_RCVTIMEO, inherited by accepted TCP sockets); then
    every thread serves again. (Accepted unix sockets do not inherit it: there, socket permissions keep
    everyone but nginx out, and libfcgi drops a connection that sends nothing for 2 s.)"""
    import socket
    import struct
    import subprocess
    from conftest import binary, free_port

    port = free_port()
    log = tmp_path / "tcp.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(binary()), "serve", "--max-timestamp-skew-s", "0", "--listen", f"127.0.0.1:{port}", "--threads", "2",
                                 "--io-timeout-ms", "700"],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=RESPONDER_ENV)
    stalled = []
    try:
        wait_until(lambda: b"wecom-fcgi serving" in log.read_bytes(), what="tcp listener")
        begin = struct.pack(">BBHHBx", 1, 1, 1, 8, 0) + struct.pack(">HB5x", 1, 0)
        name, value = b"REQUEST_METHOD", b"GET"
        params_body = bytes([len(name), len(value)]) + name + value
        params = struct.pack(">BBHHBx", 1, 4, 1, len(params_body), 0) + params_body
        data = {"connect-only": b"", "half-record": begin[:5], "params-without-end": begin + params}[stall]
        for _ in range(2):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(data)
            stalled.append(s)
        time.sleep(0.2)
        started = time.monotonic()
        status, _, body = fastcgi_client.request(f"127.0.0.1:{port}", base_params(), b"")
        assert (status, body) == OK
        # Each stalled worker waits out the io timeout (0.7 s; twice for params-without-end, whose
        # worker reads again after the params), then libfcgi's graceful close waits up to 2 s for the
        # peer to hang up: at most 2.7 s (3.4 s) from the stalled connects; measured 2.5-2.8 s (3.3-3.5 s)
        # from `started`. The bound adds 1.5 s for a loaded machine and still fails with the default
        # 3 s io timeout (≥ 4.8 s, ≥ 7.8 s); without any the request would never be answered.
        reads = 2 if stall == "params-without-end" else 1
        assert time.monotonic() - started < reads * 0.7 + 2.0 + 1.5
        assert proc.poll() is None
    finally:
        for s in stalled:
            s.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
