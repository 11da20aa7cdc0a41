"""Compares nablac's sequence-model builtins with PyTorch: for each case
the value and the gradient of sum(y * c) in every parameter, from the
same float32 values.

    sequence_ops_torch.py NABLAC WORKDIR [DEVICE]

DEVICE is nablac's --device (cpu by default; vulkan runs the GPU path).

Parameters are literals in the generated model, c is random. Both sides
compute in f32 with different summation orders, so values and gradients
are compared to 1e-5 relative to the largest element (a few ulps of
sums over at most 16 terms, with margin).
"""
import json
import pathlib
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

nablac, work = sys.argv[1], pathlib.Path(sys.argv[2])
device = sys.argv[3] if len(sys.argv) > 3 else "cpu"
work.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(5)
EPS32 = float(np.finfo(np.float32).eps)


def rms_norm(x, w, eps=EPS32):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def causal(t):
    return torch.tril(torch.ones(t, t)).bool()


# (name, params {name: shape}, int inputs {name: values}, nb expr, torch fn)
CASES = [
    ("layer_norm", {"p": [3, 4, 6], "g": [6], "b": [6]}, {},
     "layer_norm(p, g, b)",
     lambda p, g, b: F.layer_norm(p, [6], g, b, 1e-5)),
    ("layer_norm without affine, eps", {"p": [5, 8]}, {},
     "layer_norm(p, eps = 0.01)",
     lambda p: F.layer_norm(p, [8], eps=0.01)),
    ("rms_norm", {"p": [4, 6], "g": [6]}, {},
     "rms_norm(p, g)", rms_norm),
    ("logsumexp", {"p": [3, 5]}, {},
     "logsumexp(p, axis = 0)", lambda p: torch.logsumexp(p * 30, 0)),
    ("logsumexp keepdims", {"p": [2, 3, 4]}, {},
     "logsumexp(p, keepdims = 1)", lambda p: torch.logsumexp(p * 30, -1, True)),
    ("embedding, repeated ids", {"p": [5, 3]},
     {"ids": np.array([[0, 4, 4], [2, 0, 4]], dtype=np.int32)},
     "embedding(p, ids)", lambda p, ids: F.embedding(ids.long(), p)),
    ("take axis 1, repeated ids", {"p": [2, 5, 3]},
     {"ids": np.array([[4, 1], [1, 1]], dtype=np.int32)},
     "take(p, ids, axis = 1)",
     lambda p, ids: p[:, ids.long()]),
    ("take axis -1", {"p": [3, 2, 4]},
     {"ids": np.array([3, 0, 3], dtype=np.int32)},
     "take(p, ids, axis = -1)",
     lambda p, ids: torch.index_select(p, -1, ids.long())),
    ("take axis 0", {"p": [4, 3]},
     {"ids": np.array([2, 2, 0], dtype=np.int32)},
     "take(p, ids)", lambda p, ids: torch.index_select(p, 0, ids.long())),
    ("where", {"p": [3, 4], "q": [4]}, {},
     "where(p > 0, p, q * 2)", lambda p, q: torch.where(p > 0, p, q * 2)),
    ("masked_fill", {"p": [2, 3, 3]}, {},
     "masked_fill(p, p <= 0.1, -2)",
     lambda p: p.masked_fill(p <= 0.1, -2.0)),
    ("causal softmax", {"p": [2, 4, 4]}, {},
     "softmax(where(causal_mask(4), p, -1e9))",
     lambda p: torch.softmax(torch.where(causal(4), p, torch.tensor(-1e9)), -1)),
    ("tril, triu", {"p": [2, 3, 4]}, {},
     "tril(p, -1) + triu(p, 2) * 3",
     lambda p: torch.tril(p, -1) + torch.triu(p, 2) * 3),
    ("matmul [B, H, T, D] @ [B, H, D, T]", {"p": [2, 3, 4, 5], "q": [2, 3, 5, 4]},
     {}, "p @ q", lambda p, q: p @ q),
    ("matmul [B, T, D] @ [D, E]", {"p": [2, 3, 4], "q": [4, 5]}, {},
     "p @ q", lambda p, q: p @ q),
    ("matmul broadcast [2, 1, 3, 4] @ [5, 4, 2]",
     {"p": [2, 1, 3, 4], "q": [5, 4, 2]}, {}, "p @ q", lambda p, q: p @ q),
]

# logsumexp's cases scale p by 30 so the max matters: nablac's side too.
NB_SCALE = {"logsumexp": "p * 30", "logsumexp keepdims": "p * 30"}


def literal(a):
    if a.ndim == 0:
        return repr(float(a))
    return "[" + ", ".join(literal(s) for s in a) + "]"


def nb_type(shape, dtype="f32"):
    return f"{dtype}[" + ", ".join(str(d) for d in shape) + "]"


def run(args):
    out = subprocess.run([nablac] + args, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"nablac {' '.join(args)} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def close(got, want):
    scale = max(float(np.max(np.abs(want))), 1e-30)
    return float(np.max(np.abs(got - want))) <= 1e-5 * scale


matched = 0
for i, (name, params, ints, expr, fn) in enumerate(CASES):
    values = {k: rng.standard_normal(s).astype(np.float32) for k, s in params.items()}
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in values.items()}
    args = [tensors[k] for k in params] + [torch.tensor(v) for v in ints.values()]
    y = fn(*args)
    c = torch.tensor(rng.standard_normal(list(y.shape)).astype(np.float32))
    (y * c).sum().backward()
    nb_expr = expr.replace("(p", "(" + NB_SCALE[name], 1) if name in NB_SCALE else expr
    inputs = "".join(f", {k}: {nb_type(v.shape, 'i32')}" for k, v in ints.items())
    body = "".join(f"  param {k}: {nb_type(values[k].shape)} = {literal(values[k])}\n"
                   for k in params)
    source = work / f"case{i}.nb"
    source.write_text(f"model M(c: {nb_type(list(y.shape))}{inputs}) {{\n{body}"
                      f"  y = {nb_expr}\n  return sum(y * c), y\n}}\n")
    flags = ["--device", device, "--input", "c=" + ",".join(repr(float(v)) for v in c.numpy().ravel())]
    for k, v in ints.items():
        flags += ["--input", f"{k}=" + ",".join(str(int(x)) for x in v.ravel())]
    forward = run(["run", str(source), "--json"] + flags)
    grads = run(["grad", str(source), "--json"] + flags)["grads"]
    ok = close(np.array(forward["outputs"]["y"]["data"], dtype=np.float64),
               y.detach().numpy().ravel().astype(np.float64))
    for k in params:
        ok = ok and close(np.array(grads[k]["data"], dtype=np.float64),
                          tensors[k].grad.numpy().ravel().astype(np.float64))
    print(f"{name}: {'ok' if ok else 'MISMATCH'}")
    matched += ok
print(f"{matched} of {len(CASES)} cases match PyTorch on {device}")
