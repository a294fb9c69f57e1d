#!/usr/bin/env bash
# `make run`: builds the release binary, then runs wecom-fcgi on a unix socket and nginx on
# 127.0.0.1:$PORT (default 8080), both under .run/ (gitignored), with the spec's published sample
# credentials (set A of Tests/WeComCallbackTests/Fixtures/vectors.json). Prints two curl commands to
# try. Ctrl-C stops both.
# One `make run` per run directory: a second one (e.g. `PORT=8081 make run` beside the first) refuses
# before it builds or writes anything, and says how to stop the first. RUN_DIR (default .run) picks
# another directory, for a second instance on purpose. CONFIG=PATH serves that configuration file
# instead of the sample credentials' echo app (README, "Media": the mirror demo).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN=$(realpath -m "${RUN_DIR:-.run}")
PORT=${PORT:-8080}
CALLBACK_PATH=${CALLBACK_PATH:-/wecom/callback}
VECTORS=Tests/WeComCallbackTests/Fixtures/vectors.json

# The run directory's lock, held (fd 9) for as long as this script runs; not passed to nginx or
# wecom-fcgi. The lock file holds the owner's pid, for the message below.
mkdir -p "$RUN"
exec 9<>"$RUN/run.lock"
if ! flock -n 9; then
    owner=$(cat "$RUN/run.lock" 2>/dev/null || true)
    echo "run-local: a \`make run\` is already running with $RUN${owner:+ (pid $owner)}." >&2
    echo "run-local: stop it first (Ctrl-C in its terminal${owner:+, or: kill $owner}), or give this one its own" \
        "directory and port: RUN_DIR=.run-8081 PORT=8081 make run" >&2
    exit 1
fi
echo $$ >"$RUN/run.lock"
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "run-local: 127.0.0.1:$PORT is already in use; stop that or run: PORT=8081 make run" >&2
    exit 1
fi

scripts/build-release.sh
BIN=$(scripts/build-release.sh --show-bin-path)/wecom-fcgi

# Published sample credentials (WeCom's official Python sample), never real ones.
export WECOM_APP_CORP_ID=ww1436e0e65a779aee
export WECOM_APP_TOKEN=hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo
export WECOM_APP_AES_KEY=6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt

mkdir -p "$RUN/tmp"
SOCKET=$RUN/wecom-fcgi.sock
USER_LINE=""
[[ $(id -u) -eq 0 ]] && USER_LINE="user root root;"
sed -e "s#@PREFIX@#$RUN#g" -e "s#@PORT@#$PORT#g" -e "s#@FASTCGI_PASS@#unix:$SOCKET#g" \
    -e "s#@USER@#$USER_LINE#g" scripts/nginx-local.conf.template >"$RUN/nginx.conf"
# nginx lives in /usr/sbin, which is not on a normal user's PATH on Debian.
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
"$NGINX" -t -q -p "$RUN" -e "$RUN/error.log" -c "$RUN/nginx.conf"

# Own process groups (set -m): Ctrl-C reaches only this script, whose trap sends each child one SIGTERM
# (a second signal would make wecom-fcgi skip the drain).
set -m
# --max-timestamp-skew-s 0: the curl commands printed below replay published vectors with 2016
# timestamps, which the replay window (default 300 s) would refuse.
# WECOM_FCGI_CONFIG=none: the sample credentials' echo app, even where /etc/wecom-fcgi/config.toml exists.
WECOM_FCGI_CONFIG=$(if [[ -n ${CONFIG:-} ]]; then realpath "$CONFIG"; else echo none; fi) "$BIN" serve --listen "unix:$SOCKET" --socket-mode 0660 --threads 2 --max-timestamp-skew-s 0 9>&- &
FCGI_PID=$!
"$NGINX" -p "$RUN" -e "$RUN/error.log" -c "$RUN/nginx.conf" 9>&- &
NGINX_PID=$!
set +m

stopped=0
stop() {
    ((stopped)) && return
    stopped=1
    trap '' INT TERM  # a second signal must not cut the shutdown short
    echo
    echo "run-local: stopping nginx and wecom-fcgi"
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    kill -TERM "$FCGI_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    wait "$FCGI_PID" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 0' INT  # Ctrl-C is how `make run` is meant to end: not an error
trap 'exit 143' TERM

for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && [[ -S $SOCKET ]] && break
    sleep 0.1
done

python3 - "$VECTORS" "$RUN" "http://127.0.0.1:$PORT$CALLBACK_PATH" <<'PY'
import json, os, sys, urllib.parse
vectors, run, url = sys.argv[1:]
run = os.path.relpath(run) if not os.path.relpath(run).startswith('..') else run
body_path = os.path.join(run, 'post-body.xml')
published = {v["id"]: v for v in json.load(open(vectors, encoding="utf-8"))["published"]}
get, post = published["official-py-A-get"], published["official-py-A-post-xml"]
with open(body_path, "w", encoding="utf-8", newline="") as f:
    f.write(post["request"]["body"])
query = lambda v: urllib.parse.urlencode(v["request"]["query"], quote_via=urllib.parse.quote, safe="")
print(f"""
wecom-fcgi and nginx are running: {url}  (wecom-fcgi logs below; nginx logs in {run}/; Ctrl-C stops)

URL verification (published GET, vector official-py-A-get); expected body: {get["plaintext"]}
  curl -sS '{url}?{query(get)}'; echo

Message delivery (published POST, vector official-py-A-post-xml; body in {body_path}):
  curl -sS -H 'Content-Type: text/xml' --data-binary @{body_path} '{url}?{query(post)}'; echo
""")
PY

wait -n "$FCGI_PID" "$NGINX_PID" || true
echo "run-local: a process exited; see $RUN/error.log" >&2
