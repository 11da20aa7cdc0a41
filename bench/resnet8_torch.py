#!/usr/bin/python3
"""examples/resnet8.nb's training run in PyTorch, for comparing accuracy.

The same model (ResNet-8: a stem convolution, a basic block at 16
channels, two downsampling blocks at 32 and 64 with strided 1x1
projections, batch norm after every convolution, global average pooling,
a linear layer), initialisation (He normal with fan_in = in * kernel size
for the convolutions, no conv biases, batch norm weight 1 and bias 0,
Xavier normal and a zero bias for the linear layer), optimizer (Adam, lr
0.001, cosine annealing to 0 stepped per batch), batch (64, reshuffled each
epoch, the last partial batch dropped as nablac does), preprocessing
(pixels / 255) and epochs (10) on the same
Fashion-MNIST files. Prints the test accuracy after each epoch (in eval
mode: running statistics), as `nablac train` does:

    bench/resnet8_torch.py [--epochs E] [--threads T] [--seed S]

Needs python3-torch and dataset-fashion-mnist (apt).
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from lenet5_torch import DATA, read_idx


def conv_bn(cin, cout, k=3, stride=1):
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    return nn.Sequential(conv, nn.BatchNorm2d(cout))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn(cin, cout, stride=stride)
        self.b = conv_bn(cout, cout)
        self.skip = conv_bn(cin, cout, k=1, stride=stride) if stride > 1 else None

    def forward(self, x):
        skip = self.skip(x) if self.skip is not None else x
        return F.relu(skip + self.b(F.relu(self.a(x))))


class ResNet8(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(1, 16)
        self.blocks = nn.Sequential(Block(16, 16, 1), Block(16, 32, 2),
                                    Block(32, 64, 2))
        self.fc = nn.Linear(64, 10)
        nn.init.xavier_normal_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
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
    model = ResNet8()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = 64
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
            schedule.step()
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(tx[i:i + 1000]) for i in range(0, len(tx), 1000)])
            loss = F.cross_entropy(logits, ty).item()
            accuracy = (logits.argmax(1) == ty).float().mean().item()
        print(f"epoch {epoch}  test loss {loss:.4f}  test accuracy "
              f"{100 * accuracy:.2f}%  ({time.time() - start:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
