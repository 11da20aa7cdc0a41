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
import torch.nn as nn
import torch.nn.functional as F

from lenet5_torch import train


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


if __name__ == "__main__":
    train(ResNet8, batch=64, cosine=True)
