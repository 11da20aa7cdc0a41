"""write-npz.py OUT METHOD: the line.nb data of train-knobs.test as a .npz
(x f32[4, 2], y f32[4]), its members stored or deflated as numpy.savez and
savez_compressed write them; standard library only."""
import os
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import npyfile  # noqa: E402


method = zipfile.ZIP_DEFLATED if sys.argv[2] == "deflated" else zipfile.ZIP_STORED
with zipfile.ZipFile(sys.argv[1], "w", method) as z:
    z.writestr("x.npy", npyfile.npy_bytes("<f4", (4, 2), [1, 0, 0, 1, 1, 1, 2, 0]))
    z.writestr("y.npy", npyfile.npy_bytes("<f4", (4,), [1, 2, 3, 2]))
