-- wrk script for bench/run.sh: POSTs the JSON file named by $BENCH_BODY to $BENCH_PATH and, when
-- done, prints one machine-readable line:
--   RESULT <requests/s> <p50 µs> <p99 µs> <requests> <non-2xx> <socket errors>
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.path = os.getenv("BENCH_PATH") or "/"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.1f %.1f %d %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
