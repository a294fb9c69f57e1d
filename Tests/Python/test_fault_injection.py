"""Faults found by attacking the server with bad input and awkward programs (the attack branch): each test
failed before its fix. Real nginx in front, real programs; no timed speed assertions."""
from __future__ import annotations

import json
import socket
import struct
import time
from pathlib import Path

import pytest

import fastcgi_client
from conftest import wait_until
from helpers import app_toml, delivery, text_message
from test_exec_programs import live_members, reply_content
from test_transport import OK, base_params


def start(stack_factory, tmp_path: Path, command: list[str], server: str = ""):
    """A stack whose one app runs `command` for every message."""
    config = tmp_path / "config.toml"
    config.write_text(f"[server]\n{server}\n" + app_toml("bot")
                      + f'[[app.route]]\naction = "exec"\ncommand = {json.dumps(command)}\ntimeout_ms = 60000\n')
    return stack_factory(mode="listen", args=["--config", str(config), "--threads", "4"])


def test_a_background_child_left_by_a_successful_program_ends_with_it(stack_factory, tmp_path):
    # The program answers at once and exits 0, leaving a child that let go of stdout and stderr: before
    # the fix it lived on for its 30 s, outside the supervisor's reach (and past a SIGTERM).
    pidfile = tmp_path / "pgid"
    stack = start(stack_factory, tmp_path,
                  ["/bin/sh", "-c", f"cat >/dev/null; echo $$ > '{pidfile}'; "
                                    "sleep 30 </dev/null >/dev/null 2>&1 & printf done"])
    path, body = delivery(text_message("fork", "8200000000000000001"))
    assert reply_content(stack.post(path, body)) == "done"
    pgid = int(pidfile.read_text())
    wait_until(lambda: live_members(pgid) == [], timeout=10, what="the background child to be killed")


def test_capacity_pressure_never_runs_a_running_programs_action_twice(stack_factory, tmp_path):
    # dedup_entries = 2; a slow program runs past the budget while more distinct messages than that
    # arrive and finish. Before the fix the slow delivery was forgotten first (the oldest), so WeCom's
    # retry of it ran the program a second time.
    runs, release = tmp_path / "runs", tmp_path / "release"
    stack = start(stack_factory, tmp_path,
                  ["/bin/sh", "-c", f"m=$(cat); echo \"$WECOM_MSG_ID\" >> '{runs}'; "
                                    f"case \"$m\" in *slow*) while [ ! -e '{release}' ]; do sleep 0.05; done;; esac; "
                                    "printf done"],
                  server="reply_budget_ms = 300\ndedup_entries = 2")
    slow = delivery(text_message("slow", "8200000000000000010"))
    assert stack.post(*slow).body == b""  # the budget passed; the program still runs
    for i in range(1, 6):
        assert reply_content(stack.post(*delivery(text_message("quick", f"820000000000000002{i}")))) == "done"
    for _ in range(3):  # WeCom's three retries
        r = stack.post(*slow)
        assert (r.status, r.body) == (200, b"")
    release.touch()
    ids = runs.read_text().split()
    assert ids.count("8200000000000000010") == 1, ids
    assert len(ids) == 6
    assert stack.responder.log().count("(retry)") == 3


def _raw_exchange(address: str, data: bytes) -> bytes:
    """Sends `data` on a new connection to the responder's unix socket, half-closes, and returns what
    comes back before the responder closes (at most 10 s; closed with unread data, the socket is reset)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(address[len("unix:"):])
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
        return out


def _record(kind: int, content: bytes, request_id: int = 1) -> bytes:
    return struct.pack(">BBHHBx", 1, kind, request_id, len(content), 0) + content


@pytest.mark.parametrize("lengths", [
    struct.pack(">II", 0xFFFFFFF0, 0xFFFFFFF0),            # name and value near 2^31: libfcgi's malloc failed
    struct.pack(">I", 0x80100001) + b"\x00",               # one pair just over the 1 MiB the guard allows
])
def test_a_params_record_declaring_an_unallocatable_pair_closes_that_connection_only(responder_factory, lengths):
    # libfcgi allocated name + value length for each pair as declared and asserted the allocation
    # succeeded: before the fix one such record from any peer of the socket aborted the server.
    responder = responder_factory(mode="listen", args=["--threads", "2"])
    begin = _record(1, struct.pack(">HB5x", 1, 0))
    assert _raw_exchange(responder.address, begin + _record(4, lengths + b"xy")) == b""
    assert responder.proc.poll() is None
    assert fastcgi_client.request(responder.address, base_params())[0::2] == OK
    assert "closed a FastCGI connection unread: a FastCGI parameter declares" in responder.log()


def test_params_split_across_records_and_packets_still_reach_the_responder(responder_factory):
    # The guard peeks until the empty PARAMS record: parameters that arrive in pieces, with a length
    # prefix split between two records, are served as before.
    responder = responder_factory(mode="listen", args=["--threads", "2"])
    params = fastcgi_client.encode_params(base_params(HTTP_X_LONG="v" * 300))
    stream = (_record(1, struct.pack(">HB5x", 1, 0)) + _record(4, params[:1]) + _record(4, params[1:3])
              + _record(4, params[3:]) + _record(4, b"") + _record(5, b""))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(responder.address[len("unix:"):])
        # Cut mid-header, mid-length-prefix and mid-value; a pause after each piece. (Not byte by byte: on
        # a unix socket each write is its own buffer, and some 70 tiny ones fill the socket before the
        # responder reads — nginx writes the begin record and all parameters at once.)
        cuts = [0, 5, 17, 26, 33, 300, len(stream)]
        for start, end in zip(cuts, cuts[1:]):
            s.sendall(stream[start:end])
            time.sleep(0.05)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    assert b"Status: 200" in out and OK[1] in out


def test_a_replay_with_timestamp_and_nonce_exchanged_is_refused_once_the_cache_forgot_it(stack_factory, tmp_path):
    # msg_signature is SHA-1 over the sorted token, timestamp, nonce and Encrypt: exchanging timestamp and
    # nonce keeps it valid. Once the clock reaches the captured nonce (read as Unix seconds), the exchanged
    # request passed the replay window, the retry cache had forgotten the delivery, and the action ran a
    # second time. Here the window is 2 s and the cache 4 s, and the nonce is 6 s ahead.
    runs = tmp_path / "runs"
    config = tmp_path / "config.toml"
    config.write_text("[server]\nmax_timestamp_skew_s = 2\ndedup_ttl_s = 1\n" + app_toml("bot")
                      + '[[app.route]]\naction = "exec"\n'
                      + f'command = ["/bin/sh", "-c", "cat >/dev/null; echo run >> \'{runs}\'; printf done"]\n')
    stack = stack_factory(mode="listen", args=["--config", str(config), "--threads", "4"], replay_window_off=False)
    now = int(time.time())
    plaintext = text_message("pay 100", "8200000000000000030").replace("<CreateTime>1700000000", f"<CreateTime>{now}")
    target, body = delivery(plaintext, timestamp=str(now), nonce=str(now + 6))
    assert reply_content(stack.post(target, body)) == "done"
    time.sleep(max(0.0, now + 6.2 - time.time()))
    path, query = target.split("?", 1)
    signature = query.split("msg_signature=")[1].split("&")[0]
    exchanged = f"{path}?msg_signature={signature}&timestamp={now + 6}&nonce={now}"
    r = stack.post(exchanged, body)
    assert (r.status, runs.read_text().splitlines()) == (403, ["run"])
    assert "s from the timestamp: a replay with timestamp and nonce exchanged" in stack.responder.log()
    # The same message with its own timestamp and nonce is refused by the window as before.
    assert stack.post(target, body).status == 403
