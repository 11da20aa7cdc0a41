"""Writes a safetensors checkpoint of tests/lit/Inputs/linear.nb by hand
(standard library only): w = [[1, 2], [3, 4]], b = [0.5, -0.5]."""
import json
import struct
import sys

w = [1.0, 2.0, 3.0, 4.0]
b = [0.5, -0.5]
data = struct.pack("<4f", *w) + struct.pack("<2f", *b)
header = {
    "param:w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
    "param:b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]},
    "__metadata__": {"step": "0"},
}
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)
