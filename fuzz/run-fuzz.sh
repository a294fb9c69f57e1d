#!/usr/bin/env bash
# `make fuzz [SECONDS=60]`: builds the libFuzzer targets with -sanitize=fuzzer,address, refreshes the seed
# corpora from the committed fixtures, runs each target for SECONDS and prints its executions.
# Environment: TARGETS (default: all four), FUZZ_CONFIG (debug: Swift's debug preconditions on
# unsafe buffers stay on; release: several times more executions per second, array bounds and overflow
# checks still on, ASan still catches over-reads), FUZZ_FLAGS (more libFuzzer flags).
#
# A finding (trap, ASan report, timeout, leak) stops the run: the input is saved as
# fuzz/artifacts/<target>/crash-… and the script exits non-zero. Reproduce it with
#   fuzz/.build/debug/<target> fuzz/artifacts/<target>/crash-…   (or .build/release with FUZZ_CONFIG=release)
# and turn it into a regression test in Tests/WeComCallbackTests/FuzzRegressionTests.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-${1:-60}}
TARGETS=${TARGETS:-fuzz-pipeline fuzz-xml fuzz-decrypt fuzz-envelope}
EXTRA_FLAGS=${FUZZ_FLAGS:-}   # more libFuzzer flags, e.g. FUZZ_FLAGS="-jobs=2 -workers=2"

CONFIG=${FUZZ_CONFIG:-debug}
echo "fuzz: building (swift build -c $CONFIG -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)"
# ld.gold prints one "Cannot export local symbol '__asan_…'" warning per ASan helper: harmless, hidden.
# (pipefail: a failed build still fails the script.)
# Only the fuzz products: a plain `swift build` also links the wecom-fcgi executable of the package under
# test with the sanitizers, which ld.gold aborts on ("internal error in format_file_lineno").
for t in $TARGETS; do
    swift build -c "$CONFIG" --package-path fuzz --product "$t" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 \
        | { grep -v "Cannot export local symbol" || true; }
done
BIN=fuzz/.build/$CONFIG
python3 fuzz/make-corpus.py

status=0
printf '\n%-15s %8s %14s %10s %8s\n' target seconds "total execs" "execs/s" corpus
for t in $TARGETS; do
    mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t"
    log="fuzz/artifacts/$t/last-run.log"
    # -rss_limit_mb: the ASan build of the pipeline stays far below; a leak or blow-up is a finding.
    if ! "$BIN/$t" "fuzz/corpus/$t" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
        -max_len=16384 -timeout=5 -rss_limit_mb=2048 -artifact_prefix="fuzz/artifacts/$t/" \
        $EXTRA_FLAGS >"$log" 2>&1; then
        status=1
        echo "fuzz: $t FOUND A PROBLEM; see $log and fuzz/artifacts/$t/:" >&2
        grep -E "^(==|SUMMARY|fuzz property|Fatal error|artifact_prefix|Test unit written)" "$log" | head -20 >&2 || true
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(ls "fuzz/corpus/$t" | wc -l)
    printf '%-15s %8s %14s %10s %8s\n' "$t" "$SECONDS_PER_TARGET" "${execs:-?}" "${rate:-?}" "$corpus"
done
exit $status
