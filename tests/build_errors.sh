#!/usr/bin/env bash
# A missing or broken proto must stop the build with a message naming the file (and line), not a
# panic. Builds a copy of the crate with a damaged proto/; shares the target dir so deps are reused.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

check() { # name, expected substring...
  local name=$1; shift
  local out
  out=$(cd "$work/crate" && CARGO_TARGET_DIR="$target" cargo build --quiet --lib 2>&1)
  local code=$?
  if [ $code -eq 0 ]; then echo "FAIL $name: the build succeeded"; fail=1; return; fi
  if grep -q "panicked" <<<"$out"; then echo "FAIL $name: build.rs panicked"; echo "$out" | tail -20; fail=1; return; fi
  for want in "$@"; do
    if ! grep -qF -- "$want" <<<"$out"; then echo "FAIL $name: no '$want' in:"; echo "$out" | tail -20; fail=1; return; fi
  done
  echo "ok   $name: $(grep -m1 'code generation failed' <<<"$out" | sed 's/^ *//')"
}

fresh() {
  rm -rf "$work/crate"
  mkdir -p "$work/crate"
  (cd "$root" && git ls-files -z build.rs build Cargo.toml Cargo.lock src proto benches examples | xargs -0 cp --parents -t "$work/crate")
}

fresh
sed -i '100s/.*/  this is not valid proto;/' "$work/crate/proto/clarifai/api/resources.proto"
check "syntax error" "proto/clarifai/api/resources.proto" "line 100" "expected"

fresh
rm "$work/crate/proto/clarifai/api/status/status.proto"
check "missing import" "proto/clarifai/api/status/status.proto" "not found"

fresh
rm "$work/crate/proto/clarifai/api/service.proto"
check "missing root" "service.proto is missing" "scripts/update-protos"

if [ $fail -ne 0 ]; then exit 1; fi
echo "build error checks: 3 passed"
