"""Peer (5) of bench/run-compare.sh: wechatpy 1.8.18 doing the same echo in a minimal Flask app, served by
gunicorn (workers = cores). GET verifies the URL; POST decrypts, parses, answers a text message with its
own text, encrypts the reply. Credentials from WECOM_APP_CORP_ID / WECOM_APP_TOKEN / WECOM_APP_AES_KEY."""
import os

from flask import Flask, request
from wechatpy.enterprise import create_reply, parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

crypto = WeChatCrypto(os.environ["WECOM_APP_TOKEN"], os.environ["WECOM_APP_AES_KEY"], os.environ["WECOM_APP_CORP_ID"])
app = Flask(__name__)


@app.route("/wechatpy", methods=["GET", "POST"])
def callback():
    a = request.args
    try:
        if request.method == "GET":
            return crypto.check_signature(a["msg_signature"], a["timestamp"], a["nonce"], a["echostr"])
        xml = crypto.decrypt_message(request.data, a["msg_signature"], a["timestamp"], a["nonce"])
    except (InvalidSignatureException, KeyError):
        return "forbidden\n", 403
    msg = parse_message(xml)
    if msg.type != "text":
        return ""
    reply = create_reply(msg.content, msg).render()
    return crypto.encrypt_message(reply, a["nonce"], a["timestamp"]), 200, {"Content-Type": "text/xml; charset=utf-8"}
