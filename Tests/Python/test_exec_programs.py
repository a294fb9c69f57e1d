"""exec programs through a real nginx (issue 11): a program starts with only fds 0, 1 and 2 (defect 1), and
no program outlives the server: SIGTERM waits for running programs until the drain deadline, then kills
their process groups (defect 5)."""
from __future__ import annotations

import json
import signal
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from conftest import MODES, wait_until
from helpers import VECTORS, app_toml, delivery, text_message

A = VECTORS["credential_sets"]["A"]


def start(stack_factory, tmp_path: Path, command: list[str], *, mode: str = "listen", server: str = ""):
    """A stack whose one app runs `command` for every message."""
    config = tmp_path / "config.toml"
    config.write_text(f"[server]\n{server}\n" + app_toml("bot")
                      + f'[[app.route]]\naction = "exec"\ncommand = {json.dumps(command)}\ntimeout_ms = 60000\n')
    return stack_factory(mode=mode, args=["--config", str(config), "--threads", "4"])


def reply_content(response) -> str:
    """The Content of an encrypted passive text reply."""
    assert response.status == 200 and response.body, response
    e = {c.tag: c.text for c in ET.fromstring(response.body)}
    plain = WeChatCrypto(A["token"], A["encoding_aes_key"], A["receive_id"]).decrypt_message(
        response.body.decode(), e["MsgSignature"], e["TimeStamp"], e["Nonce"])
    return {c.tag: c.text for c in ET.fromstring(plain)}["Content"]


def live_members(pgid: int) -> list[int]:
    """The pids of the processes in process group `pgid` that have not exited (zombies are not counted:
    an orphan's zombie lasts until init reaps it, and it runs nothing)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.mark.parametrize("mode", MODES)
def test_a_program_starts_with_only_stdin_stdout_and_stderr(stack_factory, tmp_path, mode):
    # The shell lists its own descriptors ($$) on stdout, which is the reply; `; true` keeps dash from
    # exec-ing ls, which would list the directory it opened. The worker's connection to nginx is open
    # meanwhile: the request waits for this reply.
    stack = start(stack_factory, tmp_path, ["/bin/sh", "-c", "cat >/dev/null; ls -1 /proc/$$/fd; true"], mode=mode)
    path, body = delivery(text_message("fds", "8100000000000000001"))
    assert reply_content(stack.post(path, body)).split("\n") == ["0", "1", "2"]


def test_sigterm_kills_the_process_group_of_a_program_still_running_at_the_drain_deadline(stack_factory, tmp_path):
    pidfile = tmp_path / "pgid"
    # The shell leads the group; a background and a foreground sleep share it.
    stack = start(stack_factory, tmp_path,
                  ["/bin/sh", "-c", f"cat >/dev/null; echo $$ > '{pidfile}'; sleep 30 & sleep 30; true"],
                  server="reply_budget_ms = 100")
    path, body = delivery(text_message("slow", "8100000000000000002"))
    r = stack.post(path, body)
    assert r.status == 200 and r.body == b""  # the budget passed; no corp_secret, so the result would be dropped
    wait_until(lambda: pidfile.exists() and pidfile.read_text().strip() != "", what="the program to start")
    pgid = int(pidfile.read_text())
    wait_until(lambda: len(live_members(pgid)) == 3, what="the shell and its two sleeps")

    stack.responder.signal(signal.SIGTERM)
    assert stack.responder.wait(timeout=30) == 0
    assert live_members(pgid) == []
    log = stack.responder.log()
    assert "waiting up to 5 s for 1 exec program(s) still running" in log
    assert "killed the process groups of 1 exec program(s) still running at the drain deadline" in log


def test_sigterm_waits_for_a_program_that_ends_before_the_drain_deadline(stack_factory, tmp_path):
    started, release, finished = tmp_path / "started", tmp_path / "release", tmp_path / "finished"
    stack = start(stack_factory, tmp_path,
                  ["/bin/sh", "-c", f"cat >/dev/null; touch '{started}'; "
                                    f"while [ ! -e '{release}' ]; do sleep 0.05; done; touch '{finished}'"],
                  server="reply_budget_ms = 100")
    path, body = delivery(text_message("short", "8100000000000000003"))
    assert stack.post(path, body).status == 200
    wait_until(started.exists, what="the program to start")

    stack.responder.signal(signal.SIGTERM)
    wait_until(lambda: "for 1 exec program(s) still running" in stack.responder.log(), what="the drain to begin")
    release.touch()
    assert stack.responder.wait(timeout=30) == 0
    assert finished.exists()
    assert "killed the process groups" not in stack.responder.log()
