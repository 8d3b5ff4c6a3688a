"""TensorFlow QuantizeAndDequantizeV2 / V3 / V4: quantize to num_bits integers and back, in the input's type.

TensorFlow's arithmetic (quantize_and_dequantize_op.h; checked element by element against TensorFlow 2.21): the
integer range is [min_q, max_q] = [-2^(b-1) (+1 if narrow_range), 2^(b-1) - 1] when signed_input, else
[0, 2^b - 1]. The float range [min, max] is the given one (range_given) or the input's own minimum and maximum
(per slice of `axis` when axis != -1). The scale keeps 0 fixed and takes the side that limits it:

    scale_from_min = min_q / min if min_q * min > 0 else FLT_MAX   (likewise from max)
    scale_from_min < scale_from_max:  scale = scale_from_min, inverse = min / min_q, max = max_q * inverse
    otherwise:                        scale = scale_from_max, inverse = max / max_q, min = min_q * inverse
    y = round(clamp(x, min, max) * scale) * inverse          (no clamp without range_given)

round is half to even (round_mode HALF_TO_EVEN, V3's only mode) or floor(v + 0.5) (HALF_UP).

In the IR:
- weights (values known at conversion): TensorFlow's arithmetic here, the result under a FakeQuantize on its
  grid (quant.grid_weights), stored as integers by compress_quantized_weights;
- activations: the formula op for op (range computed in the graph without range_given), so ties round as
  TensorFlow rounds them (a FakeQuantize rounds its shifted index, so with an odd min_q ties would go the other
  way, and it has no round-half-up).
"""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output

from ..node import TfNode
from .generic import i64
from .quant import Grid, grid_weights, known_value

ROUND_MODES = ("HALF_TO_EVEN", "HALF_UP")


def integer_range(signed: bool, num_bits: int, narrow: bool) -> tuple[int, int]:
    if signed:
        return -(1 << (num_bits - 1)) + (1 if narrow else 0), (1 << (num_bits - 1)) - 1
    return 0, (1 << num_bits) - 1


def scales(low: np.ndarray, high: np.ndarray, min_q: int, max_q: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(scale, inverse, low, high) as TensorFlow computes them in the data's type (arrays per channel)."""
    dtype = low.dtype.type
    fmin, fmax, big = dtype(min_q), dtype(max_q), np.finfo(dtype).max
    with np.errstate(all="ignore"):
        from_min = np.where(fmin * low > 0, fmin / low, big).astype(dtype)
        from_max = np.where(fmax * high > 0, fmax / high, big).astype(dtype)
        left = from_min < from_max
        inverse = np.where(left, low / fmin, high / fmax).astype(dtype)
        return (np.where(left, from_min, from_max).astype(dtype), inverse,
                np.where(left, low, fmin * inverse).astype(dtype), np.where(left, fmax * inverse, high).astype(dtype))


def _round(values: np.ndarray, mode: str) -> np.ndarray:
    return np.rint(values) if mode == "HALF_TO_EVEN" else np.floor(values + values.dtype.type(0.5))


def quantize_and_dequantize(n: TfNode) -> list[Output]:
    """Weights: TensorFlow's values, stored as integers; activations: TensorFlow's formula, op for op.

    V2 / V4 take num_bits as an attribute, V3 as input 3 (known at conversion) and round half to even."""
    x = n.input(0)
    signed = bool(n.attr("signed_input", True))
    if n.op_type == "QuantizeAndDequantizeV3":
        num_bits, range_given, mode = int(n.const_value(3, "num_bits")), bool(n.attr("range_given", True)), \
            "HALF_TO_EVEN"
    else:
        num_bits, range_given = int(n.attr("num_bits", 8)), bool(n.attr("range_given", False))
        mode = n.attr("round_mode", "HALF_TO_EVEN")
    narrow, axis = bool(n.attr("narrow_range", False)), int(n.attr("axis", -1))
    if mode not in ROUND_MODES:
        raise n.error(f"round_mode {mode!r} is not HALF_TO_EVEN or HALF_UP")
    if not 0 < num_bits < (62 if signed else 63):
        raise n.error(f"num_bits {num_bits} is out of range (1 .. {61 if signed else 62})")
    if not x.element_type.is_float:
        raise n.error(f"quantize-and-dequantize of {x.element_type.value} tensors: TensorFlow defines it for "
                      f"floating-point types only")
    rank = x.shape.rank
    if axis != -1 and (axis < 0 or rank is None or axis >= rank):
        raise n.error(f"axis {axis} is not -1 or an axis of the input (rank {rank})")
    min_q, max_q = integer_range(signed, num_bits, narrow)
    dtype = x.element_type.numpy
    low = high = None
    if range_given:
        low, high = (np.asarray(n.const_value(i, what), dtype) for i, what in ((1, "input_min"), (2, "input_max")))
        channels = x.shape[axis] if axis != -1 else None
        want = () if axis == -1 else (channels,) if isinstance(channels, int) else None
        if want is not None and (low.shape != want or high.shape != want) and not (axis == -1 and low.size == 1):
            raise n.error(f"input_min / input_max of shapes {low.shape} / {high.shape}: one value "
                          f"{'per channel of axis %d' % axis if axis != -1 else 'for the tensor'} is needed")
        if np.any(low > high):
            raise n.error(f"invalid range: input_min {low} > input_max {high}")
        low, high = _along(low.reshape(-1) if axis != -1 else low.reshape(()), axis, rank), \
            _along(high.reshape(-1) if axis != -1 else high.reshape(()), axis, rank)
    weights = known_value(n, x)
    if weights is not None:
        return [_weights(n, np.asarray(weights, dtype), low, high, axis, min_q, max_q, mode)]
    if range_given:
        scale, inverse, low, high = scales(low, high, min_q, max_q)
        clamped = n.out(ops.Maximum(), n.out(ops.Minimum(), x, n.const(high)), n.const(low))
        return [_scale_round(n, clamped, n.const(scale), n.const(inverse), mode)]
    return [_dynamic(n, x, axis, min_q, max_q, mode)]


def _along(values: np.ndarray, axis: int, rank: int | None) -> np.ndarray:
    """Per-channel values shaped to broadcast along `axis` of a tensor of that rank (scalars as they are)."""
    if axis == -1:
        return values
    return values.reshape([-1] + [1] * (rank - axis - 1))


def _weights(n: TfNode, w: np.ndarray, low, high, axis: int, min_q: int, max_q: int, mode: str) -> Output:
    range_given = low is not None
    if not range_given:  # the weights' own range
        reduce = None if axis == -1 else tuple(i for i in range(w.ndim) if i != axis)
        low, high = (np.asarray(f(w, axis=reduce, keepdims=axis != -1), w.dtype) for f in (np.min, np.max))
    scale, inverse, low, high = scales(low, high, min_q, max_q)
    with np.errstate(all="ignore"):
        source = np.maximum(np.minimum(w, high), low) if range_given else w
        steps = _round((source * scale).astype(w.dtype), mode)
        values = (steps * inverse).astype(w.dtype)
    if not (np.all(np.isfinite(steps)) and np.all(np.isfinite(inverse)) and np.all(inverse >= 0)):
        return n.const(values)
    # Without range_given the integers may leave [min_q, max_q] (unsigned quantization of negative weights): the
    # grid covers them, with more levels.
    first, last = min(min_q, int(steps.min(initial=min_q))), max(max_q, int(steps.max(initial=max_q)))
    return grid_weights(n, values, Grid(inverse, np.full(np.shape(inverse), first, w.dtype), last - first + 1))


def _scale_round(n: TfNode, x: Output, scale: Output, inverse: Output, mode: str) -> Output:
    scaled = n.out(ops.Multiply(), x, scale)
    if mode == "HALF_TO_EVEN":
        rounded = n.out(ops.Round(mode="half_to_even"), scaled)
    else:  # floor(v + 0.5): -2.5 -> -2 (not Round's half_away_from_zero)
        half = n.const(np.asarray(0.5, x.element_type.numpy))
        rounded = n.out(ops.Floor(), n.out(ops.Add(), scaled, half))
    return n.out(ops.Multiply(), rounded, inverse)


def _dynamic(n: TfNode, x: Output, axis: int, min_q: int, max_q: int, mode: str) -> Output:
    """Without range_given the range is the input's own, per tensor or per slice of `axis`: computed in the graph
    with TensorFlow's formula (its comparisons and divisions, FLT_MAX for a side that cannot limit the scale)."""
    dtype = x.element_type.numpy
    if axis == -1:
        flat = n.out(ops.Reshape(), x, n.const(i64([-1])))
        low, high = (n.out(op(keep_dims=False), flat, n.const(i64([0]))) for op in (ops.ReduceMin, ops.ReduceMax))
    else:
        others = n.const(i64([i for i in range(x.shape.rank) if i != axis]))
        low, high = (n.out(op(keep_dims=True), x, others) for op in (ops.ReduceMin, ops.ReduceMax))
    fmin, fmax, big, zero = (n.const(np.asarray(v, dtype)) for v in (min_q, max_q, np.finfo(dtype).max, 0))

    def from_side(q: Output, limit: Output) -> Output:
        positive = n.out(ops.Greater(), n.out(ops.Multiply(), q, limit), zero)
        return n.out(ops.Select(), positive, n.out(ops.Divide(), q, limit), big)

    from_max = from_side(fmax, high)
    high_inverse = n.out(ops.Divide(), high, fmax)
    if min_q == 0:  # min_q * min > 0 never holds: the max side always sets the scale
        scale, inverse = from_max, high_inverse
    else:
        from_min = from_side(fmin, low)
        left = n.out(ops.Less(), from_min, from_max)
        scale = n.out(ops.Select(), left, from_min, from_max)
        inverse = n.out(ops.Select(), left, n.out(ops.Divide(), low, fmin), high_inverse)
    return _scale_round(n, x, scale, inverse, mode)
