#!/bin/sh
# Starts wecom-fcgi under spawn-fcgi: spawn-fcgi creates the unix socket, gives it to nginx's user
# (-M 0660 -U www-data -G www-data), drops to the wecom-fcgi user (-u/-g) and execs the binary with the
# listening socket on fd 0; wecom-fcgi then accepts on fd 0 with --threads threads.
# Run as root (to create the socket's directory and change users). -n keeps spawn-fcgi in the foreground
# and makes the pid the responder's own, for a supervisor; drop -n to daemonise.
#
# Usage: deploy/spawn-fcgi-example.sh [extra wecom-fcgi serve options…]
set -eu
# Needs root (spawn-fcgi changes the socket owner and drops to -u/-g) and the service user:
#   useradd --system --no-create-home --shell /usr/sbin/nologin wecom-fcgi

SOCKET=${WECOM_FCGI_SOCKET:-/run/wecom-fcgi/wecom-fcgi.sock}
BIN=${WECOM_FCGI_BIN:-/usr/local/bin/wecom-fcgi}
ENV_FILE=${WECOM_FCGI_ENV_FILE:-/etc/wecom-fcgi/wecom-fcgi.env}

# spawn-fcgi passes its environment on: export the app credentials.
set -a
. "$ENV_FILE"
set +a

# spawn-fcgi removes a stale socket file itself and refuses to start while another process accepts on it.
install -d -m 0755 "$(dirname "$SOCKET")"

exec spawn-fcgi -n \
    -s "$SOCKET" -M 0660 -U www-data -G www-data \
    -u wecom-fcgi -g wecom-fcgi \
    -- "$BIN" serve "$@"
