#!/usr/bin/env bash
# run_fuzzer.sh FUZZER CORPUS WORKDIR SECONDS: runs FUZZER for SECONDS on a copy of CORPUS
# (the committed corpus is never written to); a crash's input is left in WORKDIR. A fixed seed
# makes a failing CI run reproducible with the same command.
set -euo pipefail
fuzzer=$1 corpus=$2 work=$3 seconds=$4
rm -rf "$work" && mkdir -p "$work/corpus"
cp -r "$corpus"/. "$work/corpus/"
cd "$work"
exec "$fuzzer" -seed=1 -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=60 -max_len=65536 \
  -print_final_stats=1 corpus
