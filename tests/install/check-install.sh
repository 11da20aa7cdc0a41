#!/usr/bin/env bash
# Installs the build tree to a temporary prefix, builds examples/cpp there
# as a project of its own (find_package(nabla), nabla::api) and runs it;
# then makes the Debian package with cpack, unpacks it and trains the
# bundled digits example with the nablac inside. Run by ctest (test
# `install`): check-install.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== cmake --install $build --prefix $tmp/prefix"
cmake --install "$build" --prefix "$tmp/prefix" > "$tmp/install.log"
for f in bin/nablac bin/nabla-opt include/nabla/Model.h include/nabla/Version.h \
         lib/libNablaAPI.a lib/cmake/nabla/nablaConfig.cmake lib/pkgconfig/nabla.pc \
         share/nabla/examples/digits.nb; do
  [ -e "$tmp/prefix/$f" ] || { echo "missing from the install: $f"; exit 1; }
done

echo "== examples/cpp out of tree, with find_package(nabla)"
cmake -G Ninja -S "$tmp/prefix/share/nabla/examples/cpp" -B "$tmp/example" \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release > "$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/example" > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
"$tmp/example/train_digits" "$tmp/prefix/share/nabla/examples" | tail -1 | tee "$tmp/example.out"
grep -Eq "test accuracy (9[0-9]|100)\.[0-9]+%" "$tmp/example.out"

if command -v pkg-config > /dev/null; then
  echo "== pkg-config"
  PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs nabla
fi

echo "== cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$tmp/package" > "$tmp/cpack.log" 2>&1) ||
  { cat "$tmp/cpack.log"; exit 1; }
deb=$(ls "$tmp"/package/nabla_*.deb)
dpkg-deb -f "$deb" Package Version Depends
dpkg-deb -x "$deb" "$tmp/root"
cd "$tmp"
"$tmp/root/usr/bin/nablac" --version
"$tmp/root/usr/bin/nablac" train "$tmp/root/usr/share/nabla/examples/digits.nb" --epochs 1 \
  > "$tmp/deb.out"
grep "test accuracy" "$tmp/deb.out"
echo "install ok"
