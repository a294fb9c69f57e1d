"""Writes Tests/WeComCallbackTests/Fixtures/bot_vectors.json: AI bot (receiveid "") vectors made with the
independent implementation of bot_double.py (the `cryptography` package), for the Swift unit tests of the
simulator. Deterministic: fixed random prefixes, timestamps and nonces. Run from the repository root:
    .venv/bin/python Tests/Python/make_bot_vectors.py
test_bot_vectors.py checks that the committed file is what this script writes."""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bot_double import AES_KEY, CORP_ID, TOKEN, BotCrypto  # noqa: E402

OUTPUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/WeComCallbackTests/Fixtures/bot_vectors.json"


def vectors() -> dict:
    crypto = BotCrypto()
    requests = []
    plaintexts = [
        ("text", {"msgid": "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=", "aibotid": "aib_demo", "chattype": "single",
                  "from": {"userid": "zhangsan"}, "msgtype": "text", "text": {"content": "你好 👋 <&> \"q\""},
                  "response_url": "https://qyapi.weixin.qq.com/cgi-bin/aibot/response?response_code=X"}),
        ("stream", {"msgid": "m2", "aibotid": "aib_demo", "chattype": "group", "chatid": "wrGROUP",
                    "from": {"userid": "lisi"}, "msgtype": "stream", "stream": {"id": "stream_1"}}),
        ("event_enter_chat", {"msgid": "m3", "create_time": 1700000000, "aibotid": "aib_demo", "chattype": "single",
                              "from": {"userid": "zhangsan"}, "msgtype": "event", "event": {"eventtype": "enter_chat"}}),
    ]
    for index, (name, message) in enumerate(plaintexts):
        plaintext = json.dumps(message, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        random16 = bytes(range(16 * index, 16 * index + 16))
        timestamp, nonce = str(1700000000 + index), str(1000000 + index)
        encrypt = crypto.encrypt(plaintext.encode(), random16=random16)
        requests.append({"name": name, "random_hex": random16.hex(), "plaintext": plaintext, "timestamp": timestamp,
                         "nonce": nonce, "encrypt": encrypt, "msg_signature": crypto.sign(timestamp, nonce, encrypt)})

    echostr = "8017418012930416789"
    random16 = bytes([0xA5] * 16)
    encrypted = crypto.encrypt(echostr.encode(), random16=random16)
    verification = {"random_hex": random16.hex(), "echostr_plaintext": echostr, "timestamp": "1700000100",
                    "nonce": "2000001", "echostr": encrypted, "msg_signature": crypto.sign("1700000100", "2000001", encrypted)}

    reply = json.dumps({"msgtype": "stream", "stream": {"id": "stream_1", "finish": False, "content": "第一行"}},
                       ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def envelope(receive_id="", token=None, nonce="3000001", number=True, signed_nonce=None):
        random16 = bytes([0x5A] * 16)
        encrypt = crypto.encrypt(reply.encode(), receive_id=receive_id, random16=random16)
        signer = BotCrypto(token) if token else crypto
        return json.dumps({"encrypt": encrypt, "msgsignature": signer.sign("1700000200", signed_nonce or nonce, encrypt),
                           "timestamp": 1700000200 if number else "1700000200", "nonce": nonce}, sort_keys=True)

    replies = [
        {"name": "valid_number_timestamp", "request_nonce": "3000001", "body": envelope(), "plaintext": reply},
        {"name": "valid_string_timestamp", "request_nonce": "3000001", "body": envelope(number=False), "plaintext": reply},
        {"name": "corp_id_receiveid", "request_nonce": "3000001", "body": envelope(receive_id=CORP_ID),
         "violation": "receiveid", "receiveid": CORP_ID},
        {"name": "other_token", "request_nonce": "3000001", "body": envelope(token="AnotherTokenOfTheRightShape123"),
         "violation": "signature"},
        {"name": "other_nonce", "request_nonce": "3000002", "body": envelope(), "violation": "nonce"},
    ]
    return {
        "comment": "AI bot vectors (receiveid \"\") made by Tests/Python/make_bot_vectors.py with the cryptography "
                   "package; credential set A's Token and EncodingAESKey.",
        "token": TOKEN, "encoding_aes_key": AES_KEY,
        "requests": requests, "verification": verification, "replies": replies,
    }


def render() -> str:
    return json.dumps(vectors(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}")
