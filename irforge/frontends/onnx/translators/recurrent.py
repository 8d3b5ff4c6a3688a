"""RNN, GRU and LSTM -> OpenVINO's RNNSequence, GRUSequence and LSTMSequence.

ONNX stacks LSTM gates as i, o, f, c, OpenVINO as f, i, c, o: weights and biases are reordered (constants fold).
ONNX gives W and R biases apart ([D, 2 x gates x hidden]); OpenVINO wants their sum (GRU with
linear_before_reset keeps the hidden gate's two parts). Layout 0 is time-major ([T, B, I], states [D, B, H]),
OpenVINO batch-major. LSTMs with peepholes, input_forget or activations OpenVINO's cells do not have become a
TensorIterator over an explicit cell."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Output
from irforge.core.shape import PartialShape
from irforge.ops.control_flow import BackEdge, InputMap, OutputMap, Slicing

from ..node import OnnxNode
from .generic import i64

OV_ACTIVATIONS = {"sigmoid", "tanh", "relu"}


@dataclass
class Common:
    x: Output             # [B, T, I]
    w: Output             # [D, gates * H, I]
    r: Output
    bias: Output | None   # ONNX layout: [D, 2 * gates * H]
    lengths: Output       # [B] i32
    states: list[Output]  # each [B, D, H]
    directions: int
    direction: str
    hidden: int
    activations: list[str]
    clip: float
    batch_major: bool


def _common(n: OnnxNode, gates: int, default_activations: list[str], n_states: int) -> Common:
    x = n.input(0)
    batch_major = bool(n.attr("layout", 0))
    if not batch_major:
        x = n.out(ops.Transpose(), x, n.const(i64([1, 0, 2])))
    direction = n.attr("direction", "forward")
    directions = 2 if direction == "bidirectional" else 1
    hidden = n.attr("hidden_size")
    if hidden is None:
        w_rows = n.input(1).shape[1] if n.input(1).shape.rank == 3 else None
        if not isinstance(w_rows, int):
            raise n.error("hidden_size is required")
        hidden = w_rows // gates
    hidden = int(hidden)
    shape = n.out(ops.ShapeOf(), x)
    batch = n.out(ops.Gather(), shape, n.const(i64([0])), n.const(i64(0)))
    steps = n.out(ops.Gather(), shape, n.const(i64([1])), n.const(i64(0)))
    if n.has(4):
        lengths = n.out(ops.Convert(ElementType.i32), n.input(4))
    else:
        lengths = n.out(ops.Convert(ElementType.i32), n.out(ops.Broadcast(), steps, batch))
    states = []
    for k in range(n_states):
        if n.has(5 + k):
            s = n.input(5 + k)
            states.append(s if batch_major else n.out(ops.Transpose(), s, n.const(i64([1, 0, 2]))))
        else:
            target = n.out(ops.Concat(axis=0), batch, n.const(i64([directions, hidden])))
            states.append(n.out(ops.Broadcast(), n.const(np.array(0, x.element_type.numpy), x.element_type), target))
    names = [a.lower() for a in n.attr("activations", default_activations * directions)]
    if directions == 2 and len(names) == 2 * len(default_activations):
        if names[:len(default_activations)] != names[len(default_activations):]:
            names = ["<different per direction>"]
        else:
            names = names[:len(default_activations)]
    if n.has_attr("activation_alpha") or n.has_attr("activation_beta"):
        names = ["<with alpha or beta>"]
    return Common(x, n.input(1), n.input(2), n.optional(3), lengths, states, directions, direction, hidden, names,
                  float(n.attr("clip", 0.0)), batch_major)


def _bias(n: OnnxNode, c: Common, gates: int) -> Output:
    """[D, gates * H]: W bias + R bias (zeros without B)."""
    if c.bias is None:
        return n.const(np.zeros((c.directions, gates * c.hidden), c.x.element_type.numpy), c.x.element_type)
    wb = n.out(ops.Slice(), c.bias, n.const(i64([0])), n.const(i64([gates * c.hidden])), n.const(i64([1])),
               n.const(i64([1])))
    rb = n.out(ops.Slice(), c.bias, n.const(i64([gates * c.hidden])), n.const(i64([2 * gates * c.hidden])),
               n.const(i64([1])), n.const(i64([1])))
    return n.out(ops.Add(), wb, rb)


def _gates(n: OnnxNode, t: Output, order: list[int], hidden: int) -> Output:
    """Reorder the gate blocks of axis 1 (each `hidden` rows)."""
    parts = n.add(ops.Split(num_splits=len(order)), t, n.const(i64(1))).outputs
    return n.out(ops.Concat(axis=1), *[parts[k] for k in order])


def _outputs(n: OnnxNode, c: Common, y: Output, finals: list[Output]) -> list[Output]:
    """OpenVINO Y [B, D, T, H] -> [T, D, B, H] (layout 0) or [B, T, D, H]; states [B, D, H] -> [D, B, H]."""
    y = n.out(ops.Transpose(), y, n.const(i64([0, 2, 1, 3] if c.batch_major else [2, 1, 0, 3])))
    if not c.batch_major:
        finals = [n.out(ops.Transpose(), s, n.const(i64([1, 0, 2]))) for s in finals]
    return [y, *finals]


def _check_activations(n: OnnxNode, c: Common) -> None:
    if any(a not in OV_ACTIVATIONS for a in c.activations):
        raise n.error(f"activations {c.activations} are not all of {sorted(OV_ACTIVATIONS)} (one set for both "
                      "directions, without alpha or beta)")


def rnn(n: OnnxNode) -> list[Output]:
    c = _common(n, 1, ["Tanh"], 1)
    _check_activations(n, c)
    op = ops.RNNSequence(direction=c.direction, hidden_size=c.hidden, activations=tuple(c.activations), clip=c.clip)
    node = n.add(op, c.x, c.states[0], c.lengths, c.w, c.r, _bias(n, c, 1))
    return _outputs(n, c, node.outputs[0], [node.outputs[1]])


def gru(n: OnnxNode) -> list[Output]:
    """Gates z, r, h in both. With linear_before_reset the bias keeps R's hidden-gate part apart."""
    c = _common(n, 3, ["Sigmoid", "Tanh"], 1)
    _check_activations(n, c)
    linear = bool(n.attr("linear_before_reset", 0))
    h = c.hidden
    if linear and c.bias is not None:
        def part(start: int, stop: int) -> Output:
            return n.out(ops.Slice(), c.bias, n.const(i64([start])), n.const(i64([stop])),  # type: ignore[arg-type]
                         n.const(i64([1])), n.const(i64([1])))
        zr = n.out(ops.Add(), part(0, 2 * h), part(3 * h, 5 * h))
        bias = n.out(ops.Concat(axis=1), zr, part(2 * h, 3 * h), part(5 * h, 6 * h))
    elif linear:
        bias = n.const(np.zeros((c.directions, 4 * h), c.x.element_type.numpy), c.x.element_type)
    else:
        bias = _bias(n, c, 3)
    op = ops.GRUSequence(direction=c.direction, hidden_size=h, activations=tuple(c.activations), clip=c.clip,
                         linear_before_reset=linear)
    node = n.add(op, c.x, c.states[0], c.lengths, c.w, c.r, bias)
    return _outputs(n, c, node.outputs[0], [node.outputs[1]])


IOFC_TO_FICO = [2, 0, 3, 1]


def lstm(n: OnnxNode) -> list[Output]:
    c = _common(n, 4, ["Sigmoid", "Tanh", "Tanh"], 2)
    if n.has(7) or n.attr("input_forget", 0) or any(a not in OV_ACTIVATIONS for a in c.activations):
        return _lstm_iterator(n, c)
    w, r = (_gates(n, t, IOFC_TO_FICO, c.hidden) for t in (c.w, c.r))
    bias = _gates(n, _bias(n, c, 4), IOFC_TO_FICO, c.hidden)
    op = ops.LSTMSequence(direction=c.direction, hidden_size=c.hidden, activations=tuple(c.activations),
                          clip=c.clip)
    node = n.add(op, c.x, c.states[0], c.states[1], c.lengths, w, r, bias)
    return _outputs(n, c, node.outputs[0], [node.outputs[1], node.outputs[2]])


# -- an explicit LSTM cell in a TensorIterator -------------------------------------------------------------------
def _activation(body: Graph, name: str, x: Output, alpha: float | None, beta: float | None) -> Output:
    def k(v: float) -> Output:
        return body.constant(np.array(v, x.element_type.numpy), x.element_type)
    if name == "sigmoid":
        return body.out(ops.Sigmoid(), x)
    if name == "tanh":
        return body.out(ops.Tanh(), x)
    if name == "relu":
        return body.out(ops.Relu(), x)
    if name == "leakyrelu":
        return body.out(ops.PRelu(), x, k(alpha if alpha is not None else 0.01))
    if name == "hardsigmoid":
        y = body.out(ops.Add(), body.out(ops.Multiply(), x, k(alpha if alpha is not None else 0.2)),
                     k(beta if beta is not None else 0.5))
        return body.out(ops.Clamp(min=0.0, max=1.0), y)
    if name == "affine":
        return body.out(ops.Add(), body.out(ops.Multiply(), x, k(alpha or 1.0)), k(beta or 0.0))
    if name == "scaledtanh":
        return body.out(ops.Multiply(), body.out(ops.Tanh(), body.out(ops.Multiply(), x, k(beta or 1.0))),
                        k(alpha or 1.0))
    if name == "elu":
        return body.out(ops.Elu(alpha=alpha if alpha is not None else 1.0), x)
    if name == "softsign":
        return body.out(ops.SoftSign(), x)
    if name == "softplus":
        return body.out(ops.SoftPlus(), x)
    raise ValueError(f"activation {name!r} is not an ONNX RNN activation")


def _lstm_iterator(n: OnnxNode, c: Common) -> list[Output]:
    """One TensorIterator per direction over an explicit cell (peepholes, input_forget, any activation). A
    reverse direction reverses each sequence within its own length (ReverseSequence) before and after; steps
    past a sequence's length keep the states and give zeros."""
    names = [a.lower() for a in n.attr("activations", ["Sigmoid", "Tanh", "Tanh"] * c.directions)]
    alphas, betas = n.floats("activation_alpha"), n.floats("activation_beta")
    h = c.hidden
    et = c.x.element_type
    bias = _bias(n, c, 4)
    peep = n.input(7) if n.has(7) else n.const(np.zeros((c.directions, 3 * h), et.numpy), et)
    steps = n.out(ops.Gather(), n.out(ops.ShapeOf(), c.x), n.const(i64([1])), n.const(i64(0)))
    time_index = n.out(ops.Range(output_type=ElementType.i32), n.const(np.int32(0)),
                       n.out(ops.Convert(ElementType.i32), n.out(ops.Squeeze(), steps)), n.const(np.int32(1)))
    time_index = n.out(ops.Unsqueeze(), time_index, n.const(i64([0])))   # [1, T]: sliced with x
    ys, hs, cs = [], [], []
    for d in range(c.directions):
        reverse = c.direction == "reverse" or d == 1
        x = n.out(ops.ReverseSequence(batch_axis=0, seq_axis=1), c.x, c.lengths) if reverse else c.x
        pick = [n.out(ops.Squeeze(), n.out(ops.Gather(), t, n.const(i64([d])), n.const(i64(0))), n.const(i64([0])))
                for t in (c.w, c.r, bias, peep)]
        state = [n.out(ops.Squeeze(), n.out(ops.Gather(), s, n.const(i64([d])), n.const(i64(1))), n.const(i64([1])))
                 for s in c.states]
        fns = names[3 * d:3 * d + 3] if len(names) >= 3 * (d + 1) else names[:3]
        fa = [alphas[3 * d + k] if len(alphas) > 3 * d + k else None for k in range(3)]
        fb = [betas[3 * d + k] if len(betas) > 3 * d + k else None for k in range(3)]
        body = _lstm_body(c, et, fns, fa, fb, bool(n.attr("input_forget", 0)))
        inputs = (InputMap(0, 0, Slicing(axis=1)), InputMap(1, 1, Slicing(axis=1)), InputMap(2, 2),
                  InputMap(3, 3), InputMap(4, 4), InputMap(5, 5), InputMap(6, 6), InputMap(7, 7), InputMap(8, 8))
        outputs = (OutputMap(0, 0), OutputMap(1, 1), OutputMap(2, 2, Slicing(axis=1)))
        op = ops.TensorIterator(body, inputs, outputs, (BackEdge(0, 2), BackEdge(1, 3)))
        node = n.add(op, x, time_index, state[0], state[1], c.lengths, *pick)
        y = node.outputs[2]                                                    # [B, T, H]
        if reverse:
            y = n.out(ops.ReverseSequence(batch_axis=0, seq_axis=1), y, c.lengths)
        ys.append(n.out(ops.Unsqueeze(), y, n.const(i64([1]))))
        hs.append(n.out(ops.Unsqueeze(), node.outputs[0], n.const(i64([1]))))
        cs.append(n.out(ops.Unsqueeze(), node.outputs[1], n.const(i64([1]))))
    y = ys[0] if len(ys) == 1 else n.out(ops.Concat(axis=1), *ys)
    hh = hs[0] if len(hs) == 1 else n.out(ops.Concat(axis=1), *hs)
    cc = cs[0] if len(cs) == 1 else n.out(ops.Concat(axis=1), *cs)
    return _outputs(n, c, y, [hh, cc])


def _lstm_body(c: Common, et: ElementType, fns: list[str], alphas: list, betas: list, coupled: bool) -> Graph:
    """Parameters: x_t [B, 1, I], t [1, 1], H, C [B, H], lengths [B], W [4H, I], R, B [4H], P [3H]. Results:
    H', C', and H' as [B, 1, H] (zero past the sequence's length)."""
    h = c.hidden
    g = Graph("lstm_step")
    x_t = g.parameter("x_t", et, PartialShape([c.x.shape[0], 1, c.x.shape[2]]))
    t = g.parameter("t", ElementType.i32, PartialShape([1, 1]))
    h_prev = g.parameter("h", et, PartialShape([c.x.shape[0], h]))
    c_prev = g.parameter("c", et, PartialShape([c.x.shape[0], h]))
    lengths = g.parameter("lengths", ElementType.i32, PartialShape([c.x.shape[0]]))
    w = g.parameter("w", et, PartialShape([4 * h, c.x.shape[2]]))
    r = g.parameter("r", et, PartialShape([4 * h, h]))
    b = g.parameter("b", et, PartialShape([4 * h]))
    p = g.parameter("p", et, PartialShape([3 * h]))
    x = g.out(ops.Squeeze(), x_t, g.constant(i64([1])))
    gates = g.out(ops.Add(), g.out(ops.Add(), g.out(ops.MatMul(transpose_b=True), x, w),
                                   g.out(ops.MatMul(transpose_b=True), h_prev, r)), b)
    gi, go, gf, gc = g.add(ops.Split(num_splits=4), gates, g.constant(i64(1))).outputs
    pi, po, pf = g.add(ops.Split(num_splits=3), p, g.constant(i64(0))).outputs

    def act(k: int, v: Output) -> Output:
        if c.clip > 0:
            v = g.out(ops.Clamp(min=-c.clip, max=c.clip), v)
        return _activation(g, fns[k], v, alphas[k], betas[k])

    i = act(0, g.out(ops.Add(), gi, g.out(ops.Multiply(), pi, c_prev)))
    if coupled:
        f = g.out(ops.Subtract(), g.constant(np.array(1, et.numpy), et), i)
    else:
        f = act(0, g.out(ops.Add(), gf, g.out(ops.Multiply(), pf, c_prev)))
    cand = act(1, gc)
    c_new = g.out(ops.Add(), g.out(ops.Multiply(), f, c_prev), g.out(ops.Multiply(), i, cand))
    o = act(0, g.out(ops.Add(), go, g.out(ops.Multiply(), po, c_new)))
    h_new = g.out(ops.Multiply(), o, _activation(g, fns[2], c_new, alphas[2], betas[2]))
    # Steps past a sequence's length keep the states and output zeros.
    active = g.out(ops.Unsqueeze(), g.out(ops.Less(), g.out(ops.Reshape(), t, g.constant(i64([1]))), lengths),
                   g.constant(i64([1])))
    h_out = g.out(ops.Select(), active, h_new, h_prev)
    c_out = g.out(ops.Select(), active, c_new, c_prev)
    zero = g.constant(np.array(0, et.numpy), et)
    y = g.out(ops.Unsqueeze(), g.out(ops.Select(), active, h_new, zero), g.constant(i64([1])))
    g.result(h_out, "h_out")
    g.result(c_out, "c_out")
    g.result(y, "y")
    return g
