"""Writes the windows of "abcd" repeated as token ids and next-byte targets,
as int32 .npy files (and the ids as float32) (written by hand: the test needs no numpy).

usage: sample.test.py DIR T
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import npyfile  # noqa: E402


def write_npy(path, rows, kind="i"):
    npyfile.write_npy(path, "<%s4" % kind, (len(rows), len(rows[0])),
                      [v for row in rows for v in row])


out, window = sys.argv[1], int(sys.argv[2])
text = b"abcd" * 50
starts = range(0, len(text) - window - 1, 3)
write_npy(out + "/x.npy", [list(text[s:s + window]) for s in starts])
write_npy(out + "/y.npy", [list(text[s + 1:s + window + 1]) for s in starts])
# The ids as floats, which a model of token ids does not take.
write_npy(out + "/xf.npy", [list(map(float, text[s:s + window])) for s in starts], "f")
