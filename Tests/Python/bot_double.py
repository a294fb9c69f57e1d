"""An independent WXBizMsgCrypt for AI bots (receiveid "") on the `cryptography` package, and a tiny HTTP
server that plays a bot server (wecom-aibot.md §1–§4) for testing `wecom-fcgi simulate bot` and the bot
curl fixtures. Nothing here shares code with wecom-fcgi."""
import base64
import hashlib
import json
import os
import struct
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# The published sample credentials (set A); a bot uses the Token and EncodingAESKey, never the corp id.
TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"
BOT_ENV = {"WECOM_BOT_TOKEN": TOKEN, "WECOM_BOT_AES_KEY": AES_KEY}


class BotCrypto:
    """WXBizMsgCrypt (AES-256-CBC, IV = key[:16], PKCS#7 to 32 bytes, random|len|msg|receiveid, SHA-1
    signature over the sorted strings) written from the spec."""

    def __init__(self, token: str = TOKEN, encoding_aes_key: str = AES_KEY, receive_id: str = ""):
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        assert len(self.key) == 32
        self.receive_id = receive_id

    def sign(self, timestamp: str, nonce: str, data: str) -> str:
        return hashlib.sha1("".join(sorted([self.token, timestamp, nonce, data])).encode()).hexdigest()

    def encrypt(self, message: bytes, receive_id: str | None = None, random16: bytes | None = None) -> str:
        rid = (self.receive_id if receive_id is None else receive_id).encode()
        buffer = (random16 or os.urandom(16)) + struct.pack(">I", len(message)) + message + rid
        pad = 32 - len(buffer) % 32
        buffer += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(buffer) + encryptor.finalize()).decode()

    def decrypt(self, encrypt: str) -> tuple[bytes, bytes]:
        """Returns (message, receiveid)."""
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
            raise ValueError("bad padding")
        plain = plain[:-pad]
        (length,) = struct.unpack(">I", plain[16:20])
        return plain[20:20 + length], plain[20 + length:]

    def reply_envelope(self, reply: bytes, nonce: str, timestamp: str = "1700000000", receive_id: str | None = None,
                       token: str | None = None, timestamp_as_number: bool = True) -> bytes:
        encrypt = self.encrypt(reply, receive_id)
        signer = BotCrypto(token, AES_KEY) if token else self
        return json.dumps({"encrypt": encrypt, "msgsignature": signer.sign(timestamp, nonce, encrypt),
                           "timestamp": int(timestamp) if timestamp_as_number else timestamp,
                           "nonce": nonce}).encode()


def stream(stream_id: str, content: str | None, finish: bool, **extra) -> dict:
    body = {"id": stream_id, "finish": finish}
    if content is not None:
        body["content"] = content
    body.update(extra)
    return {"msgtype": "stream", "stream": body}


class BotServer:
    """A bot server on a free loopback port. For each POST it checks the signature (403), the JSON envelope
    (400), the receiveid "" (403) and the plaintext JSON (400), records the request, and answers with
    `self.answer(message)` (a dict to encrypt, raw bytes to send as is, or None for an empty body).

    The default answer streams: a message gets stream id `s<n>` with content `STEPS[0]`; each refresh of
    it the next step; the last step has finish true (so three refreshes). enter_chat gets a welcome text,
    template_card_event an update_template_card, feedback and unknown types an empty body, an unknown stream
    id a finished empty stream. Reply tampering for negative tests: `reply_receive_id`, `reply_token`,
    `reply_nonce`."""

    STEPS = ["第一行", "第一行\n第二行", "第一行\n第二行\n第三行 \"引号\"", "第一行\n第二行\n第三行 \"引号\"\n完成 ✅"]

    def __init__(self):
        self.crypto = BotCrypto()
        self.requests: list[dict] = []
        self.streams: dict[str, int] = {}
        self.reply_receive_id = ""
        self.reply_token = None
        self.reply_nonce = None
        self.get_suffix = b""
        self.answer = self.default_answer
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status: int, body: bytes = b"", content_type: str = "text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                try:
                    ok = server.crypto.sign(query["timestamp"], query["nonce"], query["echostr"]) == query["msg_signature"]
                    message, receive_id = server.crypto.decrypt(query["echostr"])
                except (KeyError, ValueError):
                    return self.reply(400)
                if not ok or receive_id != b"":
                    return self.reply(403)
                self.reply(200, message + server.get_suffix)

            def do_PUT(self):
                self.reply(405)

            def do_POST(self):
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if not {"msg_signature", "timestamp", "nonce"} <= query.keys() or not body:
                    return self.reply(400)
                try:
                    encrypt = json.loads(body)["encrypt"]
                    assert isinstance(encrypt, str)
                except (ValueError, KeyError, TypeError, AssertionError):
                    return self.reply(400)
                if server.crypto.sign(query["timestamp"], query["nonce"], encrypt) != query["msg_signature"]:
                    return self.reply(403)
                try:
                    plaintext, receive_id = server.crypto.decrypt(encrypt)
                except ValueError:
                    return self.reply(403)
                if receive_id != b"":
                    return self.reply(403)
                try:
                    message = json.loads(plaintext)
                    assert isinstance(message, dict)
                except (ValueError, AssertionError):
                    return self.reply(400)
                with server.lock:
                    server.requests.append({"query": query, "message": message,
                                            "content_type": self.headers.get("Content-Type")})
                    answer = server.answer(message)
                if answer is None:
                    return self.reply(200)
                plain = answer if isinstance(answer, bytes) else json.dumps(answer, ensure_ascii=False).encode()
                nonce = server.reply_nonce or query["nonce"]
                self.reply(200, server.crypto.reply_envelope(plain, nonce, receive_id=server.reply_receive_id,
                                                             token=server.reply_token), "application/json")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/wecom/assistant"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def default_answer(self, message: dict):
        kind = message.get("msgtype")
        if kind in ("text", "image", "mixed", "voice", "file"):
            stream_id = f"s{len(self.streams) + 1}"
            self.streams[stream_id] = 0
            return stream(stream_id, self.STEPS[0], False)
        if kind == "stream":
            stream_id = message["stream"]["id"]
            if stream_id not in self.streams:
                return stream(stream_id, "", True)
            self.streams[stream_id] = step = min(self.streams[stream_id] + 1, len(self.STEPS) - 1)
            return stream(stream_id, self.STEPS[step], step == len(self.STEPS) - 1)
        if kind == "event":
            event = message["event"]["eventtype"]
            if event == "enter_chat":
                return {"msgtype": "text", "text": {"content": f"你好 {message['from']['userid']}"}}
            if event == "template_card_event":
                return {"response_type": "update_template_card", "userids": [message["from"]["userid"]],
                        "template_card": {"card_type": "text_notice", "main_title": {"title": "已确认"},
                                          "task_id": message["event"]["template_card_event"]["task_id"]}}
        return None
