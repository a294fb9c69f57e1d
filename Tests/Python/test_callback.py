"""WeCom behaviour through a real nginx (issue 4): published URL verification and message, the status
policy, and replies decrypted by an independent implementation (wechatpy 1.8.18)."""
from __future__ import annotations

import subprocess
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from conftest import SAMPLE_ENV
from helpers import VECTORS, run_cli

CALLBACK = "/wecom/callback"
PUBLISHED = {v["id"]: v for v in VECTORS["published"]}
GET = PUBLISHED["official-py-A-get"]
POST = PUBLISHED["official-py-A-post-xml"]


def encoded(query: dict[str, str]) -> str:
    return urllib.parse.urlencode(query, quote_via=urllib.parse.quote, safe="")


def wechatpy() -> WeChatCrypto:
    return WeChatCrypto(SAMPLE_ENV["WECOM_APP_TOKEN"], SAMPLE_ENV["WECOM_APP_AES_KEY"], SAMPLE_ENV["WECOM_APP_CORP_ID"])


def reply_fields(body: bytes) -> dict[str, str]:
    root = ET.fromstring(body)
    return {child.tag: child.text or "" for child in root}


# --- URL verification ----------------------------------------------------------------------------

def test_published_verification_answers_the_exact_plaintext(server):
    r = server.get(f"{CALLBACK}?{encoded(GET['request']['query'])}")
    assert r.status == 200
    assert r.body == GET["plaintext"].encode()  # no newline, no BOM
    assert r.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("variant", ["%2B", "+", "%20"])
def test_plus_in_echostr_may_arrive_encoded_raw_or_as_a_space(server, variant):
    query = encoded(GET["request"]["query"]).replace("%2B", variant)
    r = server.get(f"{CALLBACK}?{query}")
    assert (r.status, r.body) == (200, GET["plaintext"].encode())


def test_real_percent_encoded_capture_verifies(stack_factory):
    v = PUBLISHED["official-go-E-get-urlencoded"]
    creds = VECTORS["credential_sets"]["E"]
    stack = stack_factory(env={"WECOM_APP_CORP_ID": creds["receive_id"], "WECOM_APP_TOKEN": creds["token"],
                               "WECOM_APP_AES_KEY": creds["encoding_aes_key"]})
    r = stack.get(f"{CALLBACK}?{v['request']['raw_query_string']}")
    assert (r.status, r.body) == (200, v["plaintext"].encode())


# --- message delivery ----------------------------------------------------------------------------

def test_published_message_gets_an_echo_that_wechatpy_decrypts(server):
    q = POST["request"]["query"]
    r = server.post(f"{CALLBACK}?{encoded(q)}", POST["request"]["body"].encode())
    assert r.status == 200
    assert r.headers["content-type"] == "text/xml; charset=utf-8"
    envelope = reply_fields(r.body)
    assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert (envelope["TimeStamp"], envelope["Nonce"]) == (q["timestamp"], q["nonce"])
    plaintext = wechatpy().decrypt_message(r.body.decode(), envelope["MsgSignature"], envelope["TimeStamp"],
                                           envelope["Nonce"])
    reply = reply_fields(plaintext.encode())
    assert reply["ToUserName"] == "ChenJiaShun"
    assert reply["FromUserName"] == SAMPLE_ENV["WECOM_APP_CORP_ID"]
    assert reply["MsgType"] == "text"
    assert reply["Content"] == "你好"
    assert reply["CreateTime"].isdigit()
    # Our own decrypt agrees with wechatpy.
    ours = run_cli(["crypto", "decrypt", "--msg-signature", envelope["MsgSignature"], "--timestamp",
                    envelope["TimeStamp"], "--nonce", envelope["Nonce"]],
                   input_bytes=envelope["Encrypt"].encode(), env=SAMPLE_ENV).stdout
    assert ours.decode() == plaintext


def test_event_gets_an_empty_200(server):
    plain = ("<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><FromUserName><![CDATA[zhangsan]]>"
             "</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
             "<Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey><AgentID>1000002</AgentID></xml>")
    envelope = wechatpy().encrypt_message(plain, nonce="123", timestamp="1700000000")
    sig = reply_fields(envelope.encode())["MsgSignature"]
    body = envelope.replace("<MsgSignature>", "<AgentID>1000002</AgentID><MsgSignature>").encode()
    r = server.post(f"{CALLBACK}?msg_signature={sig}&timestamp=1700000000&nonce=123", body)
    assert (r.status, r.body) == (200, b"")


def test_authenticated_but_unparseable_message_gets_an_empty_200(server):
    envelope = wechatpy().encrypt_message("<xml><MsgType>text</MsgType>", nonce="9", timestamp="1700000001")
    sig = reply_fields(envelope.encode())["MsgSignature"]
    r = server.post(f"{CALLBACK}?msg_signature={sig}&timestamp=1700000001&nonce=9", envelope.encode())
    assert (r.status, r.body) == (200, b"")


# --- the status policy ---------------------------------------------------------------------------

def _post_query(**changes: str | None) -> str:
    q = dict(POST["request"]["query"])
    for k, v in changes.items():
        if v is None:
            q.pop(k)
        else:
            q[k] = v
    return encoded(q)


@pytest.mark.parametrize("path,body,status", [
    (f"{CALLBACK}?{_post_query(msg_signature=None)}", POST["request"]["body"], 400),
    (f"{CALLBACK}?{_post_query(nonce='')}", POST["request"]["body"], 400),
    (f"{CALLBACK}?{_post_query()}&nonce=1", POST["request"]["body"], 400),
    (f"{CALLBACK}?{_post_query()}", "", 400),
    (f"{CALLBACK}?{_post_query()}", "<xml><Encrypt>", 400),
    (f"{CALLBACK}?{_post_query()}", "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><xml>&e;</xml>", 400),
    (f"{CALLBACK}?{_post_query(msg_signature='0' * 40)}", POST["request"]["body"], 403),
    (f"{CALLBACK}?{_post_query(timestamp='1476422780')}", POST["request"]["body"], 403),
])
def test_post_status_policy(server, path, body, status):
    r = server.post(path, body.encode())
    assert r.status == status
    assert len(r.body) < 40  # short fixed text, nothing leaked


def test_wrong_receiveid_is_403(stack_factory):
    stack = stack_factory(env={"WECOM_APP_CORP_ID": "wwdeadbeefdeadbeef"})
    r = stack.post(f"{CALLBACK}?{_post_query()}", POST["request"]["body"].encode())
    assert r.status == 403


def test_get_without_echostr_is_400_and_other_methods_are_405(server):
    q = dict(GET["request"]["query"])
    q.pop("echostr")
    assert server.get(f"{CALLBACK}?{encoded(q)}").status == 400
    for method in ["PUT", "DELETE", "PATCH"]:
        r = server.request(method, f"{CALLBACK}?{encoded(GET['request']['query'])}", body=b"")
        assert r.status == 405
        assert r.headers["allow"] == "GET, POST"


def test_body_over_the_limit_is_413(stack_factory):
    stack = stack_factory(args=["--max-body-bytes", "512", "--threads", "2"])
    body = POST["request"]["body"].encode()
    assert len(body) < 600
    assert stack.post(f"{CALLBACK}?{_post_query()}", body + b" " * (513 - len(body))).status == 413


def test_500_requests_from_16_parallel_curls(server, tmp_path):
    body_file = tmp_path / "body.xml"
    body_file.write_bytes(POST["request"]["body"].encode())
    get_url = f"{server.base_url}{CALLBACK}?{encoded(GET['request']['query'])}"
    post_url = f"{server.base_url}{CALLBACK}?{_post_query()}"
    lines = "".join(f"{i}\n" for i in range(500))
    script = (f'if [ $(($1 % 2)) -eq 0 ]; then curl -s -o /dev/null -w "%{{http_code}}\\n" "{get_url}"; '
              f'else curl -s -o /dev/null -w "%{{http_code}}\\n" --data-binary @{body_file} "{post_url}"; fi')
    out = subprocess.run(["xargs", "-P", "16", "-I{}", "sh", "-c", script, "sh", "{}"], input=lines.encode(),
                         capture_output=True, timeout=120)
    codes = out.stdout.decode().split()
    assert len(codes) == 500
    assert set(codes) == {"200"}


def test_responder_log_has_one_line_per_request_without_secrets(stack_factory):
    stack = stack_factory(mode="listen")
    stack.post(f"{CALLBACK}?{_post_query()}", POST["request"]["body"].encode())
    stack.get(f"{CALLBACK}?{_post_query(msg_signature='0' * 40)}")
    log = stack.responder.log()
    assert "POST /wecom/callback 200 app=default msg=text msgid=1456453720" in log
    assert "GET /wecom/callback 400" in log
    for secret in SAMPLE_ENV.values():
        if secret != SAMPLE_ENV["WECOM_APP_CORP_ID"]:
            assert secret not in log
    assert "你好" not in log  # message content never at info


def test_a_request_cannot_forge_log_lines(stack_factory):
    stack = stack_factory(mode="listen")
    forged = "/nope%0A2099-01-01T00:00:00+0000%20info%20wecom-fcgi:%20FORGED%20GET%20/wecom/callback%20200"
    stack.get(f"{forged}?{encoded(GET['request']['query'])}")
    stack.post(f"{CALLBACK}?{_post_query()}", b"<xml><\x1b[31mEvil>" + b"x" * 1000 + b"</xml>")
    lines = stack.responder.log().splitlines()
    assert not any(line.startswith("2099-01-01") for line in lines)
    assert any("\\u{a}2099-01-01" in line for line in lines)
    assert not any("\x1b" in line for line in lines)
    assert max(len(line) for line in lines) < 2000
