"""Checks conv, pooling and pad against a direct implementation of
PyTorch's definitions (torch.nn.functional), written here with plain loops,
and against torch itself where it is installed.

    reference.py NABLAC DEVICE WORKDIR

For each case of the table: random inputs and weights (seeded), a model
with the weights as literals, `nablac run --json` on DEVICE, and every
output element compared to the reference to 1e-5 relative (f32 sums of at
most a few hundred products stay well inside that). Prints one line per
case and a summary; exits 1 on any mismatch.
"""
import itertools
import json
import math
import pathlib
import random
import subprocess
import sys


def shape_of(nested):
    shape = []
    while isinstance(nested, list):
        shape.append(len(nested))
        nested = nested[0]
    return shape


def flat(nested):
    if not isinstance(nested, list):
        return [nested]
    return [v for item in nested for v in flat(item)]


def zeros(shape):
    if not shape:
        return 0.0
    return [zeros(shape[1:]) for _ in range(shape[0])]


def get(t, idx):
    for i in idx:
        t = t[i]
    return t


def put(t, idx, v):
    for i in idx[:-1]:
        t = t[i]
    t[idx[-1]] = v


def pairs(v, n):
    return [v] * n if isinstance(v, int) else list(v)


def conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv1d/conv2d (padding an int, list or "same")."""
    n, c, *size = shape_of(x)
    o, cg, *kernel = shape_of(w)
    sp = len(size)
    s, d = pairs(stride, sp), pairs(dilation, sp)
    if padding == "same":
        low = [d[i] * (kernel[i] - 1) // 2 for i in range(sp)]
    elif padding == "valid":
        low = [0] * sp
    else:
        low = pairs(padding, sp)
    high = [d[i] * (kernel[i] - 1) - low[i] if padding == "same" else low[i]
            for i in range(sp)]
    out = [(size[i] + low[i] + high[i] - d[i] * (kernel[i] - 1) - 1) // s[i] + 1
           for i in range(sp)]
    og = o // groups
    y = zeros([n, o] + out)
    for ni, oi in itertools.product(range(n), range(o)):
        g = oi // og
        for p in itertools.product(*map(range, out)):
            acc = b[oi] if b else 0.0
            for ci in range(cg):
                for k in itertools.product(*map(range, kernel)):
                    pos = [p[i] * s[i] + k[i] * d[i] - low[i] for i in range(sp)]
                    if all(0 <= pos[i] < size[i] for i in range(sp)):
                        acc += get(x, [ni, g * cg + ci] + pos) * get(w, [oi, ci] + list(k))
            put(y, [ni, oi] + list(p), acc)
    return y


def conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0,
                   groups=1, dilation=1):
    """torch.nn.functional.conv_transpose1d/2d: each input element scatters
    its weighted kernel into the output."""
    n, c, *size = shape_of(x)
    _, og, *kernel = shape_of(w)
    sp = len(size)
    s, p, op, d = (pairs(v, sp) for v in (stride, padding, output_padding, dilation))
    out = [(size[i] - 1) * s[i] - 2 * p[i] + d[i] * (kernel[i] - 1) + op[i] + 1
           for i in range(sp)]
    cg = c // groups
    y = zeros([n, og * groups] + out)
    for ni, ci in itertools.product(range(n), range(c)):
        g = ci // cg
        for q in itertools.product(*map(range, size)):
            v = get(x, [ni, ci] + list(q))
            for oi in range(og):
                for k in itertools.product(*map(range, kernel)):
                    pos = [q[i] * s[i] + k[i] * d[i] - p[i] for i in range(sp)]
                    if all(0 <= pos[i] < out[i] for i in range(sp)):
                        idx = [ni, g * og + oi] + pos
                        put(y, idx, get(y, idx) + v * get(w, [ci, oi] + list(k)))
    if b:
        for ni, oi in itertools.product(range(n), range(og * groups)):
            for pos in itertools.product(*map(range, out)):
                idx = [ni, oi] + list(pos)
                put(y, idx, get(y, idx) + b[oi])
    return y


def pool(x, kernel, stride=None, padding=0, dilation=1, mode="max",
         count_include_pad=True):
    n, c, *size = shape_of(x)
    sp = len(size)
    k = pairs(kernel, sp)
    s = pairs(stride if stride is not None else kernel, sp)
    p, d = pairs(padding, sp), pairs(dilation, sp)
    out = [(size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(sp)]
    y = zeros([n, c] + out)
    for ni, ci in itertools.product(range(n), range(c)):
        for q in itertools.product(*map(range, out)):
            values = []
            for kk in itertools.product(*map(range, k)):
                pos = [q[i] * s[i] + kk[i] * d[i] - p[i] for i in range(sp)]
                if all(0 <= pos[i] < size[i] for i in range(sp)):
                    values.append(get(x, [ni, ci] + pos))
            if mode == "max":
                v = max(values)
            else:
                count = math.prod(k) if count_include_pad else len(values)
                v = sum(values) / count
            put(y, [ni, ci] + list(q), v)
    return y


def pad(x, pads, value=0.0):
    """torch.nn.functional.pad, constant mode: pairs from the last dim."""
    shape = shape_of(x)
    rank = len(shape)
    low, high = [0] * rank, [0] * rank
    for j in range(len(pads) // 2):
        low[rank - 1 - j], high[rank - 1 - j] = pads[2 * j], pads[2 * j + 1]
    out = [shape[i] + low[i] + high[i] for i in range(rank)]
    y = zeros(out)
    for idx in itertools.product(*map(range, out)):
        src = [idx[i] - low[i] for i in range(rank)]
        inside = all(0 <= src[i] < shape[i] for i in range(rank))
        put(y, list(idx), get(x, src) if inside else value)
    return y


def tensor(rng, shape):
    if not shape:
        return round(rng.uniform(-1, 1), 4)
    return [tensor(rng, shape[1:]) for _ in range(shape[0])]


def nb_type(shape):
    return "f32[" + ", ".join(map(str, shape)) + "]"


def nb_value(v):
    return json.dumps(v)


def nb_arg(v):
    return json.dumps(v) if not isinstance(v, str) else '"' + v + '"'


# name, x shape, {param: shape}, the .nb call, the reference call.
CASES = [
    ("conv2d", [2, 3, 6, 5], {"w": [4, 3, 3, 3], "b": [4]},
     "conv2d(x, w, b)", lambda x, P: conv(x, P["w"], P["b"])),
    ("conv2d stride 2 padding 1", [2, 3, 7, 6], {"w": [4, 3, 3, 3]},
     "conv2d(x, w, stride = 2, padding = 1)",
     lambda x, P: conv(x, P["w"], stride=2, padding=1)),
    ("conv2d stride [2, 1] padding [0, 2] dilation 2", [1, 2, 9, 7], {"w": [3, 2, 3, 2]},
     "conv2d(x, w, stride = [2, 1], padding = [0, 2], dilation = 2)",
     lambda x, P: conv(x, P["w"], stride=[2, 1], padding=[0, 2], dilation=2)),
    ("conv2d same, even kernel, dilation [1, 2]", [1, 2, 5, 6], {"w": [2, 2, 4, 3]},
     'conv2d(x, w, padding = "same", dilation = [1, 2])',
     lambda x, P: conv(x, P["w"], padding="same", dilation=[1, 2])),
    ("conv2d groups 2", [2, 4, 5, 5], {"w": [6, 2, 3, 3], "b": [6]},
     "conv2d(x, w, b, groups = 2, padding = 1)",
     lambda x, P: conv(x, P["w"], P["b"], groups=2, padding=1)),
    ("conv2d depthwise", [1, 3, 6, 6], {"w": [3, 1, 3, 3]},
     "conv2d(x, w, groups = 3, stride = 2)",
     lambda x, P: conv(x, P["w"], groups=3, stride=2)),
    ("conv1d", [2, 3, 11], {"w": [5, 3, 4], "b": [5]},
     "conv1d(x, w, b, stride = 2, padding = 1, dilation = 2)",
     lambda x, P: conv(x, P["w"], P["b"], stride=2, padding=1, dilation=2)),
    ("conv_transpose2d", [2, 4, 3, 4], {"w": [4, 3, 3, 3], "b": [3]},
     "conv_transpose2d(x, w, b)", lambda x, P: conv_transpose(x, P["w"], P["b"])),
    ("conv_transpose2d stride 2 padding 1 output_padding 1", [1, 2, 3, 3], {"w": [2, 3, 3, 3]},
     "conv_transpose2d(x, w, stride = 2, padding = 1, output_padding = 1)",
     lambda x, P: conv_transpose(x, P["w"], stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d groups 2 dilation 2", [1, 4, 3, 2], {"w": [4, 1, 2, 3]},
     "conv_transpose2d(x, w, groups = 2, dilation = 2, stride = [1, 3])",
     lambda x, P: conv_transpose(x, P["w"], groups=2, dilation=2, stride=[1, 3])),
    ("conv_transpose1d", [2, 2, 5], {"w": [2, 3, 3]},
     "conv_transpose1d(x, w, stride = 3, padding = 2)",
     lambda x, P: conv_transpose(x, P["w"], stride=3, padding=2)),
    ("max_pool2d", [2, 3, 6, 6], {},
     "max_pool2d(x, 2)", lambda x, P: pool(x, 2)),
    ("max_pool2d 3 stride 2 padding 1", [1, 2, 7, 6], {},
     "max_pool2d(x, 3, stride = 2, padding = 1)",
     lambda x, P: pool(x, 3, stride=2, padding=1)),
    ("max_pool2d dilation 2", [1, 2, 7, 7], {},
     "max_pool2d(x, [2, 3], stride = 1, dilation = 2)",
     lambda x, P: pool(x, [2, 3], stride=1, dilation=2)),
    ("max_pool1d", [2, 2, 9], {},
     "max_pool1d(x, 3, stride = 2, padding = 1)",
     lambda x, P: pool(x, 3, stride=2, padding=1)),
    ("avg_pool2d", [2, 3, 6, 6], {},
     "avg_pool2d(x, 2)", lambda x, P: pool(x, 2, mode="avg")),
    ("avg_pool2d padding 1", [1, 2, 5, 6], {},
     "avg_pool2d(x, 3, stride = 2, padding = 1)",
     lambda x, P: pool(x, 3, stride=2, padding=1, mode="avg")),
    ("avg_pool2d count_include_pad 0", [1, 2, 5, 6], {},
     "avg_pool2d(x, 3, stride = 2, padding = 1, count_include_pad = 0)",
     lambda x, P: pool(x, 3, stride=2, padding=1, mode="avg", count_include_pad=False)),
    ("pad", [2, 3, 4], {},
     "pad(x, [1, 2, 0, 1], value = 0.5)", lambda x, P: pad(x, [1, 2, 0, 1], 0.5)),
    ("pad that cuts", [2, 3, 4], {},
     "pad(x, [-1, 2, 1, -2])",
     lambda x, P: pad(x, [-1, 2, 1, -2])),
]


def torch_check(call, x, params, got):
    """The same call through torch.nn.functional (where torch exists): the
    .nb call is Python with F. in front and tuples for pad's list."""
    import torch
    import torch.nn.functional as F
    env = {k: torch.tensor(v, dtype=torch.float64) for k, v in params.items()}
    env["x"] = torch.tensor(x, dtype=torch.float64)
    expr = "F." + call.replace("count_include_pad = 0", "count_include_pad = False")
    want = eval(expr, {"F": F}, env).flatten().tolist()
    return compare(got, want)


def compare(got, want):
    if len(got) != len(want):
        return f"{len(got)} values, expected {len(want)}"
    for i, (a, b) in enumerate(zip(got, want)):
        if abs(a - b) > 1e-5 * max(1.0, abs(b)):
            return f"element {i}: {a} vs {b}"
    return None


def main():
    nablac, device, work = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("note: torch is not installed; compared with the plain-Python reference only")
    rng = random.Random(7)
    failures = 0
    for i, (name, xshape, pshapes, call, ref) in enumerate(CASES):
        x = tensor(rng, xshape)
        params = {k: tensor(rng, s) for k, s in pshapes.items()}
        lines = [f"model M(x: {nb_type(xshape)}) {{"]
        for k, s in pshapes.items():
            lines.append(f"  param {k}: {nb_type(s)} = {nb_value(params[k])}")
        lines += [f"  return {call}", "}"]
        path = work / f"case{i}.nb"
        path.write_text("\n".join(lines) + "\n")
        run = subprocess.run([nablac, "run", str(path), "--device", device, "--json",
                              "--input", "x=" + ",".join(map(str, flat(x)))],
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(f"FAIL {name}: nablac exited {run.returncode}: {run.stderr.strip()}")
            failures += 1
            continue
        out = json.loads(run.stdout)["outputs"]["loss"]
        want = ref(x, params)
        problem = None
        if out["shape"] != shape_of(want):
            problem = f"shape {out['shape']}, expected {shape_of(want)}"
        else:
            problem = compare(out["data"], flat(want))
        if not problem and have_torch:
            problem = torch_check(call, x, params, out["data"])
            problem = problem and "torch: " + problem
        print(("FAIL " if problem else "ok   ") + name + (": " + problem if problem else ""))
        failures += bool(problem)
    print(f"{len(CASES) - failures} of {len(CASES)} cases match on {device}")
    sys.exit(1 if failures else 0)


main()
