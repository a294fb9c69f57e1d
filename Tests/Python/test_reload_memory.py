"""SIGHUP reloads must not leak: a process reloaded daily by logrotate (or by a deploy loop) has to stay flat.

TOMLKit never frees a parsed document (its `TOMLTable` has no `deinit`), so every reload used to keep
the whole toml++ tree of the configuration file alive: about 2.7 KiB per reload for a one-app file, about
580 KiB per reload for the 400-route file below (35 MiB over 60 reloads).

Not covered yet (still leaks, cause not found): about 150 KiB per reload of this file remains — TOMLKit's
string copies (`tableGetKeys`, `nodeAsString` strdup and never free) and, per heaptrack, the replaced
configurations' routes, regular expressions and templates themselves. The bound below catches the toml++
tree coming back, not that remainder.
"""
from __future__ import annotations

import os
import signal
import textwrap
import time

from conftest import wait_until
from helpers import app_toml

ROUTES = 400
RELOADS = 60


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_sighup_reloads_do_not_grow_memory(stack_factory, tmp_path):
    config = tmp_path / "config.toml"
    routes = "".join(textwrap.dedent(f"""\
        [[app.route]]
        msg_type = "text"
        content_regex = "^route {i} (alpha|beta|gamma)$"
        action = "text"
        text = "route {i} answers {{{{FromUserName}}}} with a reasonably long fixed text, number {i}"
        """) for i in range(ROUTES))
    config.write_text(app_toml("a") + routes + '[[app.route]]\naction = "echo"\n')
    stack = stack_factory(mode="listen", args=["--threads", "2", "--config", str(config)])
    responder = stack.responder

    def reload(times: int) -> None:
        for _ in range(times):
            before = responder.log().count("reloaded ")
            responder.signal(signal.SIGHUP)
            wait_until(lambda: responder.log().count("reloaded ") > before, what="a reload")

    reload(10)  # allocator warm-up: arenas and caches reach their working size
    time.sleep(0.2)
    start = rss_kib(responder.pid)
    reload(RELOADS)
    time.sleep(0.2)
    grown = rss_kib(responder.pid) - start
    # With the toml++ tree leaking: about 35 MiB here; without it: about 9 MiB (the remainder above).
    assert grown < 16 * 1024, f"RSS grew by {grown} KiB over {RELOADS} reloads"
    assert responder.proc.poll() is None
