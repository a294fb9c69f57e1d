"""Configuration-driven routing through a real nginx (issue 5): a regex text route, enter_agent → news,
change_contact → ignore, an exec reply, two apps on two paths, SIGHUP reload and journal."""
from __future__ import annotations

import json
import signal
import textwrap
import time
import xml.etree.ElementTree as ET

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from conftest import wait_until
from helpers import VECTORS

A = VECTORS["credential_sets"]["A"]
B = VECTORS["credential_sets"]["B"]


def crypto(creds) -> WeChatCrypto:
    return WeChatCrypto(creds["token"], creds["encoding_aes_key"], creds["receive_id"])


def fields(xml_text: str | bytes) -> dict[str, str]:
    return {c.tag: (c.text or "") for c in ET.fromstring(xml_text)}


def deliver(stack, path: str, creds, plaintext: str, nonce: str = "1234", timestamp: str = "1700000000"):
    """Encrypts `plaintext` like WeCom, POSTs it, returns (status, decrypted reply XML or b'')."""
    envelope = crypto(creds).encrypt_message(plaintext, nonce=nonce, timestamp=timestamp)
    sig = fields(envelope)["MsgSignature"]
    r = stack.post(f"{path}?msg_signature={sig}&timestamp={timestamp}&nonce={nonce}", envelope.encode())
    if r.status != 200 or not r.body:
        return r.status, b""
    e = fields(r.body)
    return r.status, crypto(creds).decrypt_message(r.body.decode(), e["MsgSignature"], e["TimeStamp"], e["Nonce"])


def text(creds, content: str, sender: str = "alice", msg_id: str = "7000000000000000001") -> str:
    return (f"<xml><ToUserName><![CDATA[{creds['receive_id']}]]></ToUserName><FromUserName><![CDATA[{sender}]]>"
            f"</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")


def event(creds, name: str, extra: str = "", sender: str = "alice") -> str:
    return (f"<xml><ToUserName><![CDATA[{creds['receive_id']}]]></ToUserName><FromUserName><![CDATA[{sender}]]>"
            f"</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{name}]]></Event>{extra}<AgentID>1000002</AgentID></xml>")


@pytest.fixture
def config_stack(stack_factory, tmp_path):
    script = tmp_path / "ask-bot.py"
    script.write_text(textwrap.dedent("""\
        #!/usr/bin/env python3
        import json, os, sys
        message = json.load(sys.stdin)
        print(json.dumps({"MsgType": "text",
                          "Content": "bot:" + message["Content"][5:] + ":" + os.environ["WECOM_FROM_USER"]}))
        """))
    script.chmod(0o755)
    (tmp_path / "b.key").write_text(B["encoding_aes_key"] + "\n")
    journal = tmp_path / "helpdesk.jsonl"
    config = tmp_path / "config.toml"
    config.write_text(textwrap.dedent(f"""\
        [server]
        max_body_bytes = 65536

        [[app]]
        name = "helpdesk"
        path = "/wecom/helpdesk"
        corp_id = "{A['receive_id']}"
        token_env = "HELPDESK_TOKEN"
        encoding_aes_key = "{A['encoding_aes_key']}"
        journal = "{journal}"

        [[app.route]]
        msg_type = "text"
        content_regex = "^(help|帮助)$"
        action = "text"
        text = "Hello {{{{FromUserName}}}}, send me anything and I will echo it."

        [[app.route]]
        msg_type = "event"
        event = "enter_agent"
        action = "news"
        articles = [{{ title = "Welcome", description = "Start here", url = "https://example.com/start", picurl = "https://example.com/a.png" }}]

        [[app.route]]
        msg_type = "event"
        event = "change_contact"
        action = "ignore"

        [[app.route]]
        msg_type = "text"
        content_regex = "^/ask "
        action = "exec"
        command = ["{script}"]
        timeout_ms = 3000
        on_error = "Sorry, please try again later."

        [[app.route]]
        action = "echo"

        [[app]]
        name = "sales"
        path = "/wecom/sales"
        corp_id = "{B['receive_id']}"
        token = "{B['token']}"
        encoding_aes_key_file = "{tmp_path / 'b.key'}"

        [[app.route]]
        action = "text"
        text = "sales got: {{{{Content}}}}"
        """))
    stack = stack_factory(mode="listen", env={"HELPDESK_TOKEN": A["token"]}, args=["--config", str(config)])
    stack.config_path = config
    stack.journal = journal
    return stack


def test_regex_text_route_renders_its_template(config_stack):
    status, reply = deliver(config_stack, "/wecom/helpdesk", A, text(A, "帮助"))
    assert status == 200
    assert fields(reply)["Content"] == "Hello alice, send me anything and I will echo it."
    assert fields(reply)["ToUserName"] == "alice"


def test_unmatched_text_falls_through_to_echo(config_stack):
    status, reply = deliver(config_stack, "/wecom/helpdesk", A, text(A, "helpdesk please"))
    assert fields(reply)["Content"] == "helpdesk please"


def test_enter_agent_gets_news(config_stack):
    status, reply = deliver(config_stack, "/wecom/helpdesk", A, event(A, "enter_agent", "<EventKey><![CDATA[]]></EventKey>"))
    root = ET.fromstring(reply)
    assert root.findtext("MsgType") == "news"
    assert root.findtext("ArticleCount") == "1"
    item = root.find("Articles/item")
    assert (item.findtext("Title"), item.findtext("Description"), item.findtext("Url"), item.findtext("PicUrl")) == (
        "Welcome", "Start here", "https://example.com/start", "https://example.com/a.png")


def test_change_contact_is_ignored(config_stack):
    status, reply = deliver(config_stack, "/wecom/helpdesk", A,
                            event(A, "change_contact", "<ChangeType>delete_user</ChangeType><UserID>bob</UserID>", sender="sys"))
    assert (status, reply) == (200, b"")


def test_exec_route_replies_with_the_programs_json(config_stack):
    status, reply = deliver(config_stack, "/wecom/helpdesk", A, text(A, "/ask what time is it", sender="carol"))
    assert fields(reply)["Content"] == "bot:what time is it:carol"


def test_two_apps_on_two_paths_each_with_their_own_credentials(config_stack):
    status, reply = deliver(config_stack, "/wecom/sales", B, text(B, "price?"))
    assert fields(reply)["Content"] == "sales got: price?"
    assert fields(reply)["FromUserName"] == B["receive_id"]
    # The helpdesk's credentials are refused at the sales path, and unknown paths are 404.
    assert deliver(config_stack, "/wecom/sales", A, text(A, "x"))[0] == 403
    assert deliver(config_stack, "/wecom/nowhere", A, text(A, "x"))[0] == 404


def test_journal_records_every_verified_message(config_stack):
    deliver(config_stack, "/wecom/helpdesk", A, text(A, "one", msg_id="1"))
    deliver(config_stack, "/wecom/helpdesk", A, text(A, "two", msg_id="2"))
    lines = [json.loads(line) for line in config_stack.journal.read_text().splitlines()]
    assert [(l["app"], l["route"], l["message"]["Content"]) for l in lines] == [("helpdesk", 4, "one"), ("helpdesk", 4, "two")]


def test_sighup_reloads_the_configuration_and_keeps_it_when_invalid(config_stack):
    config = config_stack.config_path
    config.write_text(config.read_text().replace('text = "sales got: {{Content}}"', 'text = "reloaded: {{Content}}"'))
    config_stack.responder.signal(signal.SIGHUP)
    wait_until(lambda: "reloaded" in config_stack.responder.log(), what="the reload")
    assert fields(deliver(config_stack, "/wecom/sales", B, text(B, "a", msg_id="201"))[1])["Content"] == "reloaded: a"
    # A broken file is refused and the running configuration kept.
    config.write_text(config.read_text() + "\n[[app.route]]\nactoin = 'echo'\n")
    config_stack.responder.signal(signal.SIGHUP)
    wait_until(lambda: "reload refused" in config_stack.responder.log(), what="the refused reload")
    assert "did you mean" in config_stack.responder.log()
    assert fields(deliver(config_stack, "/wecom/sales", B, text(B, "b", msg_id="202"))[1])["Content"] == "reloaded: b"


def test_sighup_reopens_a_rotated_journal(config_stack):
    deliver(config_stack, "/wecom/helpdesk", A, text(A, "before", msg_id="10"))
    rotated = config_stack.journal.with_suffix(".1")
    config_stack.journal.rename(rotated)
    config_stack.responder.signal(signal.SIGHUP)
    wait_until(lambda: "reloaded" in config_stack.responder.log(), what="the reload")
    deliver(config_stack, "/wecom/helpdesk", A, text(A, "after", msg_id="11"))
    assert "before" in rotated.read_text()
    assert "after" in config_stack.journal.read_text() and "before" not in config_stack.journal.read_text()


def test_invalid_config_refuses_to_start(tmp_path):
    import subprocess
    from conftest import binary
    bad = tmp_path / "bad.toml"
    bad.write_text('[[app]]\nname = "x"\ncorp_id = "ww1"\ntoken = "t"\nencoding_aes_key = "short"\n')
    proc = subprocess.run([str(binary()), "serve", "--config", str(bad), "--listen", f"unix:{tmp_path}/s.sock"],
                          capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert b"encoding_aes_key" in proc.stderr
    assert b"short" not in proc.stderr  # the secret's value is never printed


def test_check_config_none_checks_the_environment_app_as_serve_runs_it():
    """`--config none` (or WECOM_FCGI_CONFIG=none) is what `serve` runs on a host with a config file:
    check-config checks that environment-only app too, instead of looking for a file called `none`."""
    from conftest import SAMPLE_ENV
    from helpers import run_cli

    for args, env in ((["check-config", "--config", "none"], {**SAMPLE_ENV, "WECOM_FCGI_CONFIG": ""}),
                      (["check-config"], {**SAMPLE_ENV, "WECOM_FCGI_CONFIG": "none"})):
        out = run_cli(args, env=env).stdout.decode()
        assert out.startswith("environment: OK, 1 app: default"), out
    missing = run_cli(["check-config", "--config", "none"], env={"WECOM_APP_CORP_ID": "", "WECOM_FCGI_CONFIG": ""},
                      check=False)
    assert missing.returncode == 1
    assert b"WECOM_APP_CORP_ID" in missing.stdout and b"cannot read none" not in missing.stdout
