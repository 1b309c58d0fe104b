#!/usr/bin/env bash
# The whole test suite: installs and builds what is missing, starts the
# project-local PostgreSQL, then
#  1. builds with warnings as errors at -O2 (RelWithDebInfo: the optimiser finds
#     warnings a Debug build does not) and runs the unit tests there;
#  2. builds with AddressSanitizer + UBSan (also -Werror) and runs every test
#     there: unit and integration (real PostgreSQL, embedded broker);
#  3. fuzzes the message path for 20 s (tools/fuzz.sh: clang, libFuzzer, Avro C
#     instrumented; the long run is in docs/reliability.md).
# Every test thus runs under the sanitizers, and the code is warning-free in
# both builds; running the slow integration tests once keeps CI short.
#
#   tools/test.sh [--quick]     (--quick: only step 1, plus the integration
#                                tests in that build; no sanitizers)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1
export SWI_RUN_DIR=${SWI_RUN_DIR:-$here/.run}
mkdir -p "$SWI_RUN_DIR"
log() { printf '%s test: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

log "setting up and building (warnings as errors)"
export SWI_SETUP_TESTS=1 # also the headless browser of the dashboard tests
"$here/tools/setup.sh" "$here/build-test" -DSWI_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
log "starting PostgreSQL"
"$here/deploy/pg.sh" start
eval "$("$here/deploy/pg.sh" env)"
export SWI_TEST_PG=$SWI_PG_CONNINFO

status=0
jobs=$(nproc 2>/dev/null || echo 2)
# Check's own summary per unit-test program (ctest shows it only on failure):
# how many checks ran, so that a green run shows it tested something.
check_summaries() { # build dir
  awk '/^[0-9]+\/[0-9]+ Test: / {name = $3}
       /^[0-9]+%: Checks: [0-9]+/ {n += $3 + 0; k++; printf "  %-24s %s\n", name, $0}
       END {printf "  Check: %d checks in %d unit-test programs\n", n, k}' \
    "$1/Testing/Temporary/LastTest.log" 2>/dev/null || true
}
if [ "$quick" = 1 ]; then
  log "running the suite"
  (cd "$here/build-test" && ctest --output-on-failure -j "$jobs") || status=1
else
  log "running the unit tests"
  (cd "$here/build-test" && ctest --output-on-failure -j "$jobs" -L unit -LE integration) || status=1
fi
check_summaries "$here/build-test"

if [ "$quick" = 0 ]; then
  log "building with AddressSanitizer + UBSan"
  "$here/tools/setup.sh" "$here/build-asan" -DSWI_WERROR=ON -DSWI_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  log "running the suite under ASan + UBSan"
  # librdkafka keeps a few process-global allocations until exit; leaks inside it are
  # not ours, and the suppressions file names them exactly.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
  export LSAN_OPTIONS=suppressions=$here/tests/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd "$here/build-asan" && ctest --output-on-failure -j "$jobs") || status=1
  check_summaries "$here/build-asan"
  log "fuzzing unframe + decode + validate + pseudonymise (20 s)"
  "$here/tools/fuzz.sh" --time 20 --gen "$here/build-test/swi-gen" || status=1
fi
if [ "$status" = 0 ]; then log "all passed"; else log "FAILED"; fi
exit $status
