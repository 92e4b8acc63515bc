#!/usr/bin/env bash
# Sets up a Debian machine, builds libmodelrepo and runs its whole test suite:
#   1. the release build: every test (unit, runtimes, server, e2e, C API, Python, install, bench);
#   2. AddressSanitizer + UndefinedBehaviorSanitizer: every test that runs native code in-process
#      or starts the server;
#   3. ThreadSanitizer: the lifecycle and server concurrency tests;
#   4. libFuzzer: each fuzz target for MODELREPO_FUZZ_SECONDS (default 30) from its corpus.
# MODELREPO_QUICK=1 runs stage 1 only.
#   scripts/test.sh [BUILD_PREFIX]        (default: build; stages use BUILD_PREFIX-asan, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
jobs="$(nproc)"
scripts/setup-debian.sh

stage() { echo; echo "=== $* ==="; }

stage "1/4 release build and the whole suite"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" -j"$jobs" --output-on-failure

if [ "${MODELREPO_QUICK:-0}" = 1 ]; then exit 0; fi

stage "2/4 AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B "$build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMODELREPO_SANITIZE=address,undefined \
  -DMODELREPO_BUILD_BENCH=OFF
cmake --build "$build-asan" -j"$jobs"
# Python loads the instrumented C library into an uninstrumented interpreter, which ASan does
# not support without preloading; the install test rebuilds outside the sanitizer flags.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$build-asan" -j"$jobs" --output-on-failure -LE 'python|install'

stage "3/4 ThreadSanitizer: lifecycle and server concurrency"
cmake -S . -B "$build-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMODELREPO_SANITIZE=thread \
  -DMODELREPO_BUILD_BENCH=OFF -DMODELREPO_BUILD_BINDINGS=OFF
cmake --build "$build-tsan" -j"$jobs"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/sanitizers/tsan.supp" \
  ctest --test-dir "$build-tsan" -j"$jobs" --output-on-failure -L 'unit|server'

stage "4/4 libFuzzer targets"
CC=clang CXX=clang++ cmake -S . -B "$build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMODELREPO_FUZZ=ON \
  -DMODELREPO_SANITIZE=address,undefined -DMODELREPO_BUILD_BENCH=OFF -DMODELREPO_BUILD_BINDINGS=OFF \
  -DMODELREPO_FUZZ_SECONDS="${MODELREPO_FUZZ_SECONDS:-30}"
cmake --build "$build-fuzz" -j"$jobs" --target modelrepo_fuzzers modelrepo-xgboost-convert
ctest --test-dir "$build-fuzz" --output-on-failure -L fuzz
