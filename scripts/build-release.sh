#!/usr/bin/env bash
# The one release build of wecom-fcgi: what `make build`, `make test`, `make run`, the benchmarks and the
# .deb (scripts/build-deb.sh) all use, so that what is tested is what ships.
#
#   --static-swift-stdlib   the Swift runtime and Foundation linked into the binary: it runs without a
#                           toolchain, and a process maps only the pages of them it uses instead of
#                           relocating every shared library whole (README, Performance: the shared-library
#                           build's peak RSS is row (3c) of bench/run-compare.sh)
#   -z relro -z now         full RELRO, as Debian builds its C programs (lintian: hardening-no-bindnow)
#
# Usage: scripts/build-release.sh [--show-bin-path] [extra swift build arguments...]
#   prints the build's output as swift build does; with --show-bin-path, only the binary's directory.
# Environment: SWIFT (swift), SCRATCH (.build).
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SCRATCH=${SCRATCH:-.build}
FLAGS=(-c release --static-swift-stdlib --scratch-path "$SCRATCH"
       -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now)
if [[ ${1:-} == --show-bin-path ]]; then
    shift
    exec "$SWIFT" build "${FLAGS[@]}" "$@" --show-bin-path
fi
exec "$SWIFT" build "${FLAGS[@]}" "$@"
