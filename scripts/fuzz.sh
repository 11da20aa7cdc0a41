#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS (default 60) under ASan and UBSan:
#   scripts/fuzz.sh source|pipeline|npy|csv|idx|safetensors [SECONDS]
# Builds build-fuzz/ with clang-22 the first time (apt: clang-22
# libfuzzer-22-dev). Every input in fuzz/regressions/TARGET/ (each crash
# ever found) is replayed first; a new crash is written there, to be
# fixed and committed. New interesting inputs go to build-fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh source|pipeline|npy|csv|idx|safetensors [SECONDS]}"
seconds="${2:-60}"
build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S . -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DNABLA_FUZZ=ON -DNABLA_SANITIZE=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir > /tmp/nabla-fuzz-cmake.log 2>&1 ||
    { cat /tmp/nabla-fuzz-cmake.log; exit 1; }
fi
ninja -C "$build" "fuzz-$target" > /dev/null
fuzzer="$build/bin/fuzz-$target"

# Seeds from the tree: the examples and test inputs of each format.
seeds="$build/seeds/$target"
rm -rf "$seeds" && mkdir -p "$seeds" "$build/corpus/$target" "fuzz/regressions/$target"
case "$target" in
  source) cp examples/*.nb tests/unit/models/*.nb tests/lit/Inputs/*.nb "$seeds/" ;;
  pipeline) cp tests/lit/ir/ops.mlir tests/lit/ir/canonicalize.mlir tests/lit/ir/windows.mlir \
              tests/lit/fusion/*.mlir tests/lit/autodiff/rules.mlir \
              tests/lit/autodiff/window-rules.mlir "$seeds/" ;;
  npy) cp tests/lit/Inputs/*.npy "$seeds/" ;;
  csv) cp examples/data/digits.csv.gz "$seeds/"; printf '1,2,3,0\n4,5,6,1\n' > "$seeds/small.csv" ;;
  idx) cp fuzz/corpus/idx/* "$seeds/" ;;
  safetensors) cp fuzz/corpus/safetensors/* "$seeds/" ;;
  *) echo "unknown target '$target'"; exit 2 ;;
esac
# An input that runs longer than FUZZ_TIMEOUT seconds (default 30) is kept
# as a hang. Under ASan on a busy 2-core machine a 3-second input took 16 s,
# so the limit is generous; real hangs run forever.
options=(-max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-30}" -rss_limit_mb=4096 -print_final_stats=1
         -artifact_prefix="fuzz/regressions/$target/")
[ "$target" = source ] && options+=(-dict=fuzz/nb.dict)

shopt -s nullglob
regressions=(fuzz/regressions/"$target"/*)
if [ ${#regressions[@]} -gt 0 ]; then
  echo "== fuzz-$target: replaying ${#regressions[@]} kept crash inputs"
  "$fuzzer" "${regressions[@]}"
fi
echo "== fuzz-$target: ${seconds}s (log: $build/fuzz-$target.log)"
if ! "$fuzzer" "${options[@]}" "$build/corpus/$target" "$seeds" > "$build/fuzz-$target.log" 2>&1; then
  tail -n 60 "$build/fuzz-$target.log"
  echo "fuzz-$target: a crash; its input is in fuzz/regressions/$target/"
  exit 1
fi
grep -E '^Done|^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$build/fuzz-$target.log"
grep -oE 'cov: [0-9]+' "$build/fuzz-$target.log" | tail -n 1
