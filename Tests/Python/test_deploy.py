"""What deploy/ ships, checked with the normal build (the package itself: scripts/test-package.sh):
the systemd units' syntax, systemd socket activation (LISTEN_FDS on fd 3) through nginx, and the
Grafana dashboard's queries against the metrics a running server really exports."""
from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import textwrap

import pytest

from conftest import REPO, Nginx, Stack, _kill_group, binary, wait_until
from test_config_integration import A, deliver, fields, text

CALLBACK = "/wecom/callback"
DEPLOY = REPO / "deploy"


def app_config(tmp_path, server: str, extra_app: str, routes: str):
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(f"""\
        [server]
        {server}
        [[app]]
        name = "helpdesk"
        path = "{CALLBACK}"
        corp_id = "{A['receive_id']}"
        token = "{A['token']}"
        encoding_aes_key = "{A['encoding_aes_key']}"
        {extra_app}
        """) + textwrap.dedent(routes))
    return path


def reply_content(reply_xml: str | bytes) -> str:
    """The Content of a decrypted reply (as `deliver` returns it)."""
    return fields(reply_xml).get("Content", "")


# --- the units ----------------------------------------------------------------------------------

def test_systemd_units_verify_without_warnings(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    # ExecStart= must name an existing program: the binary under test instead of /usr/bin/wecom-fcgi.
    service = (DEPLOY / "wecom-fcgi.service").read_text().replace("/usr/bin/wecom-fcgi", str(binary()))
    (tmp_path / "wecom-fcgi.service").write_text(service)
    shutil.copy(DEPLOY / "wecom-fcgi.socket", tmp_path / "wecom-fcgi.socket")
    result = subprocess.run([analyze, "verify", "--man=no", "wecom-fcgi.socket", "wecom-fcgi.service"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    socket_unit = (DEPLOY / "wecom-fcgi.socket").read_text()
    assert "ListenStream=/run/wecom-fcgi/wecom-fcgi.sock" in socket_unit
    assert "SocketGroup=www-data" in socket_unit and "SocketMode=0660" in socket_unit
    # RuntimeDirectory= in the service would delete the socket's directory whenever the service stops.
    assert not re.search(r"^RuntimeDirectory", service, re.M)


# --- socket activation --------------------------------------------------------------------------

def test_socket_activation_serves_through_nginx_and_hides_listen_variables(tmp_path):
    activate = shutil.which("systemd-socket-activate")
    if activate is None:
        pytest.skip("systemd-socket-activate not installed (Debian package systemd)")
    # An exec route that prints its environment: LISTEN_* must not reach programs we start.
    config = app_config(tmp_path, "", "", """\
        [[app.route]]
        content_regex = "^env$"
        action = "exec"
        command = ["env"]
        [[app.route]]
        action = "echo"
        """)
    sock = tmp_path / "wecom-fcgi.sock"
    log_path = tmp_path / "wecom-fcgi.log"
    # Like wecom-fcgi.socket: systemd-socket-activate listens, and on the first connection execs the
    # server with the socket on fd 3, LISTEN_FDS=1 and LISTEN_PID set; stdin is /dev/null.
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([activate, "-l", str(sock), "-E", "PATH=/usr/bin:/bin", "--",
                                 str(binary()), "serve", "--config", str(config), "--log-level", "debug",
                                 "--max-timestamp-skew-s", "0"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    nginx = Nginx(tmp_path / "nginx", f"unix:{sock}")
    stack = Stack(responder=None, nginx=nginx)  # the responder is systemd-socket-activate's child
    try:
        wait_until(sock.exists, what="systemd-socket-activate to listen")
        nginx.start()
        status, body = deliver(stack, CALLBACK, A, text(A, "hello", msg_id="1"))
        assert status == 200 and reply_content(body) == "hello"
        log = log_path.read_text()
        assert f"mode=systemd socket=fd 3 (systemd, unix:{sock})" in log, log
        status, body = deliver(stack, CALLBACK, A, text(A, "env", msg_id="2"))
        environment = reply_content(body)
        assert status == 200 and "WECOM_APP=helpdesk" in environment, environment
        assert "LISTEN_" not in environment
        assert proc.poll() is None
    finally:
        nginx.stop()
        assert _kill_group(proc, signal.SIGTERM, grace=10) == 0, log_path.read_text()


# --- the Grafana dashboard ----------------------------------------------------------------------

def dashboard_metric_names() -> set[str]:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    queries += [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    names = {name for query in queries for name in re.findall(r"\bwecom_[a-z0-9_]+", query)}
    assert names, "no wecom_ metric in the dashboard's queries"
    return names


def test_grafana_dashboard_queries_only_metrics_the_server_exports(stack_factory, tmp_path):
    # Every metric made to appear: a journal on /dev/full (writes fail), an app with a Secret (active
    # send counts; nothing is sent here), a failing and a slow exec program, a retry, a bad signature, and
    # a second slow program while the first holds the only program slot (refused).
    config = app_config(tmp_path, 'status_path = "/wecom-fcgi/metrics"\nreply_budget_ms = 100\nmax_programs = 1',
                        'journal = "/dev/full"\ncorp_secret = "not-a-real-secret"\napi_base = "http://127.0.0.1:9"', """\
        [[app.route]]
        content_regex = "^fail$"
        action = "exec"
        command = ["false"]
        [[app.route]]
        content_regex = "^slow$"
        action = "exec"
        command = ["sleep", "1"]
        timeout_ms = 3000
        [[app.route]]
        action = "echo"
        """)
    stack = stack_factory(mode="listen", args=["--config", str(config)])
    assert deliver(stack, CALLBACK, A, text(A, "one", msg_id="1"))[0] == 200
    assert deliver(stack, CALLBACK, A, text(A, "one", msg_id="1"), nonce="99")[0] == 200  # a retry
    assert deliver(stack, CALLBACK, A, text(A, "fail", msg_id="2"))[0] == 200
    assert deliver(stack, CALLBACK, A, text(A, "slow", msg_id="3"))[0] == 200  # past the 100 ms budget
    assert deliver(stack, CALLBACK, A, text(A, "slow", msg_id="4"))[0] == 200  # over max_programs: refused
    bad = stack.post(f"{CALLBACK}?msg_signature={'0' * 40}&timestamp=1&nonce=2", b"<xml><Encrypt>QUJD</Encrypt></xml>")
    assert bad.status == 403
    scrape = stack.get("/wecom-fcgi/metrics").body.decode()
    exported = {m.group(1) for m in re.finditer(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", scrape, re.M)}
    used = dashboard_metric_names()
    assert used <= exported, f"not exported: {sorted(used - exported)}\n{scrape}"
    # …and the dashboard shows every metric family the server exports.
    families = {re.sub(r"_(bucket|sum|count)$", "", name) for name in exported}
    shown = {re.sub(r"_(bucket|sum|count)$", "", name) for name in used}
    assert families <= shown, f"not on the dashboard: {sorted(families - shown)}"
