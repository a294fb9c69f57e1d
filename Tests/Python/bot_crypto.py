"""An independent implementation of the AI bot (智能机器人) callback crypto for the tests, on the
`cryptography` package and hashlib (spec wecom-aibot.md §1): WXBizMsgCrypt framing with receiveid "",
JSON envelopes in and out. Run as a script it regenerates Tests/Fixtures/bot/vectors.json (fixed
random prefixes, so the file is stable)."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import pathlib
import struct
import sys
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS_PATH = ROOT / "Tests/Fixtures/bot/vectors.json"

# Bot credentials of the fixtures (made up: a bot has no corp id, its receiveid is "").
TOKEN = "BotToken42"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


def _key(encoding_aes_key: str) -> bytes:
    key = base64.b64decode(encoding_aes_key + "=")
    assert len(key) == 32
    return key


def sign(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """msg_signature: SHA-1 over the sorted concatenation (spec §3)."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def encrypt(plaintext: bytes, receive_id: str = "", key: str = AES_KEY, random16: bytes | None = None) -> str:
    """random(16) | len(4, BE) | msg | receiveid, PKCS#7 to 32, AES-256-CBC (IV = key[:16]), base64."""
    k = _key(key)
    frame = (random16 or os.urandom(16)) + struct.pack(">I", len(plaintext)) + plaintext + receive_id.encode()
    pad = 32 - len(frame) % 32
    frame += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(k), modes.CBC(k[:16])).encryptor()
    return base64.b64encode(encryptor.update(frame) + encryptor.finalize()).decode()


def decrypt(encrypted: str, key: str = AES_KEY) -> tuple[bytes, bytes]:
    """The (msg, receiveid) of a base64 ciphertext, padding checked."""
    k = _key(key)
    decryptor = Cipher(algorithms.AES(k), modes.CBC(k[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    pad = plain[-1]
    assert 1 <= pad <= 32 and plain[-pad:] == bytes([pad]) * pad, "bad PKCS#7 padding"
    content = plain[:-pad]
    (length,) = struct.unpack(">I", content[16:20])
    return content[20:20 + length], content[20 + length:]


def request(message: dict | bytes, *, receive_id: str = "", nonce: str | None = None, timestamp: str | None = None,
            path: str = "/bot", random16: bytes | None = None) -> tuple[str, bytes, str, str]:
    """A signed POST like WeCom's: (target with query, JSON body, timestamp, nonce)."""
    plaintext = message if isinstance(message, bytes) else json.dumps(message, ensure_ascii=False).encode()
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or base64.b32encode(os.urandom(5)).decode().lower()
    enc = encrypt(plaintext, receive_id, random16=random16)
    target = f"{path}?msg_signature={sign(TOKEN, timestamp, nonce, enc)}&timestamp={timestamp}&nonce={nonce}"
    return target, json.dumps({"encrypt": enc}).encode(), timestamp, nonce


def verify_url(echo: str, *, timestamp: str = "1700000000", nonce: str = "n0", path: str = "/bot",
               random16: bytes | None = None) -> str:
    """A signed GET target for URL verification (echostr percent-encoded)."""
    from urllib.parse import quote

    enc = encrypt(echo.encode(), "", random16=random16)
    return f"{path}?msg_signature={sign(TOKEN, timestamp, nonce, enc)}&timestamp={timestamp}&nonce={nonce}&echostr={quote(enc, safe='')}"


def open_reply(body: bytes, nonce: str) -> dict:
    """Checks a reply envelope (signature, the request's nonce, receiveid "") and returns the decrypted object."""
    envelope = json.loads(body)
    assert set(envelope) == {"encrypt", "msgsignature", "timestamp", "nonce"}, envelope
    assert envelope["nonce"] == nonce
    timestamp = str(envelope["timestamp"])
    assert envelope["msgsignature"] == sign(TOKEN, timestamp, nonce, envelope["encrypt"]), "bad reply signature"
    msg, receive_id = decrypt(envelope["encrypt"])
    assert receive_id == b"", f"reply receiveid is {receive_id!r}, not empty"
    return json.loads(msg)


def message(msgtype: str, payload: dict | None = None, *, msgid: str, userid: str = "zhangsan",
            response_url: str = "http://127.0.0.1:9/response") -> dict:
    """A decrypted bot message (spec §2)."""
    m = {"msgid": msgid, "aibotid": "aib42", "chattype": "single", "from": {"userid": userid},
         "response_url": response_url, "msgtype": msgtype}
    if payload is not None:
        m[msgtype] = payload
    return m


def event(eventtype: str, body: dict | None = None, *, msgid: str) -> dict:
    m = message("event", None, msgid=msgid)
    m["create_time"] = 1700000000
    m["event"] = {"eventtype": eventtype, eventtype: body or {}}
    return m


def generate() -> dict:
    """The fixture vectors: fixed random prefixes, timestamps and nonces."""
    r = bytes(range(16))
    vectors = {"token": TOKEN, "encoding_aes_key": AES_KEY, "receive_id": "", "cases": []}
    vectors["cases"].append({"name": "verify_url", "method": "GET",
                             "target": verify_url("bot-echo-1700000000", random16=r), "status": 200,
                             "body": "bot-echo-1700000000"})
    for name, msg, rid in [
        ("text_echo", message("text", {"content": "你好，机器人"}, msgid="vec-1"), ""),
        ("enter_chat", event("enter_chat", msgid="vec-2"), ""),
        ("corp_id_frame", message("text", {"content": "x"}, msgid="vec-3"), "wwcorp"),
    ]:
        target, body, _, nonce = request(msg, receive_id=rid, timestamp="1700000000", nonce="vecnonce", random16=r)
        vectors["cases"].append({"name": name, "method": "POST", "target": target, "body": body.decode(),
                                 "plaintext": json.dumps(msg, ensure_ascii=False), "nonce": nonce,
                                 "status": 403 if rid else 200})
    return vectors


if __name__ == "__main__":
    VECTORS_PATH.parent.mkdir(parents=True, exist_ok=True)
    VECTORS_PATH.write_text(json.dumps(generate(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {VECTORS_PATH}", file=sys.stderr)
