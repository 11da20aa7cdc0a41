"""examples/char_transformer.nb's model in PyTorch (W7 in compare_torch):
byte embeddings plus learned positions (initialised with std 0.02), 4 pre-norm
blocks of causal self-attention (4 heads, the mask applied with -1e9
before softmax, as the .nb file) and a GELU MLP (4 d), a last layer norm
and a linear layer to 256 logits. PyTorch 1.13 has no fused attention,
so attention is written out as in the .nb file.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        n, t, d = x.shape
        h = self.heads

        def split(z):
            return z.reshape(n, t, h, d // h).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // h)
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        scores = scores.masked_fill(~mask, -1e9)
        mixed = (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, t, d)
        return self.o(mixed)


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attention = Attention(d, heads)
        self.up, self.down = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        h = x + self.attention(self.norm1(x))
        return h + self.down(F.gelu(self.up(self.norm2(h))))


class CharTransformer(nn.Module):
    def __init__(self, d=128, t=128, heads=4, blocks=4):
        super().__init__()
        self.tokens = nn.Parameter(0.02 * torch.randn(256, d))
        self.positions = nn.Parameter(0.02 * torch.randn(t, d))
        self.blocks = nn.Sequential(*[Block(d, heads) for _ in range(blocks)])
        self.norm = nn.LayerNorm(d)
        self.out = nn.Linear(d, 256)

    def forward(self, x):
        h = F.embedding(x, self.tokens) + self.positions
        return self.out(self.norm(self.blocks(h))).reshape(-1, 256)

    def load_nabla(self, params):
        """Sets every parameter from nabla's, by name (numpy arrays); linear
        weights are transposed: nabla's are [in, out], torch's [out, in]."""
        rename = {"Norm_1": "norm1", "Norm_2": "norm2", "Linear_1": "up",
                  "Linear_2": "down", "Attention_1.Linear_1": "attention.q",
                  "Attention_1.Linear_2": "attention.k",
                  "Attention_1.Linear_3": "attention.v",
                  "Attention_1.Linear_4": "attention.o"}
        field = {"w": "weight", "b": "bias", "weight": "weight",
                 "bias": "bias"}
        state = self.state_dict()
        for name, value in params.items():
            parts = name.split(".")
            if len(parts) == 1:
                key = name  # tokens, positions
            elif parts[0].startswith("Block_"):
                block = int(parts[0][len("Block_"):]) - 1
                layer = rename[".".join(parts[1:-1])]
                key = f"blocks.{block}.{layer}.{field[parts[-1]]}"
            else:
                top = {"Norm_1": "norm", "Linear_1": "out"}[parts[0]]
                key = f"{top}.{field[parts[-1]]}"
            tensor = torch.from_numpy(
                value.T.copy() if parts[-1] == "w" else value.copy())
            if state[key].shape != tensor.shape:
                raise ValueError(f"{name} -> {key}: {tuple(tensor.shape)} vs "
                                 f"{tuple(state[key].shape)}")
            state[key] = tensor
        if len(params) != len(state):
            raise ValueError("nabla's parameters and the model's differ")
        self.load_state_dict(state)
