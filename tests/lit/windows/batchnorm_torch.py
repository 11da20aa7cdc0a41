"""Trains a small conv net with batch norm for 100 steps with nablac and
with PyTorch from the same data and initial weights, and compares the
running statistics (element by element) and the trained weights (relative
to their largest element) to 1e-5.

    batchnorm_torch.py NABLAC WORKDIR

The weights are literals in the generated model, so both start from the
same float32 values. Each step is one batch of all 64 rows (split 0), so
the two runs see the same batches: nablac's shuffle only reorders the rows
inside the batch, which changes the f32 sums' rounding (about 1e-7
relative per step), not the statistics. Over 100 SGD steps that stays
well inside 1e-5.
"""
import json
import pathlib
import struct
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

nablac, work = sys.argv[1], pathlib.Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(7)
rows, classes, channels, steps, lr = 64, 3, 4, 100, 0.1
x = rng.standard_normal((rows, 1, 4, 4)).astype(np.float32) * 2 + 0.5
labels = rng.integers(0, classes, rows)
w0 = (rng.standard_normal((channels, 1, 3, 3)) * 0.5).astype(np.float32)
v0 = (rng.standard_normal((channels * 16, classes)) * 0.2).astype(np.float32)


def literal(a):
    if a.ndim == 0:
        return repr(float(a))
    return "[" + ", ".join(literal(s) for s in a) + "]"


with open(work / "data.csv", "w") as f:
    for row, label in zip(x.reshape(rows, -1), labels):
        f.write(",".join(repr(float(v)) for v in row) + f",{label}\n")
(work / "bn.nb").write_text(f"""
layer BatchNorm(x: f32[N, C, H, W]) {{
  param weight: f32[C] = ones
  param bias: f32[C] = zeros
  state running_mean: f32[C] = zeros
  state running_var: f32[C] = ones
  return batch_norm(x, running_mean, running_var, weight, bias)
}}
model Net(x: f32[N, 1, 4, 4], label: i32[N]) {{
  param w: f32[{channels}, 1, 3, 3] = {literal(w0)}
  param v: f32[{channels * 16}, {classes}] = {literal(v0)}
  h = relu(BatchNorm(conv2d(x, w, padding = 1)))
  logits = flatten(h) @ v
  return cross_entropy(logits, label), logits
}}
train {{
  data = "data.csv"
  classes = {classes}
  split = 0
  scale = none
  batch = {rows}
  epochs = {steps}
  optimizer = sgd
  lr = {lr}
}}
""")
subprocess.run([nablac, "train", str(work / "bn.nb"), "--checkpoint",
                str(work / "bn.safetensors")], check=True,
               stdout=subprocess.DEVNULL)


def read_safetensors(path):
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        start, end = info["data_offsets"]
        out[key] = np.frombuffer(data[8 + n + start:8 + n + end],
                                 dtype=np.float32).reshape(info["shape"])
    return out


ours = read_safetensors(work / "bn.safetensors")

w = torch.tensor(w0, requires_grad=True)
v = torch.tensor(v0, requires_grad=True)
gamma = torch.ones(channels, requires_grad=True)
beta = torch.zeros(channels, requires_grad=True)
mean, var = torch.zeros(channels), torch.ones(channels)
opt = torch.optim.SGD([w, v, gamma, beta], lr=lr)
xt, yt = torch.tensor(x), torch.tensor(labels)
for _ in range(steps):
    opt.zero_grad()
    h = F.relu(F.batch_norm(F.conv2d(xt, w, padding=1), mean, var, gamma,
                            beta, training=True, momentum=0.1, eps=1e-5))
    F.cross_entropy(h.flatten(1) @ v, yt).backward()
    opt.step()

# The running statistics element by element; the weights relative to their
# largest element (a weight near 0 carries the rounding of the others'
# updates, 1e-8 absolute, which would be a large part of itself).
failed = False
for key, ref, elementwise in [
        ("state:BatchNorm_1.running_mean", mean, True),
        ("state:BatchNorm_1.running_var", var, True),
        ("param:w", w, False), ("param:v", v, False),
        ("param:BatchNorm_1.weight", gamma, False)]:
    ref = ref.detach().numpy()
    scale = np.abs(ref) if elementwise else np.max(np.abs(ref))
    err = np.max(np.abs(ours[key] - ref) / np.maximum(scale, 1e-6))
    ok = err <= 1e-5
    failed |= not ok
    print(f"{key}: max relative difference {err:.2e} {'ok' if ok else 'FAIL'}")
print("FAILED" if failed else f"batch norm matches PyTorch after {steps} steps")
sys.exit(1 if failed else 0)
