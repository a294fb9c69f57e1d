#!/usr/bin/env bash
# The comparative benchmark: one nginx on 127.0.0.1, one wrk workload, the servers behind it one at a
# time, on this machine, in PASSES interleaved passes (every row once, then every row again), each
# figure reported as the median over the passes:
#   (1)  ceiling      nginx `return 200` with a body of the reply's size
#   (2)  c-floor      bench/fcgi-floor.c: libfcgi, CORES threads, unix socket, reads the body, fixed reply
#   (3)  wecom-fcgi   as shipped: echo, serve's default --threads, unix socket, nginx.conf.example's
#                     location verbatim (no keep-alive)
#   (3b) wecom-fcgi   keep-alive: nginx.conf.example's commented `upstream` block and the two keep-alive
#                     lines of its location switched on, as it ships them (keepalive 32), default threads
#   (3d) wecom-fcgi   as (3) with [cluster] on against a redis-server this script starts
#   (3c) wecom-fcgi   as (3), built with the toolchain's shared Swift runtime and Foundation
#                     (`swift build -c release`, scratch path .build-shared) instead of the shipped static build
#   (3a) wecom-fcgi   as (3), --threads CONNS (not in the default ROWS)
#   (3z) wecom-fcgi   as (3) with BASELINE_BIN (e.g. a build of main before a change; only when set)
#   (4)  wecom-app-svr 0.1.0 (the original framework) as its README runs it (Flask's server), proxy_pass
#   (5)  wechatpy 1.8.18 echo in a minimal Flask app under gunicorn (workers = cores), proxy_pass
# The workload: bench/wrk-messages.lua cycling through COUNT pre-generated, valid, encrypted ~400-byte
# text messages with distinct MsgIds (bench/make-requests.py, wechatpy); every row gets the same POSTs.
# With COUNT = 50,000 (more than the dedup cache's 10,000 entries) every request takes the
# first-delivery path: a MsgId comes back only after 50,000 others have pushed it out of the cache.
#
# Prints requests/s, p50/p99 latency, each server's peak RSS (VmHWM) and its RSS at the end of the
# measured run (VmRSS), both summed over its processes, the CPU time per request of the server, of
# nginx and (3d) of redis-server (utime+stime from /proc/PID/stat during the measured run), and ratios
# to (1) and (2); writes
# bench/results.md, bench/results.json and bench/results.png.
#
# Environment: WRK_THREADS (2), WRK_CONNECTIONS (32), WRK_DURATION (10s), WARMUP (2s), COUNT (50000),
# PASSES (2), ROWS (default: all but wecom-fcgi-threads; e.g. ROWS="c-floor wecom-fcgi"), CORES
# (threads of the C floor; default: nproc), WECOM_THREADS (--threads of rows 3, 3b-3d; default: serve's
# own default), NGINX_WORKERS (1), WECOM_FCGI_ARGS (extra arguments to every wecom-fcgi serve, e.g.
# "--log-level notice"), WECOM_FCGI_BIN (a wecom-fcgi already built; default: scripts/build-release.sh),
# BASELINE_BIN and BASELINE_LABEL (row 3z).
# Installs what it needs: apt (as root): wrk nginx-light libfcgi-dev gcc redis-server; pip into bench/.venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/bench
RUN=$BENCH/.run
GEN=$BENCH/.gen
CORES=${CORES:-$(nproc)}   # threads for rows (2) and (3); CORES=1 measures one thread
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
WRK_DURATION=${WRK_DURATION:-10s}
WARMUP=${WARMUP:-2s}
COUNT=${COUNT:-50000}
PASSES=${PASSES:-2}
WECOM_THREADS=${WECOM_THREADS:-}
BASELINE_BIN=${BASELINE_BIN:-}
BASELINE_LABEL=${BASELINE_LABEL:-BASELINE_BIN}
NGINX_WORKERS=${NGINX_WORKERS:-1}
WECOM_FCGI_ARGS=${WECOM_FCGI_ARGS:-}
ROWS=${ROWS:-ceiling c-floor wecom-fcgi wecom-fcgi-baseline wecom-fcgi-keepalive wecom-fcgi-cluster wecom-fcgi-shared wecom-app-svr wechatpy-gunicorn}
PORT=${PORT:-18080}
APP_SVR_PORT=$((PORT + 1))
WECHATPY_PORT=$((PORT + 2))

# Credential set A: the spec's published sample credentials (never real ones).
export WECOM_APP_CORP_ID=ww1436e0e65a779aee
export WECOM_APP_TOKEN=hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo
export WECOM_APP_AES_KEY=6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt
# The environment-only echo app even where the package installed /etc/wecom-fcgi/config.toml.
export WECOM_FCGI_CONFIG=none

log() { echo "run-compare: $*" >&2; }

# --- what it needs ---------------------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
command -v gcc >/dev/null || need+=(gcc)
[[ -e /usr/include/fcgiapp.h ]] || need+=(libfcgi-dev)
[[ " $ROWS " != *" wecom-fcgi-cluster "* ]] || command -v redis-server >/dev/null || need+=(redis-server)
if ((${#need[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        log "apt-get install ${need[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        log "please install: sudo apt-get install ${need[*]}"
        exit 1
    fi
fi
PY=$BENCH/.venv/bin/python
if ! "$PY" -c 'import wecom_app_svr, wechatpy, flask, gunicorn, matplotlib' 2>/dev/null; then
    log "creating bench/.venv (wecom-app-svr 0.1.0, wechatpy 1.8.18, flask, gunicorn, matplotlib)"
    python3 -m venv "$BENCH/.venv"
    "$PY" -m pip install -q --disable-pip-version-check \
        wecom-app-svr==0.1.0 wechatpy==1.8.18 flask gunicorn matplotlib
fi

if [[ -n ${WECOM_FCGI_BIN:-} ]]; then
    BIN=$WECOM_FCGI_BIN
else
    log "building wecom-fcgi (release) and the C floor"
    scripts/build-release.sh >/dev/null
    BIN=$(scripts/build-release.sh --show-bin-path)/wecom-fcgi
fi
if [[ " $ROWS " == *" wecom-fcgi-shared "* ]]; then
    log "building wecom-fcgi (swift build -c release with the shared Swift libraries, scratch path .build-shared)"
    swift build -c release --scratch-path .build-shared --product wecom-fcgi >/dev/null
    SHARED_BIN=$(swift build -c release --scratch-path .build-shared --show-bin-path)/wecom-fcgi
fi
mkdir -p "$RUN/tmp" "$GEN"
gcc -O2 -Wall -Wextra -o "$RUN/fcgi-floor" "$BENCH/fcgi-floor.c" -lfcgi -lpthread

if [[ ! -s $GEN/requests-$COUNT.lua ]]; then
    log "generating $COUNT encrypted messages with wechatpy"
    "$PY" "$BENCH/make-requests.py" "$GEN/requests-$COUNT.lua.tmp" "$COUNT"
    mv "$GEN/requests-$COUNT.lua.tmp" "$GEN/requests-$COUNT.lua"
fi
REQUESTS=$GEN/requests-$COUNT.lua

# --- the reply size: one request through wecom-fcgi in CGI mode ------------------------------------
REPLY_BYTES=$("$PY" - "$REQUESTS" "$BIN" <<'PY'
import os, re, subprocess, sys
text = open(sys.argv[1], encoding="utf-8").read()
q, b = re.search(r'\{q="([^"]*)", b="([^"]*)"\}', text).groups()
env = {"REQUEST_METHOD": "POST", "QUERY_STRING": q, "DOCUMENT_URI": "/wecom/callback",
       "CONTENT_LENGTH": str(len(b)), "CONTENT_TYPE": "text/xml", "PATH": "/usr/bin:/bin"}
env.update({k: v for k, v in os.environ.items() if k.startswith("WECOM_APP_") or k == "WECOM_FCGI_CONFIG"})
# The pre-generated messages carry fixed timestamps: the replay window is off, as in every row.
out = subprocess.run([sys.argv[2], "serve", "--max-timestamp-skew-s", "0"], input=b.encode(), env=env, capture_output=True, check=True).stdout
head, _, body = out.partition(b"\r\n\r\n")
if not body.startswith(b"<xml>"):
    sys.exit(f"run-compare: the CGI run did not answer a reply envelope: {out[:300]!r}")
print(len(body))
PY
)
log "reply size: $REPLY_BYTES bytes (the ceiling and the floor answer this many)"

# --- nginx: one config, every row a location ---------------------------------------------------------
# The wecom-fcgi location is nginx.conf.example's, verbatim, with the socket path and the include path
# replaced.
SHIPPED_LOCATION=$(awk '/^    location = \/wecom\/callback \{/{p=1} p{print} p&&/^    \}/{exit}' "$ROOT/nginx.conf.example" \
    | sed -e "s#unix:/run/wecom-fcgi/wecom-fcgi.sock#unix:$RUN/wecom-fcgi.sock#" \
          -e "s#include fastcgi_params;#include /etc/nginx/fastcgi_params;#")
[[ -n $SHIPPED_LOCATION ]] || { log "could not find the location in nginx.conf.example"; exit 1; }
# (3b): the same location with its commented keep-alive lines switched on.
KEEPALIVE_LOCATION=$(printf '%s\n' "$SHIPPED_LOCATION" \
    | sed -e 's#location = /wecom/callback#location = /wecom-keepalive/callback#' \
          -e "\#fastcgi_pass unix:$RUN/wecom-fcgi.sock;#d" \
          -e 's@# fastcgi_pass wecom_fcgi;@fastcgi_pass wecom_keepalive;@' \
          -e 's@# fastcgi_keep_conn on;@fastcgi_keep_conn on;@')
[[ $KEEPALIVE_LOCATION == *"fastcgi_keep_conn on;"* && $KEEPALIVE_LOCATION == *"fastcgi_pass wecom_keepalive;"* ]] \
    || { log "could not find the keep-alive lines in nginx.conf.example"; exit 1; }
# ... and nginx.conf.example's commented upstream block, uncommented, renamed and pointed at our socket.
KEEPALIVE_UPSTREAM=$(awk '/^# upstream wecom_fcgi \{/{p=1} p{print} p&&/^# \}/{exit}' "$ROOT/nginx.conf.example" \
    | sed -e 's/^# //' -e 's/^#$//' -e 's/upstream wecom_fcgi/upstream wecom_keepalive/' \
          -e "s#unix:/run/wecom-fcgi/wecom-fcgi.sock#unix:$RUN/wecom-fcgi-keepalive.sock#")
[[ $KEEPALIVE_UPSTREAM == *"keepalive "* && $KEEPALIVE_UPSTREAM == *"wecom-fcgi-keepalive.sock"* ]] \
    || { log "could not find the upstream block in nginx.conf.example"; exit 1; }
THREADS_ARGS=()
[[ -n $WECOM_THREADS ]] && THREADS_ARGS=(--threads "$WECOM_THREADS")
# What serve's default --threads is here (ServeCommand.defaultThreads: 2 × cores, at least 8), for the labels.
SHIPPED_THREADS=${WECOM_THREADS:-$((2 * $(nproc) > 8 ? 2 * $(nproc) : 8))}
CEILING_BODY=$(head -c "$REPLY_BYTES" /dev/zero | tr '\0' 'x')
USER_LINE=""
[[ $(id -u) -eq 0 ]] && USER_LINE="user root root;"
cat >"$RUN/nginx.conf" <<EOF
daemon off;
worker_processes $NGINX_WORKERS;
pid $RUN/nginx.pid;
error_log $RUN/error.log warn;
$USER_LINE
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $RUN/tmp/body;
    fastcgi_temp_path $RUN/tmp/fastcgi;
    proxy_temp_path $RUN/tmp/proxy;
    scgi_temp_path $RUN/tmp/scgi;
    uwsgi_temp_path $RUN/tmp/uwsgi;
    # (3b) nginx.conf.example's upstream block
$KEEPALIVE_UPSTREAM
    server {
        listen 127.0.0.1:$PORT;
        client_max_body_size 64k;
        client_body_buffer_size 64k;
        # (1) the ceiling
        location = /ceiling { default_type "text/xml; charset=utf-8"; return 200 "$CEILING_BODY"; }
        # (2) the FastCGI floor: same fastcgi settings as the shipped location
        location = /c-floor {
            fastcgi_pass unix:$RUN/fcgi-floor.sock;
            fastcgi_connect_timeout 1s; fastcgi_send_timeout 5s; fastcgi_read_timeout 5s;
            include /etc/nginx/fastcgi_params;
        }
        # (3) the location we ship
$SHIPPED_LOCATION
        # (3b) the same with keep-alive to the responder
$KEEPALIVE_LOCATION
        # (4) and (5): the Python peers over HTTP
        location = /wecom_app { proxy_pass http://127.0.0.1:$APP_SVR_PORT; proxy_read_timeout 5s; }
        location = /wechatpy { proxy_pass http://127.0.0.1:$WECHATPY_PORT; proxy_read_timeout 5s; }
    }
}
EOF

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do stop_server "$pid"; done
}
trap cleanup EXIT

nginx -t -q -p "$RUN" -e "$RUN/error.log" -c "$RUN/nginx.conf"
nginx -p "$RUN" -e "$RUN/error.log" -c "$RUN/nginx.conf" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")

wait_for() {  # wait_for DESCRIPTION COMMAND...: up to 10 s
    local what=$1
    shift
    for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    log "timed out waiting for $what"
    return 1
}
wait_for nginx curl -sf -o /dev/null "http://127.0.0.1:$PORT/ceiling"

# RSS in KiB: FIELD (VmHWM: the peak; VmRSS: now) of PID and all its descendants.
rss_kib() {  # rss_kib PID FIELD
    local total=0 pid kids field=$2
    local queue=("$1")
    while ((${#queue[@]})); do
        pid=${queue[0]}
        queue=("${queue[@]:1}")
        local hwm
        hwm=$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$((total + ${hwm:-0}))
        kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
        for k in $kids; do queue+=("$k"); done
    done
    echo "$total"
}

# SIGTERM, then SIGKILL after 5 s (libfcgi's own SIGTERM handler only sets a flag that the C floor,
# blocked in accept(), never looks at).
# CPU time in clock ticks (utime + stime) of PID and all its descendants.
cpu_ticks() {
    local total=0 pid kids t
    local queue=("$1")
    while ((${#queue[@]})); do
        pid=${queue[0]}
        queue=("${queue[@]:1}")
        t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$((total + ${t:-0}))
        kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
        for k in $kids; do queue+=("$k"); done
    done
    echo "$total"
}
TICKS_PER_SECOND=$(getconf CLK_TCK)

stop_server() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# One row: start (unless the server is nginx itself), check one request, warm up, measure, read RSS.
RESULTS=$RUN/results.jsonl
: >"$RESULTS"
measure() {  # measure ROW LABEL PATH SERVER_PID
    local row=$1 label=$2 path=$3 pid=$4
    local check
    check=$(sed -n '2{s/^{q="\([^"]*\)", b="\([^"]*\)"},$/\1 \2/p;q}' "$REQUESTS")
    local status
    status=$(curl -s -o "$RUN/$row.check" -w '%{http_code}' -H 'Content-Type: text/xml' \
        --data-binary "${check#* }" "http://127.0.0.1:$PORT$path?${check%% *}")
    if [[ $status != 200 ]]; then
        log "$label: a single request answered $status, not 200; skipping the row"
        return 0
    fi
    log "$label: warm-up $WARMUP, then wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION"
    WRK_REQUESTS=$REQUESTS WRK_PATH=$path wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WARMUP" \
        -s "$BENCH/wrk-messages.lua" "http://127.0.0.1:$PORT" >/dev/null
    local out server_before nginx_before server_after nginx_after
    server_before=$(cpu_ticks "$pid")
    nginx_before=$(cpu_ticks "$NGINX_PID")
    local helper_before=0 helper_after=0
    [[ -n ${HELPER_PID:-} ]] && helper_before=$(cpu_ticks "$HELPER_PID")
    out=$(WRK_REQUESTS=$REQUESTS WRK_PATH=$path wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" \
        --timeout 5s -s "$BENCH/wrk-messages.lua" "http://127.0.0.1:$PORT")
    local line
    line=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1)
    server_after=$(cpu_ticks "$pid")
    nginx_after=$(cpu_ticks "$NGINX_PID")
    [[ -n ${HELPER_PID:-} ]] && helper_after=$(cpu_ticks "$HELPER_PID")
    local rss vmrss
    rss=$(rss_kib "$pid" VmHWM)
    vmrss=$(rss_kib "$pid" VmRSS)
    # Where the resident pages are (bench/smaps-summary.py reads it): heap, stacks, each library.
    cp "/proc/$pid/smaps" "$RUN/$row.pass$PASS.smaps" 2>/dev/null || true
    local cpu="\"server_cpu_ticks\": $((server_after - server_before)), \"nginx_cpu_ticks\": $((nginx_after - nginx_before)), \"helper_cpu_ticks\": $((helper_after - helper_before)), \"ticks_per_second\": $TICKS_PER_SECOND"
    echo "{\"row\": \"$row\", \"label\": \"$label\", \"pass\": $PASS, \"rss_kib\": $rss, \"vmrss_kib\": $vmrss, $cpu, $(echo "${line#RESULT }" \
        | sed -e 's/\([a-z0-9_]*\)=\([0-9]*\)/"\1": \2,/g' -e 's/,$//')}" >>"$RESULTS"
    log "pass $PASS $label: ${line#RESULT } vmhwm_kib=$rss vmrss_kib=$vmrss"
}

# One wecom-fcgi row: ROW LABEL BINARY SOCKET_NAME PATH [SERVE ARGUMENTS...] (the socket is
# $RUN/SOCKET_NAME.sock, which the nginx configuration above points PATH at; the log goes to $RUN/ROW.log).
measure_wecom() {
    local row=$1 label=$2 binary=$3 socket=$RUN/$4.sock path=$5
    shift 5
    # The pre-generated messages carry fixed timestamps (make-requests.py): the replay window is off.
    # shellcheck disable=SC2086 # WECOM_FCGI_ARGS is a list of words
    "$binary" serve --max-timestamp-skew-s 0 $WECOM_FCGI_ARGS --listen "unix:$socket" "$@" 2>"$RUN/$row.log" &
    pid=$!
    PIDS+=("$pid")
    wait_for "$row" test -S "$socket"
    measure "$row" "$label" "$path" "$pid"
    stop_server "$pid"
}

for PASS in $(seq "$PASSES"); do
    for row in $ROWS; do
        case $row in
        ceiling)
            measure ceiling "(1) nginx return 200" /ceiling "$NGINX_PID"
            ;;
        c-floor)
            rm -f "$RUN/fcgi-floor.sock"
            "$RUN/fcgi-floor" "$RUN/fcgi-floor.sock" "$CORES" "$REPLY_BYTES" &
            pid=$!
            PIDS+=("$pid")
            wait_for "the C floor" test -S "$RUN/fcgi-floor.sock"
            measure c-floor "(2) C libfcgi floor, $CORES threads" /c-floor "$pid"
            stop_server "$pid"
            ;;
        wecom-fcgi)
            measure_wecom wecom-fcgi "(3) wecom-fcgi as shipped, $SHIPPED_THREADS threads" "$BIN" wecom-fcgi /wecom/callback \
                "${THREADS_ARGS[@]}"
            ;;
        wecom-fcgi-baseline)
            # (3z) as (3) with another wecom-fcgi binary (BASELINE_BIN, e.g. main's before a change), in
            # the same passes: a before/after ratio measured side by side.
            if [[ -n ${BASELINE_BIN:-} ]]; then
                measure_wecom wecom-fcgi-baseline "(3z) wecom-fcgi baseline ($BASELINE_LABEL), $SHIPPED_THREADS threads" \
                    "$BASELINE_BIN" wecom-fcgi /wecom/callback "${THREADS_ARGS[@]}"
            fi
            ;;
        wecom-fcgi-cluster)
            # (3d) as (3) with [cluster] on: retry claims and outcomes in a local redis-server (issue 13's cost).
            REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
            redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$RUN/redis.log" 2>&1 &
            redis_pid=$!
            PIDS+=("$redis_pid")
            wait_for redis-server bash -c "exec 3<>/dev/tcp/127.0.0.1/$REDIS_PORT"
            printf '[server]\nmax_timestamp_skew_s = 0\n[cluster]\nredis_url = "redis://127.0.0.1:%s/0"\n[[app]]\nname = "bench"\ncorp_id = "%s"\ntoken = "%s"\nencoding_aes_key = "%s"\n[[app.route]]\naction = "echo"\n' \
                "$REDIS_PORT" "$WECOM_APP_CORP_ID" "$WECOM_APP_TOKEN" "$WECOM_APP_AES_KEY" >"$RUN/cluster.toml"
            saved_args=$WECOM_FCGI_ARGS
            WECOM_FCGI_ARGS="$WECOM_FCGI_ARGS --config $RUN/cluster.toml"
            HELPER_PID=$redis_pid  # its CPU per request is reported too (it shares the two cores)
            measure_wecom wecom-fcgi-cluster "(3d) wecom-fcgi, $SHIPPED_THREADS threads, [cluster] on (local Redis)" "$BIN" \
                wecom-fcgi /wecom/callback "${THREADS_ARGS[@]}"
            WECOM_FCGI_ARGS=$saved_args
            HELPER_PID=
            stop_server "$redis_pid"
            ;;
        wecom-fcgi-threads)
            # (3a) as (3) but with --threads = connections: separates the thread count from keep-alive in (3b).
            measure_wecom wecom-fcgi-threads "(3a) wecom-fcgi, $WRK_CONNECTIONS threads" "$BIN" wecom-fcgi \
                /wecom/callback --threads "$WRK_CONNECTIONS"
            ;;
        wecom-fcgi-shared)
            # (3c) as (3), built against the toolchain's shared Swift runtime and Foundation: every library
            # FoundationEssentials, Foundation, ICU… is mapped and relocated whole at start.
            measure_wecom wecom-fcgi-shared "(3c) wecom-fcgi, $SHIPPED_THREADS threads, shared Swift libraries" \
                "$SHARED_BIN" wecom-fcgi /wecom/callback "${THREADS_ARGS[@]}"
            ;;
        wecom-fcgi-keepalive)
            measure_wecom wecom-fcgi-keepalive "(3b) wecom-fcgi, keep-alive as nginx.conf.example ships it, $SHIPPED_THREADS threads" \
                "$BIN" wecom-fcgi-keepalive /wecom-keepalive/callback "${THREADS_ARGS[@]}"
            ;;
        wecom-app-svr)
            (cd "$BENCH/peers" && exec "$PY" wecom_app_svr_demo.py "$APP_SVR_PORT") 2>"$RUN/wecom-app-svr.log" &
            pid=$!
            PIDS+=("$pid")
            wait_for wecom-app-svr bash -c "exec 3<>/dev/tcp/127.0.0.1/$APP_SVR_PORT"
            measure wecom-app-svr "(4) wecom-app-svr 0.1.0 (Flask server)" /wecom_app "$pid"
            stop_server "$pid"
            ;;
        wechatpy-gunicorn)
            (cd "$BENCH/peers" && exec "$BENCH/.venv/bin/gunicorn" -w "$CORES" -b "127.0.0.1:$WECHATPY_PORT" \
                --log-level warning wechatpy_app:app) 2>"$RUN/wechatpy.log" &
            pid=$!
            PIDS+=("$pid")
            wait_for "gunicorn (wechatpy)" bash -c "exec 3<>/dev/tcp/127.0.0.1/$WECHATPY_PORT"
            measure wechatpy-gunicorn "(5) wechatpy 1.8.18 + Flask, gunicorn -w $CORES" /wechatpy "$pid"
            stop_server "$pid"
            ;;
        *) log "unknown row $row" ;;
        esac
    done
done

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
"$PY" "$BENCH/report.py" "$RESULTS" "$BENCH" \
    "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION (warm-up $WARMUP), medians of $PASSES interleaved passes, $COUNT distinct messages of 400 B, reply $REPLY_BYTES B, nginx $(nginx -v 2>&1 | sed 's#.*/##') worker_processes $NGINX_WORKERS, $CORES cores, load average at the end $LOAD"
