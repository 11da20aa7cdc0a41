#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS (default 60) under ASan and UBSan:
#   scripts/fuzz.sh source|pipeline|npy|csv|idx|safetensors|onnx [SECONDS|replay]
# Builds build-fuzz/ with clang-22 the first time (apt: clang-22
# libfuzzer-22-dev). Every input in fuzz/regressions/TARGET/ (each crash
# ever found) is replayed first; a new crash is written there, to be
# fixed and committed. New interesting inputs go to build-fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh source|pipeline|npy|csv|idx|safetensors|onnx [SECONDS]}"
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
  onnx) cp examples/onnx/*.onnx "$seeds/"
        # Some of ONNX's node tests (Debian's libonnx-testdata), one per op.
        for m in /usr/share/libonnx-testdata/data/node/test_{add,gemm_default_single_elem_vector_bias,conv_with_strides_padding,maxpool_2d_pads,reshape_negative_dim,slice,softmax_axis_1,layer_normalization_2d_axis0,batchnorm_example,transpose_default,gather_0,concat_2d_axis_0,where_example,trilu_upper,range_float_type_positive_delta_expanded,onehot_with_axis}/model.onnx; do
          if [ -f "$m" ]; then cp "$m" "$seeds/$(basename "$(dirname "$m")").onnx"; fi
        done ;;
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
# seconds = replay: the kept inputs alone (fuzz-onnx in CI: a longer run
# soon crashes inside libonnx's shape inference, fuzz/libonnx-crashes/).
[ "$seconds" = replay ] && exit 0
echo "== fuzz-$target: ${seconds}s (log: $build/fuzz-$target.log)"
if ! "$fuzzer" "${options[@]}" "$build/corpus/$target" "$seeds" > "$build/fuzz-$target.log" 2>&1; then
  tail -n 60 "$build/fuzz-$target.log"
  echo "fuzz-$target: a crash; its input is in fuzz/regressions/$target/"
  exit 1
fi
grep -E '^Done|^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$build/fuzz-$target.log"
grep -oE 'cov: [0-9]+' "$build/fuzz-$target.log" | tail -n 1
