"""examples/char_lstm.nb's model in PyTorch: byte embeddings (64), a
2-layer torch.nn.LSTM of 256 cells, and a linear layer to 256 logits.

nabla's LSTM layer has one bias per gate and its weights [in, out], gates
side by side (input, forget, cell, output); load_nabla() maps them onto
nn.LSTM's weight_ih_l{k} [4H, in] (transposed), weight_hh_l{k} and
bias_ih_l{k}, with bias_hh_l{k} zero.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CharLSTM(nn.Module):
    def __init__(self, embed=64, hidden=256, layers=2):
        super().__init__()
        self.bytes = nn.Parameter(torch.randn(256, embed))
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True)
        self.out = nn.Linear(hidden, 256)

    def forward(self, x):
        h, _ = self.lstm(F.embedding(x, self.bytes))
        return self.out(h).reshape(-1, 256)

    def load_nabla(self, params):
        """Sets every parameter from nabla's, by name (numpy arrays)."""
        def t(a):
            return torch.from_numpy(a.copy())
        state = self.state_dict()
        state["bytes"] = t(params["bytes"])
        state["out.weight"] = t(params["Linear_1.w"].T)
        state["out.bias"] = t(params["Linear_1.b"])
        for k in range(self.lstm.num_layers):
            p = f"LSTM_{k + 1}."
            state[f"lstm.weight_ih_l{k}"] = torch.cat(
                [t(params[p + g].T) for g in ("wi", "wf", "wg", "wo")])
            state[f"lstm.weight_hh_l{k}"] = torch.cat(
                [t(params[p + g].T) for g in ("ui", "uf", "ug", "uo")])
            state[f"lstm.bias_ih_l{k}"] = torch.cat(
                [t(params[p + g]) for g in ("bi", "bf", "bg", "bo")])
            state[f"lstm.bias_hh_l{k}"] = torch.zeros_like(
                state[f"lstm.bias_hh_l{k}"])
        self.load_state_dict(state)
