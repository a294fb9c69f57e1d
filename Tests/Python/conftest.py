"""Integration harness: wecom-fcgi behind a private nginx, started and torn down per test.

Reuse from WeCom-specific tests:

    def test_something(server):                 # both modes: spawn-fcgi and --listen
        r = server.get("/wecom/callback?...")   # -> Response(status, headers, body)

    def test_other(stack_factory):
        stack = stack_factory(mode="listen", env={"WECOM_APP_TOKEN": "…"}, args=["--max-body-bytes", "1024"])
        stack.post("/wecom/callback?...", b"<xml>…</xml>")

The binary is $WECOM_FCGI_BIN (default .build/release/wecom-fcgi). Everything (sockets, nginx prefix,
logs) lives in the test's tmp_path; every process is killed at teardown, even when the test fails.
"""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NGINX_TEMPLATE = REPO / "scripts" / "nginx-local.conf.template"
VECTORS = REPO / "Tests" / "WeComCallbackTests" / "Fixtures" / "vectors.json"

# Credential set A: the spec's published sample credentials (never real ones).
SAMPLE_ENV = {
    "WECOM_APP_CORP_ID": "ww1436e0e65a779aee",
    "WECOM_APP_TOKEN": "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
    "WECOM_APP_AES_KEY": "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
}
MODES = ["spawn-fcgi", "listen"]
# Every wecom-fcgi the suite starts without --config serves the sample credentials' echo app, even on a
# host where the Debian package installed /etc/wecom-fcgi/config.toml (which would otherwise win).
os.environ.setdefault("WECOM_FCGI_CONFIG", "none")


def binary() -> Path:
    path = Path(os.environ.get("WECOM_FCGI_BIN", REPO / ".build" / "release" / "wecom-fcgi"))
    if not path.is_file():
        pytest.fail(f"wecom-fcgi binary not found at {path}: run `make build` "
                    "or set WECOM_FCGI_BIN")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def _kill_group(proc: subprocess.Popen, first: int, grace: float) -> int | None:
    """Sends `first` to the process (its own session), waits `grace` s, then SIGKILLs its group."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, first)
            proc.wait(timeout=grace)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # leftovers (nginx workers) share the group
    except (ProcessLookupError, PermissionError):
        pass
    try:
        return proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return None


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Responder:
    """A wecom-fcgi process in one mode, on a unix socket in `workdir`."""
    mode: str
    workdir: Path
    env: dict[str, str]
    args: list[str]
    # The suite replays published vectors and fixtures with fixed (2014–2023) timestamps, so the replay
    # window is off unless a test (test_replay.py) asks for the configured one.
    replay_window_off: bool = True
    socket_path: Path = field(init=False)
    proc: subprocess.Popen | None = field(default=None, init=False)
    starts: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.socket_path = self.workdir / "wecom-fcgi.sock"

    @property
    def address(self) -> str:
        return f"unix:{self.socket_path}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"wecom-fcgi.{self.starts}.log"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> list[str]:
        window = ["--max-timestamp-skew-s", "0"] if self.replay_window_off else []
        serve = [str(binary()), "serve", "--log-level", "debug", *window, *self.args]
        if self.mode == "listen":
            return [*serve, "--listen", self.address]
        if self.mode == "spawn-fcgi":
            spawn = shutil.which("spawn-fcgi")
            if spawn is None:
                pytest.skip("spawn-fcgi not installed")
            # -n: no fork, spawn-fcgi execs the responder in place (same pid) with the socket on fd 0.
            return [spawn, "-n", "-s", str(self.socket_path), "-M", "0660", "--", *serve]
        raise ValueError(self.mode)

    def start(self) -> "Responder":
        self.starts += 1
        # WECOM_FCGI_CONFIG=none: the sample credentials' echo app even on a host where the package
        # installed /etc/wecom-fcgi/config.toml (a test that needs a file passes --config or sets it).
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "WECOM_FCGI_CONFIG": "none", **SAMPLE_ENV, **self.env}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.command(), env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: b"wecom-fcgi serving" in self.log_path.read_bytes() or self.proc.poll() is not None,
                   what=f"wecom-fcgi ({self.mode}) to start")
        if self.proc.poll() is not None:
            raise RuntimeError(f"wecom-fcgi exited with {self.proc.returncode}:\n{self.log()}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, signo: int) -> None:
        os.kill(self.pid, signo)

    def wait(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        return _kill_group(self.proc, signal.SIGTERM, grace=10)


@dataclass
class Nginx:
    prefix: Path
    fastcgi_pass: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = field(default=None, init=False)

    def start(self) -> "Nginx":
        (self.prefix / "tmp").mkdir(parents=True, exist_ok=True)
        conf = NGINX_TEMPLATE.read_text()
        for key, value in {"@PREFIX@": str(self.prefix), "@PORT@": str(self.port),
                           "@FASTCGI_PASS@": self.fastcgi_pass,
                           "@USER@": "user root root;" if os.geteuid() == 0 else ""}.items():
            conf = conf.replace(key, value)
        conf_path = self.prefix / "nginx.conf"
        conf_path.write_text(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin is not on a normal user's PATH
        cmd = [nginx, "-p", str(self.prefix), "-e", str(self.prefix / "error.log"), "-c", str(conf_path)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

        def listening() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}: {self.error_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False

        wait_until(listening, what="nginx to listen")
        return self

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None:
            _kill_group(self.proc, signal.SIGQUIT, grace=5)


@dataclass
class Stack:
    """nginx on 127.0.0.1:<free port> in front of one wecom-fcgi."""
    responder: Responder
    nginx: Nginx

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx.port}"

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 10.0) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.nginx.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: bytes, content_type: str = "text/xml", **kw) -> Response:
        return self.request("POST", path, body=body, headers={"Content-Type": content_type}, **kw)


@pytest.fixture
def stack_factory(tmp_path):
    """Returns `start(mode="listen", env=None, args=None) -> Stack`; stops everything at teardown."""
    started: list[Stack] = []

    def start(mode: str = "listen", env: dict[str, str] | None = None,
              args: list[str] | None = None, replay_window_off: bool = True) -> Stack:
        workdir = tmp_path / f"stack{len(started)}"
        workdir.mkdir()
        responder = Responder(mode, workdir, env or {}, args or ["--threads", "4"], replay_window_off)
        nginx = Nginx(workdir / "nginx", responder.address)
        stack = Stack(responder, nginx)
        started.append(stack)
        responder.start()
        nginx.start()
        return stack

    yield start
    for stack in reversed(started):
        stack.nginx.stop()
        stack.responder.stop()


@pytest.fixture(params=MODES)
def server(request, stack_factory) -> Stack:
    """A running stack, once per mode (spawn-fcgi, --listen), with the sample credentials."""
    return stack_factory(mode=request.param)


@pytest.fixture
def responder_factory(tmp_path):
    """Returns `start(mode="listen", env=None, args=None) -> Responder` without nginx (talk FastCGI
    directly with fastcgi_client); stopped at teardown."""
    started: list[Responder] = []

    def start(mode: str = "listen", env: dict[str, str] | None = None,
              args: list[str] | None = None) -> Responder:
        workdir = tmp_path / f"responder{len(started)}"
        workdir.mkdir()
        responder = Responder(mode, workdir, env or {}, args or ["--threads", "2"])
        started.append(responder)
        return responder.start()

    yield start
    for responder in reversed(started):
        responder.stop()


def run_cgi(env: dict[str, str], body: bytes = b"", args: list[str] | None = None,
            timeout: float = 10.0) -> subprocess.CompletedProcess:
    """Runs the binary once as a CGI program (stdin a pipe, so fd 0 is not a listening socket)."""
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "WECOM_FCGI_CONFIG": "none", **SAMPLE_ENV, **env}
    args = list(args or ["serve"])
    if args[:1] == ["serve"]:
        args[1:1] = ["--max-timestamp-skew-s", "0"]  # fixed-timestamp vectors, as in Responder.command
    return subprocess.run([str(binary()), *args], input=body, env=full_env,
                          capture_output=True, timeout=timeout)
