"""weights-only IN OUT: copies the param: tensors of safetensors file IN to
OUT, with no optimizer state and no metadata (standard library only)."""
import json
import struct
import sys

data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
body = data[8 + n:]
out_header, out_body = {}, b""
for key, entry in header.items():
    if not key.startswith("param:"):
        continue
    begin, end = entry["data_offsets"]
    out_header[key] = dict(entry, data_offsets=[len(out_body), len(out_body) + end - begin])
    out_body += body[begin:end]
text = json.dumps(out_header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + out_body)
