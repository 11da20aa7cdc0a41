"""Writes the windows of "abcd" repeated as token ids and next-byte targets,
as int32 .npy files (and the ids as float32) (written by hand: the test needs no numpy).

usage: sample.test.py DIR T
"""
import struct
import sys


def write_npy(path, rows, kind="i"):
    header = "{'descr': '<%s4', 'fortran_order': False, 'shape': (%d, %d), }" % (
        kind, len(rows), len(rows[0]))
    # The magic, version, header length and header end on a multiple of 64.
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        for row in rows:
            f.write(struct.pack("<%d%s" % (len(row), kind), *row))


out, window = sys.argv[1], int(sys.argv[2])
text = b"abcd" * 50
starts = range(0, len(text) - window - 1, 3)
write_npy(out + "/x.npy", [list(text[s:s + window]) for s in starts])
write_npy(out + "/y.npy", [list(text[s + 1:s + window + 1]) for s in starts])
# The ids as floats, which a model of token ids does not take.
write_npy(out + "/xf.npy", [list(map(float, text[s:s + window])) for s in starts], "f")
