#!/usr/bin/env bash
# In-process micro-benchmarks beside `openssl speed` for the same AES-256-CBC work on this machine.
set -euo pipefail
cd "$(dirname "$0")"
# bench/ is a package of its own (it depends on the project by path): the first build takes a few minutes.
echo "run-micro: building bench/ (swift build -c release --product wecom-micro)" >&2
swift build -c release --product wecom-micro >/dev/null
.build/release/wecom-micro "${1:-20000}"
echo
echo "openssl speed -evp aes-256-cbc (OpenSSL's own ceiling for the AES part):"
openssl speed -evp aes-256-cbc -bytes 416 -seconds 2 2>/dev/null | tail -1
openssl speed -evp aes-256-cbc -bytes 1056 -seconds 2 2>/dev/null | tail -1
