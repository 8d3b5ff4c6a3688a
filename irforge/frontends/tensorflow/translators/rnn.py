"""TensorFlow's fused recurrent ops: BlockLSTM / BlockLSTMV2 (a Loop over time), LSTMBlockCell and GRUBlockCell
(one step), from primitives.

LSTM step, with xh = [x, h_prev] and the gates z = xh @ w + b cut in four (BlockLSTM and LSTMBlockCell: i, c, f, o
with forget_bias added to f; BlockLSTMV2: i, f, c, o and no forget bias):
  i = sigmoid(z_i + cs_prev * wci), f = sigmoid(z_f + cs_prev * wcf)   (peepholes only with use_peephole)
  ci = tanh(z_c), cs = ci * i + cs_prev * f (clipped to +-cell_clip when cell_clip > 0)
  o = sigmoid(z_o + cs * wco), co = tanh(cs), h = co * o
BlockLSTM outputs every step's i, cs, f, o, ci, co, h ([T, B, H]); steps from seq_len_max on are zeros.
"""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Graph, Output
from irforge.core.shape import PartialShape

from .. import subgraphs
from ..node import TfNode
from .generic import i64

ICFO = ("i", "c", "f", "o")
IFCO = ("i", "f", "c", "o")


class _Builder:
    """Adds ops to a graph (the model's or a Loop body's) with names under one prefix."""

    def __init__(self, graph: Graph, prefix: str):
        self.graph, self.prefix = graph, prefix

    def out(self, op, *xs: Output) -> Output:
        return self.graph.out(op, *xs, name=f"{self.prefix}/{op.TYPE}")

    def const(self, value, et: ElementType | None = None) -> Output:
        return self.graph.constant(value, et, name=f"{self.prefix}/const")


def _lstm_step(b: _Builder, x: Output, h: Output, c: Output, w: Output, bias: Output, peep: list[Output] | None,
               layout: tuple[str, ...], forget_bias: float, clip: float) -> list[Output]:
    et = x.element_type.numpy
    z = b.out(ops.Add(), b.out(ops.MatMul(), b.out(ops.Concat(axis=1), x, h), w), bias)
    parts = dict(zip(layout, b.graph.add(ops.Split(num_splits=4), z, b.const(i64(1)),
                                         name=f"{b.prefix}/Split").outputs))
    zi, zf, zc, zo = parts["i"], parts["f"], parts["c"], parts["o"]
    if forget_bias:
        zf = b.out(ops.Add(), zf, b.const(np.asarray(forget_bias, et)))
    if peep is not None:
        zi = b.out(ops.Add(), zi, b.out(ops.Multiply(), c, peep[0]))
        zf = b.out(ops.Add(), zf, b.out(ops.Multiply(), c, peep[1]))
    i, f, ci = b.out(ops.Sigmoid(), zi), b.out(ops.Sigmoid(), zf), b.out(ops.Tanh(), zc)
    cs = b.out(ops.Add(), b.out(ops.Multiply(), ci, i), b.out(ops.Multiply(), c, f))
    if clip > 0:
        cs = b.out(ops.Clamp(min=-clip, max=clip), cs)
    if peep is not None:
        zo = b.out(ops.Add(), zo, b.out(ops.Multiply(), cs, peep[2]))
    o = b.out(ops.Sigmoid(), zo)
    co = b.out(ops.Tanh(), cs)
    return [i, cs, f, o, ci, co, b.out(ops.Multiply(), co, o)]


def _lstm_attrs(n: TfNode) -> tuple[tuple[str, ...], float, float, bool]:
    v2 = n.op_type == "BlockLSTMV2"
    return (IFCO if v2 else ICFO, 0.0 if v2 else float(n.attr("forget_bias", 1.0)),
            float(n.attr("cell_clip", 0.0 if v2 else 3.0)), bool(n.attr("use_peephole", False)))


def lstm_block_cell(n: TfNode) -> list[Output]:
    """LSTMBlockCell(x, cs_prev, h_prev, w, wci, wcf, wco, b): one step."""
    x, cs_prev, h_prev, w, wci, wcf, wco, bias = n.inputs[:8]
    layout, forget_bias, clip, peephole = _lstm_attrs(n)
    return _lstm_step(_Builder(n.graph, n.name), x, h_prev, cs_prev, w, bias,
                      [wci, wcf, wco] if peephole else None, layout, forget_bias, clip)


def block_lstm(n: TfNode) -> list[Output]:
    """BlockLSTM(V2)(seq_len_max, x [T, B, I], cs_prev, h_prev, w, wci, wcf, wco, b) -> Loop over the time axis."""
    seq_len_max, x, cs_prev, h_prev, w, wci, wcf, wco, bias = n.inputs[:9]
    layout, forget_bias, clip, peephole = _lstm_attrs(n)
    if x.shape.rank != 3:
        raise n.error(f"x must be [time, batch, input], got [{x.shape}]")
    body = Graph(f"{n.name}/body")
    step_shape = PartialShape([1, *x.shape.dims[1:]])  # type: ignore[misc]
    x_t = body.parameter(f"{n.name}/x_t", x.element_type, step_shape)
    h = body.parameter(f"{n.name}/h", h_prev.element_type, h_prev.shape)
    c = body.parameter(f"{n.name}/cs", cs_prev.element_type, cs_prev.shape)
    ports: list[subgraphs.Port] = [(2, 0, 0), (3, 1, None), (4, 2, None)]
    outer = [x, h_prev, cs_prev]
    weights = []
    for value in (w, bias, wci, wcf, wco):
        if isinstance(value.node.op, Constant):
            weights.append(body.out(value.node.op, name=value.node.name))
        else:
            ports.append((2 + len(outer), len(body.parameters), None))
            outer.append(value)
            weights.append(body.parameter(f"{n.name}/w{len(weights)}", value.element_type, value.shape))
    b = _Builder(body, f"{n.name}/cell")
    xs = b.out(ops.Squeeze(), x_t, b.const(i64([0])))
    step = _lstm_step(b, xs, h, c, weights[0], weights[1], weights[2:] if peephole else None, layout, forget_bias,
                      clip)
    body.result(step[6], name=f"{n.name}/h_out")
    body.result(step[1], name=f"{n.name}/cs_out")
    for k, value in enumerate(step):
        body.result(b.out(ops.Unsqueeze(), value, b.const(i64([0]))), name=f"{n.name}/out{k}")
    body.result(body.constant(np.asarray(True)), name=f"{n.name}/cond")  # the trip count alone ends the loop
    length = n.out(ops.Gather(), n.out(ops.ShapeOf(), x), n.const(i64(0)), n.const(i64(0)))
    trip = n.out(ops.Minimum(), n.out(ops.Convert(destination_type=ElementType.i64), seq_len_max), length)
    op = subgraphs.loop(body, ports, [(k, 2 + k, 0) for k in range(7)], [(0, 1), (1, 2)], condition=9)
    loop = n.add(op, trip, n.const(np.asarray(True)), *outer)
    missing = n.out(ops.Subtract(), length, trip)  # steps from seq_len_max on are zeros
    end = n.out(ops.Concat(axis=0), n.out(ops.Reshape(), missing, n.const(i64([1]))), n.const(i64([0, 0])))
    begin = n.const(i64([0, 0, 0]))
    return [n.out(ops.Pad(), y, begin, end) for y in loop.outputs]


def gru_block_cell(n: TfNode) -> list[Output]:
    """GRUBlockCell(x, h_prev, w_ru, w_c, b_ru, b_c) -> r, u, c, h:
    [r, u] = sigmoid([x, h] @ w_ru + b_ru), c = tanh([x, r * h] @ w_c + b_c), h = u * h_prev + (1 - u) * c."""
    x, h_prev, w_ru, w_c, b_ru, b_c = n.inputs[:6]
    ru = n.out(ops.Sigmoid(), n.out(ops.Add(), n.out(ops.MatMul(), n.out(ops.Concat(axis=1), x, h_prev), w_ru), b_ru))
    r, u = n.add(ops.Split(num_splits=2), ru, n.const(i64(1))).outputs
    xrh = n.out(ops.Concat(axis=1), x, n.out(ops.Multiply(), r, h_prev))
    c = n.out(ops.Tanh(), n.out(ops.Add(), n.out(ops.MatMul(), xrh, w_c), b_c))
    one_minus_u = n.out(ops.Subtract(), n.const(np.asarray(1, u.element_type.numpy)), u)
    h = n.out(ops.Add(), n.out(ops.Multiply(), u, h_prev), n.out(ops.Multiply(), one_minus_u, c))
    return [r, u, c, h]
