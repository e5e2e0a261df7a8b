#!/usr/bin/env bash
# Ours (examples/load) against the official Python client (clarifai-grpc on grpcio), one after
# the other against the same MockV2 server process (examples/mock_server) over loopback. Installs clarifai-grpc from PyPI into a virtualenv under target/.
#   bash benches/compare_python.sh [seconds] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-2}
rounds=${2:-5}
venv=target/py-bench
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet clarifai-grpc
fi
"$venv/bin/pip" show clarifai-grpc grpcio 2>/dev/null | grep -E '^(Name|Version)'
cargo build --release --quiet --example mock_server --example load

coproc SERVER { target/release/examples/mock_server; }
read -r url <&"${SERVER[0]}"
echo "mock server at $url"

trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT

echo
echo "Python clarifai-grpc, PostModelOutputs calls/s (median of $rounds x ${secs}s):"
echo "| concurrency (threads) | calls/s |"
echo "| --- | --- |"
"$venv/bin/python" benches/python_client.py "${url#http://}" "$secs" "$rounds" 64

echo
echo "clarifai-tonic (examples/load --server), same request, the same server process:"
target/release/examples/load --server "$url" "$rounds" "$secs"
