"""Compares nablac's indexing, concat and stack with PyTorch's: for each
case, the forward value and the gradient of sum(y * c) with respect to
the indexed tensor (the scatter of c into the positions read, summed
where a position is read twice), from the same float32 values.

    indexing_torch.py NABLAC WORKDIR

The tensor indexed is a parameter initialised from a literal, so both
sides start from the same values; c is random. The forward is a copy,
so it must match exactly; the gradient is a sum of at most a few copies
of c, so 1e-6 relative covers any order of additions.
"""
import json
import pathlib
import subprocess
import sys

import numpy as np
import torch

nablac, work = sys.argv[1], pathlib.Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(11)

# (shape of p, expression of p as both languages write it)
CASES = [
    ([4, 5], "p[1]"),
    ([4, 5], "p[-1]"),
    ([4, 5], "p[:, 2]"),
    ([4, 5], "p[:, -2]"),
    ([4, 5], "p[1:3]"),
    ([4, 5], "p[::2, 1::3]"),
    ([4, 5], "p[-3:, :-1]"),
    ([4, 5], "p[-100:100, 1:-1:2]"),
    ([2, 3, 4], "p[..., 1]"),
    ([2, 3, 4], "p[1, ...]"),
    ([2, 3, 4], "p[0, ..., 1:3]"),
    ([2, 3, 4], "p[:, 1:, ::3]"),
    ([2, 3, 4], "p[1, 2, 3]"),
    ([2, 3, 4], "p[1][2][1:]"),
    ([2, 3, 4], "concat([p[0], p[1, 1:], p[0, :1]], axis = 0)"),
    ([2, 3, 4], "concat([p, p[:, :, 1:2]], axis = -1)"),
    ([2, 3, 4], "stack([p[0], p[1]], axis = 1)"),
    ([2, 3, 4], "stack([p[:, 0], p[:, 2], p[:, 0]], axis = -1)"),
]


def literal(a):
    if a.ndim == 0:
        return repr(float(a))
    return "[" + ", ".join(literal(s) for s in a) + "]"


def nb_type(shape):
    return "f32[" + ", ".join(str(d) for d in shape) + "]"


def torch_eval(expr, p):
    expr = expr.replace("concat(", "torch.cat(").replace("stack(", "torch.stack(")
    expr = expr.replace("axis = ", "dim=")
    return eval(expr, {"torch": torch, "p": p})


def run(args):
    out = subprocess.run([nablac] + args, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"nablac {' '.join(args)} failed:\n{out.stderr}")
    return json.loads(out.stdout)


matched = 0
for i, (shape, expr) in enumerate(CASES):
    p0 = rng.standard_normal(shape).astype(np.float32)
    p = torch.tensor(p0, requires_grad=True)
    y = torch_eval(expr, p)
    c = torch.tensor(rng.standard_normal(list(y.shape)).astype(np.float32))
    (y * c).sum().backward()
    source = work / f"case{i}.nb"
    cshape = list(y.shape) if y.dim() else [1]
    source.write_text(
        f"model M(c: {nb_type(cshape)}) {{\n"
        f"  param p: {nb_type(shape)} = {literal(p0)}\n"
        f"  y = {expr}\n"
        f"  return sum(y * c), y\n}}\n")
    cvalues = ",".join(repr(float(v)) for v in c.numpy().ravel())
    forward = run(["run", str(source), "--input", f"c={cvalues}", "--json"])
    grad = run(["grad", str(source), "--input", f"c={cvalues}", "--json"])
    got_y = np.array(forward["outputs"]["y"]["data"], dtype=np.float32)
    got_g = np.array(grad["grads"]["p"]["data"], dtype=np.float32)
    want_g = p.grad.numpy().ravel()
    ok = (np.array_equal(got_y, y.detach().numpy().ravel())
          and np.allclose(got_g, want_g, rtol=1e-6, atol=1e-6))
    print(f"{expr} on {nb_type(shape)}: {'ok' if ok else 'MISMATCH'}")
    matched += ok
print(f"{matched} of {len(CASES)} cases match PyTorch")
