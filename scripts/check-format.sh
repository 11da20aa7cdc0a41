#!/usr/bin/env bash
# Fails when the C++ lines a commit changed are not clang-formatted (LLVM
# style, .clang-format at the root). Only changed lines are checked, so
# older code is reformatted when it is next touched, not all at once.
#   scripts/check-format.sh [BASE]   (default: the parent of HEAD)
# The fix: git clang-format-22 BASE
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-HEAD~1}"
if ! git rev-parse --verify -q "$base^{commit}" > /dev/null; then
  echo "check-format: no commit $base to compare with (a shallow clone?); skipped"
  exit 0
fi
diff=$(git clang-format-22 --binary clang-format-22 --diff "$base" -- \
         '*.cpp' '*.h' 2>&1 || true)
case "$diff" in
  ""|*"no modified files to format"*|*"did not modify any files"*)
    echo "check-format: the C++ lines changed since $base are formatted"
    exit 0 ;;
esac
echo "$diff"
echo
echo "check-format: the lines above are not formatted; run: git clang-format-22 $base"
exit 1
