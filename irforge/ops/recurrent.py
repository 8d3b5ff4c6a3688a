"""Recurrent sequences (opset5): LSTMSequence, GRUSequence, RNNSequence.

Minimal versions written for the MXNet frontend's fused RNN (the recurrent family belongs to the onnx-suite
work, which may extend them): batch-major X [N, T, I], states [N, D, H], weights per direction
W [D, G*H, I], R [D, G*H, H], B [D, G*H]; outputs Y [N, D, T, H] and the last states [N, D, H].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge.core.shape import DYNAMIC

from .base import Op, PartialShape, TensorInfo, same_element_type

ACTIVATIONS = {
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
}


def _out_shapes(x: TensorInfo, h0: TensorInfo, hidden: int, direction: str) -> tuple[PartialShape, PartialShape]:
    dirs = 2 if direction == "bidirectional" else 1
    if x.rank is not None and x.rank != 3:
        raise ValueError(f"X must be [batch, seq, input], got [{x.shape}]")
    batch = x.shape[0] if x.rank is not None else DYNAMIC
    seq = x.shape[1] if x.rank is not None else DYNAMIC
    return PartialShape([batch, dirs, seq, hidden]), PartialShape([batch, dirs, hidden])


def _run(x, lengths, direction: str, step, states0: list[np.ndarray]):
    """Run `step(x_t, states, d) -> states` over time for each direction; steps past a sequence's length keep
    the states, and their outputs are zero (as the runtime gives them)."""
    n, t, _ = x.shape
    dirs = 2 if direction == "bidirectional" else 1
    hidden = states0[0].shape[-1]
    y = np.zeros((n, dirs, t, hidden), x.dtype)
    finals = [np.zeros_like(s) for s in states0]
    lengths = np.asarray(lengths).reshape(-1).astype(np.int64)
    for d in range(dirs):
        backward = direction == "reverse" or d == 1
        states = [s[:, d].astype(np.float64) for s in states0]
        for k in range(t):
            active = (k < lengths)[:, None]
            if backward:  # each sequence runs backwards from its own last element
                idx = np.clip(lengths - 1 - k, 0, t - 1)
                xt = x[np.arange(n), idx]
            else:
                idx = np.full(n, k)
                xt = x[:, k]
            new = step(xt.astype(np.float64), states, d)
            states = [np.where(active, s_new, s_old) for s_new, s_old in zip(new, states)]
            y[np.arange(n), d, idx] = np.where(active, states[0], y[np.arange(n), d, idx])
        for i, s in enumerate(states):
            finals[i][:, d] = s
    return y, finals


@dataclass(frozen=True)
class _Sequence(Op):
    VERSION = "opset5"
    hidden_size: int = 0
    activations_alpha: tuple[float, ...] = ()
    activations_beta: tuple[float, ...] = ()
    clip: float = 0.0
    direction: str = "forward"

    def _act(self, i: int):
        return ACTIVATIONS[self.activations[i]]  # type: ignore[attr-defined]

    def _clip(self, v):
        return np.clip(v, -self.clip, self.clip) if self.clip else v


@dataclass(frozen=True)
class LSTMSequence(_Sequence):
    """Gates f, i, c, o: i/f/o = f1(.), c~ = f2(.), C = f*C + i*c~, H = o * f3(C)."""

    TYPE = "LSTMSequence"
    activations: tuple[str, ...] = ("sigmoid", "tanh", "tanh")

    def infer(self, x, h0, c0, lengths, w, r, b) -> list[TensorInfo]:
        et = same_element_type(self, x, h0, c0, w, r, b)
        y, h = _out_shapes(x, h0, self.hidden_size, self.direction)
        return [TensorInfo(et, y), TensorInfo(et, h), TensorInfo(et, h)]

    def evaluate(self, x, h0, c0, lengths, w, r, b):
        H = self.hidden_size
        f1, f2, f3 = self._act(0), self._act(1), self._act(2)

        def step(xt, states, d):
            h, c = states
            gates = xt @ w[d].T + h @ r[d].T + b[d]
            f, i, cc, o = (self._clip(gates[:, k * H:(k + 1) * H]) for k in range(4))
            c = f1(f) * c + f1(i) * f2(cc)
            return [f1(o) * f3(c), c]

        y, (ho, co) = _run(x, lengths, self.direction, step, [h0, c0])
        return [y.astype(x.dtype), ho.astype(x.dtype), co.astype(x.dtype)]


@dataclass(frozen=True)
class GRUSequence(_Sequence):
    """Gates z, r, h: with linear_before_reset (B has 4*H: the recurrent h bias apart)
    h~ = f2(Wh x + bWh + r * (Rh h + bRh)), else h~ = f2(Wh x + Rh (r * h) + bh); H = (1 - z) * h~ + z * h."""

    TYPE = "GRUSequence"
    activations: tuple[str, ...] = ("sigmoid", "tanh")
    linear_before_reset: bool = False

    def infer(self, x, h0, lengths, w, r, b) -> list[TensorInfo]:
        et = same_element_type(self, x, h0, w, r, b)
        y, h = _out_shapes(x, h0, self.hidden_size, self.direction)
        return [TensorInfo(et, y), TensorInfo(et, h)]

    def evaluate(self, x, h0, lengths, w, r, b):
        H = self.hidden_size
        f1, f2 = self._act(0), self._act(1)

        def step(xt, states, d):
            (h,) = states
            xw = xt @ w[d].T
            bias = b[d]
            rz = self._clip(xw[:, :2 * H] + h @ r[d][:2 * H].T + bias[:2 * H])
            z, rr = f1(rz[:, :H]), f1(rz[:, H:])
            if self.linear_before_reset:
                cand = xw[:, 2 * H:] + bias[2 * H:3 * H] + rr * (h @ r[d][2 * H:].T + bias[3 * H:])
            else:
                cand = xw[:, 2 * H:] + (rr * h) @ r[d][2 * H:].T + bias[2 * H:3 * H]
            hh = f2(self._clip(cand))
            return [(1 - z) * hh + z * h]

        y, (ho,) = _run(x, lengths, self.direction, step, [h0])
        return [y.astype(x.dtype), ho.astype(x.dtype)]


@dataclass(frozen=True)
class RNNSequence(_Sequence):
    """H = f(W x + R h + B)."""

    TYPE = "RNNSequence"
    activations: tuple[str, ...] = ("tanh",)

    def infer(self, x, h0, lengths, w, r, b) -> list[TensorInfo]:
        et = same_element_type(self, x, h0, w, r, b)
        y, h = _out_shapes(x, h0, self.hidden_size, self.direction)
        return [TensorInfo(et, y), TensorInfo(et, h)]

    def evaluate(self, x, h0, lengths, w, r, b):
        f = self._act(0)

        def step(xt, states, d):
            (h,) = states
            return [f(self._clip(xt @ w[d].T + h @ r[d].T + b[d]))]

        y, (ho,) = _run(x, lengths, self.direction, step, [h0])
        return [y.astype(x.dtype), ho.astype(x.dtype)]


OPS: tuple[type[Op], ...] = (LSTMSequence, GRUSequence, RNNSequence)
__all__ = [c.__name__ for c in OPS]
