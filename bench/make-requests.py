#!/usr/bin/env python3
"""Pre-generates the wrk workload of bench/run-compare.sh: COUNT valid encrypted WeCom text-message
deliveries (credential set A, the spec's published sample credentials), each a ~400-byte plaintext with
its own MsgId and nonce, encrypted and signed with wechatpy 1.8.18 (the independent implementation).

Writes a Lua file `return { {q=..., b=...}, ... }` (query string, body) read by bench/wrk-messages.lua.
Usage: bench/.venv/bin/python bench/make-requests.py OUT.lua [COUNT=2000]"""
import sys

from wechatpy.crypto import PrpCrypto, _get_signature
from wechatpy.enterprise.crypto import WeChatCrypto

TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"
PLAINTEXT_BYTES = 400


def message(i: int) -> str:
    head = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[user{i % 97}]]>"
            f"</FromUserName><CreateTime>{1700000000 + i}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            "<Content><![CDATA[")
    tail = f"]]></Content><MsgId>{7300000000000000000 + i}</MsgId><AgentID>1000002</AgentID></xml>"
    fill = PLAINTEXT_BYTES - len(head) - len(tail)
    return head + f"bench message {i} " + "x" * max(0, fill - len(f"bench message {i} ")) + tail


def lua(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    out, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    key = WeChatCrypto(TOKEN, AES_KEY, CORP_ID).key
    lines = ["return {"]
    for i in range(count):
        plain = message(i)
        assert len(plain.encode()) == PLAINTEXT_BYTES, len(plain.encode())
        encrypt = PrpCrypto(key).encrypt(plain, CORP_ID)
        encrypt = encrypt.decode() if isinstance(encrypt, bytes) else encrypt
        timestamp, nonce = str(1700000000 + i), str(100000 + i)
        signature = _get_signature(TOKEN, timestamp, nonce, encrypt)
        query = f"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}"
        body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><AgentID><![CDATA[1000002]]></AgentID>"
                f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
        lines.append(f"{{q={lua(query)}, b={lua(body)}}},")
    lines.append("}")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
