#!/usr/bin/env bash
# libFuzzer over the pipeline's message path: unframe + decode + validate +
# pseudonymise (tests/fuzz/fuzz_ingest.c; docs/reliability.md "Fuzzing").
#
#   tools/fuzz.sh [--time SECONDS] [--runs N] [--jobs J] [--build DIR]
#                 [--corpus DIR] [--gen SWI_GEN] [--no-avro-src] [-- LIBFUZZER_ARGS...]
#
#   --time S       fuzz for S seconds (default 30; 0 = no limit, use --runs)
#   --runs N       stop after N executions (default: no limit)
#   --jobs J       J fuzzer processes sharing the corpus (default 1)
#   --build DIR    build directory (default build-fuzz)
#   --corpus DIR   corpus directory to keep and grow (default DIR/corpus, rebuilt
#                  from the seeds every run)
#   --gen PATH     the swi-gen that writes the seeds (default: built in DIR too;
#                  tools/test.sh passes its own, already built)
#   --no-avro-src  link Debian's libavro as it is instead of building Avro C from
#                  Debian's source package with the same instrumentation
#
# Builds DIR with clang, AddressSanitizer, UBSan and libFuzzer's coverage
# instrumentation; by default Avro C too (apt-get source avro-c through a
# private source list, cached in DIR/avro), so that the fuzzer sees coverage and
# the sanitizers see memory errors inside the Avro decoder as well. Seeds: swi-gen
# output (every event type, old schema versions, every reject reason), made anew
# each run. Prints libFuzzer's summary (executions, coverage, corpus); a crash
# leaves its input in DIR/crashes and fails the run: add it to
# tests/fuzz/regressions/ with the fix.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
time_s=30 runs= jobs=1 build="$here/build-fuzz" corpus= avro_src=1 gen= extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_s=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build) build=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --gen) gen=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    --no-avro-src) avro_src=0; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
log() { printf 'fuzz: %s\n' "$*" >&2; }
command -v clang >/dev/null || { log "clang is missing: run tools/setup.sh as root (it installs clang and libclang-rt-14-dev)"; exit 1; }
mkdir -p "$build"
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"

avro_args=()
if [ "$avro_src" = 1 ]; then
  lib="$build/avro/build/src/libavro.a"
  if [ ! -f "$lib" ]; then
    src="$build/avro/src"
    if [ ! -d "$src" ]; then
      # Debian's source package through a private source list: no change to the
      # system's apt configuration
      log "fetching Avro C from Debian's source package (apt-get source avro-c)"
      a="$build/avro/apt"
      mkdir -p "$a/lists/partial" "$a/etc" "$build/avro/dl"
      printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > "$a/etc/src.sources"
      aopt=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$a/etc" -o Dir::State::Lists="$a/lists")
      if apt-get -qq "${aopt[@]}" update >/dev/null 2>&1 &&
         (cd "$build/avro/dl" && apt-get -qq "${aopt[@]}" source --download-only avro-c >/dev/null 2>&1) &&
         dpkg-source -x "$build"/avro/dl/avro-c_*.dsc "$src" >/dev/null 2>&1; then :; else
        log "cannot fetch or unpack the Avro C source package (no network, no dpkg-dev?): using Debian's libavro uninstrumented"
        rm -rf "$src"; avro_src=0
      fi
    fi
    if [ "$avro_src" = 1 ]; then
      log "building Avro C instrumented"
      # ASan and coverage, no UBSan: Avro C has undefined-behaviour idioms that
      # UBSan reports on every message - container_of as &((type *)0)->member
      # (schema.c, null/object-size) and a string hash that overflows a signed
      # int (st.c) - benign with gcc and clang, and not this project's code.
      cmake -S "$src" -B "$build/avro/build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=None \
        -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address -fno-omit-frame-pointer -g -O1" \
        >"$build/avro/cmake.log" 2>&1
      cmake --build "$build/avro/build" -j "$(nproc)" --target avro-static >"$build/avro/build.log" 2>&1 ||
        { log "Avro C did not build: $build/avro/build.log"; exit 1; }
    fi
  fi
  [ "$avro_src" = 1 ] && avro_args=(-DSWI_AVRO_STATIC="$lib" -DSWI_AVRO_INCLUDE="$build/avro/src/src")
fi
[ "$avro_src" = 1 ] || avro_args=(-DSWI_AVRO_STATIC= -DSWI_AVRO_INCLUDE=)

log "building the fuzz target (clang, ASan, UBSan, libFuzzer; Avro C $([ "$avro_src" = 1 ] && echo instrumented || echo "as packaged"))"
cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DSWI_SANITIZE=ON \
  -DSWI_FUZZ=ON "${avro_args[@]}" >"$build/cmake.log" 2>&1 || { log "configure failed: $build/cmake.log"; exit 1; }
targets=(fuzz_ingest fuzz_seed)
[ -n "$gen" ] || { targets+=(swi-gen); gen="$build/swi-gen"; }
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >"$build/build.log" 2>&1 ||
  { tail -20 "$build/build.log" >&2; log "build failed: $build/build.log"; exit 1; }

seeds="$build/seeds"
rm -rf "$seeds"; mkdir -p "$seeds"
"$gen" --persons 200 --seed 11 --bad 0.05 --old-schema 0.05 --duplicates 0.01 \
  --corrections 0.05 --retractions 0.02 --schema-dir "$here/schemas" --out "$build/seed.bin" -q
"$build/fuzz_seed" "$build/seed.bin" "$seeds" 3 >&2
cp "$here"/tests/fuzz/regressions/* "$seeds"/ 2>/dev/null || true
if [ -z "$corpus" ]; then corpus="$build/corpus"; rm -rf "$corpus"; fi
mkdir -p "$corpus" "$build/crashes"
corpus=$(cd "$corpus" && pwd) # the fuzzer runs in $build

args=(-max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$build/crashes/" "${extra[@]}")
[ "$time_s" != 0 ] && args+=(-max_total_time="$time_s")
[ -n "$runs" ] && args+=(-runs="$runs")
[ "$jobs" -gt 1 ] && args+=(-jobs="$jobs" -workers="$jobs")
log "fuzzing ${time_s}s${runs:+, at most $runs runs} with $jobs job(s); corpus $corpus"
export SWI_FUZZ_SCHEMA_DIR="$here/schemas"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
set +e
(cd "$build" && ./fuzz_ingest "${args[@]}" "$corpus" "$seeds") 2>"$build/fuzz.log"
rc=$?
set -e
grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::|Done [0-9]+ runs)' "$build/fuzz.log" >&2 || true
if [ "$rc" -ne 0 ]; then
  grep -E 'ERROR|SUMMARY|check failed|Test unit written' "$build/fuzz.log" | head -20 >&2
  log "FAILED: a crash (input in $build/crashes/; log $build/fuzz.log)"
  exit 1
fi
log "no crash ($(ls "$corpus" | wc -l) inputs in the corpus)"
