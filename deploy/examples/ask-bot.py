#!/usr/bin/env python3
"""Example exec program for wecom-fcgi: answers "/ask <question>" with a language model.

Configure it as
    [[app.route]]
    msg_type = "text"
    content_regex = "^/ask "
    action = "exec"
    command = ["/usr/local/bin/ask-bot"]
    timeout_ms = 4000
    on_error = "Sorry, please try again later."

stdin: the message JSON ({"Content": "/ask …", "FromUserName": …}); stdout: the reply.
WeCom waits 5 seconds. A slower model is fine when the app has a corp_secret: wecom-fcgi answers WeCom
empty at the reply budget and delivers this program's answer through the send API when it arrives (give
the route a timeout_ms such as 60000). Needs LLM_API_URL (an OpenAI-compatible
/v1/chat/completions endpoint), LLM_API_KEY and optionally LLM_MODEL in the environment.
"""
import json
import os
import sys
import urllib.request


def main() -> int:
    message = json.load(sys.stdin)
    question = message.get("Content", "").removeprefix("/ask").strip()
    if not question:
        print("Usage: /ask <question>")
        return 0
    request = urllib.request.Request(
        os.environ["LLM_API_URL"],
        data=json.dumps({
            "model": os.environ.get("LLM_MODEL", "gpt-4o-mini"),
            "messages": [
                {"role": "system", "content": "Answer briefly, in the user's language, in under 500 characters."},
                {"role": "user", "content": question},
            ],
            "max_tokens": 300,
        }).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["LLM_API_KEY"]},
    )
    with urllib.request.urlopen(request, timeout=3.5) as response:
        answer = json.load(response)["choices"][0]["message"]["content"].strip()
    # A JSON reply object; printing plain text would work too.
    print(json.dumps({"MsgType": "text", "Content": answer[:600]}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())  # any exception → non-zero exit → on_error is replied
