#!/usr/bin/env bash
# Calls/s and client CPU per call, one examples/mock_server process over loopback, for:
#   raw     the generated V2Client on a bare channel (examples/load --timed raw)
#   client  ClarifaiClient::post_model_outputs (examples/load --timed client)
#   python  the official Python client, clarifai-grpc on grpcio (benches/python_client.py)
#   node    the official Node client, clarifai-nodejs-grpc on @grpc/grpc-js (benches/node_client.js)
#   h2load  nghttp2's load generator posting the same gRPC request bytes: the HTTP/2 floor
# All send the same PostModelOutputsRequest with `authorization: Key bench-pat`, one call at a
# time and 64 in flight on one connection. CPU per call is the client process's own user + system
# time over the timed window (getrusage / process.cpuUsage in the process; for h2load, which has
# no warm-up, its whole run through wait4), so the server's share is in no one's figure.
# Each round runs every client once, starting from a different one each round; a figure is the
# median of the rounds, a ratio the median of the per-round ratios to raw tonic.
#
#   bash benches/compare_clients.sh [seconds] [rounds]      # defaults: 2 s, 5 rounds
#
# Installs, under the cargo target dir (CARGO_TARGET_DIR or target/): clarifai-grpc from PyPI
# into a virtualenv (py-bench/), clarifai-nodejs-grpc from npm (node-bench/, from
# benches/package.json); and h2load (Debian package nghttp2-client) with apt-get when run as
# root. Needs python3 with venv, node and npm, and cargo; says what is missing otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-2}
rounds=${2:-5}
if ! [[ $secs =~ ^([0-9]+([.][0-9]*)?|[.][0-9]+)$ ]] || ! awk -v s="$secs" 'BEGIN { exit !(s >= 0.1) }'; then
  echo "seconds must be a number from 0.1 up, not '$secs'" >&2
  exit 2
fi
if ! [[ $rounds =~ ^[1-9][0-9]{0,2}$ ]]; then
  echo "rounds must be a count from 1 to 999, not '$rounds'" >&2
  exit 2
fi
concurrencies=(1 64)
clients=(raw client python node h2load)
# A client's run: start-up, 0.5 s of warm-up, the window; anything longer is a hang.
limit=$(awk -v s="$secs" 'BEGIN { printf "%d", s + 60 }')
h2load_ms=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 }')

target=${CARGO_TARGET_DIR:-target}
work=$target/compare-clients
venv=$target/py-bench
node_dir=$target/node-bench
mkdir -p "$work"

# What is missing, all at once.
missing=()
command -v cargo >/dev/null || missing+=("cargo (https://rustup.rs)")
if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  missing+=("python3 with venv and ensurepip (Debian: apt-get install python3-venv)")
fi
command -v node >/dev/null || missing+=("node, 18 or later (Debian: apt-get install nodejs)")
command -v npm >/dev/null || missing+=("npm (Debian: apt-get install npm)")
if ! command -v h2load >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing h2load: apt-get install nghttp2-client"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get install -y -q nghttp2-client >/dev/null ||
      {
        timeout 600 apt-get update -q >/dev/null &&
          timeout 600 apt-get install -y -q nghttp2-client >/dev/null
      } || true
  fi
  command -v h2load >/dev/null ||
    missing+=("h2load (Debian/Ubuntu: apt-get install nghttp2-client; elsewhere the nghttp2 package)")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import clarifai_grpc' 2>/dev/null; then
  echo "installing clarifai-grpc into $venv"
  python3 -m venv "$venv"
  timeout 600 "$venv/bin/pip" install --quiet clarifai-grpc
fi
if ! cmp -s benches/package.json "$node_dir/package.json" ||
  [ ! -d "$node_dir/node_modules/clarifai-nodejs-grpc" ]; then
  echo "installing clarifai-nodejs-grpc into $node_dir"
  mkdir -p "$node_dir"
  cp benches/package.json "$node_dir/package.json"
  (cd "$node_dir" && timeout 600 npm install --loglevel=error --no-audit --no-fund --omit=dev)
fi

echo "versions:"
# Shown for the record only: a failure to list them is no reason to stop.
{ "$venv/bin/pip" show clarifai-grpc grpcio 2>/dev/null || true; } |
  awk '/^Name:/ { n = $2 } /^Version:/ { print "  " n " " $2 }'
{ (cd "$node_dir" && npm ls --all 2>/dev/null) || true; } |
  grep -Eo '(clarifai-nodejs-grpc|@grpc/grpc-js)@[0-9.]+' | sort -u | sed 's/^/  /' || true
echo "  $(h2load --version | head -n 1)"
echo "  node $(node --version), $("$venv/bin/python" --version)"

cargo build --release --quiet --example mock_server --example load
bin=$target/release/examples
# The exact request bytes examples/load sends, as one gRPC message, for h2load's body.
"$bin/load" --dump-request "$work/request.grpc"

server_pid=
child=
cleanup() {
  if [ -n "$child" ]; then kill "$child" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

coproc SERVER { exec "$bin/mock_server"; }
# shellcheck disable=SC2153 # SERVER_PID is set by coproc
server_pid=$SERVER_PID
read -r -t 30 url <&"${SERVER[0]}"
hostport=${url#http://}
echo "mock server at $url; $rounds rounds of ${secs} s per client and concurrency"

# The CPU time (user + system) of this shell's waited-for children so far, in seconds, from the
# second line of bash's `times` (millisecond resolution) as saved in file $1.
children_cpu() {
  awk 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] }
    printf "%.3f", t
  }' "$1"
}

# One timed window of client $1 at concurrency $2: appends "concurrency round client calls wall
# cpu" to the results.
measure() {
  local name=$1 conc=$2 r=$3 line
  case $name in
    raw | client) set -- "$bin/load" --server "$url" --timed "$name" "$conc" "$secs" ;;
    python) set -- "$venv/bin/python" benches/python_client.py "$hostport" "$conc" "$secs" ;;
    node)
      set -- env NODE_PATH="$node_dir/node_modules" node benches/node_client.js "$hostport" "$conc" "$secs"
      ;;
    h2load)
      set -- h2load --duration="${h2load_ms}ms" --clients=1 --threads=1 --max-concurrent-streams="$conc" \
        --data="$work/request.grpc" -H 'content-type: application/grpc' -H 'te: trailers' \
        -H 'authorization: Key bench-pat' "$url/clarifai.api.V2/PostModelOutputs"
      ;;
  esac
  # `times` in this shell, not in a $(subshell), which would have no children of its own.
  times >"$work/times.before"
  timeout --kill-after=5 "$limit" "$@" >"$work/out" 2>"$work/err" &
  child=$!
  if ! wait "$child"; then
    echo "$name at concurrency $conc failed:" >&2
    cat "$work/out" "$work/err" >&2
    exit 1
  fi
  child=
  times >"$work/times.after"
  if [ "$name" = h2load ]; then
    # h2load reports the requests done in the -D window; it counts any 2xx as succeeded, so
    # anything failed or errored stops the benchmark.
    line=$(awk -v secs="$secs" -v before="$(children_cpu "$work/times.before")" \
      -v after="$(children_cpu "$work/times.after")" '
      /^requests:/ { done = $8; bad = $10 + $12 + $14 }
      END { if (done > 0 && bad == 0) printf "%d %s %.3f", done, secs, after - before }' "$work/out")
    if [ -z "$line" ]; then
      echo "h2load at concurrency $conc: no clean run:" >&2
      cat "$work/out" >&2
      exit 1
    fi
  else
    line=$(tail -n 1 "$work/out")
  fi
  echo "$conc $r $name $line" >>"$results"
}

results=$work/results.txt
: >"$results"
for conc in "${concurrencies[@]}"; do
  for ((r = 0; r < rounds; r++)); do
    for ((k = 0; k < ${#clients[@]}; k++)); do
      measure "${clients[(r + k) % ${#clients[@]}]}" "$conc" "$r"
    done
    echo "  concurrency $conc: round $((r + 1)) of $rounds done"
  done
done

echo
"$venv/bin/python" - "$results" "${clients[@]}" <<'EOF'
import statistics
import sys

names = {
    "raw": "raw tonic `V2Client`",
    "client": "`ClarifaiClient`",
    "python": "Python clarifai-grpc",
    "node": "Node clarifai-nodejs-grpc",
    "h2load": "h2load (HTTP/2 floor)",
}
runs = {}
for line in open(sys.argv[1]):
    conc, rnd, client, calls, wall, cpu = line.split()
    calls, wall, cpu = int(calls), float(wall), float(cpu)
    runs[int(conc), int(rnd), client] = (calls / wall, cpu / calls * 1e6)
concs = sorted({c for c, _, _ in runs})
rounds = sorted({r for _, r, _ in runs})
print("| client | concurrency | calls/s | CPU µs/call | calls/s ÷ raw | CPU/call ÷ raw |")
print("| --- | --- | --- | --- | --- | --- |")
for conc in concs:
    for client in sys.argv[2:]:
        rate = statistics.median(runs[conc, r, client][0] for r in rounds)
        cpu = statistics.median(runs[conc, r, client][1] for r in rounds)
        rate_ratio = statistics.median(runs[conc, r, client][0] / runs[conc, r, "raw"][0] for r in rounds)
        cpu_ratio = statistics.median(runs[conc, r, client][1] / runs[conc, r, "raw"][1] for r in rounds)
        print(f"| {names[client]} | {conc} | {rate:,.0f} | {cpu:.1f} | {rate_ratio:.2f} | {cpu_ratio:.2f} |")
EOF
echo
echo "per run (concurrency, round, client, calls, wall s, CPU s): $results"
