#!/usr/bin/env python3
# Echoes Content and the WECOM_* environment as plain text; proves no secret is inherited.
import json, os, sys
msg = json.load(sys.stdin)
keys = ["WECOM_APP", "WECOM_MSG_TYPE", "WECOM_EVENT", "WECOM_FROM_USER", "WECOM_AGENT_ID", "WECOM_MSG_ID"]
print("got " + msg.get("Content", "") + " " + " ".join(k + "=" + os.environ.get(k, "?") for k in keys)
      + " token=" + os.environ.get("WECOM_APP_TOKEN", "absent"))
