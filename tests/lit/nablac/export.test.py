"""Helpers of export.test, in the standard library only (no numpy).

rows CSV OUT: the features of a CSV file (every column but the last) as
  raw float32, row after row.
images X Y: random images and labels as .npy, for lenet5.nb.
tokens X Y RAW: three 128-byte windows of text and their next bytes as
  int32 .npy (for char_transformer.nb), and X's rows as raw int32.
same NPY RAW: exits 0 when the float32 payload of NPY equals RAW byte for
  byte; else prints the first difference.
"""
import csv
import gzip
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import npyfile  # noqa: E402


def rows(path, out):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f, open(out, "wb") as o:
        for row in csv.reader(f):
            values = [float(v) for v in row[:-1]]
            o.write(struct.pack("<%df" % len(values), *values))


def same(npy, raw):
    expected, shape, descr = npyfile.read_npy(npy)
    assert descr == "<f4", descr
    got = open(raw, "rb").read()
    if expected == got:
        print("identical: %d values %s" % (len(got) // 4, shape))
        return 0
    if len(expected) != len(got):
        print("sizes differ: %d and %d bytes" % (len(expected), len(got)))
        return 1
    for i in range(0, len(got), 4):
        if expected[i:i + 4] != got[i:i + 4]:
            a = struct.unpack("<f", expected[i:i + 4])[0]
            b = struct.unpack("<f", got[i:i + 4])[0]
            print("value %d differs: nablac %r, library %r" % (i // 4, a, b))
            return 1


def random_images(features, labels, n=40):
    """n random 28x28 images (f32 [n, 784], 0..255) and labels (i32 [n])."""
    import random
    random.seed(0)

    npyfile.write_npy(features, "<f4", (n, 784),
                      [random.random() * 255 for _ in range(n * 784)])
    npyfile.write_npy(labels, "<i4", (n,), [random.randrange(10) for _ in range(n)])


def tokens(x, y, raw, windows=3, width=128):
    text = b"the quick brown fox jumps over the lazy dog. " * 10
    rows = [list(text[3 * i:3 * i + width + 1]) for i in range(windows)]
    npyfile.write_npy(x, "<i4", (windows, width), [v for r in rows for v in r[:-1]])
    npyfile.write_npy(y, "<i4", (windows, width), [v for r in rows for v in r[1:]])
    with open(raw, "wb") as f:
        f.write(struct.pack("<%di" % (windows * width),
                            *[v for r in rows for v in r[:-1]]))


if __name__ == "__main__":
    if sys.argv[1] == "rows":
        rows(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "images":
        random_images(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "tokens":
        tokens(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(same(sys.argv[2], sys.argv[3]))
