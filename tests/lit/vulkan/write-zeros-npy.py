"""Writes a .npy file holding a 1 x N f32 array of zeros (no numpy needed)."""
import struct
import sys

path, n = sys.argv[1], int(sys.argv[2])
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, %d), }" % n
header += " " * (118 - len(header)) + "\n"  # 10 + 118 bytes: 64-aligned
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
    f.write(header.encode() + bytes(4 * n))
