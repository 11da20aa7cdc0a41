"""Helpers of export-onnx.test, in the standard library only (no numpy).

rows CSV N OUT: the features of the first N rows of a CSV file (every
  column but the last) as an f32 .npy [N, F].
images X Y N: N random 28x28 images (f32 [N, 1, 28, 28], 0..255) and
  labels (i32 [N]), for lenet5.nb.
tokens X Y: three 128-byte windows of text and their next bytes (i32
  [3, 128]), for char_transformer.nb.
ones OUT N F: an f32 .npy [N, F] of ones.
same A.json B.json NAME: exits 0 when output NAME of two `nablac run
  --json` results has the same shape and values (printed with 9
  significant digits, which tell any two float32 apart); else prints the
  first difference.
"""
import csv
import gzip
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import npyfile  # noqa: E402


def rows(path, n, out):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        data = [[float(v) for v in row[:-1]] for _, row in zip(range(n), csv.reader(f))]
    npyfile.write_npy(out, "<f4", (n, len(data[0])), [v for r in data for v in r])


def images(x, y, n):
    random.seed(0)
    npyfile.write_npy(x, "<f4", (n, 1, 28, 28),
                      [random.random() * 255 for _ in range(n * 784)])
    npyfile.write_npy(y, "<i4", (n,), [random.randrange(10) for _ in range(n)])


def tokens(x, y, windows=3, width=128):
    text = b"the quick brown fox jumps over the lazy dog. " * 10
    rows = [list(text[3 * i:3 * i + width + 1]) for i in range(windows)]
    npyfile.write_npy(x, "<i4", (windows, width), [v for r in rows for v in r[:-1]])
    npyfile.write_npy(y, "<i4", (windows, width), [v for r in rows for v in r[1:]])


def same(a, b, name):
    x = json.load(open(a))["outputs"][name]
    y = json.load(open(b))["outputs"][name]
    if x["shape"] != y["shape"]:
        print("shapes differ: %s and %s" % (x["shape"], y["shape"]))
        return 1
    for i, (u, v) in enumerate(zip(x["data"], y["data"])):
        if u != v:
            print("value %d differs: %r and %r" % (i, u, v))
            return 1
    print("identical: %d values %s" % (len(x["data"]), x["shape"]))
    return 0


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "rows":
        rows(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif command == "images":
        images(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif command == "ones":
        n, f = int(sys.argv[3]), int(sys.argv[4])
        npyfile.write_npy(sys.argv[2], "<f4", (n, f), [1.0] * (n * f))
    elif command == "tokens":
        tokens(sys.argv[2], sys.argv[3])
    else:
        sys.exit(same(sys.argv[2], sys.argv[3], sys.argv[4]))
