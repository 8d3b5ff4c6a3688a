"""Quantization: QuantizeLinear, DequantizeLinear, and the integer ops (QLinearMatMul, QLinearConv, MatMulInteger,
ConvInteger), decomposed into float arithmetic: integers up to 2^24 are exact in f32, so products of 8-bit values
with zero points removed come out exact, then the requantization rounds half to even and saturates as ONNX does.
(DynamicQuantizeLinear expands through its ONNX function into these.)"""
from __future__ import annotations

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import OnnxNode, element_type
from .generic import i64
from .nn import _window_attrs, grouped_weights

RANGES = {ElementType.u8: (0, 255), ElementType.i8: (-128, 127), ElementType.u16: (0, 65535),
          ElementType.i16: (-32768, 32767), ElementType.u4: (0, 15), ElementType.i4: (-8, 7)}
F32 = ElementType.f32


def _f(n: OnnxNode, x: Output, et: ElementType = F32) -> Output:
    return x if x.element_type == et else n.out(ops.Convert(et), x)


def along_axis(n: OnnxNode, t: Output, x: Output, axis: int, block_size: int = 0) -> Output:
    """A scale or zero point shaped to broadcast against x: per tensor as it is, per axis ([C] on `axis`), or per
    block (same rank as x, each value repeated block_size times along `axis`)."""
    rank = x.shape.rank
    if t.shape.rank == 0 or rank is None or (t.shape.rank == 1 and t.shape[0] == 1 and not block_size):
        return t
    axis = axis + rank if axis < 0 else axis
    if block_size:
        length = n.out(ops.Gather(), n.out(ops.ShapeOf(), x), n.const(i64(axis)), n.const(i64(0)))
        positions = n.out(ops.Range(output_type=ElementType.i64), n.const(i64(0)), length, n.const(i64(1)))
        index = n.out(ops.Divide(), positions, n.const(i64(block_size)))
        return n.out(ops.Gather(), t, index, n.const(i64(axis)))
    shape = [1] * rank
    shape[axis] = -1
    return n.out(ops.Reshape(), t, n.const(i64(shape)))


def _saturate(n: OnnxNode, value: Output, et: ElementType) -> Output:
    """Round half to even, clamp into the integer type's range, convert."""
    if et not in RANGES:
        raise n.error(f"quantizing to {et.value} is not supported (8-, 16- and 4-bit integers are)")
    low, high = RANGES[et]
    rounded = n.out(ops.Round(mode="half_to_even"), value)
    return n.out(ops.Convert(et), n.out(ops.Clamp(min=float(low), max=float(high)), rounded))


def quantize_linear(n: OnnxNode) -> list[Output]:
    """y = saturate(round(x / scale) + zero_point), computed in x's float type."""
    x, scale = n.input(0), n.input(1)
    zero = n.optional(2)
    if zero is not None:
        et = zero.element_type
    elif n.attr("output_dtype", 0):
        et = element_type(int(n.attr("output_dtype")), n.name)
    else:
        et = ElementType.u8
    axis, block = int(n.attr("axis", 1)), int(n.attr("block_size", 0))
    work = x.element_type if x.element_type.is_float else F32
    q = n.out(ops.Divide(), _f(n, x, work), _f(n, along_axis(n, scale, x, axis, block), work))
    q = n.out(ops.Round(mode="half_to_even"), q)
    if zero is not None:
        q = n.out(ops.Add(), q, _f(n, along_axis(n, zero, x, axis, block), work))
    return [_saturate(n, q, et)]


def dequantize_linear(n: OnnxNode) -> list[Output]:
    """y = (x - zero_point) * scale, in the scale's type."""
    x, scale = n.input(0), n.input(1)
    zero = n.optional(2)
    axis, block = int(n.attr("axis", 1)), int(n.attr("block_size", 0))
    out_type = element_type(int(n.attr("output_dtype")), n.name) if n.attr("output_dtype", 0) else scale.element_type
    diff = _f(n, x)
    if zero is not None:
        diff = n.out(ops.Subtract(), diff, _f(n, along_axis(n, zero, x, axis, block)))
    scale = _f(n, along_axis(n, scale, x, axis, block), out_type)
    return [n.out(ops.Multiply(), _f(n, diff, out_type), scale)]


def _centered(n: OnnxNode, x: Output, zero: Output | None, axis: int | None = None, like: Output | None = None
              ) -> Output:
    """x - zero_point as f32 (a per-axis zero point lines up with `axis` of `like`)."""
    value = _f(n, x)
    if zero is None:
        return value
    if axis is not None and like is not None:
        zero = along_axis(n, zero, like, axis)
    return n.out(ops.Subtract(), value, _f(n, zero))


def matmul_integer(n: OnnxNode) -> list[Output]:
    a = _centered(n, n.input(0), n.optional(2))
    b = _centered(n, n.input(1), n.optional(3), axis=-1, like=n.input(1))
    return [n.out(ops.Convert(ElementType.i32), n.out(ops.MatMul(), a, b))]


def qlinear_matmul(n: OnnxNode) -> list[Output]:
    """saturate(round((a - a_zp) @ (b - b_zp) * (a_scale * b_scale / y_scale)) + y_zp)."""
    a = _centered(n, n.input(0), n.input(2))
    b = _centered(n, n.input(3), n.input(5), axis=-1, like=n.input(3))
    product = n.out(ops.MatMul(), a, b)
    return [_requantize(n, product, n.input(1), n.input(4), n.input(6), n.optional(7), n.input(0))]


def _requantize(n: OnnxNode, acc: Output, a_scale: Output, b_scale: Output, y_scale: Output, y_zero: Output | None,
                like: Output) -> Output:
    scale_type = a_scale.element_type
    factor = n.out(ops.Divide(), n.out(ops.Multiply(), a_scale, _f(n, b_scale, scale_type)), _f(n, y_scale, scale_type))
    value = n.out(ops.Multiply(), acc, _f(n, factor))
    if y_zero is not None:
        value = n.out(ops.Round(mode="half_to_even"), value)
        value = n.out(ops.Add(), value, _f(n, y_zero))
    return _saturate(n, value, y_zero.element_type if y_zero is not None else like.element_type)


def _conv(n: OnnxNode, x: Output, w: Output) -> Output:
    spatial = w.shape.rank - 2 if w.shape.rank is not None else len(n.ints("kernel_shape"))
    attrs = _window_attrs(n, spatial)
    attrs["dilations"] = tuple(n.ints("dilations", [1] * spatial))
    groups = int(n.attr("group", 1))
    if groups == 1:
        return n.out(ops.Convolution(**attrs), x, w)
    return n.out(ops.GroupConvolution(**attrs), x, grouped_weights(n, w, groups))


def conv_integer(n: OnnxNode) -> list[Output]:
    x = _centered(n, n.input(0), n.optional(2))
    w = _centered(n, n.input(1), n.optional(3), axis=0, like=n.input(1))
    return [n.out(ops.Convert(ElementType.i32), _conv(n, x, w))]


def qlinear_conv(n: OnnxNode) -> list[Output]:
    """Inputs x, x_scale, x_zp, w, w_scale, w_zp (per output channel allowed), y_scale, y_zp, bias (int32)."""
    x = _centered(n, n.input(0), n.input(2))
    w = _centered(n, n.input(3), n.input(5), axis=0, like=n.input(3))
    acc = _conv(n, x, w)
    rank = acc.shape.rank or 4
    if n.has(8):
        acc = n.out(ops.Add(), acc, n.out(ops.Reshape(), _f(n, n.input(8)), n.const(i64([1, -1] + [1] * (rank - 2)))))
    w_scale = n.input(4)
    if w_scale.shape.rank == 1 and w_scale.shape[0] != 1:
        w_scale = n.out(ops.Reshape(), w_scale, n.const(i64([1, -1] + [1] * (rank - 2))))
    return [_requantize(n, acc, n.input(1), w_scale, n.input(6), n.optional(7), n.input(0))]

