#!/usr/bin/python3
"""Writes fashion_cnn.onnx, the PyTorch model that finetune.nb trains.

A small CNN (two 3x3 convolutions with ReLU and max pooling, one linear
layer: 5,258 parameters) is trained for one epoch on Fashion-MNIST with
PyTorch (Debian's python3-torch and dataset-fashion-mnist), then exported
with torch.onnx.export, its batch dim symbolic. finetune.nb then goes on
training it with nabla. The .onnx file is in the repository, so running
finetune.nb needs neither PyTorch nor this script.

    /usr/bin/python3 examples/onnx/export_cnn.py
"""
import gzip
import os

import numpy as np
import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big")
             for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3)
        self.conv2 = nn.Conv2d(8, 16, 3)
        self.fc = nn.Linear(16 * 5 * 5, 10)

    def forward(self, x):
        h = torch.max_pool2d(torch.relu(self.conv1(x)), 2)  # [N, 8, 13, 13]
        h = torch.max_pool2d(torch.relu(self.conv2(h)), 2)  # [N, 16, 5, 5]
        return self.fc(torch.flatten(h, 1))


def main():
    torch.manual_seed(0)
    model = FashionCNN()
    x = torch.tensor(idx("train-images-idx3-ubyte.gz"), dtype=torch.float32)
    x = x.unsqueeze(1) / 255
    y = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for i in range(0, len(x), 128):  # one epoch, in order
        loss = nn.functional.cross_entropy(model(x[i:i + 128]), y[i:i + 128])
        opt.zero_grad()
        loss.backward()
        opt.step()
    tx = torch.tensor(idx("t10k-images-idx3-ubyte.gz"), dtype=torch.float32)
    ty = torch.tensor(idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
    with torch.no_grad():
        accuracy = (model(tx.unsqueeze(1) / 255).argmax(1) == ty).float().mean()
    print(f"PyTorch, one epoch: test accuracy {100 * float(accuracy):.2f}%")
    here = os.path.dirname(os.path.abspath(__file__))
    torch.onnx.export(model.eval(), x[:1], os.path.join(here, "fashion_cnn.onnx"),
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}}, opset_version=17)
    print("wrote fashion_cnn.onnx")


if __name__ == "__main__":
    main()
