#!/usr/bin/env bash
# `make test-package`: builds the .deb (scripts/build-deb.sh), checks its contents and Depends, runs
# lintian, installs it with apt into a clean Debian 12 root (debootstrap, from the Debian mirror) and
# answers a request there, then installs it on this machine with dpkg -i, runs the installed binary
# with no Swift toolchain on PATH, starts it the way wecom-fcgi.socket does (systemd-socket-activate: the socket on fd 3), answers
# simulated WeCom messages through nginx configured with the packaged snippet, rotates the journal with
# the packaged logrotate file (SIGHUP must reopen it), then removes and purges the package.
#
# Changes this machine: installs and purges the package wecom-fcgi, creates the system user
# wecom-fcgi (kept after purge, as the package does) and uses /run/wecom-fcgi. Needs root.
# DEB=path.deb skips the build. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PACKAGE=wecom-fcgi
SOCKET=/run/wecom-fcgi/wecom-fcgi.sock
CLEAN_PATH=/usr/sbin:/usr/bin:/sbin:/bin          # no Swift toolchain
# The published sample credentials (never real ones).
CORP_ID=ww1436e0e65a779aee TOKEN=hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo AES_KEY=6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt

[[ $(id -u) -eq 0 ]] || { echo "test-package: needs root (dpkg -i)" >&2; exit 1; }
for tool in dpkg-deb lintian debootstrap systemd-socket-activate nginx logrotate curl setpriv; do
    command -v "$tool" >/dev/null || { echo "test-package: $tool missing: run scripts/install-deps.sh --for-packaging" >&2; exit 1; }
done

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
# check DESCRIPTION COMMAND…: passes when the command exits 0; its output is shown when it fails.
check() {
    local what=$1 out; shift
    if out=$("$@" 2>&1); then pass "$what"; else fail "$what"; printf '%s\n' "$out" | sed 's/^/     /' | head -40; fi
}

WORK=$(mktemp -d)
SERVER_PID= NGINX_PID= PROC_MOUNTED=
cleanup() {
    [[ -n "$PROC_MOUNTED" ]] && umount "$PROC_MOUNTED"
    [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null
    [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null
    wait 2>/dev/null
    if dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null | grep -q "ok installed\|config-files"; then
        dpkg -P "$PACKAGE" >/dev/null 2>&1
    fi
    rm -rf --one-file-system "$WORK" /run/wecom-fcgi
}
trap cleanup EXIT

# --- build -------------------------------------------------------------------------------------
if [[ -z "${DEB:-}" ]]; then
    scripts/build-deb.sh "$WORK/dist" || { echo "test-package: build failed" >&2; exit 1; }
    DEB=$(ls "$WORK"/dist/*.deb)
fi
echo "test-package: $DEB"
field() { dpkg-deb -f "$DEB" "$1"; }
VERSION=$(field Version)
ARCH=$(field Architecture)

# --- contents ----------------------------------------------------------------------------------
check "file name is ${PACKAGE}_<version>_<arch>.deb" test "$(basename "$DEB")" = "${PACKAGE}_${VERSION}_${ARCH}.deb"
dpkg-deb -c "$DEB" | awk '{print $1, $2, $6}' > "$WORK/contents"
for entry in \
    "-rwxr-xr-x root/root ./usr/bin/wecom-fcgi" \
    "-rw-r--r-- root/root ./lib/systemd/system/wecom-fcgi.service" \
    "-rw-r--r-- root/root ./lib/systemd/system/wecom-fcgi.socket" \
    "-rw-r----- root/root ./etc/wecom-fcgi/config.toml" \
    "-rw-r--r-- root/root ./etc/logrotate.d/wecom-fcgi" \
    "drwxr-xr-x root/root ./var/lib/wecom-fcgi/" \
    "-rw-r--r-- root/root ./usr/share/man/man1/wecom-fcgi.1.gz" \
    "-rw-r--r-- root/root ./usr/share/bash-completion/completions/wecom-fcgi" \
    "-rw-r--r-- root/root ./usr/share/zsh/vendor-completions/_wecom-fcgi" \
    "-rw-r--r-- root/root ./usr/share/doc/wecom-fcgi/examples/nginx.conf" \
    "-rw-r--r-- root/root ./usr/share/doc/wecom-fcgi/examples/grafana-dashboard.json" \
    "-rw-r--r-- root/root ./usr/share/doc/wecom-fcgi/copyright"; do
    check "contains $entry" grep -qxF -- "$entry" "$WORK/contents"
done
dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles > "$WORK/conffiles"
check "conffiles: config.toml and the logrotate file" diff <(printf '/etc/wecom-fcgi/config.toml\n/etc/logrotate.d/wecom-fcgi\n') "$WORK/conffiles"
dpkg-deb -x "$DEB" "$WORK/unpacked"
check "config.toml is the documented example" cmp deploy/config.example.toml "$WORK/unpacked/etc/wecom-fcgi/config.toml"
check "nginx snippet is nginx.conf.example" cmp nginx.conf.example "$WORK/unpacked/usr/share/doc/wecom-fcgi/examples/nginx.conf"
check "binary is stripped" sh -c "file '$WORK/unpacked/usr/bin/wecom-fcgi' | grep -q ', stripped'"
# Depends: every library the binary needs, by the Debian package that ships it (found here with
# dpkg -S, independently of dpkg-shlibdeps), and nothing from a Swift toolchain.
DEPENDS=$(field Depends)
objdump -p "$WORK/unpacked/usr/bin/wecom-fcgi" | awk '/NEEDED/ {print $2}' > "$WORK/needed"
check "needs no Swift runtime library" sh -c "! grep -q swift '$WORK/needed'"
while read -r soname; do
    path=$(ldconfig -p | awk -v s="$soname" '$1 == s {print $NF; exit}')
    owner=
    # dpkg knows a file by the path its package ships (/lib or /usr/lib: merged /usr).
    for candidate in "$path" "$(readlink -f "$path")" "${path#/usr}" "/usr$path"; do
        owner=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1) && [[ -n "$owner" ]] && break
    done
    check "Depends covers $soname (${owner:-no package})" sh -c \
        "[ -n '$owner' ] && printf '%s' '$DEPENDS' | tr ',' '\n' | awk '{print \$1}' | grep -qxF '$owner'"
done < "$WORK/needed"
check "Depends has adduser (postinst)" sh -c "printf '%s' '$DEPENDS' | grep -Eq '(^|, )adduser(,|\$)'"
# libcurl is loaded with dlopen by the first HTTP transfer: not NEEDED, so named in Depends by hand.
check "binary does not link libcurl (dlopen on the first transfer)" sh -c "! grep -q curl '$WORK/needed'"
check "Depends has libcurl4 (dlopen)" sh -c "printf '%s' '$DEPENDS' | grep -Eq '(^|, )libcurl4( \\(|,|\$)'"
echo "     Depends: $DEPENDS"

# --- lintian -----------------------------------------------------------------------------------
# Every tag down to pedantic is shown, the overridden ones as O: (deploy/debian/lintian-overrides says why).
lintian --pedantic --display-info --show-overrides "$DEB" > "$WORK/lintian" 2>&1
grep -E '^[A-Z]: ' "$WORK/lintian" | grep -v '^N: ' | sed 's/^/     lintian: /'
check "lintian --pedantic: no error, warning, info or pedantic tag that is not overridden" \
    sh -c "! grep -E '^[EWIPX]: ' '$WORK/lintian'"

# --- a clean Debian 12 root (debootstrap minbase): apt resolves Depends, the binary runs -----------
# Proves Depends is complete on a system that has never seen a Swift toolchain or this project's
# build dependencies. /proc is mounted there: Swift reads the command line from /proc/self/cmdline.
ROOTFS=$WORK/rootfs
if debootstrap --variant=minbase bookworm "$ROOTFS" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$WORK/debootstrap.log" 2>&1; then
    pass "debootstrap --variant=minbase bookworm"
    mount -t proc proc "$ROOTFS/proc" && PROC_MOUNTED=$ROOTFS/proc
    cp "$DEB" "$ROOTFS/tmp/"
    in_root() { chroot "$ROOTFS" env -i PATH="$CLEAN_PATH" DEBIAN_FRONTEND=noninteractive "$@"; }
    check "clean root: apt-get installs the package and its Depends" sh -c \
        "chroot '$ROOTFS' apt-get update -qq && chroot '$ROOTFS' env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends '/tmp/$(basename "$DEB")'"
    check "clean root: no Swift anywhere" sh -c "! chroot '$ROOTFS' sh -c 'command -v swift; ls /opt 2>/dev/null' | grep -q ."
    check "clean root: wecom-fcgi --version" test "$(in_root /usr/bin/wecom-fcgi --version)" = "$VERSION"
    check "clean root: the user was created" in_root getent passwd wecom-fcgi
    check "clean root: libcurl.so.4 is there for dlopen" sh -c "chroot '$ROOTFS' /sbin/ldconfig -p | grep -q 'libcurl.so.4 '"
    printf '[[app]]\nname = "clean"\ncorp_id = "%s"\ntoken = "%s"\nencoding_aes_key = "%s"\n[[app.route]]\naction = "echo"\n' \
        "$CORP_ID" "$TOKEN" "$AES_KEY" > "$ROOTFS/tmp/clean.toml"
    # The published URL verification, answered in CGI mode: libfcgi, libcrypto and the rest load and work
    # (its 2016 timestamp needs the replay window off).
    in_root REQUEST_METHOD=GET DOCUMENT_URI=/wecom/callback \
        'QUERY_STRING=msg_signature=012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb&timestamp=1476416373&nonce=47744683&echostr=fsi1xnbH4yQh0%2BPJxcOdhhK6TDXkjMyhEPA7xB2TGz6b%2Bg7xyAbEkRxN%2F3cNXW9qdqjnoVzEtpbhnFyq6SVHyA%3D%3D' \
        /usr/bin/wecom-fcgi serve --config /tmp/clean.toml --max-timestamp-skew-s 0 < /dev/null > "$WORK/cgi.out" 2> "$WORK/cgi.err"
    check "clean root: a published URL verification is answered (CGI mode)" sh -c \
        "head -n 1 '$WORK/cgi.out' | grep -q '^Status: 200' && tail -n 1 '$WORK/cgi.out' | grep -qx 1288432023552776189"
    check "clean root: apt-get purge" in_root apt-get purge -y -qq wecom-fcgi
    check "clean root: purge left no /etc/wecom-fcgi, /var/lib/wecom-fcgi" sh -c \
        "[ ! -e '$ROOTFS/etc/wecom-fcgi' ] && [ ! -e '$ROOTFS/var/lib/wecom-fcgi' ]"
    umount "$ROOTFS/proc" && PROC_MOUNTED=
else
    fail "debootstrap --variant=minbase bookworm (see below)"; tail -5 "$WORK/debootstrap.log" | sed 's/^/     /'
fi

# --- install -----------------------------------------------------------------------------------
if dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null | grep -q "installed\|config-files"; then
    echo "test-package: $PACKAGE is installed here; purging it first"
    dpkg -P "$PACKAGE" >/dev/null
fi
# The user is kept on purge by design; remove a previous run's so that creating it is tested too.
if getent passwd wecom-fcgi >/dev/null; then userdel wecom-fcgi 2>/dev/null; groupdel wecom-fcgi 2>/dev/null; fi
check "dpkg -i installs it" dpkg -i "$DEB"
check "status is install ok installed" sh -c "dpkg-query -W -f='\${Status}' $PACKAGE | grep -qx 'install ok installed'"
check "system user wecom-fcgi created, no login shell" sh -c \
    "getent passwd wecom-fcgi | awk -F: '\$3 < 1000 && \$7 == \"/usr/sbin/nologin\"' | grep -q ."
check "config.toml is 0640 root:wecom-fcgi" test "$(stat -c '%a %U:%G' /etc/wecom-fcgi/config.toml)" = "640 root:wecom-fcgi"
check "/var/lib/wecom-fcgi is 0750 wecom-fcgi:wecom-fcgi" test "$(stat -c '%a %U:%G' /var/lib/wecom-fcgi)" = "750 wecom-fcgi:wecom-fcgi"
check "socket unit enabled (sockets.target.wants)" test -L /etc/systemd/system/sockets.target.wants/wecom-fcgi.socket
check "installed units verify" systemd-analyze verify /lib/systemd/system/wecom-fcgi.socket /lib/systemd/system/wecom-fcgi.service
check "man wecom-fcgi renders without warnings" sh -c \
    "out=\$(MANWIDTH=80 man --warnings wecom-fcgi 2>&1 >/dev/null); [ -z \"\$out\" ] && man -w wecom-fcgi | grep -q /usr/share/man/man1/wecom-fcgi.1.gz"
check "bash completion loads and completes subcommands" bash -c \
    "source /usr/share/bash-completion/completions/wecom-fcgi && complete -p wecom-fcgi && COMP_WORDS=(wecom-fcgi si) COMP_CWORD=1 COMP_LINE='wecom-fcgi si' COMP_POINT=13 && _wecom-fcgi && printf '%s\n' \"\${COMPREPLY[@]}\" | grep -qx simulate"
check "zsh completion defines _wecom-fcgi" grep -q '^#compdef wecom-fcgi' /usr/share/zsh/vendor-completions/_wecom-fcgi

# --- the installed binary, no toolchain --------------------------------------------------------
run() { env -i PATH="$CLEAN_PATH" HOME=/nonexistent "$@"; }
check "no Swift toolchain on the clean PATH" sh -c "! env -i PATH=$CLEAN_PATH sh -c 'command -v swift'"
check "wecom-fcgi --version prints the package version ($VERSION)" test "$(run /usr/bin/wecom-fcgi --version)" = "$VERSION"
check "ldd: nothing from a Swift toolchain, nothing missing" sh -c "! ldd /usr/bin/wecom-fcgi | grep -Eq 'swift|not found'"
# The configuration an administrator would write: the sample credentials, a journal, echo.
cat > /etc/wecom-fcgi/config.toml <<EOF
[[app]]
name = "packaged"
path = "/wecom/callback"
corp_id = "$CORP_ID"
token = "$TOKEN"
encoding_aes_key = "$AES_KEY"
journal = "/var/lib/wecom-fcgi/packaged.jsonl"
[[app.route]]
action = "echo"
EOF
check "check-config passes as the service user" run setpriv --reuid=wecom-fcgi --regid=wecom-fcgi --init-groups \
    /usr/bin/wecom-fcgi check-config

# --- started as wecom-fcgi.socket would, behind nginx with the packaged snippet -------------------
# What the socket unit does: /run/wecom-fcgi 0755, the socket 0660 wecom-fcgi:www-data, and on the first
# connection the service runs as wecom-fcgi with the socket on fd 3 (setpriv execs, so LISTEN_PID holds).
[[ -S $SOCKET ]] && { echo "test-package: $SOCKET exists: is a wecom-fcgi running here?" >&2; exit 1; }
install -d -m 0755 /run/wecom-fcgi
env -i PATH="$CLEAN_PATH" systemd-socket-activate -l "$SOCKET" -- \
    setpriv --reuid=wecom-fcgi --regid=wecom-fcgi --init-groups /usr/bin/wecom-fcgi serve \
    > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [[ -S $SOCKET ]] && break; sleep 0.05; done
chown wecom-fcgi:www-data "$SOCKET" && chmod 0660 "$SOCKET"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/nginx"
cp /etc/nginx/fastcgi_params "$WORK/nginx/"
sed "s/^server {/server {\n    listen 127.0.0.1:$PORT;/" /usr/share/doc/wecom-fcgi/examples/nginx.conf > "$WORK/nginx/wecom-fcgi.conf"
cat > "$WORK/nginx/nginx.conf" <<EOF
daemon off;
user www-data;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 64; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx/body;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    proxy_temp_path $WORK/nginx/proxy;
    scgi_temp_path $WORK/nginx/scgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    include $WORK/nginx/wecom-fcgi.conf;
}
EOF
nginx -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done

URL=http://127.0.0.1:$PORT/wecom/callback
simulate() {
    env -i PATH="$CLEAN_PATH" WECOM_APP_CORP_ID=$CORP_ID WECOM_APP_TOKEN=$TOKEN WECOM_APP_AES_KEY=$AES_KEY \
        /usr/bin/wecom-fcgi simulate "$@"
}
check "simulate verify-url through nginx: PASS" simulate verify-url --url "$URL"
simulate message --url "$URL" --type text --content before-rotation --from alice > "$WORK/reply" 2>&1
check "simulate message through nginx: the decrypted reply echoes it" grep -q before-rotation "$WORK/reply"
check "server took the socket from systemd, runs as wecom-fcgi" sh -c \
    "grep -q 'mode=systemd socket=fd 3 (systemd, unix:$SOCKET)' '$WORK/server.log' && [ \"\$(ps -o user= -p $SERVER_PID)\" = wecom-fcgi ]"
check "journal has the message" grep -q before-rotation /var/lib/wecom-fcgi/packaged.jsonl

# --- log rotation: the packaged logrotate file, whose postrotate sends SIGHUP --------------------
check "logrotate -f rotates the journal" logrotate -f -s "$WORK/logrotate.state" /etc/logrotate.d/wecom-fcgi
check "rotated file keeps the old line" grep -q before-rotation /var/lib/wecom-fcgi/packaged.jsonl.1
for _ in $(seq 100); do grep -q "reloaded" "$WORK/server.log" && break; sleep 0.05; done
check "SIGHUP reloaded the configuration" grep -q "reloaded" "$WORK/server.log"
simulate message --url "$URL" --type text --content after-rotation --from alice > /dev/null 2>&1
check "after SIGHUP the new line goes to the new journal file" sh -c \
    "grep -q after-rotation /var/lib/wecom-fcgi/packaged.jsonl && ! grep -q after-rotation /var/lib/wecom-fcgi/packaged.jsonl.1"
check "nginx error log is clean" sh -c "! grep -E '\[(error|crit|alert|emerg)\]' '$WORK/nginx/error.log'"

kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null; NGINX_PID=
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"; status=$?; SERVER_PID=
check "SIGTERM: the server exits 0" test "$status" -eq 0
rm -rf /run/wecom-fcgi

# --- remove, then purge --------------------------------------------------------------------------
check "dpkg -r removes it" dpkg -r "$PACKAGE"
check "remove: status config-files" sh -c "dpkg-query -W -f='\${Status}' $PACKAGE | grep -qx 'deinstall ok config-files'"
check "remove: binary and units gone" sh -c "[ ! -e /usr/bin/wecom-fcgi ] && [ ! -e /lib/systemd/system/wecom-fcgi.service ]"
check "remove: the configuration stays (as edited)" grep -q 'name = "packaged"' /etc/wecom-fcgi/config.toml
check "remove: the journals stay" test -s /var/lib/wecom-fcgi/packaged.jsonl
check "remove: the user stays" getent passwd wecom-fcgi
check "dpkg -P purges it" dpkg -P "$PACKAGE"
check "purge: not known to dpkg any more" sh -c "! dpkg-query -W -f='\${Status}' $PACKAGE 2>/dev/null | grep -q ."
check "purge: /etc/wecom-fcgi gone" test ! -e /etc/wecom-fcgi
check "purge: /var/lib/wecom-fcgi gone" test ! -e /var/lib/wecom-fcgi
check "purge: the logrotate file gone" test ! -e /etc/logrotate.d/wecom-fcgi
check "purge: the socket unit's enablement gone" test ! -e /etc/systemd/system/sockets.target.wants/wecom-fcgi.socket
check "purge: the user stays" getent passwd wecom-fcgi

echo "package: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
