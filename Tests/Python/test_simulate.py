"""`wecom-fcgi simulate` and `sign` (issue 6) against nginx + wecom-fcgi with the echo action."""
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import SAMPLE_ENV, Nginx, Responder, Stack
from helpers import VECTORS, binary

EVENTS = [
    "subscribe", "unsubscribe", "enter_agent", "LOCATION", "batch_job_result", "click", "view",
    "view_miniprogram", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
    "location_select", "open_approval_change", "taskcard_click", "template_card_event", "template_card_menu_event",
    "share_agent_change", "share_chain_change", "inactive_alert", "close_inactive_agent", "reopen_inactive_agent",
    "low_active_alert", "low_active", "active_restored",
]
CHANGE_TYPES = ["create_user", "update_user", "delete_user", "create_party", "update_party", "delete_party",
                "update_tag"]

# (id, arguments, expected reply: (element path, text) or None for "no reply")
MESSAGES = [
    ("text", ["--type", "text", "--content", "hi 你好 👋 <&>", "--from", "alice"], ("Content", "hi 你好 👋 <&>")),
    ("text-default", [], ("Content", "hello from wecom-fcgi")),
    ("image", ["--type", "image", "--media-id", "MEDIA_IMG_1"], ("Image/MediaId", "MEDIA_IMG_1")),
    ("voice", ["--type", "voice", "--media-id", "MEDIA_VOICE_1"], ("Voice/MediaId", "MEDIA_VOICE_1")),
    ("video", ["--type", "video", "--media-id", "MEDIA_VIDEO_1"], ("Video/MediaId", "MEDIA_VIDEO_1")),
    ("location", ["--type", "location", "--latitude", "39.904200", "--longitude", "116.407396", "--label", "北京市"],
     ("Content", "北京市 (39.904200, 116.407396)")),
    ("link", ["--type", "link", "--title", "Docs", "--link-url", "https://example.com/a?b=1&c=2"],
     ("Content", "Docs\nhttps://example.com/a?b=1&c=2")),
] + [(f"event-{e}", ["--type", "event", "--event", e], None) for e in EVENTS] \
  + [(f"event-change_contact-{c}", ["--type", "event", "--event", "change_contact", "--change-type", c], None)
     for c in CHANGE_TYPES] \
  + [("event-click-key", ["--event", "click", "--event-key", "MENU_1"], None)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """One nginx + wecom-fcgi (--listen, echo action, sample credentials) for the whole module."""
    workdir = tmp_path_factory.mktemp("simulate")
    responder = Responder("listen", workdir, {}, ["--threads", "2"])
    running = Stack(responder, Nginx(workdir / "nginx", responder.address))
    try:
        responder.start()
        running.nginx.start()
        yield running
    finally:
        running.nginx.stop()
        responder.stop()


@pytest.fixture(scope="module")
def url(stack):
    return stack.base_url + "/wecom/callback"


def run(args, env=None, **kw) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("WECOM_APP_")}
    full.update(SAMPLE_ENV)
    full.update(env or {})
    return subprocess.run([binary(), *args], capture_output=True, env=full, timeout=60, **kw)


@pytest.mark.parametrize("args,expected", [m[1:] for m in MESSAGES], ids=[m[0] for m in MESSAGES])
def test_simulate_message_shows_the_decrypted_echo_reply(url, args, expected):
    result = run(["simulate", "message", "--url", url, *args])
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    out = result.stdout.decode()
    if expected is None:
        assert out == "no reply\n"
        assert "200, empty body" in result.stderr.decode()
        return
    assert "reply signature and receiveid verified" in result.stderr.decode()
    reply = ET.fromstring(out)
    path, text = expected
    assert reply.findtext(path) == text
    assert reply.findtext("FromUserName") == SAMPLE_ENV["WECOM_APP_CORP_ID"]
    assert reply.findtext("ToUserName") == ("alice" if "--from" in args else "zhangsan")


def test_simulate_message_sends_a_given_xml_file(url, tmp_path):
    plaintext = tmp_path / "m.xml"
    plaintext.write_text("<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><FromUserName><![CDATA[bob]]>"
                         "</FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                         "<Content><![CDATA[from a file]]></Content><MsgId>1</MsgId><AgentID>1000002</AgentID></xml>",
                         encoding="utf-8")
    result = run(["simulate", "message", "--url", url, "--xml", str(plaintext)])
    assert result.returncode == 0
    assert ET.fromstring(result.stdout.decode()).findtext("Content") == "from a file"


def test_simulate_message_fails_with_the_status_when_credentials_differ(url):
    result = run(["simulate", "message", "--url", url, "--corp-id", "wwdeadbeefdeadbeef"])
    assert result.returncode == 1
    assert result.stdout.decode().startswith("FAIL: status 403")


def test_simulate_message_fails_without_a_server():
    result = run(["simulate", "message", "--url", "http://127.0.0.1:9/wecom/callback", "--timeout", "2"])
    assert result.returncode == 1
    assert result.stdout.decode().startswith("FAIL: no HTTP answer")


def test_simulate_message_print_curl_writes_a_body_that_curl_can_send(url, tmp_path):
    body = tmp_path / "body.xml"
    result = run(["simulate", "message", "--url", url, "--type", "image", "--media-id", "M1", "--print-curl",
                  "--body-file", str(body)])
    assert result.returncode == 0
    command = result.stdout.decode().strip()
    assert command.startswith("curl -sS -H 'Content-Type: text/xml' --data-binary @")
    assert b"<Encrypt><![CDATA[" in body.read_bytes()
    envelope = subprocess.run(["bash", "-c", command], capture_output=True, timeout=30).stdout.decode()
    assert "<MsgSignature><![CDATA[" in envelope


def test_simulate_verify_url_passes_against_the_server(url):
    result = run(["simulate", "verify-url", "--url", url])
    assert result.returncode == 0
    assert result.stdout.decode().startswith("PASS: 200, body is the echostr plaintext exactly (19 bytes)")


def test_simulate_verify_url_fails_with_the_reason(url):
    result = run(["simulate", "verify-url", "--url", url, "--token", "NotTheServersToken"])
    assert result.returncode == 1
    assert result.stdout.decode() == 'FAIL: status 403, expected 200 (body: "forbidden\\n" (10 bytes))\n'


def test_simulate_verify_url_print_curl_gets_the_expected_body(url):
    result = run(["simulate", "verify-url", "--url", url, "--echostr", "1234567890123456789", "--print-curl"])
    command, comment = result.stdout.decode().splitlines()
    assert comment == "# expected body, exactly (no newline): 1234567890123456789"
    body = subprocess.run(["bash", "-c", command], capture_output=True, timeout=30).stdout
    assert body == b"1234567890123456789\n"  # the command ends in `; echo`


def test_sign_is_the_crypto_sign_command_and_matches_the_published_vector():
    vector = next(v for v in VECTORS["published"] if v["id"] == "official-py-A-get")
    q = vector["request"]["query"]
    args = ["--token", SAMPLE_ENV["WECOM_APP_TOKEN"], "--timestamp", q["timestamp"], "--nonce", q["nonce"],
            "--data", q["echostr"]]
    top = run(["sign", *args])
    nested = run(["crypto", "sign", *args])
    assert top.returncode == 0
    assert top.stdout == nested.stdout == (q["msg_signature"] + "\n").encode()
    assert "Example:" in run(["sign", "--help"]).stdout.decode()


@pytest.mark.parametrize("command", [["simulate"], ["simulate", "message"], ["simulate", "verify-url"],
                                     ["simulate", "bot"], ["simulate", "bot", "message"],
                                     ["simulate", "bot", "verify-url"], ["simulate", "bot", "check-reply"],
                                     ["fixtures"], ["fixtures", "generate"], ["sign"]])
def test_every_new_command_has_help_with_an_example(command):
    result = run([*command, "--help"])
    assert result.returncode == 0
    assert "Example" in result.stdout.decode()
