"""Compares two checkpoints' f32/f64 tensors (parameters, optimizer state):
the same names, and every element within `rtol` of the first's, relative to
max(|first|, 1e-3); with a fourth argument `norm`, every tensor within
`rtol` in norm: |second - first| / |first| (2-norms). Prints the worst
difference and exits 1 beyond it."""
import json
import struct
import sys
from array import array


def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in ("F32", "F64"):
            continue
        begin, end = info["data_offsets"]
        code = "f" if info["dtype"] == "F32" else "d"
        tensors[name] = array(code, data[8 + n + begin:8 + n + end])
    return tensors


first, second, rtol = read(sys.argv[1]), read(sys.argv[2]), float(sys.argv[3])
by_norm = len(sys.argv) > 4 and sys.argv[4] == "norm"
if first.keys() != second.keys():
    sys.exit("different tensors: " + ", ".join(sorted(first.keys() ^ second.keys())))
worst, where = 0.0, ""
for name, a in first.items():
    if by_norm:
        size = sum(x * x for x in a) ** 0.5
        apart = sum((x - y) ** 2 for x, y in zip(a, second[name])) ** 0.5
        d = apart / size if size > 0 else apart
        if d > worst:
            worst, where = d, name
        continue
    for x, y in zip(a, second[name]):
        d = abs(x - y) / max(abs(x), 1e-3)
        if d > worst:
            worst, where = d, name
print(f"{len(first)} tensors, worst relative difference {worst:.1e} ({where})")
if worst > rtol:
    sys.exit(f"beyond {rtol}")
print("within", rtol)
