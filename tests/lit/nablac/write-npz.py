"""write-npz.py OUT METHOD: the line.nb data of train-knobs.test as a .npz
(x f32[4, 2], y f32[4]), its members stored or deflated as numpy.savez and
savez_compressed write them; standard library only."""
import struct
import sys
import zipfile


def npy(descr, shape, values, fmt):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
            header.encode() + struct.pack("<%d%s" % (len(values), fmt), *values))


method = zipfile.ZIP_DEFLATED if sys.argv[2] == "deflated" else zipfile.ZIP_STORED
with zipfile.ZipFile(sys.argv[1], "w", method) as z:
    z.writestr("x.npy", npy("<f4", (4, 2), [1, 0, 0, 1, 1, 1, 2, 0], "f"))
    z.writestr("y.npy", npy("<f4", (4,), [1, 2, 3, 2], "f"))
