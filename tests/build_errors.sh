#!/usr/bin/env bash
# Broken inputs must stop the build with a message naming the file, not a panic:
# - a broken or missing proto fails `cargo run -p compile-protos` (which compiles the protos into
#   codegen/clarifai.binpb) with the file, and the line of a syntax error;
# - a missing, corrupt or truncated codegen/clarifai.binpb fails the library's build (the
#   build scripts of clarifai-tonic-types and clarifai-tonic only decode that file, through
#   clarifai-tonic-codegen) with its path and the command that writes it.
# Works on a damaged copy of the crate, in a target dir of its own (see `target` below).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# A target dir of its own (kept between runs, so only the first run builds the dependencies):
# cargo names a path package's units by its path inside the workspace, so the damaged copy's
# units would overwrite the workspace's own in a shared target dir, and clarifai-tonic-codegen
# records where its descriptor set is.
target=${CARGO_TARGET_DIR:-$root/target}/build-errors
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
passed=0

check() { # name, build|tool, expected substring...
  local name=$1 what=$2; shift 2
  local out code
  case $what in
    build) out=$(cd "$work/crate" && CARGO_TARGET_DIR="$target" cargo build --quiet --lib 2>&1) ;;
    tool) out=$(cd "$work/crate" && CARGO_TARGET_DIR="$target" cargo run --quiet -p compile-protos 2>&1) ;;
  esac
  code=$?
  if [ $code -eq 0 ]; then echo "FAIL $name: $what succeeded"; fail=1; return; fi
  if grep -q "panicked" <<<"$out"; then echo "FAIL $name: $what panicked"; echo "$out" | tail -20; fail=1; return; fi
  for want in "$@"; do
    if ! grep -qF -- "$want" <<<"$out"; then echo "FAIL $name: no '$want' in:"; echo "$out" | tail -20; fail=1; return; fi
  done
  passed=$((passed + 1))
  echo "ok   $name: $(grep -m1 -E 'code generation failed|error: compile-protos' <<<"$out" | sed 's/^ *//')"
}

fresh() {
  rm -rf "$work/crate"
  mkdir -p "$work/crate"
  (cd "$root" && git ls-files -z build.rs build Cargo.toml Cargo.lock src proto types codegen benches examples tools | xargs -0 cp --parents -t "$work/crate")
}

binpb=codegen/clarifai.binpb
# Either build script may stop first; both name the file.
named=codegen/clarifai.binpb

# The protos, compiled by the tool.
fresh
sed -i '100s/.*/  this is not valid proto;/' "$work/crate/proto/clarifai/api/resources.proto"
check "syntax error" tool "proto/clarifai/api/resources.proto" "line 100" "expected"

fresh
rm "$work/crate/proto/clarifai/api/status/status.proto"
check "missing import" tool "proto/clarifai/api/status/status.proto" "not found"

fresh
rm "$work/crate/proto/clarifai/api/service.proto"
check "missing root" tool "service.proto is missing" "scripts/update-protos"

# The compiled descriptor set, decoded by build.rs.
fresh
rm "$work/crate/$binpb"
check "missing binpb" build "$named is missing" "cargo run -p compile-protos"

fresh
head -c 100000 "$root/$binpb" > "$work/crate/$binpb"
check "truncated binpb" build "$named is not a valid FileDescriptorSet" "cargo run -p compile-protos"

fresh
printf 'not a descriptor set\n' > "$work/crate/$binpb"
check "corrupt binpb" build "$named is not a valid FileDescriptorSet" "cargo run -p compile-protos"

fresh
: > "$work/crate/$binpb"
check "empty binpb" build "$named does not define" "cargo run -p compile-protos"

if [ $fail -ne 0 ]; then exit 1; fi
echo "build error checks: $passed passed"
