"""Reading and writing .npy files with the standard library only, for the
lit tests' helper scripts (the tests need no numpy).

A script in a folder of tests/lit imports it with

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import npyfile
"""
import ast
import struct

# The struct format of each dtype the tests write.
_FORMATS = {"<f4": "f", "<i4": "i", "<i8": "q", "<f8": "d"}


def npy_bytes(descr, shape, values):
    """A version 1.0 .npy file of `values` (flat, row-major) as bytes."""
    dims = ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, dims)
    # The magic, version, header length and header end on a multiple of 64.
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return (b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
            header.encode("latin1") +
            struct.pack("<%d%s" % (len(values), _FORMATS[descr]), *values))


def write_npy(path, descr, shape, values):
    with open(path, "wb") as f:
        f.write(npy_bytes(descr, shape, values))


def read_npy(path):
    """(payload bytes, shape, descr) of a version 1.0 .npy file."""
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY", path
    length = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + length].decode("latin1"))
    assert not header["fortran_order"], path
    return data[10 + length:], header["shape"], header["descr"]
