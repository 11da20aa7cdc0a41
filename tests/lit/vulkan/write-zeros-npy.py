"""Writes a .npy file holding a 1 x N f32 array of zeros (no numpy needed)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import npyfile  # noqa: E402

path, n = sys.argv[1], int(sys.argv[2])
npyfile.write_npy(path, "<f4", (1, n), [0.0] * n)
