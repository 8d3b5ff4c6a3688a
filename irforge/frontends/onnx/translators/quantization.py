"""QuantizeLinear / DequantizeLinear (QDQ models), DynamicQuantizeLinear, ConvInteger, MatMulInteger, and the
quantize / dequantize builders the QOperator translators (qlinear.py) share.

How quantization lands in the IR (the form OpenVINO's low-precision transformations look for):
- a QuantizeLinear -> DequantizeLinear pair with constant parameters becomes one FakeQuantize on the float
  tensor: input range (qmin - zp1) * s1 .. (qmax - zp1) * s1, output range (qmin - zp2) * s2 .. (qmax - zp2) * s2,
  levels = qmax - qmin + 1 of the integer type;
- a DequantizeLinear of constant integer weights becomes the dequantized f32 weights under a FakeQuantize that
  keeps them on their grid; the compress_quantized_weights pass stores them as integers again (Const i8 ->
  Convert -> Subtract -> Multiply), unless --disable_weights_compression keeps the f32 form;
- 32-bit integers (the bias of QLinearConv, QDQ biases) are dequantized into f32 constants: storing them as i32
  would save nothing;
- anything else (an integer model input, parameters computed at run time) is computed as ONNX defines it:
  QuantizeLinear = saturate(round_half_even(x / s) + zp), DequantizeLinear = (x - zp) * s.
A DequantizeLinear finds the QuantizeLinear it undoes through data-movement ops (QOperator models run MaxPool,
Reshape, Transpose... on the integers), and those ops are then rebuilt on the float tensor.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Output
from irforge.core.shape import normalize_axis

from ..node import OnnxNode, element_type
from . import nn
from .generic import i64

# The integer types ONNX quantizes to, with their value ranges.
INTEGER_RANGES: dict[ElementType, tuple[int, int]] = {
    ElementType.u8: (0, 255), ElementType.i8: (-128, 127),
    ElementType.u16: (0, 65535), ElementType.i16: (-32768, 32767),
    ElementType.u4: (0, 15), ElementType.i4: (-8, 7),
    ElementType.i32: (-(1 << 31), (1 << 31) - 1),
}
FAKE_QUANTIZABLE_BITS = 16   # wider integers (i32 biases) are dequantized to f32 instead


@dataclass(frozen=True)
class Quantization:
    """Constant scale and zero point of one quantized tensor, shaped to broadcast against it (or against its
    `view`: block quantization splits the blocked axis into [blocks, block_size])."""

    scale: np.ndarray            # float, of the dequantized tensor's type
    zero_point: np.ndarray       # integer values as float64, same shape as scale
    element_type: ElementType    # the integer type
    view: tuple[int, ...] | None = None    # block quantization: the view the parameters broadcast against
    shape: tuple[int, ...] | None = None   # ... and the tensor's own shape

    @property
    def qmin(self) -> int:
        return INTEGER_RANGES[self.element_type][0]

    @property
    def qmax(self) -> int:
        return INTEGER_RANGES[self.element_type][1]

    @property
    def levels(self) -> int:
        return self.qmax - self.qmin + 1

    @property
    def fake_quantizable(self) -> bool:
        return self.element_type.bits <= FAKE_QUANTIZABLE_BITS

    def low(self) -> np.ndarray:
        """The real value of qmin: (qmin - zp) * scale (computed exactly, rounded once to the scale's type)."""
        return ((self.qmin - self.zero_point) * self.scale.astype(np.float64)).astype(self.scale.dtype)

    def high(self) -> np.ndarray:
        return ((self.qmax - self.zero_point) * self.scale.astype(np.float64)).astype(self.scale.dtype)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        """(q - zp) * scale of constant integers, in the scale's type (q already in the view's shape). q - zp is
        exact in f32 (|q - zp| < 2^17) and the product is rounded once, as in f64: no f64 copy of the weights."""
        dtype = self.scale.dtype
        return (q.astype(dtype) - self.zero_point.astype(dtype)) * self.scale


def integer_range(n: OnnxNode, et: ElementType) -> tuple[int, int]:
    if et not in INTEGER_RANGES:
        raise n.error(f"{et.value} is not a quantized integer type (expected one of "
                      f"{', '.join(t.value for t in INTEGER_RANGES)})")
    return INTEGER_RANGES[et]


def read_quantization(n: OnnxNode, x: Output, scale_index: int, zero_point_index: int, et: ElementType,
                      axis: int | None = None, block_size: int = 0, float_type: np.dtype | None = None
                      ) -> Quantization | None:
    """The constant scale / zero point of input `x` (None when either is computed at run time)."""
    scale = n.value(scale_index)
    zero_point = n.value(zero_point_index) if n.has(zero_point_index) else np.zeros(np.shape(scale))
    if scale is None or zero_point is None:
        return None
    float_type = np.dtype(float_type or (scale.dtype if scale.dtype.kind == "f" else np.float32))
    return make_quantization(n, x, np.asarray(scale, float_type), np.asarray(zero_point), et, axis, block_size)


def make_quantization(n: OnnxNode, x: Output, scale: np.ndarray, zero_point: np.ndarray, et: ElementType,
                      axis: int | None = None, block_size: int = 0) -> Quantization:
    """Parameters shaped for `x`: one value (per tensor), a 1-D one along `axis` (per axis; None: parameters of
    x's rank that broadcast as they are, as QLinearMatMul's N-D ones), or blocks along `axis`."""
    integer_range(n, et)
    zero_point = np.asarray(zero_point, np.float64)
    if zero_point.shape != scale.shape and zero_point.size != 1 and scale.size != 1:
        raise n.error(f"scale {list(scale.shape)} and zero point {list(zero_point.shape)} differ in shape")
    scale, zero_point = (a.copy() for a in np.broadcast_arrays(scale, zero_point))
    if block_size > 0:
        return _blocked(n, x, scale, zero_point, et, 0 if axis is None else axis, block_size)
    if scale.size == 1 and scale.ndim <= 1:  # per tensor
        return Quantization(scale.reshape(()), zero_point.reshape(()), et)
    if axis is None or scale.ndim > 1:
        return Quantization(scale, zero_point, et)
    rank = x.shape.rank
    if rank is None:
        raise n.error("per-axis quantization needs an input of known rank")
    axis = normalize_axis(axis, rank)
    dim = x.shape[axis]
    if isinstance(dim, int) and dim != scale.size:
        raise n.error(f"{scale.size} scales for axis {axis} of size {dim}")
    shape = [1] * rank
    shape[axis] = scale.size
    return Quantization(scale.reshape(shape), zero_point.reshape(shape), et)


def _blocked(n: OnnxNode, x: Output, scale: np.ndarray, zero_point: np.ndarray, et: ElementType, axis: int,
             block_size: int) -> Quantization:
    """block_size (opset 21): element i along `axis` uses parameter i // block_size. When the axis splits into
    whole blocks the tensor is viewed as [..., blocks, block_size, ...] with the parameters on the blocks (as
    group-quantized weights are stored); otherwise every element gets its parameters."""
    if not x.shape.is_static:
        raise n.error("block quantization needs an input of known shape")
    shape = x.shape.to_static()
    axis = normalize_axis(axis, len(shape))
    blocks = -(-shape[axis] // block_size)
    expected = shape[:axis] + (blocks,) + shape[axis + 1:]
    if scale.shape != expected:
        raise n.error(f"block_size {block_size} on axis {axis} of {list(shape)} needs parameters of shape "
                      f"{list(expected)}, got {list(scale.shape)}")
    if shape[axis] % block_size == 0:
        view = shape[:axis] + (blocks, block_size) + shape[axis + 1:]
        unit = scale.shape[:axis + 1] + (1,) + scale.shape[axis + 1:]
        return Quantization(scale.reshape(unit), zero_point.reshape(unit), et, view, shape)
    take = np.arange(shape[axis])
    return Quantization(np.take(np.repeat(scale, block_size, axis), take, axis).copy(),
                        np.take(np.repeat(zero_point, block_size, axis), take, axis).copy(), et)


# -- building ----------------------------------------------------------------------------------------------------
def fake_quantize(n: OnnxNode, x: Output, in_low: np.ndarray, in_high: np.ndarray, out_low: np.ndarray,
                  out_high: np.ndarray, levels: int) -> Output:
    """FakeQuantize with its two output limits of one shape (the OpenVINO CPU plugin computes limits of
    different shapes wrongly; see tests/ops/test_quantization.py)."""
    dtype = x.element_type.numpy
    in_low, in_high = np.broadcast_arrays(np.asarray(in_low, dtype), np.asarray(in_high, dtype))
    out_low, out_high = np.broadcast_arrays(np.asarray(out_low, dtype), np.asarray(out_high, dtype))
    return n.out(ops.FakeQuantize(levels=levels), x, n.const(in_low.copy()), n.const(in_high.copy()),
                 n.const(out_low.copy()), n.const(out_high.copy()))


def quantize(n: OnnxNode, x: Output, q: Quantization) -> Output:
    """QuantizeLinear with constant parameters, as ONNX defines it: saturate(round_half_even(x / s) + zp), then
    the integer type. dequantize() recognises this exact structure (quantized_source)."""
    if q.view is not None:
        x = n.out(ops.Reshape(special_zero=False), x, n.const(i64(q.view)))
    dtype = x.element_type.numpy
    y = n.out(ops.Divide(), x, n.const(q.scale.astype(dtype)))
    y = n.out(ops.Round(mode="half_to_even"), y)
    if np.any(q.zero_point != 0):
        y = n.out(ops.Add(), y, n.const(q.zero_point.astype(dtype)))
    y = n.out(ops.Clamp(min=float(q.qmin), max=float(q.qmax)), y)
    y = n.out(ops.Convert(q.element_type), y)
    if q.view is not None:
        y = n.out(ops.Reshape(special_zero=False), y, n.const(i64(q.shape)))
    return y


@dataclass(frozen=True)
class QuantizedSource:
    """The float tensor a QuantizeLinear quantized, its parameters, and the data-movement ops between the
    quantized integers and the tensor being dequantized (rebuilt on the float side)."""

    x: Output
    quantization: Quantization
    chain: tuple  # nodes, first applied first


# Ops that move or select elements without computing with them, so dequantizing before or after them is the same;
# MaxPool too (it commutes with an increasing map: the scales must be positive). Input 0 is the data.
_DATA_MOVEMENT = ("Reshape", "Transpose", "Squeeze", "Unsqueeze", "Slice", "StridedSlice", "DepthToSpace",
                  "SpaceToDepth", "Gather", "Broadcast", "Tile")
_MONOTONE = ("MaxPool",)


def quantized_source(q: Output) -> QuantizedSource | None:
    """When `q` is quantize()'s result (possibly moved by data-movement ops), where it came from."""
    chain = []
    while q.node.op.TYPE in _DATA_MOVEMENT + _MONOTONE and q.index == 0 and \
            all(isinstance(x.node.op, Constant) for x in q.node.inputs[1:]):
        chain.append(q.node)
        q = q.node.inputs[0]
    convert = q.node
    if not isinstance(convert.op, ops.Convert) or convert.op.destination_type not in INTEGER_RANGES:
        return None
    clamp = convert.inputs[0].node
    if not isinstance(clamp.op, ops.Clamp):
        return None
    prev = clamp.inputs[0].node
    zero_point = None
    if isinstance(prev.op, ops.Add):
        zero_point = prev.inputs[1].node
        prev = prev.inputs[0].node
    if not isinstance(prev.op, ops.Round) or not isinstance(prev.inputs[0].node.op, ops.Divide):
        return None
    divide = prev.inputs[0].node
    scale = divide.inputs[1].node
    if not isinstance(scale.op, Constant) or (zero_point is not None and not isinstance(zero_point.op, Constant)):
        return None
    et = convert.op.destination_type
    if (clamp.op.min, clamp.op.max) != tuple(float(v) for v in INTEGER_RANGES[et]):
        return None
    s = scale.op.array()
    zp = np.zeros(s.shape) if zero_point is None else np.asarray(zero_point.op.array(), np.float64)
    s, zp = np.broadcast_arrays(s, zp)
    if any(node.op.TYPE in _MONOTONE for node in chain) and not np.all(s > 0):
        return None
    return QuantizedSource(divide.inputs[0], Quantization(s.copy(), zp.copy(), et), tuple(reversed(chain)))


def dequantize(n: OnnxNode, x: Output, q: Quantization) -> Output:
    """DequantizeLinear of integers `x` with constant parameters (see the module docstring for the forms)."""
    source = quantized_source(x) if q.view is None and q.fake_quantizable else None
    if source is not None and source.chain and (q.scale.size != 1 or (
            any(node.op.TYPE in _MONOTONE for node in source.chain) and not np.all(q.scale > 0))):
        source = None  # per-axis parameters are shaped for the moved tensor; MaxPool needs an increasing map
    if source is not None and source.quantization.levels == q.levels and source.quantization.view is None \
            and source.x.element_type.is_float:
        qin = source.quantization
        y = fake_quantize(n, source.x, qin.low(), qin.high(), q.low(), q.high(), q.levels)
        for node in source.chain:  # the data movement, now on floats
            y = n.out(node.op, y, *node.inputs[1:])
        wanted = ElementType.from_numpy(q.scale.dtype)
        return y if y.element_type == wanted else n.out(ops.Convert(wanted), y)
    values = n.graph.constant_value(x)
    if values is not None:
        return _dequantize_constant(n, x, np.asarray(values), q)
    y = x
    if q.view is not None:
        y = n.out(ops.Reshape(special_zero=False), y, n.const(i64(q.view)))
    et = ElementType.from_numpy(q.scale.dtype)
    y = n.out(ops.Convert(et), y)
    if np.any(q.zero_point != 0):
        y = n.out(ops.Subtract(), y, n.const(q.zero_point.astype(q.scale.dtype)))
    if np.any(q.scale != 1):
        y = n.out(ops.Multiply(), y, n.const(q.scale))
    if q.view is not None:
        y = n.out(ops.Reshape(special_zero=False), y, n.const(i64(q.shape)))
    return y


def _dequantize_constant(n: OnnxNode, x: Output, values: np.ndarray, q: Quantization) -> Output:
    """Constant integers (weights): f32 values under a FakeQuantize that holds them on their grid (what
    compress_quantized_weights stores as integers again); 32-bit ones (biases) simply as f32 values."""
    if q.view is not None:
        values = values.reshape(q.view)
    real = q.dequantize(values)
    if not q.fake_quantizable:
        return n.const(real if q.view is None else real.reshape(q.shape), name=_weights_name(n, x))
    low, high = q.low(), q.high()
    y = fake_quantize(n, n.const(real, name=_weights_name(n, x)), low, high, low, high, q.levels)
    if q.view is not None:
        y = n.out(ops.Reshape(special_zero=False), y, n.const(i64(q.shape)))
    return y


def _weights_name(n: OnnxNode, x: Output) -> str:
    """The dequantized weights keep the initializer's name (the IR's Const then says which weights these are)."""
    return sorted(x.names)[0] if x.names else f"{n.name}/weights"


def dequantize_dynamic(n: OnnxNode, x: Output, scale: Output, zero_point: Output | None,
                       axis: int | None = None, block_size: int = 0) -> Output:
    """DequantizeLinear with parameters computed at run time (DynamicQuantizeLinear's, or graph inputs)."""
    et = scale.element_type
    y = n.out(ops.Convert(et), x)
    if zero_point is not None:
        zp = n.out(ops.Convert(et), zero_point)
        y = n.out(ops.Subtract(), y, _along_axis(n, zp, x, axis, block_size))
    return n.out(ops.Multiply(), y, _along_axis(n, scale, x, axis, block_size))


def quantize_dynamic(n: OnnxNode, x: Output, scale: Output, zero_point: Output | None, et: ElementType,
                     axis: int | None = None, block_size: int = 0) -> Output:
    qmin, qmax = integer_range(n, et)
    y = n.out(ops.Divide(), x, _along_axis(n, scale, x, axis, block_size))
    y = n.out(ops.Round(mode="half_to_even"), y)
    if zero_point is not None:
        zp = _along_axis(n, n.out(ops.Convert(x.element_type), zero_point), x, axis, block_size)
        y = n.out(ops.Add(), y, zp)
    return n.out(ops.Convert(et), n.out(ops.Clamp(min=float(qmin), max=float(qmax)), y))


def _along_axis(n: OnnxNode, p: Output, x: Output, axis: int | None, block_size: int = 0) -> Output:
    """A run-time parameter shaped to broadcast against x: a 1-D one onto `axis`; with blocks, each block's value
    repeated over its block_size elements along `axis` (a Gather of index i // block_size)."""
    if block_size > 0:
        rank, dim = x.shape.rank, None
        if rank is not None:
            axis = normalize_axis(axis or 0, rank)
            dim = x.shape[axis]
        if not isinstance(dim, int):
            raise n.error("block quantization needs the blocked axis of the input to be known")
        index = n.const(i64(np.arange(dim) // block_size))
        return n.out(ops.Gather(), p, index, n.const(i64(axis)))
    if axis is None or p.shape.rank in (0, None) or (p.shape.rank == 1 and p.shape[0] == 1):
        return p
    rank = x.shape.rank
    if rank is None:
        raise n.error("per-axis quantization needs an input of known rank")
    shape = [1] * rank
    shape[normalize_axis(axis, rank)] = -1
    return n.out(ops.Reshape(special_zero=False), p, n.const(i64(shape)))


# -- translators -------------------------------------------------------------------------------------------------
def _axis_and_block(n: OnnxNode) -> tuple[int, int]:
    axis = int(n.attr("axis", 1)) if n.opset >= 13 or n.proto.domain == "com.microsoft" else 1
    return axis, int(n.attr("block_size", 0))


def quantize_linear(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    if n.has_attr("output_dtype") and n.attr("output_dtype"):
        et = element_type(int(n.attr("output_dtype")), n.name)
    elif n.has(2):
        et = n.input(2).element_type
    else:
        et = ElementType.u8
    axis, block = _axis_and_block(n)
    q = read_quantization(n, x, 1, 2, et, axis, block, x.element_type.numpy)
    if q is None:
        return [quantize_dynamic(n, x, n.input(1), n.optional(2), et, axis, block)]
    return [quantize(n, x, q)]


def dequantize_linear(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    axis, block = _axis_and_block(n)
    float_type = None
    if n.has_attr("output_dtype") and n.attr("output_dtype"):
        float_type = element_type(int(n.attr("output_dtype")), n.name).numpy
    q = read_quantization(n, x, 1, 2, x.element_type, axis, block, float_type)
    if q is None:
        return [dequantize_dynamic(n, x, n.input(1), n.optional(2), axis, block)]
    return [dequantize(n, x, q)]


def dynamic_quantize_linear(n: OnnxNode) -> list[Output]:
    """y_scale = (max(0, max x) - min(0, min x)) / 255, y_zero_point = saturate(round(-min / y_scale)),
    y = saturate(round(x / y_scale) + y_zero_point), all u8. A tensor of zeros would get scale 0: it gets scale 1
    (and zero point 0, y 0), as onnxruntime gives."""
    x = n.input(0)
    flat = n.out(ops.Reshape(special_zero=False), x, n.const(i64([-1])))
    axes = n.const(i64([0]))
    zero = n.const(np.zeros((), x.element_type.numpy))
    low = n.out(ops.Minimum(), n.out(ops.ReduceMin(keep_dims=False), flat, axes), zero)
    high = n.out(ops.Maximum(), n.out(ops.ReduceMax(keep_dims=False), flat, axes), zero)
    scale = n.out(ops.Divide(), n.out(ops.Subtract(), high, low), n.const(np.array(255, x.element_type.numpy)))
    safe = n.out(ops.Select(), n.out(ops.Equal(), scale, zero), n.const(np.ones((), x.element_type.numpy)), scale)
    zp_float = n.out(ops.Clamp(min=0.0, max=255.0), n.out(ops.Round(mode="half_to_even"),
                                                            n.out(ops.Divide(), n.out(ops.Negative(), low), safe)))
    y = n.out(ops.Round(mode="half_to_even"), n.out(ops.Divide(), x, safe))
    y = n.out(ops.Clamp(min=0.0, max=255.0), n.out(ops.Add(), y, zp_float))
    return [n.out(ops.Convert(ElementType.u8), y), safe, n.out(ops.Convert(ElementType.u8), zp_float)]


def _integer_operand(n: OnnxNode, index: int, zero_point_index: int, axis: int | None,
                     float_type=np.float32) -> Output:
    """(x - zp) of an integer operand as floats; constant integers (weights) keep their grid under a FakeQuantize
    (with scale 1), so compress_quantized_weights stores them as integers again."""
    x = n.input(index)
    et = x.element_type
    integer_range(n, et)
    zp_value = n.value(zero_point_index) if n.has(zero_point_index) else np.zeros(())
    if zp_value is not None:
        scale = np.ones(np.shape(zp_value), float_type)
        return dequantize(n, x, make_quantization(n, x, scale, np.asarray(zp_value), et, axis))
    y = n.out(ops.Convert(ElementType.from_numpy(float_type)), x)
    zp = n.out(ops.Convert(ElementType.from_numpy(float_type)), n.input(zero_point_index))
    return n.out(ops.Subtract(), y, _along_axis(n, zp, x, axis))


def _to_int32(n: OnnxNode, y: Output) -> Output:
    """The integer result: sums of integer products are whole numbers in f32 (rounded to even ones beyond 2^24),
    so the conversion truncates nothing."""
    return n.out(ops.Convert(ElementType.i32), y)


def convolution(n: OnnxNode, x: Output, w: Output) -> Output:
    """ONNX Conv's attributes (strides, pads, auto_pad, dilations, group) on float operands."""
    spatial = nn._spatial_rank(n, x, w)
    attrs = nn._window_attrs(n, spatial)
    attrs["dilations"] = tuple(n.ints("dilations", [1] * spatial))
    groups = int(n.attr("group", 1))
    if groups == 1:
        return n.out(ops.Convolution(**attrs), x, w)
    return n.out(ops.GroupConvolution(**attrs), x, nn.grouped_weights(n, w, groups))


def conv_integer(n: OnnxNode) -> list[Output]:
    x = _integer_operand(n, 0, 2, 1)
    w = _integer_operand(n, 1, 3, 0)
    return [_to_int32(n, convolution(n, x, w))]


def matmul_integer(n: OnnxNode) -> list[Output]:
    a_rank = n.input(0).shape.rank
    a = _integer_operand(n, 0, 2, None if a_rank is None else max(a_rank - 2, 0))  # per-row zero points
    b = _integer_operand(n, 1, 3, -1)                                                # per-column zero points
    return [_to_int32(n, n.out(ops.MatMul(), a, b))]
