#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks (apt), builds nabla into
# build/, trains the bundled digits example and shows a gradient. Safe to
# run again: it installs only missing packages and rebuilds only what
# changed (ninja + ccache).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ ccache python3
          llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
          libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libomp-22-dev
          libvulkan-dev mesa-vulkan-drivers spirv-tools clang-format-22
          clang-22 libfuzzer-22-dev libclang-rt-22-dev fortunes
          libonnx-dev libprotobuf-dev libonnx-testdata
          libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "== installing: ${missing[*]}"
  $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "== building"
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir > /tmp/nabla-cmake.log 2>&1 || { cat /tmp/nabla-cmake.log; exit 1; }
ninja -C build -j"$(nproc)"

echo
echo "== nablac train examples/digits.nb"
./build/bin/nablac train examples/digits.nb
echo
echo "== nablac grad examples/seed.nb --input x=1.0,0.5 --input y=1.0"
./build/bin/nablac grad examples/seed.nb --input x=1.0,0.5 --input y=1.0
