#!/usr/bin/python3
"""examples/lenet5.nb's training run in PyTorch, for comparing accuracy.

The same model (LeNet-5 with ReLU and max pooling), initialisation (He
normal for the convolutions and the two hidden Dense layers, with PyTorch's
fan_in = in * kernel size, Xavier normal for the last, zero biases),
optimizer (Adam, lr 0.001), batch (128, reshuffled each epoch, the last
partial batch dropped as nablac does), preprocessing (pixels / 255) and
epochs (10) on the same Fashion-MNIST files. Prints the test accuracy after
each epoch, as `nablac train` does:

    bench/lenet5_torch.py [--epochs E] [--threads T] [--seed S]

Needs python3-torch and dataset-fashion-mnist (apt).
"""
import argparse
import gzip
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist/"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        x = torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8)
        return x.reshape(count, 1, rows, cols).float() / 255.0
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1 = nn.Linear(400, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, 10)
        for layer in (self.c1, self.c2, self.f1, self.f2):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        nn.init.xavier_normal_(self.f3.weight)
        for layer in (self.c1, self.c2, self.f1, self.f2, self.f3):
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.f1(x.flatten(1)))
        return self.f3(F.relu(self.f2(x)))


def train(make_model, batch, cosine=False):
    """Parses --epochs/--threads/--seed, trains make_model() on
    Fashion-MNIST with Adam (lr 0.001; annealed to 0 per batch with
    `cosine`), the last partial batch dropped, and prints the test loss and
    accuracy (eval mode) after each epoch."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x = read_idx(DATA + "train-images-idx3-ubyte.gz")
    y = read_idx(DATA + "train-labels-idx1-ubyte.gz")
    tx = read_idx(DATA + "t10k-images-idx3-ubyte.gz")
    ty = read_idx(DATA + "t10k-labels-idx1-ubyte.gz")
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = None
    if cosine:
        steps = len(x) // batch * args.epochs
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    for epoch in range(1, args.epochs + 1):
        start = time.time()
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x) - batch + 1, batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
            if schedule:
                schedule.step()
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(tx[i:i + 1000]) for i in range(0, len(tx), 1000)])
            loss = F.cross_entropy(logits, ty).item()
            accuracy = (logits.argmax(1) == ty).float().mean().item()
        print(f"epoch {epoch}  test loss {loss:.4f}  test accuracy "
              f"{100 * accuracy:.2f}%  ({time.time() - start:.1f}s)", flush=True)


if __name__ == "__main__":
    train(LeNet5, batch=128)
