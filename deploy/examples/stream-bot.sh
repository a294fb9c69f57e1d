#!/bin/sh
# An AI bot program for `action = "exec"` (README, "AI bots"): its stdout IS the stream the user
# sees, and every refresh from WeCom shows everything written so far. stdin is the decrypted message
# JSON; WECOM_BOT, WECOM_FROM_USER, WECOM_MSG_ID, WECOM_OUTPUT_DIR … are set. Exit 0 to finish the
# stream; a non-zero exit or timeout_ms shows on_error instead. JPG/PNG files left in
# $WECOM_OUTPUT_DIR go out as images with the final reply.
set -eu
cat >/dev/null   # the message JSON (a real bot would hand it to its model)
printf 'Thinking about it, %s…\n' "${WECOM_FROM_USER:-you}"
for step in 1 2 3 4 5; do
    sleep 0.3
    printf 'step %s of 5 done\n' "$step"
done
printf '**Done.**\n'
