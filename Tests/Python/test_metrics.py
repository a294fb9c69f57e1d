"""The Prometheus endpoint ([server] status_path, status_allow) through a real nginx (issue 8)."""
from __future__ import annotations

import re
import textwrap

from test_config_integration import A, deliver, text

CALLBACK = "/wecom/callback"


def config(tmp_path, allow: str | None = None):
    path = tmp_path / "config.toml"
    allow_line = f"status_allow = {allow}\n" if allow else ""
    path.write_text(textwrap.dedent(f"""\
        [server]
        status_path = "/wecom-fcgi/metrics"
        {allow_line}
        [[app]]
        name = "helpdesk"
        corp_id = "{A['receive_id']}"
        token = "{A['token']}"
        encoding_aes_key = "{A['encoding_aes_key']}"
        [[app.route]]
        action = "echo"
        """))
    return path


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{name}\{{{re.escape(wanted)}\}} (\S+)$", text, re.M)
    assert match, f"{name}{{{wanted}}} not in:\n{text}"
    return float(match.group(1))


def test_metrics_count_requests_failures_and_retries(stack_factory, tmp_path):
    stack = stack_factory(mode="listen", args=["--config", str(config(tmp_path))])
    assert deliver(stack, CALLBACK, A, text(A, "one", msg_id="1"))[0] == 200
    assert deliver(stack, CALLBACK, A, text(A, "one", msg_id="1"), nonce="99")[0] == 200  # a retry
    assert stack.post(f"{CALLBACK}?msg_signature={'0' * 40}&timestamp=1&nonce=2", b"<xml><Encrypt>QUJD</Encrypt></xml>").status == 403
    r = stack.get("/wecom-fcgi/metrics")
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    body = r.body.decode()
    assert metric(body, "wecom_requests_total", app="helpdesk", status="200") == 2
    assert metric(body, "wecom_requests_total", app="helpdesk", status="403") == 1
    assert metric(body, "wecom_crypto_failures_total", app="helpdesk", kind="signature") == 1
    assert metric(body, "wecom_dedup_hits_total", app="helpdesk") == 1
    assert "wecom_request_duration_seconds_bucket" in body
    assert A["token"] not in body and A["encoding_aes_key"] not in body


def test_metrics_are_refused_to_addresses_not_allowed(stack_factory, tmp_path):
    stack = stack_factory(mode="listen", args=["--config", str(config(tmp_path, allow='["10.0.0.1"]'))])
    r = stack.get("/wecom-fcgi/metrics")
    assert r.status == 403
    assert b"wecom_" not in r.body
