#!/bin/sh
# Reads the message JSON, answers with a JSON reply object naming the sender.
cat >/dev/null
printf '{"MsgType":"text","Content":"json for %s via %s"}\n' "$WECOM_FROM_USER" "$WECOM_APP"
