#!/usr/bin/env bash
# Soak: SOAK_SECONDS (600) of wrk through nginx against wecom-fcgi with a journal and the metrics endpoint,
# a mixed workload (bench/wrk-soak.lua: valid messages and their retries, bad signatures, oversize bodies,
# URL verifications). Checks and prints: zero 5xx, RSS and open file descriptors of wecom-fcgi sampled
# every SAMPLE_SECONDS (60) from start to end, and that the journal has exactly one line per accepted
# (200) message delivery. Exit status 1 when a check fails.
# Environment: SOAK_SECONDS, SAMPLE_SECONDS, WRK_THREADS (2), WRK_CONNECTIONS (8), COUNT (5000 messages).
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
RUN=$BENCH/.run-soak
SOAK_SECONDS=${SOAK_SECONDS:-600}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-60}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-8}
COUNT=${COUNT:-5000}
PORT=${PORT:-18090}
log() { echo "soak: $*" >&2; }

"$ROOT/scripts/install-deps.sh" --with-python
command -v wrk >/dev/null || { [[ $(id -u) -eq 0 ]] && apt-get install -y -qq wrk >/dev/null; }
"$ROOT/scripts/build-release.sh" >/dev/null
BIN=$ROOT/.build/release/wecom-fcgi
rm -rf "$RUN"; mkdir -p "$RUN/tmp"
"$ROOT/.venv/bin/python" "$BENCH/make-requests.py" "$RUN/requests.lua" "$COUNT"
GET_QUERY=$("$ROOT/.venv/bin/python" - "$ROOT/Tests/WeComCallbackTests/Fixtures/vectors.json" <<'PY'
import json, sys, urllib.parse
v = next(x for x in json.load(open(sys.argv[1]))["published"] if x["id"] == "official-py-A-get")
print(urllib.parse.urlencode(v["request"]["query"], quote_via=urllib.parse.quote, safe=""))
PY
)
cat >"$RUN/config.toml" <<EOF2
[server]
max_timestamp_skew_s = 0  # the soak replays pre-generated messages with fixed timestamps
status_path = "/wecom-fcgi/metrics"
[[app]]
name = "soak"
corp_id = "ww1436e0e65a779aee"
token = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
encoding_aes_key = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
journal = "$RUN/journal.jsonl"
[[app.route]]
action = "echo"
EOF2
USER_LINE=""; [[ $(id -u) -eq 0 ]] && USER_LINE="user root root;"
sed -e "s#@PREFIX@#$RUN#g" -e "s#@PORT@#$PORT#g" -e "s#@FASTCGI_PASS@#unix:$RUN/wecom-fcgi.sock#g" \
    -e "s#@USER@#$USER_LINE#g" "$ROOT/scripts/nginx-local.conf.template" >"$RUN/nginx.conf"
sed -i 's#access_log [^;]*;#access_log off;#' "$RUN/nginx.conf"

"$BIN" serve --config "$RUN/config.toml" --listen "unix:$RUN/wecom-fcgi.sock" --log-level warning 2>"$RUN/wecom-fcgi.log" &
FCGI=$!
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$RUN" -e "$RUN/error.log" -c "$RUN/nginx.conf" &
NGINX=$!
cleanup() { kill -QUIT "$NGINX" 2>/dev/null || true; kill -TERM "$FCGI" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do [[ -S $RUN/wecom-fcgi.sock ]] && curl -s -o /dev/null "http://127.0.0.1:$PORT/nginx-only" && break; sleep 0.1; done

sample() { echo "$(date +%s) rss_kib=$(awk '/VmRSS/{print $2}' /proc/$FCGI/status) fds=$(ls /proc/$FCGI/fd | wc -l) threads=$(ls /proc/$FCGI/task | wc -l)"; }
log "wecom-fcgi pid $FCGI; wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${SOAK_SECONDS}s"
sample | tee "$RUN/samples.txt"
( while kill -0 "$FCGI" 2>/dev/null; do sleep "$SAMPLE_SECONDS"; sample; done ) >>"$RUN/samples.txt" &
SAMPLER=$!
WRK_REQUESTS="$RUN/requests.lua" WRK_GET_QUERY="$GET_QUERY" \
    wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${SOAK_SECONDS}s" --timeout 10s -s "$BENCH/wrk-soak.lua" \
    "http://127.0.0.1:$PORT" >"$RUN/wrk.txt"
sample >>"$RUN/samples.txt"
kill "$SAMPLER" 2>/dev/null || true
curl -s "http://127.0.0.1:$PORT/wecom-fcgi/metrics" >"$RUN/metrics.txt" || true

result=$(grep '^RESULT' "$RUN/wrk.txt")
cat "$RUN/wrk.txt" | grep -E "Requests/sec|Latency" || true
echo "$result"
echo "samples (unix time, RSS, open fds, threads):"; cat "$RUN/samples.txt"
get() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$result"; }
journal=$(wc -l <"$RUN/journal.jsonl")
echo "journal lines: $journal; accepted deliveries (200 to valid POSTs): $(get valid200)"
status=0
[[ $(get status5xx) == 0 ]] || { log "FAIL: $(get status5xx) responses were 5xx"; status=1; }
[[ $(get other) == 0 ]] || { log "FAIL: $(get other) answers were none of reply/plaintext/403/413"; status=1; }
# wrk stops mid-flight: up to one request per connection may have been journaled without wrk counting
# its answer.
diff=$(( journal - $(get valid200) ))
(( diff >= 0 && diff <= WRK_CONNECTIONS )) || { log "FAIL: journal lines $journal vs accepted deliveries $(get valid200)"; status=1; }
first_fds=$(head -1 "$RUN/samples.txt" | sed 's/.*fds=\([0-9]*\).*/\1/'); last_fds=$(tail -1 "$RUN/samples.txt" | sed 's/.*fds=\([0-9]*\).*/\1/')
(( last_fds <= first_fds + 2 )) || { log "FAIL: open fds grew from $first_fds to $last_fds"; status=1; }
kill -0 "$FCGI" || { log "FAIL: wecom-fcgi is gone"; status=1; }
((status == 0)) && log "PASS"
exit $status
