"""Independent cross-check of WXBizMsgCrypt: wechatpy 1.8.18 <-> wecom-fcgi, both ways (issue 2)."""
import random
import re

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from helpers import VECTORS, credential_set, run_cli

CREDS = credential_set("B")
ENV = {
    "WECOM_APP_TOKEN": CREDS["token"],
    "WECOM_APP_AES_KEY": CREDS["encoding_aes_key"],
    "WECOM_APP_CORP_ID": CREDS["receive_id"],
}
# Random Unicode: ASCII, CJK, emoji (4-byte UTF-8), accented Latin, XML specials.
ALPHABET = [chr(c) for c in range(0x20, 0x7F)] + list("你好世界企业微信éüß<>&]]") + ["👍", "🎉", "\U0001F600"]


def random_messages(seed: int, count: int = 50):
    rng = random.Random(seed)
    for _ in range(count):
        length = rng.randint(0, 4096)
        yield "".join(rng.choice(ALPHABET) for _ in range(length))


def wechatpy() -> WeChatCrypto:
    return WeChatCrypto(CREDS["token"], CREDS["encoding_aes_key"], CREDS["receive_id"])


@pytest.mark.parametrize("index,message", list(enumerate(random_messages(2024))))
def test_wechatpy_encrypts_wecom_fcgi_decrypts(index, message):
    envelope = wechatpy().encrypt_message(message, nonce=str(1000 + index), timestamp=str(1700000000 + index))
    encrypt = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", envelope).group(1)
    signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]></MsgSignature>", envelope).group(1)
    result = run_cli(
        ["crypto", "decrypt", "--msg-signature", signature, "--timestamp", str(1700000000 + index),
         "--nonce", str(1000 + index)],
        input_bytes=encrypt.encode(), env=ENV)
    assert result.stdout == message.encode("utf-8")
    assert result.stderr.decode().strip() == f"receiveid: {CREDS['receive_id']}"


@pytest.mark.parametrize("index,message", list(enumerate(random_messages(4048))))
def test_wecom_fcgi_encrypts_wechatpy_decrypts(index, message):
    timestamp, nonce = str(1700001000 + index), str(5000 + index)
    envelope = run_cli(["crypto", "encrypt", "--timestamp", timestamp, "--nonce", nonce],
                       input_bytes=message.encode("utf-8"), env=ENV).stdout.decode()
    signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]></MsgSignature>", envelope).group(1)
    assert wechatpy().decrypt_message(envelope, signature, timestamp, nonce) == message


def test_wechatpy_rejects_our_ciphertext_under_another_corp_id():
    envelope = run_cli(["crypto", "encrypt", "--timestamp", "1", "--nonce", "2"], input_bytes=b"<xml/>", env=ENV).stdout.decode()
    signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]></MsgSignature>", envelope).group(1)
    other = WeChatCrypto(CREDS["token"], CREDS["encoding_aes_key"], "wwdeadbeefdeadbeef")
    with pytest.raises(Exception):
        other.decrypt_message(envelope, signature, "1", "2")


def test_tampered_signature_fails_with_sdk_code():
    encrypt = run_cli(["crypto", "encrypt"], input_bytes=b"hi", env=ENV).stdout.strip()
    result = run_cli(["crypto", "decrypt", "--msg-signature", "0" * 40, "--timestamp", "1", "--nonce", "2"],
                     input_bytes=encrypt, env=ENV, check=False)
    assert result.returncode == 1
    assert b"-40001" in result.stderr


def test_credentials_can_come_from_a_config_file_app(tmp_path):
    a = credential_set("A")
    config = tmp_path / "c.toml"
    config.write_text(
        f'[[app]]\nname = "one"\npath = "/one"\ncorp_id = "{a["receive_id"]}"\ntoken = "{a["token"]}"\n'
        f'encoding_aes_key = "{a["encoding_aes_key"]}"\n[[app.route]]\naction = "echo"\n'
        f'[[app]]\nname = "two"\npath = "/two"\ncorp_id = "{CREDS["receive_id"]}"\ntoken = "{CREDS["token"]}"\n'
        f'encoding_aes_key = "{CREDS["encoding_aes_key"]}"\n[[app.route]]\naction = "echo"\n')
    get = next(v for v in VECTORS["published"] if v["id"] == "official-py-A-get")
    q = get["request"]["query"]
    args = ["crypto", "verify-url", "--config", str(config), "--msg-signature", q["msg_signature"],
            "--timestamp", q["timestamp"], "--nonce", q["nonce"], "--echostr", q["echostr"]]
    clean_env = {"WECOM_APP_TOKEN": "", "WECOM_APP_AES_KEY": "", "WECOM_APP_CORP_ID": ""}
    assert run_cli(args + ["--app", "one"], env=clean_env).stdout == get["plaintext"].encode()
    wrong = run_cli(args + ["--app", "two"], env=clean_env, check=False)
    assert wrong.returncode == 1 and b"-40001" in wrong.stderr
    ambiguous = run_cli(args, env=clean_env, check=False)
    assert ambiguous.returncode != 0 and b"choose one with --app" in ambiguous.stderr


def test_decrypt_accepts_a_whole_reply_envelope():
    envelope = run_cli(["crypto", "encrypt", "--timestamp", "1", "--nonce", "2"], input_bytes="你好".encode(), env=ENV).stdout
    assert run_cli(["crypto", "decrypt"], input_bytes=envelope, env=ENV).stdout == "你好".encode()
