"""Elementwise math with attributes, activations that need decomposition, reductions, Clip, Where."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import OnnxNode
from . import dynamic
from .generic import i64


def _scalar(n: OnnxNode, value: float, like: Output) -> Output:
    return n.const(np.array(value, like.element_type.numpy))


def clip(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    if n.opset < 11:
        lo, hi = n.attr("min"), n.attr("max")
    else:
        lo_v, hi_v = n.value(1), n.value(2)
        if (n.has(1) and lo_v is None) or (n.has(2) and hi_v is None):
            # Bounds computed at run time: Maximum / Minimum keep them as tensors.
            y = x
            if n.has(1):
                y = n.out(ops.Maximum(), y, n.input(1))
            if n.has(2):
                y = n.out(ops.Minimum(), y, n.input(2))
            return [y]
        lo = None if lo_v is None else lo_v.item()
        hi = None if hi_v is None else hi_v.item()
    if x.element_type.is_integral:
        y = x
        if lo is not None:
            y = n.out(ops.Maximum(), y, _scalar(n, lo, x))
        if hi is not None:
            y = n.out(ops.Minimum(), y, _scalar(n, hi, x))
        return [y]
    finfo = np.finfo(x.element_type.numpy) if x.element_type.is_float else None
    lo_f = float(lo) if lo is not None else float(finfo.min if finfo else -3.4e38)
    hi_f = float(hi) if hi is not None else float(finfo.max if finfo else 3.4e38)
    return [n.out(ops.Clamp(min=lo_f, max=hi_f), x)]


def leaky_relu(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    return [n.out(ops.PRelu(), x, _scalar(n, float(n.attr("alpha", 0.01)), x))]


def prelu(n: OnnxNode) -> list[Output]:
    x, slope = n.input(0), n.input(1)
    # ONNX broadcasts the slope numpy-style (unidirectionally); OpenVINO PRelu puts a 1-D slope on the channel
    # axis. A slope of shape [C, 1, 1] or [1] broadcasts the same either way; others are reshaped to full rank.
    if slope.shape.rank is not None and x.shape.rank is not None and slope.shape.rank == 1 and x.shape.rank >= 2:
        c = slope.shape[0]
        if c != 1 and c != x.shape[1]:
            slope = n.out(ops.Reshape(), slope, n.const(i64([1] * (x.shape.rank - 1) + [-1])))
    return [n.out(ops.PRelu(), x, slope)]


def elu(n: OnnxNode) -> list[Output]:
    return [n.out(ops.Elu(alpha=float(n.attr("alpha", 1.0))), n.input(0))]


def selu(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    alpha = float(n.attr("alpha", 1.67326319217681884765625))
    gamma = float(n.attr("gamma", 1.05070102214813232421875))
    return [n.out(ops.Selu(), x, _scalar(n, alpha, x), _scalar(n, gamma, x))]


def hard_sigmoid(n: OnnxNode) -> list[Output]:
    """max(0, min(1, alpha * x + beta))."""
    x = n.input(0)
    alpha, beta = float(n.attr("alpha", 0.2)), float(n.attr("beta", 0.5))
    if abs(alpha - 1 / 6) < 1e-7 and beta == 0.5:
        return [n.out(ops.HSigmoid(), x)]
    y = n.out(ops.Add(), n.out(ops.Multiply(), x, _scalar(n, alpha, x)), _scalar(n, beta, x))
    return [n.out(ops.Clamp(min=0.0, max=1.0), y)]


def hard_swish(n: OnnxNode) -> list[Output]:
    return [n.out(ops.HSwish(), n.input(0))]


def gelu(n: OnnxNode) -> list[Output]:
    mode = n.attr("approximate", "none")
    return [n.out(ops.Gelu(approximation_mode="TANH" if mode == "tanh" else "ERF"), n.input(0))]


def mean(n: OnnxNode) -> list[Output]:
    xs = [x for x in n.inputs if x is not None]
    acc = xs[0]
    for x in xs[1:]:
        acc = n.out(ops.Add(), acc, x)
    if len(xs) == 1:
        return [acc]
    return [n.out(ops.Divide(), acc, _scalar(n, len(xs), acc))]


def div(n: OnnxNode) -> list[Output]:
    a, b = n.input(0), n.input(1)
    # ONNX integer division truncates toward zero (C semantics), OpenVINO's default floors (Python).
    return [n.out(ops.Divide(m_pythondiv=not a.element_type.is_integral), a, b)]



def where(n: OnnxNode) -> list[Output]:
    return [n.out(ops.Select(), n.input(0), n.input(1), n.input(2))]


def reduce_axes(n: OnnxNode, x: Output, axes_input_since: int = 18) -> Output | None:
    """The axes of a ReduceX node: an attribute before `axes_input_since`, then input 1. None = reduce nothing
    (noop_with_empty_axes); no axes otherwise means every axis."""
    if n.opset < axes_input_since:
        axes_out = n.const(i64(n.ints("axes"))) if n.has_attr("axes") else None
    else:
        axes_out = n.optional(1)
        value = n.value(1)
        if (value is not None and value.size == 0) or (axes_out is not None and axes_out.shape == (0,)):
            axes_out = None
    if axes_out is None:
        if n.attr("noop_with_empty_axes", 0):
            return None
        if x.shape.rank is None:
            raise n.error("reducing over all axes needs an input of known rank")
        axes_out = n.const(i64(list(range(x.shape.rank))))
    return axes_out


def apply_reduce(n: OnnxNode, op_class, x: Output, axes_input_since: int = 18) -> Output:
    axes = reduce_axes(n, n.input(0), axes_input_since)
    if axes is None:
        return x
    keep = bool(n.attr("keepdims", 1))
    if x.element_type == ElementType.boolean and op_class in (ops.ReduceMax, ops.ReduceMin):
        # The CPU plugin reduces no booleans (ReduceLogicalOr / And included): max / min over u8.
        as_u8 = n.out(ops.Convert(ElementType.u8), x)
        return n.out(ops.Convert(ElementType.boolean), apply_reduce_to(n, op_class, as_u8, axes))
    return apply_reduce_to(n, op_class, x, axes)


def apply_reduce_to(n: OnnxNode, op_class, x: Output, axes: Output) -> Output:
    keep = bool(n.attr("keepdims", 1))
    empty = dynamic.empty_reduction(n, op_class, x, axes, keep)
    if empty is not None:
        return empty
    if not keep and axes.value is None:  # run-time axes: keep the output rank static
        return dynamic.reduce_dropping_axes(n, op_class, x, axes)
    return n.out(op_class(keep_dims=keep), x, axes)


def reduce(op_class, axes_input_since: int = 18):
    """ReduceX -> the opset reduction (ReduceSum takes axes as an input from opset 13, the others from 18)."""
    def translate(n: OnnxNode) -> list[Output]:
        return [apply_reduce(n, op_class, n.input(0), axes_input_since)]
    return translate


def reduce_sum_square(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    return [apply_reduce(n, ops.ReduceSum, n.out(ops.Multiply(), x, x))]


def reduce_log_sum(n: OnnxNode) -> list[Output]:
    return [n.out(ops.Log(), apply_reduce(n, ops.ReduceSum, n.input(0)))]


def reduce_log_sum_exp(n: OnnxNode) -> list[Output]:
    return [n.out(ops.Log(), apply_reduce(n, ops.ReduceSum, n.out(ops.Exp(), n.input(0))))]


def arg_extreme(mode: str):
    """ArgMax / ArgMin -> TopK(k=1) indices, squeezed unless keepdims; select_last_index flips the axis."""
    def translate(n: OnnxNode) -> list[Output]:
        x = n.input(0)
        axis = int(n.attr("axis", 0))
        keep = bool(n.attr("keepdims", 1))
        last = bool(n.attr("select_last_index", 0))
        if x.shape.rank is None:
            raise n.error("needs an input of known rank")
        axis = axis + x.shape.rank if axis < 0 else axis
        data = x
        if last:
            data = n.out(ops.Slice(), x, n.const(i64([-1])), n.const(i64([np.iinfo(np.int64).min])),
                         n.const(i64([-1])), n.const(i64([axis])))
        topk = n.add(ops.TopK(axis=axis, mode=mode, sort="none"), data, n.const(i64(1)))
        idx = topk.outputs[1]
        if last:
            dim = n.out(ops.Gather(), n.out(ops.ShapeOf(), x), n.const(i64([axis])), n.const(i64(0)))
            idx = n.out(ops.Subtract(), n.out(ops.Subtract(), dim, n.const(i64(1))), idx)
        if not keep:
            idx = n.out(ops.Squeeze(), idx, n.const(i64([axis])))
        return [idx]
    return translate
