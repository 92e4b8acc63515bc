#!/usr/bin/env bash
# bench/run.sh: the HTTP and in-process benchmarks of issue 6, as one table from one run.
#
#   bench/run.sh [--quick] [--build DIR] [--no-build] [--duration S] [--reps N]
#
# Builds modelrepo-server, modelrepo-bench-ref-server and modelrepo-bench-inprocess in DIR (default
# build; configured Release if it has no cache yet), starts on free 127.0.0.1 ports the reference
# server (an epoll loop answering a fixed body: the ceiling), modelrepo-server with the Beast engine
# and with the cpprest engine, and drives each with wrk and bench/post.lua: the walkthrough's
# one-row mushroom-xgboost request (126 FP32 values, the first row of examples/data/agaricus.txt.test)
# and a 1,000-row request, at 1, 16 and 256 connections. Rounds alternate the servers cell by cell,
# so that machine noise hits them alike; each figure is the median over the rounds. Then it runs
# modelrepo-bench-inprocess and prints the table, with the ratios to the reference server that the
# issue's goals are stated in. Every server it started is stopped on exit.
#
# --quick: 1 round of 1 s per cell (CI proves the script works; the figures are rough).
# Default: 3 rounds of 3 s per cell. Loopback only. Needs wrk (Debian package wrk) and python3.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=build quick=0 do_build=1 duration='' reps=''
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --build) build=$2; shift ;;
    --no-build) do_build=0 ;;
    --duration) duration=$2; shift ;;
    --reps) reps=$2; shift ;;
    *) echo "usage: $0 [--quick] [--build DIR] [--no-build] [--duration S] [--reps N]" >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then duration=${duration:-1} reps=${reps:-1}; else duration=${duration:-3} reps=${reps:-3}; fi
case "$build" in /*) ;; *) build="$root/$build" ;; esac
cd "$root"

command -v wrk >/dev/null || { echo "bench/run.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
python=/usr/bin/python3
[ -x "$python" ] || python=python3

if [ "$do_build" = 1 ]; then
  [ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"$(nproc)" \
    --target modelrepo-server modelrepo-bench-ref-server modelrepo-bench-inprocess >/dev/null
fi
server_bin=$build/apps/server/modelrepo-server
ref_bin=$build/bench/modelrepo-bench-ref-server
inproc_bin=$build/bench/modelrepo-bench-inprocess
for b in "$server_bin" "$ref_bin" "$inproc_bin"; do
  [ -x "$b" ] || { echo "bench/run.sh: $b is missing (build it, or drop --no-build)" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/modelrepo-bench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The request bodies: the walkthrough's row, and 1,000 rows of the same test file.
"$python" - "$root/examples/data/agaricus.txt.test" "$tmp" <<'PY'
import sys
rows = []
for line in open(sys.argv[1]):
    row = [0.0] * 126
    for tok in line.split()[1:]:
        i, v = tok.split(":")
        if 1 <= int(i) <= 126:
            row[int(i) - 1] = float(v)
    rows.append(row)
    if len(rows) == 1000:
        break
for n in (1, 1000):
    data = ",".join(repr(v) for r in rows[:n] for v in r)
    with open(f"{sys.argv[2]}/body{n}.json", "w") as f:
        f.write('{"id":"req-1","inputs":[{"name":"predict","shape":[%d,126],"datatype":"FP32","data":[%s]}]}' % (n, data))
PY

# start NAME READY-PATTERN CMD...: starts a server, waits for its address and READY-PATTERN in its log.
declare -A port
start() {
  local name=$1 ready=$2; shift 2
  "$@" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
  local pid=$! addr='' i
  for i in $(seq 300); do
    addr=$(grep -o -m1 'http://127\.0\.0\.1:[0-9]*' "$tmp/$name.log" || true)
    if [ -n "$addr" ] && grep -q "$ready" "$tmp/$name.log"; then break; fi
    kill -0 "$pid" 2>/dev/null || { echo "bench/run.sh: $name exited:" >&2; cat "$tmp/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "bench/run.sh: $name did not start:" >&2; cat "$tmp/$name.log" >&2; exit 1; }
  port[$name]=${addr##*:}
}
start ref listening "$ref_bin" 0
start beast 'startup loading finished' "$server_bin" start examples/models --http-port 0 --http-engine beast
start cpprest 'startup loading finished' "$server_bin" start examples/models --http-port 0 --http-engine cpprest
servers=(ref beast cpprest)
infer_path=/v2/models/mushroom-xgboost/infer

# run SERVER ROWS CONNS SECONDS: one wrk run; prints its RESULT line's fields.
run() {
  local threads=1
  [ "$3" -gt 1 ] && threads=2
  BENCH_BODY="$tmp/body$2.json" BENCH_PATH=$infer_path \
    wrk -t"$threads" -c"$3" -d"$4"s --timeout 10s -s "$root/bench/post.lua" "http://127.0.0.1:${port[$1]}" \
    >"$tmp/wrk.out" 2>&1 || echo "bench/run.sh: wrk failed on $1 ($2 rows, $3 connections)" >&2
  awk '/^RESULT/ { print $2, $3, $4, $5, $6, $7 }' "$tmp/wrk.out"
}

for s in "${servers[@]}"; do run "$s" 1 16 1 >/dev/null; done  # warm-up
: >"$tmp/results"
for round in $(seq "$reps"); do
  for rows in 1 1000; do
    for conns in 1 16 256; do
      for s in "${servers[@]}"; do
        echo "$s $rows $conns $(run "$s" "$rows" "$conns" "$duration")" >>"$tmp/results"
      done
    done
  done
done

inproc_args=()
[ "$quick" = 1 ] && inproc_args+=(--quick)
"$inproc_bin" "${inproc_args[@]}" --repo examples/models --data examples/data >"$tmp/inprocess" 2>&1 ||
  { echo "bench/run.sh: modelrepo-bench-inprocess failed:" >&2; cat "$tmp/inprocess" >&2; exit 1; }

"$python" - "$tmp/results" "$tmp/inprocess" "$reps" "$duration" "$(nproc)" <<'PY'
import statistics, sys
results, inprocess, reps, duration, cores = sys.argv[1:]
cells = {}
for line in open(results):
    f = line.split()
    if len(f) < 9:  # wrk printed no result: count the cell as failed
        cells.setdefault((f[0], int(f[1]), int(f[2])), []).append(None)
        continue
    cells.setdefault((f[0], int(f[1]), int(f[2])), []).append(
        (float(f[3]), float(f[4]), float(f[5]), int(f[6]), int(f[7]), int(f[8])))

def med(key):
    runs = [r for r in cells.get(key, []) if r]
    if not runs:
        return None
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
            statistics.median(r[2] for r in runs), sum(r[4] + r[5] for r in runs),
            len(cells[key]) - len(runs))

names = {"ref": "reference (fixed body)", "beast": "modelrepo-server beast", "cpprest": "modelrepo-server cpprest"}
print(f"HTTP: median of {reps} run(s) of {duration} s per cell, wrk -t1 at 1 connection, -t2 above; "
      f"{cores} cores, loopback")
hdr = f"{'server':26} {'rows':>5} {'conns':>5} {'req/s':>10} {'p50 us':>9} {'p99 us':>9} {'req/s:ref':>9} {'p50:ref':>8} {'errors':>6}"
print(hdr)
print("-" * len(hdr))
m = {}
for rows in (1, 1000):
    for conns in (1, 16, 256):
        ref = med(("ref", rows, conns))
        for s in ("ref", "beast", "cpprest"):
            r = med((s, rows, conns))
            m[(s, rows, conns)] = r
            if r is None or r[0] == 0:
                why = "wrk failed" if r is None else "no reply within the run"
                print(f"{names[s]:26} {rows:5} {conns:5} {why:>10}")
                continue
            tr = f"{r[0] / ref[0]:.2f}" if ref and ref[0] else "-"
            lr = f"{r[1] / ref[1]:.2f}" if ref and ref[1] else "-"
            print(f"{names[s]:26} {rows:5} {conns:5} {r[0]:10.0f} {r[1]:9.0f} {r[2]:9.0f} {tr:>9} {lr:>8} {r[3] + r[4]:6}")

inproc = {}
codec = {}
notes = []
for line in open(inprocess):
    f = line.split()
    if len(f) == 5 and f[0] == "codec":
        try:
            codec[int(f[1])] = (float(f[2]), float(f[3]), int(f[4]))
        except ValueError:
            pass
    elif len(f) == 5 and f[0] in ("mushroom-xgboost", "mnist-svm"):
        try:
            inproc[(f[0], int(f[1]))] = (float(f[2]), float(f[3]), float(f[4]))
        except ValueError:
            pass
    elif line.startswith("repository of"):
        notes.append(line.rstrip())
for (model, rows), (bare, wrapped, ratio) in sorted(inproc.items()):
    label = "in-process " + ("xgboost" if model.startswith("mush") else "libsvm")
    print(f"{label:26} {rows:5} {'-':>5} {1e6 / wrapped:10.0f} {wrapped:9.1f} {'':>9} {'':>9} {'':>8}   "
          f"Repository::Infer {ratio:.2f}x the bare call ({bare:.1f} us)")
for rows, (dec, enc, size) in sorted(codec.items()):
    print(f"{'in-process V2 JSON codec':26} {rows:5} {'-':>5} {1e6 / (dec + enc):10.0f} {dec + enc:9.1f} {'':>9} {'':>9} {'':>8}   "
          f"decode {dec:.1f} us + encode {enc:.1f} us ({size} request bytes)")
print("-" * len(hdr))
for n in notes:
    print(n)

def goal(text, value, ok):
    print(f"goal: {text:66} {value:>7}  {'met' if ok else 'NOT met'}")
def ratio(s, rows, conns, i):
    a, b = m.get((s, rows, conns)), m.get(("ref", rows, conns))
    return a[i] / b[i] if a and b and a[0] and b[i] else None
for s in ("beast", "cpprest"):
    t16, t256, p1 = ratio(s, 1, 16, 0), ratio(s, 1, 256, 0), ratio(s, 1, 1, 1)
    if None in (t16, t256, p1):
        print(f"goal: {s}: some cells failed")
        continue
    goal(f"{s}: 1-row req/s at 16 connections >= 0.75 of the reference", f"{t16:.2f}", t16 >= 0.75)
    goal(f"{s}: 1-row req/s at 256 connections >= 0.60 of the reference", f"{t256:.2f}", t256 >= 0.60)
    goal(f"{s}: 1-row p50 at 1 connection <= 1.3x the reference", f"{p1:.2f}x", p1 <= 1.3)
x1 = inproc.get(("mushroom-xgboost", 1))
if x1:
    goal("in-process: 1-row Repository::Infer <= 1.2x the bare call", f"{x1[2]:.2f}x", x1[2] <= 1.2)
c1000, b = codec.get(1000), m.get(("beast", 1000, 1))
if c1000 and b and b[1]:
    # The codec's time on the 1,000-row request and its response (measured in-process), as a share
    # of the Beast server's time per such request (its p50 at one connection).
    share = (c1000[0] + c1000[1]) / b[1]
    goal("beast: 1,000 rows, JSON decode + encode <= 1/4 of the request", f"{share:.2f}", share <= 0.25)
PY
