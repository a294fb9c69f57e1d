#!/usr/bin/env bash
# Builds dist/wecom-fcgi_<version>_<arch>.deb with dpkg-deb from the release build
# (scripts/build-release.sh: --static-swift-stdlib, full RELRO; the binary `make test` tests) (`make deb`
# runs this). The version is what the binary's `--version` prints
# (Sources/wecom-fcgi/WeComFCGI.swift, the one place it is written); Depends: comes from dpkg-shlibdeps,
# plus libcurl4, which the binary loads with dlopen (dpkg-shlibdeps cannot see it), and adduser.
#
# Usage: scripts/build-deb.sh [output-dir]      (default: dist)
# Needs: the Swift toolchain on PATH, dpkg-dev (dpkg-shlibdeps), and the build's libraries
# (scripts/install-deps.sh --for-packaging installs every Debian package involved).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
OUT=${1:-dist}
SCRATCH=${SCRATCH:-.build}
SWIFT=${SWIFT:-swift}
PACKAGE=wecom-fcgi
MAINTAINER="wecom-fcgi maintainers <maintainers@users.noreply.r-seed-a0923203.example>"
# Reproducible: file times, the man page date and the changelog date come from the last commit.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

echo "build-deb: scripts/build-release.sh (scratch path $SCRATCH)"
SWIFT=$SWIFT SCRATCH=$SCRATCH scripts/build-release.sh --product wecom-fcgi
BIN=$SCRATCH/release/wecom-fcgi
# The argument parser's own man page generator: the GenerateManual plugin builds it (`--help` only
# builds the tool, so that the plugin does not rebuild the package without --static-swift-stdlib);
# it is run here on the binary we package.
"$SWIFT" package --scratch-path "$SCRATCH" plugin generate-manual --help >/dev/null
GENERATE_MANUAL=$(find "$SCRATCH" -path '*/debug/generate-manual-tool' -type f -perm -u+x | head -n 1)
[[ -n "$GENERATE_MANUAL" ]] || { echo "build-deb: generate-manual-tool not found under $SCRATCH" >&2; exit 1; }

VERSION=$("$BIN" --version)
ARCH=$(dpkg --print-architecture)
[[ "$VERSION" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || { echo "build-deb: '$VERSION' is not a Debian version" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
DOC=$ROOT/usr/share/doc/$PACKAGE

install -d -m 0755 "$ROOT/DEBIAN" "$ROOT/usr/bin" "$ROOT/lib/systemd/system" "$ROOT/etc/$PACKAGE" \
    "$ROOT/etc/logrotate.d" "$ROOT/usr/share/man/man1" "$ROOT/usr/share/bash-completion/completions" \
    "$ROOT/usr/share/zsh/vendor-completions" "$ROOT/usr/share/fish/vendor_completions.d" "$DOC/examples"
# 0755 here; postinst makes it 0750 wecom-fcgi:wecom-fcgi once the user exists.
install -d -m 0755 "$ROOT/var/lib/$PACKAGE" "$ROOT/usr/share/lintian/overrides"

# The binary, stripped as dh_strip does.
install -m 0755 "$BIN" "$ROOT/usr/bin/$PACKAGE"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$ROOT/usr/bin/$PACKAGE"

install -m 0644 deploy/wecom-fcgi.service deploy/wecom-fcgi.socket "$ROOT/lib/systemd/system/"
# Secrets live here: 0640, group wecom-fcgi (set by postinst once the group exists).
install -m 0640 deploy/config.example.toml "$ROOT/etc/$PACKAGE/config.toml"
install -m 0644 deploy/wecom-fcgi.logrotate "$ROOT/etc/logrotate.d/$PACKAGE"

# Man page and completions, generated from the argument parser. The man page generator drops every
# non-ASCII character (企业微信, …, ×, §): it is given the help with each one spelled @UXXXX@, which
# becomes groff's \[uXXXX] afterwards; its blank lines (an mdoc warning) become paragraph breaks.
printf '#!/bin/sh\n"%s" "$@" | perl -CS -pe %s\n' "$REPO/$BIN" \
    "'s/([^\\x00-\\x7F])/sprintf(\"\\@U%04X\\@\", ord(\$1))/ge'" > "$WORK/help-ascii"
chmod 0755 "$WORK/help-ascii"
mkdir -p "$WORK/man"
"$GENERATE_MANUAL" "$WORK/help-ascii" --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)" --output-directory "$WORK/man"
sed -E -e 's/@U([0-9A-F]{4,6})@/\\[u\1]/g' -e 's/^$/.Pp/' "$WORK/man/$PACKAGE.1" \
    | gzip -9n > "$ROOT/usr/share/man/man1/$PACKAGE.1.gz"
chmod 0644 "$ROOT/usr/share/man/man1/$PACKAGE.1.gz"
# A bash completion is sourced, not run: no #! line (lintian: bash-completion-with-hashbang).
"$BIN" --generate-completion-script bash | sed '1{/^#!/d}' > "$ROOT/usr/share/bash-completion/completions/$PACKAGE"
"$BIN" --generate-completion-script zsh > "$ROOT/usr/share/zsh/vendor-completions/_$PACKAGE"
"$BIN" --generate-completion-script fish > "$ROOT/usr/share/fish/vendor_completions.d/$PACKAGE.fish"
chmod 0644 "$ROOT"/usr/share/*/completions/* "$ROOT"/usr/share/zsh/vendor-completions/* \
    "$ROOT"/usr/share/fish/vendor_completions.d/*

# Documentation and examples.
install -m 0644 deploy/debian/copyright "$DOC/copyright"
gzip -9n < README.md > "$DOC/README.md.gz"
install -m 0644 nginx.conf.example "$DOC/examples/nginx.conf"
install -m 0644 deploy/config.example.toml "$DOC/examples/config.toml"
install -m 0644 deploy/wecom-fcgi.env.example "$DOC/examples/wecom-fcgi.env"
install -m 0644 deploy/grafana-dashboard.json "$DOC/examples/grafana-dashboard.json"
install -m 0644 deploy/spawn-fcgi-example.sh deploy/examples/ask-bot.py deploy/examples/stream-bot.sh deploy/examples/bot.example.toml \
    deploy/examples/mirror-image.py deploy/examples/mirror.example.toml "$DOC/examples/"
chmod 0644 "$DOC"/README.md.gz
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
    echo "$PACKAGE ($VERSION) unstable; urgency=medium"
    echo
    echo "  * Built from the wecom-fcgi sources at commit $COMMIT."
    echo
    echo " -- $MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$DOC/changelog.gz"     # a native version (no Debian revision): changelog.gz
chmod 0644 "$DOC/changelog.gz"
install -m 0644 deploy/debian/lintian-overrides "$ROOT/usr/share/lintian/overrides/$PACKAGE"

# Depends: the run-time libraries by their Debian package names, from dpkg-shlibdeps (it wants a
# debian/control naming the package; a minimal one in the work directory will do).
mkdir -p "$WORK/src/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PACKAGE" "$PACKAGE" > "$WORK/src/debian/control"
SHLIBS=$(cd "$WORK/src" && dpkg-shlibdeps -O -e"$ROOT/usr/bin/$PACKAGE" 2>"$WORK/shlibdeps.err" \
    | sed -n 's/^shlibs:Depends=//p') || { cat "$WORK/shlibdeps.err" >&2; exit 1; }
[[ -n "$SHLIBS" ]] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; cat "$WORK/shlibdeps.err" >&2; exit 1; }
# libcurl is not linked: the first HTTP transfer (active send, media, llm, response_url) loads libcurl.so.4
# with dlopen (Sources/WeComCallback/HTTP/CurlLibrary.swift), so dpkg-shlibdeps does not see it. 7.85 is
# the first with CURLOPT_PROTOCOLS_STR.
DEPENDS="$SHLIBS, libcurl4 (>= 7.85.0), adduser"

install -m 0755 deploy/debian/postinst deploy/debian/prerm deploy/debian/postrm "$ROOT/DEBIAN/"
printf '/etc/%s/config.toml\n/etc/logrotate.d/%s\n' "$PACKAGE" "$PACKAGE" > "$ROOT/DEBIAN/conffiles"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
    | xargs -0 md5sum) > "$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/conffiles" "$ROOT/DEBIAN/md5sums"
INSTALLED_SIZE=$(du -k -s --apparent-size --exclude=DEBIAN "$ROOT" | cut -f1)
cat > "$ROOT/DEBIAN/control" <<EOF
Package: $PACKAGE
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_SIZE
Depends: $DEPENDS
Recommends: ca-certificates, logrotate
Suggests: nginx | httpd, spawn-fcgi
Section: httpd
Priority: optional
Description: FastCGI responder for WeCom (企业微信) app callbacks
 wecom-fcgi answers the callbacks WeCom sends to an app's URL behind nginx:
 it verifies the msg_signature, decrypts the AES envelope, checks the corp
 id, routes the message to an action (echo, fixed replies, news, your own
 program) and returns the encrypted passive reply within WeCom's 5 seconds.
 .
 The package runs it as the system user wecom-fcgi behind the socket
 /run/wecom-fcgi/wecom-fcgi.sock (wecom-fcgi.socket, for nginx's www-data),
 reads /etc/wecom-fcgi/config.toml and keeps journals in /var/lib/wecom-fcgi.
EOF
chmod 0644 "$ROOT/DEBIAN/control"

mkdir -p "$OUT"
DEB=$OUT/${PACKAGE}_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
echo "build-deb: $DEB"
echo "build-deb: Depends: $DEPENDS"
