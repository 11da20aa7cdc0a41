#!/usr/bin/python3
"""PyTorch -> ONNX -> nabla: outputs and gradients agree with PyTorch.

Exports a small CNN and a pre-norm transformer block with
torch.onnx.export (opset 17, the batch dim symbolic), calls each from a
.nb model through `import "net.onnx" as Net`, and compares nabla's
forward outputs (`nablac run --json`) and the gradients of a loss with
respect to every parameter (`nablac grad --json`) with PyTorch's,
computed in float64 as the reference.

The loss is sum(out * r), r a fixed random tensor: its gradient reaches
every output element with a different weight, so a wrong backward rule
anywhere in the graph shows. Parameters are drawn at random before the
export, so that no two are equal (torch.onnx.export shares equal
initializers, the LayerNorms' ones and zeros, which would tie them).

Tolerance: max |nabla - torch| <= 1e-5 * max |torch| per tensor. nabla
computes in f32 (unit roundoff 6e-8); the sums here are at most a few
hundred terms long, so rounding stays ~100x below the bound, while a
wrong rule is off by O(1).

Exit 77 (ctest's skip) where torch is absent.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn as nn
except ImportError as e:
    print(f"skipped: {e} (install python3-torch for this test)")
    sys.exit(77)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2)
        self.fc1 = nn.Linear(8 * 3 * 3, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        h = torch.max_pool2d(torch.relu(self.conv1(x)), 2)     # [N, 4, 7, 7]
        h = torch.nn.functional.avg_pool2d(torch.tanh(self.conv2(h)), 1)
        h = torch.sigmoid(self.fc1(torch.flatten(h, 1)))      # [N, 16]
        return torch.log_softmax(self.fc2(h), dim=1)


class Block(nn.Module):
    """A GPT-style block: causal self-attention and a GELU MLP, pre-norm."""

    def __init__(self, d=16, heads=2):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, 4 * d)
        self.ff2 = nn.Linear(4 * d, d)

    def forward(self, x):
        t = x.shape[1]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        y = self.ln1(x)
        x = x + self.attn(y, y, y, attn_mask=mask, need_weights=False)[0]
        return x + self.ff2(torch.nn.functional.gelu(self.ff1(self.ln2(x))))


def nb_name(torch_name):
    """The .nb name the importer gives an initializer (fresh() in
    frontend/onnx/Importer.h): non-alphanumerics become '_'."""
    name = re.sub(r"[^A-Za-z0-9]", "_", torch_name)
    if not name or name[0].isdigit() or name[0] == "_":
        name = "v" + name
    return name


def rel_error(got, want):
    scale = max(np.abs(want).max(), 1e-30)
    return float(np.abs(got - want).max() / scale)


def check(nablac, work, name, model, x_shape):
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    model.eval()
    x = torch.randn(*x_shape)
    onnx_path = os.path.join(work, name + ".onnx")
    torch.onnx.export(model, x, onnx_path, input_names=["x"],
                      output_names=["out"], dynamic_axes={"x": {0: "batch"}},
                      opset_version=17, do_constant_folding=False)

    out = model(x)
    r = torch.randn(*out.shape)
    np.save(os.path.join(work, name + "_x.npy"), x.numpy())
    np.save(os.path.join(work, name + "_r.npy"), r.numpy())
    dims = ", ".join(["N"] + [str(d) for d in x_shape[1:]])
    rdims = ", ".join(["N"] + [str(d) for d in out.shape[1:]])
    wrapper = os.path.join(work, name + ".nb")
    with open(wrapper, "w") as f:
        f.write(f'import "{name}.onnx" as Net\n\n'
                f"model Loss(x: f32[{dims}], r: f32[{rdims}]) {{\n"
                f"  out = Net(x)\n"
                f"  return sum(out * r), out\n}}\n")

    def nablac_json(command):
        result = subprocess.run(
            [nablac, command, wrapper, "--json", "--num-threads", "1",
             "--input", f"x={name}_x.npy", "--input", f"r={name}_r.npy"],
            cwd=work, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"{name}: nablac {command} failed:\n{result.stderr}")
        return json.loads(result.stdout)

    ran = nablac_json("run")
    grads = nablac_json("grad")["grads"]

    # The reference, in float64.
    ref = model.double()
    xd = x.double()
    ref.zero_grad()
    want_out = ref(xd)
    (want_out * r.double()).sum().backward()

    failures = []
    got_out = np.array(ran["outputs"]["out"]["data"]).reshape(want_out.shape)
    err = rel_error(got_out, want_out.detach().numpy())
    print(f"{name}: output {tuple(want_out.shape)} relative error {err:.2e}")
    if err > 1e-5:
        failures.append(f"output: relative error {err:.2e}")
    for pname, p in ref.named_parameters():
        key = "Net_1." + nb_name(pname)
        if key not in grads:
            failures.append(f"no gradient for {pname} ({key}); nabla has "
                            + ", ".join(sorted(grads)))
            continue
        want = p.grad.numpy()
        got = np.array(grads[key]["data"]).reshape(want.shape)
        err = rel_error(got, want)
        print(f"{name}: d/d{pname} {tuple(want.shape)} relative error "
              f"{err:.2e}")
        if err > 1e-5:
            failures.append(f"d/d{pname}: relative error {err:.2e}")
    if len(grads) != len(list(ref.parameters())):
        failures.append(f"nabla has {len(grads)} parameters, torch "
                        f"{len(list(ref.parameters()))}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nablac", required=True)
    args = parser.parse_args()
    nablac = os.path.abspath(args.nablac)
    failures = []
    with tempfile.TemporaryDirectory() as work:
        failures += check(nablac, work, "cnn", CNN(), (3, 1, 14, 14))
        failures += check(nablac, work, "block", Block(), (2, 8, 16))
    for f in failures:
        print("FAIL:", f)
    print("torch round trip:", "FAILED" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
