"""QOperator models: QLinearConv, QLinearMatMul, QGemm and the com.microsoft QLinear* ops.

Each is computed as its definition reads: dequantize the integer inputs, apply the float op, quantize the result
with the output's parameters. The dequantization of an input that a QuantizeLinear (or another QLinear op)
produced becomes a FakeQuantize on the float tensor (quantization.dequantize), so a QOperator model gives the
same IR as the QDQ form of the same model: FakeQuantize on activations, quantized weights.
"""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output
from irforge.frontends.base import channels_first as to_channels_first
from irforge.frontends.base import channels_last as to_channels_last

from ..node import OnnxNode
from . import nn
from .generic import i64
from .quantization import convolution, dequantize, dequantize_dynamic, quantize, quantize_dynamic, read_quantization


def _input(n: OnnxNode, x_index: int, axis: int | None = None) -> Output:
    """Input x_index dequantized with the scale and zero point that follow it."""
    x = n.input(x_index)
    q = read_quantization(n, x, x_index + 1, x_index + 2, x.element_type, axis)
    if q is None:
        return dequantize_dynamic(n, x, n.input(x_index + 1), n.optional(x_index + 2), axis)
    return dequantize(n, x, q)


def _output(n: OnnxNode, y: Output, scale_index: int, et: ElementType) -> Output:
    """y quantized with the output parameters at scale_index, scale_index + 1."""
    if n.has(scale_index + 1):
        et = n.input(scale_index + 1).element_type
    q = read_quantization(n, y, scale_index, scale_index + 1, et, None, 0, y.element_type.numpy)
    if q is None:
        return quantize_dynamic(n, y, n.input(scale_index), n.optional(scale_index + 1), et)
    return quantize(n, y, q)


def _bias(n: OnnxNode, index: int, scale: np.ndarray, channels_axis_rank: int | None) -> Output | None:
    """An int32 bias quantized with `scale` (zero point 0) as an f32 constant, shaped for a channel axis 1 of a
    tensor of rank channels_axis_rank (None: as it is)."""
    if not n.has(index):
        return None
    values = n.value(index)
    if values is None:
        raise n.error(f"input {index} (the bias) must be a constant")
    real = (np.asarray(values, np.float64) * np.asarray(scale, np.float64).reshape(-1)).astype(np.float32)
    if channels_axis_rank is not None and real.ndim == 1:
        shape = [1] * channels_axis_rank
        shape[1] = -1
        real = real.reshape(shape)
    return n.const(real)


def qlinear_conv(n: OnnxNode) -> list[Output]:
    """QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B): weights per output channel (axis 0),
    B int32 with scale x_scale * w_scale."""
    channels_last = bool(n.attr("channels_last", 0))
    x = _input(n, 0, None)
    if channels_last:
        x = to_channels_first(n, x)
    w = _input(n, 3, 0)
    y = convolution(n, x, w)
    x_scale, w_scale = n.value(1), n.value(4)
    if n.has(8):
        if x_scale is None or w_scale is None:
            raise n.error("a bias needs constant x_scale and w_scale")
        y = n.out(ops.Add(), y, _bias(n, 8, np.asarray(x_scale) * np.asarray(w_scale), y.shape.rank or 4))
    if channels_last:
        y = to_channels_last(n, y)
    return [_output(n, y, 6, n.input(0).element_type)]


def qlinear_matmul(n: OnnxNode) -> list[Output]:
    """QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp): a per row, b per column."""
    a_rank, b_rank = n.input(0).shape.rank, n.input(3).shape.rank
    a = _input(n, 0, None if a_rank is None else max(a_rank - 2, 0))
    b = _input(n, 3, None if b_rank is None else b_rank - 1)
    return [_output(n, n.out(ops.MatMul(), a, b), 6, n.input(0).element_type)]


def qgemm(n: OnnxNode) -> list[Output]:
    """com.microsoft QGemm: Y = alpha * A' B' + C, C int32 with scale alpha * a_scale * b_scale; Y quantized
    with y_scale / y_zp when given, else float."""
    trans_a, trans_b = bool(n.attr("transA", 0)), bool(n.attr("transB", 0))
    a = _input(n, 0)                        # a_scale is per tensor
    b = _input(n, 3, 0 if trans_b else 1)   # per output column: axis 0 of B when transposed
    y = n.out(ops.MatMul(transpose_a=trans_a, transpose_b=trans_b), a, b)
    alpha = float(n.attr("alpha", 1.0))
    if alpha != 1.0:
        y = n.out(ops.Multiply(), y, n.const(np.array(alpha, np.float32)))
    if n.has(6):
        a_scale, b_scale = n.value(1), n.value(4)
        if a_scale is None or b_scale is None:
            raise n.error("C needs constant a_scale and b_scale")
        y = n.out(ops.Add(), y, _bias(n, 6, alpha * np.asarray(a_scale) * np.asarray(b_scale), None))
    if not n.has(7):
        return [y]
    return [_output(n, y, 7, n.input(0).element_type)]


def _binary(op_class):
    def translate(n: OnnxNode) -> list[Output]:
        """A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp."""
        y = n.out(op_class(), _input(n, 0), _input(n, 3))
        return [_output(n, y, 6, n.input(0).element_type)]
    translate.__doc__ = f"QLinear {op_class.TYPE}: A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp"
    return translate


qlinear_add = _binary(ops.Add)
qlinear_mul = _binary(ops.Multiply)


def _unary(build):
    def translate(n: OnnxNode) -> list[Output]:
        """X, X_scale, X_zp, Y_scale, Y_zp."""
        return [_output(n, build(n, _input(n, 0)), 3, n.input(0).element_type)]
    return translate


qlinear_sigmoid = _unary(lambda n, x: n.out(ops.Sigmoid(), x))
qlinear_leaky_relu = _unary(lambda n, x: n.out(ops.PRelu(), x, n.const(np.array(float(n.attr("alpha", 0.01)),
                                                                                   x.element_type.numpy))))


def _average_pool(n: OnnxNode, x: Output) -> Output:
    channels_last = bool(n.attr("channels_last", 0))
    if channels_last:
        x = to_channels_first(n, x)
    kernel = n.ints("kernel_shape")
    if not kernel:
        raise n.error("kernel_shape is required")
    attrs = nn._window_attrs(n, len(kernel))
    attrs["kernel"] = tuple(kernel)
    attrs["rounding_type"] = ops.RoundingType.CEIL_TORCH if n.attr("ceil_mode", 0) else ops.RoundingType.FLOOR
    y = n.out(ops.AvgPool(**attrs, exclude_pad=not n.attr("count_include_pad", 0)), x)
    return to_channels_last(n, y) if channels_last else y


def _global_average_pool(n: OnnxNode, x: Output) -> Output:
    rank = x.shape.rank
    if rank is None:
        raise n.error("global pooling needs an input of known rank")
    spatial = range(1, rank - 1) if n.attr("channels_last", 0) else range(2, rank)
    return n.out(ops.ReduceMean(keep_dims=True), x, n.const(i64(list(spatial))))


qlinear_average_pool = _unary(_average_pool)
qlinear_global_average_pool = _unary(_global_average_pool)


def qlinear_concat(n: OnnxNode) -> list[Output]:
    """Y_scale, Y_zp, then (X, X_scale, X_zp) per input."""
    count = (len(n.inputs) - 2) // 3
    if count < 1 or len(n.inputs) != 2 + 3 * count:
        raise n.error(f"expected Y_scale, Y_zero_point and triples of inputs, got {len(n.inputs)} inputs")
    xs = [_input(n, 2 + 3 * i) for i in range(count)]
    rank = xs[0].shape.rank
    axis = int(n.attr("axis", 0))
    if axis < 0:
        if rank is None:
            raise n.error("a negative axis needs inputs of known rank")
        axis += rank
    y = n.out(ops.Concat(axis=axis), *xs)
    return [_output(n, y, 0, n.input(2).element_type)]
