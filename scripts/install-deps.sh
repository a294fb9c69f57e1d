#!/usr/bin/env bash
# Installs the Debian packages wecom-fcgi needs to build, run and test, and the Python
# virtualenv (.venv) holding the independent reference implementation (wechatpy) and pytest.
# Idempotent: installs only what is missing. Needs root for apt-get; otherwise says what to install.
#   --with-python     also the virtualenv (make test)
#   --for-packaging   also what `make deb` and `make test-package` use: dpkg-dev (dpkg-shlibdeps),
#                     binutils (strip), lintian, logrotate, man-db, file, adduser, procps,
#                     debootstrap (the clean Debian 12 root of make test-package)
set -euo pipefail
cd "$(dirname "$0")/.."

with_python=false
for_packaging=false
for arg in "$@"; do
    case $arg in
        --with-python) with_python=true ;;
        --for-packaging) for_packaging=true ;;
        *) echo "install-deps: unknown option $arg" >&2; exit 2 ;;
    esac
done

# systemd: systemd-socket-activate and systemd-analyze for the tests of deploy/ (nothing is started).
PACKAGES=(libfcgi-dev libssl-dev libcurl4-openssl-dev pkg-config spawn-fcgi nginx-light curl openssl python3 python3-venv
          systemd libhiredis-dev redis-server python3-pil)
# libhiredis-dev: the Redis client behind [cluster]; redis-server: started by the cluster tests.
# python3-pil: Pillow for deploy/examples/mirror-image.py, which Tests/Python/test_media.py runs.
if $for_packaging; then
    PACKAGES+=(dpkg-dev binutils lintian logrotate man-db file adduser procps debootstrap)
fi
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nginx from any Debian flavour will do.
if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v nginx >/dev/null 2>&1; then
    missing=("${missing[@]/nginx-light}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "install-deps: apt-get install ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "install-deps: please install: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

if $with_python; then
    if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import wechatpy, pytest, xmltodict, cryptography' 2>/dev/null; then
        echo "install-deps: creating .venv with wechatpy 1.8.18 and pytest"
        python3 -m venv .venv
        .venv/bin/pip install -q --disable-pip-version-check -r Tests/Python/requirements.txt
    fi
fi
