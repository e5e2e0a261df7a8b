#!/usr/bin/env bash
# Ours (examples/load) against the official Python client (clarifai-grpc on grpcio), on MockV2
# over loopback, in one run. Installs clarifai-grpc from PyPI into a virtualenv under target/.
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

echo
echo "Python clarifai-grpc, PostModelOutputs calls/s (median of $rounds x ${secs}s):"
echo "| concurrency (threads) | calls/s |"
echo "| --- | --- |"
"$venv/bin/python" benches/python_client.py "${url#http://}" "$secs" "$rounds" 64
kill "$SERVER_PID" 2>/dev/null || true

echo
echo "clarifai-tonic (examples/load), same request, same kind of server:"
target/release/examples/load "$rounds" "$secs"
