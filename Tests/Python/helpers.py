"""Shared helpers for the Python test suite: the binary under test and the spec's vectors."""
import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "Tests/WeComCallbackTests/Fixtures/vectors.json").read_text(encoding="utf-8"))


def binary() -> str:
    """Path of the wecom-fcgi binary under test ($WECOM_FCGI_BIN, else the release build)."""
    path = os.environ.get("WECOM_FCGI_BIN") or str(ROOT / ".build/release/wecom-fcgi")
    assert os.access(path, os.X_OK), f"{path} is not built: run `make build` first"
    return path


def credential_set(name: str) -> dict:
    return VECTORS["credential_sets"][name]


def run_cli(args, *, input_bytes=b"", env=None, check=True):
    """Runs `wecom-fcgi ARGS`; returns the CompletedProcess (stdout/stderr as bytes)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    result = subprocess.run([binary(), *args], input=input_bytes, capture_output=True, env=full_env, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"wecom-fcgi {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result


def app_toml(name: str, credentials: str = "A") -> str:
    """The `[[app]]` header of a configuration file: `name` and a published credential set (corp_id,
    token, encoding_aes_key), one key per line, ending with a newline; append keys and routes to it."""
    c = credential_set(credentials)
    return (f'[[app]]\nname = "{name}"\ncorp_id = "{c["receive_id"]}"\ntoken = "{c["token"]}"\n'
            f'encoding_aes_key = "{c["encoding_aes_key"]}"\n')


def text_message(content: str, msg_id: str, credentials: str = "A") -> str:
    """A decrypted WeCom text message from `alice` to the credential set's corp (AgentID 1000002)."""
    corp = credential_set(credentials)["receive_id"]
    return (f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><FromUserName><![CDATA[alice]]></FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")


def delivery(plaintext: str, nonce: str = "777", timestamp: str = "1700000000", path: str = "/wecom/callback",
             credentials: str = "A") -> tuple[str, bytes]:
    """`plaintext` encrypted and signed like WeCom by wechatpy: the request target (path and signed query)
    and the envelope body to POST there."""
    from wechatpy.enterprise.crypto import WeChatCrypto

    c = credential_set(credentials)
    envelope = WeChatCrypto(c["token"], c["encoding_aes_key"], c["receive_id"]).encrypt_message(
        plaintext, nonce=nonce, timestamp=timestamp)
    signature = envelope.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    return f"{path}?msg_signature={signature}&timestamp={timestamp}&nonce={nonce}", envelope.encode()
