"""Recurrent cells and sequences: RNNCell, GRUCell, LSTMCell-4 and RNNSequence, GRUSequence, LSTMSequence-5.

OpenVINO's gate layouts: LSTM weights stack the gates as f, i, c, o (forget, input, cell, output); GRU as z, r, h
(update, reset, hidden). With linear_before_reset the GRU bias has 4 parts [z, r, h of W, h of R]. `clip` > 0
bounds every gate's pre-activation to [-clip, clip]. Sequences take X [batch, time, input], initial states
[batch, directions, hidden], sequence lengths [batch] and weights with a leading directions axis; steps past a
sequence's length are not run (their outputs are 0), and the reverse direction walks each sequence from its own
last valid step."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ClassVar

import numpy as np

from irforge.core.shape import DYNAMIC, Dim

from .base import Op, PartialShape, TensorInfo, same_element_type


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": _sigmoid, "tanh": np.tanh, "relu": lambda x: np.maximum(x, 0),
}


def _activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    try:
        return ACTIVATIONS[name.lower()]
    except KeyError:
        raise ValueError(f"activation {name!r} is not one of {', '.join(ACTIVATIONS)}") from None


@dataclass(frozen=True)
class _Recurrent(Op):
    """Attributes every cell and sequence has."""

    GATES: ClassVar[int] = 1
    DEFAULT_ACTIVATIONS: ClassVar[tuple[str, ...]] = ("tanh",)
    hidden_size: int = 1
    activations: tuple[str, ...] = ()
    activations_alpha: tuple[float, ...] = ()
    activations_beta: tuple[float, ...] = ()
    clip: float = 0.0

    def functions(self) -> list[Callable[[np.ndarray], np.ndarray]]:
        names = self.activations or self.DEFAULT_ACTIVATIONS
        if len(names) != len(self.DEFAULT_ACTIVATIONS):
            raise ValueError(f"{self.TYPE} takes {len(self.DEFAULT_ACTIVATIONS)} activations, got {list(names)}")
        return [_activation(a) for a in names]

    def gate_input(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, -self.clip, self.clip) if self.clip > 0 else x

    def check_weights(self, w: TensorInfo, r: TensorInfo, b: TensorInfo, sequence: bool) -> None:
        rows = w.shape[1 if sequence else 0] if w.rank is not None else None
        gates = self.GATES
        if isinstance(rows, int) and rows != gates * self.hidden_size:
            raise ValueError(f"{self.TYPE} weights have {rows} rows, expected {gates} x hidden_size "
                             f"{self.hidden_size}")
        self.functions()

    # One step for a batch: x [N, I], states [N, H] each, weights of one direction. Returns the new states.
    def step(self, x: np.ndarray, states: list[np.ndarray], w: np.ndarray, r: np.ndarray, b: np.ndarray
             ) -> list[np.ndarray]:
        raise NotImplementedError


@dataclass(frozen=True)
class RNNCell(_Recurrent):
    """opset1 RNNCell: H' = f(X W^T + H R^T + B). Inputs X [N, I], H [N, hidden], W [hidden, I], R, B [hidden]."""

    TYPE = "RNNCell"
    activations: tuple[str, ...] = ("tanh",)

    def infer(self, x: TensorInfo, h: TensorInfo, w: TensorInfo, r: TensorInfo, b: TensorInfo) -> list[TensorInfo]:
        self.check_weights(w, r, b, False)
        return [TensorInfo(same_element_type(self, x, h, w, r, b), _state_shape(x, self.hidden_size))]

    def step(self, x, states, w, r, b):
        (f,) = self.functions()
        return [f(self.gate_input(x @ w.T + states[0] @ r.T + b))]

    def evaluate(self, x, h, w, r, b):
        return [self.step(x, [h], w, r, b)[0].astype(x.dtype)]


@dataclass(frozen=True)
class GRUCell(_Recurrent):
    """opset3 GRUCell: gates z, r, h. linear_before_reset applies the reset gate after the recurrent product
    (then B has 4 x hidden values)."""

    TYPE = "GRUCell"
    VERSION = "opset3"
    GATES = 3
    DEFAULT_ACTIVATIONS = ("sigmoid", "tanh")
    activations: tuple[str, ...] = DEFAULT_ACTIVATIONS
    linear_before_reset: bool = False

    def infer(self, x: TensorInfo, h: TensorInfo, w: TensorInfo, r: TensorInfo, b: TensorInfo) -> list[TensorInfo]:
        self.check_weights(w, r, b, False)
        return [TensorInfo(same_element_type(self, x, h, w, r, b), _state_shape(x, self.hidden_size))]

    def step(self, x, states, w, r, b):
        f, g = self.functions()
        h = states[0]
        n = self.hidden_size
        wz, wr, wh = w[:n], w[n:2 * n], w[2 * n:]
        rz, rr, rh = r[:n], r[n:2 * n], r[2 * n:]
        z = f(self.gate_input(x @ wz.T + h @ rz.T + b[:n]))
        reset = f(self.gate_input(x @ wr.T + h @ rr.T + b[n:2 * n]))
        if self.linear_before_reset:
            candidate = g(self.gate_input(x @ wh.T + reset * (h @ rh.T + b[3 * n:4 * n]) + b[2 * n:3 * n]))
        else:
            candidate = g(self.gate_input(x @ wh.T + (reset * h) @ rh.T + b[2 * n:3 * n]))
        return [(1 - z) * candidate + z * h]

    def evaluate(self, x, h, w, r, b):
        return [self.step(x, [h], w, r, b)[0].astype(x.dtype)]


@dataclass(frozen=True)
class LSTMCell(_Recurrent):
    """opset4 LSTMCell: gates f, i, c, o; C' = f * C + i * g(c); H' = o * h(C'). Outputs H', C'."""

    TYPE = "LSTMCell"
    VERSION = "opset4"
    GATES = 4
    DEFAULT_ACTIVATIONS = ("sigmoid", "tanh", "tanh")
    activations: tuple[str, ...] = DEFAULT_ACTIVATIONS

    def infer(self, x: TensorInfo, h: TensorInfo, c: TensorInfo, w: TensorInfo, r: TensorInfo, b: TensorInfo
              ) -> list[TensorInfo]:
        self.check_weights(w, r, b, False)
        et = same_element_type(self, x, h, c, w, r, b)
        shape = _state_shape(x, self.hidden_size)
        return [TensorInfo(et, shape), TensorInfo(et, shape)]

    def step(self, x, states, w, r, b):
        f, g, h_act = self.functions()
        h, c = states
        n = self.hidden_size
        gates = x @ w.T + h @ r.T + b
        forget, inp, cell, out = (self.gate_input(gates[:, k * n:(k + 1) * n]) for k in range(4))
        new_c = f(forget) * c + f(inp) * g(cell)
        return [f(out) * h_act(new_c), new_c]

    def evaluate(self, x, h, c, w, r, b):
        new_h, new_c = self.step(x, [h, c], w, r, b)
        return [new_h.astype(x.dtype), new_c.astype(x.dtype)]


def _state_shape(x: TensorInfo, hidden: int) -> PartialShape:
    batch: Dim = x.shape[0] if x.rank is not None else DYNAMIC
    return PartialShape([batch, hidden])


# -- sequences ---------------------------------------------------------------------------------------------------
DIRECTIONS = {"forward": 1, "reverse": 1, "bidirectional": 2}


@dataclass(frozen=True)
class _Sequence(Op):
    """A cell run over time in one or both directions."""

    VERSION = "opset5"
    CELL: ClassVar[type[_Recurrent]] = RNNCell
    STATES: ClassVar[int] = 1
    direction: str = "forward"
    hidden_size: int = 1
    activations: tuple[str, ...] = ()
    activations_alpha: tuple[float, ...] = ()
    activations_beta: tuple[float, ...] = ()
    clip: float = 0.0

    def cell(self) -> _Recurrent:
        return self.CELL(hidden_size=self.hidden_size, activations=self.activations,  # type: ignore[call-arg]
                         activations_alpha=self.activations_alpha, activations_beta=self.activations_beta,
                         clip=self.clip, **self.cell_attributes())

    def cell_attributes(self) -> dict:
        return {}

    def infer_sequence(self, x: TensorInfo, states: list[TensorInfo], weights: list[TensorInfo]) -> list[TensorInfo]:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction {self.direction!r} is not forward, reverse or bidirectional")
        self.cell().check_weights(weights[0], weights[1], weights[2], True)
        et = same_element_type(self, x, *states, *weights)
        batch: Dim = x.shape[0] if x.rank is not None else DYNAMIC
        steps: Dim = x.shape[1] if x.rank is not None else DYNAMIC
        d = DIRECTIONS[self.direction]
        state = TensorInfo(et, PartialShape([batch, d, self.hidden_size]))
        return [TensorInfo(et, PartialShape([batch, d, steps, self.hidden_size]))] + [state] * self.STATES

    def run(self, x: np.ndarray, states: list[np.ndarray], lengths: np.ndarray, w: np.ndarray, r: np.ndarray,
            b: np.ndarray) -> list[np.ndarray]:
        cell = self.cell()
        batch, steps = x.shape[:2]
        d_count = DIRECTIONS[self.direction]
        y = np.zeros((batch, d_count, steps, self.hidden_size), np.float64)
        finals = [np.zeros((batch, d_count, self.hidden_size), np.float64) for _ in range(self.STATES)]
        lengths = np.minimum(lengths.astype(np.int64).reshape(-1), steps)
        for d in range(d_count):
            backward = self.direction == "reverse" or d == 1
            wd, rd, bd = (t[d].astype(np.float64) for t in (w, r, b))
            current = [s[:, d].astype(np.float64) for s in states]
            for k in range(steps):
                active = k < lengths  # [batch]
                t = (lengths - 1 - k).clip(0, steps - 1) if backward else np.full(batch, k)
                xt = x[np.arange(batch), t].astype(np.float64)
                new = cell.step(xt, current, wd, rd, bd)
                current = [np.where(active[:, None], nv, cv) for nv, cv in zip(new, current)]
                y[np.arange(batch)[active], d, t[active]] = current[0][active]
            for s, value in zip(finals, current):
                s[:, d] = value
        return [y.astype(x.dtype)] + [s.astype(x.dtype) for s in finals]


@dataclass(frozen=True)
class RNNSequence(_Sequence):
    """opset5 RNNSequence: inputs X, H0, sequence_lengths, W [D, hidden, I], R, B [D, hidden]; outputs Y, Ho."""

    TYPE = "RNNSequence"
    CELL = RNNCell
    activations: tuple[str, ...] = ("tanh",)

    def infer(self, x, h, lengths, w, r, b):
        return self.infer_sequence(x, [h], [w, r, b])

    def evaluate(self, x, h, lengths, w, r, b):
        return self.run(x, [h], lengths, w, r, b)


@dataclass(frozen=True)
class GRUSequence(_Sequence):
    """opset5 GRUSequence: inputs X, H0, sequence_lengths, W [D, 3 hidden, I], R, B [D, 3 or 4 hidden]."""

    TYPE = "GRUSequence"
    CELL = GRUCell
    activations: tuple[str, ...] = ("sigmoid", "tanh")
    linear_before_reset: bool = field(default=False)

    def cell_attributes(self) -> dict:
        return {"linear_before_reset": self.linear_before_reset}

    def infer(self, x, h, lengths, w, r, b):
        return self.infer_sequence(x, [h], [w, r, b])

    def evaluate(self, x, h, lengths, w, r, b):
        return self.run(x, [h], lengths, w, r, b)


@dataclass(frozen=True)
class LSTMSequence(_Sequence):
    """opset5 LSTMSequence: inputs X, H0, C0, sequence_lengths, W [D, 4 hidden, I], R, B; outputs Y, Ho, Co."""

    TYPE = "LSTMSequence"
    CELL = LSTMCell
    STATES = 2
    activations: tuple[str, ...] = ("sigmoid", "tanh", "tanh")

    def infer(self, x, h, c, lengths, w, r, b):
        return self.infer_sequence(x, [h, c], [w, r, b])

    def evaluate(self, x, h, c, lengths, w, r, b):
        return self.run(x, [h, c], lengths, w, r, b)


OPS: tuple[type[Op], ...] = (RNNCell, GRUCell, LSTMCell, RNNSequence, GRUSequence, LSTMSequence)
__all__ = [c.__name__ for c in OPS] + ["ACTIVATIONS"]
