"""Peer (4) of bench/run-compare.sh: the original framework, wecom-app-svr 0.1.0, run the way its README
says (`python demo.py`: Flask's built-in server via WecomAppServer.run()), with the README's echo demo:
a text message is answered with its own text. Credentials from WECOM_APP_CORP_ID / WECOM_APP_TOKEN /
WECOM_APP_AES_KEY, as the README recommends. Usage: python wecom_app_svr_demo.py PORT"""
import sys

from wecom_app_svr import RspTextMsg, WecomAppServer


def msg_handler(req_msg):
    ret = RspTextMsg()
    ret.to_user_name = req_msg.from_user
    ret.from_user_name = req_msg.to_user
    ret.content = req_msg.content if req_msg.msg_type == "text" else "unsupported: " + req_msg.msg_type
    return ret


def event_handler(req_msg):
    ret = RspTextMsg()
    ret.content = "event"
    return ret


if __name__ == "__main__":
    app = WecomAppServer("wecom_app_svr_demo", "127.0.0.1", int(sys.argv[1]), path="/wecom_app")
    app.set_message_handler(msg_handler)
    app.set_event_handler(event_handler)
    app.run()
