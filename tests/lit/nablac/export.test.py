"""Helpers of export.test, in the standard library only (no numpy).

rows CSV OUT: the features of a CSV file (every column but the last) as
  raw float32, row after row.
same NPY RAW: exits 0 when the float32 payload of NPY equals RAW byte for
  byte; else prints the first difference.
"""
import ast
import csv
import gzip
import struct
import sys


def rows(path, out):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f, open(out, "wb") as o:
        for row in csv.reader(f):
            values = [float(v) for v in row[:-1]]
            o.write(struct.pack("<%df" % len(values), *values))


def npy_payload(path):
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY", path
    length = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + length].decode("latin1"))
    assert header["descr"] == "<f4", header
    return data[10 + length:], header["shape"]


def same(npy, raw):
    expected, shape = npy_payload(npy)
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


if __name__ == "__main__":
    if sys.argv[1] == "rows":
        rows(sys.argv[2], sys.argv[3])
    else:
        sys.exit(same(sys.argv[2], sys.argv[3]))
