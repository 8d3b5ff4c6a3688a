"""TensorFlow fake quantization (FakeQuantWithMinMaxArgs / Vars / VarsPerChannel) -> FakeQuantize.

TensorFlow's arithmetic (fake_quant_ops_functor.h; checked element by element against TensorFlow 2.21): with
quant_min = 1 if narrow_range else 0, quant_max = 2^num_bits - 1,

    scale = (max - min) / (quant_max - quant_min)      inv_scale = (quant_max - quant_min) / (max - min)

(inv_scale is computed on its own, not as 1 / scale), the zero point quant_min - min / scale is rounded half away
from zero into [quant_min, quant_max], which nudges the range so that 0.0 is on the grid:
[nudged_min, nudged_max] = [(quant_min - zp) * scale, (quant_max - zp) * scale]. Then

    y = floor((clamp(x, nudged_min, nudged_max) - nudged_min) * inv_scale - quant_zero + 0.5) * scale

with quant_zero = floor(-nudged_min * inv_scale + 0.5). FakeQuantWithMinMaxVars divides by scale instead of
multiplying by inv_scale. A channel with min == max == 0 gives zeros.

In the IR:
- weights (values known at conversion): TensorFlow's own arithmetic gives each weight its grid step k; the IR holds
  k * scale under a FakeQuantize on the nudged range, which leaves them unchanged and which
  compress_quantized_weights stores as TensorFlow's integers (`grid_weights`).
- activations: a FakeQuantize on the nudged range with quant_max - quant_min + 1 levels, what the CPU plugin runs
  in INT8 (with a workaround for odd levels, see _fake_quantize). It rounds the same way up to float arithmetic:
  an input within an ulp of a rounding edge may land one step away from TensorFlow's. Above 256 levels (which
  the plugin cannot run in integers anyway) TensorFlow's formula from primitives, exact.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Output
from irforge.errors import NotEvaluable

from ..node import TfNode

F32 = np.float32
FAKE_QUANT_LEVELS_LIMIT = 65536  # compress_quantized_weights stores at most 16-bit integers


@dataclass(frozen=True)
class Grid:
    """Quantization grids, one per channel (arrays broadcasting against the data): the values step * k for the
    integers k in [first, first + levels - 1]."""

    step: np.ndarray
    first: np.ndarray
    levels: int

    def limits(self, dtype) -> tuple[np.ndarray, np.ndarray]:
        """The grid's lowest and highest values, computed as the values themselves are (k * step)."""
        step = np.asarray(self.step, dtype)
        low = (np.asarray(self.first, dtype) * step).astype(dtype)
        high = (np.asarray(self.first + (self.levels - 1), dtype) * step).astype(dtype)
        return low, high


@dataclass(frozen=True)
class Nudged:
    """TensorFlow's nudged range (per channel when the limits are vectors)."""

    scale: np.ndarray
    inv_scale: np.ndarray
    low: np.ndarray
    high: np.ndarray
    quant_zero: np.ndarray
    first: np.ndarray         # quant_min - nudged zero point: the grid step of nudged_min
    levels: int


def nudge(n: TfNode, low, high, num_bits: int, narrow_range: bool) -> Nudged:
    quant_min, quant_max = (1 if narrow_range else 0), (1 << num_bits) - 1
    low, high = np.asarray(low, F32), np.asarray(high, F32)
    zero = (low == 0) & (high == 0)
    if np.any(low > high) or np.any((low == high) & ~zero):
        raise n.error(f"fake quantization range [{low}, {high}] is empty or inverted (min must be < max)")
    qmin, qmax = F32(quant_min), F32(quant_max)
    with np.errstate(all="ignore"):
        scale = (high - low) / (qmax - qmin)
        inv_scale = (qmax - qmin) / (high - low)
        from_min = qmin - low / scale
        rounded = np.where(from_min - np.floor(from_min) >= F32(0.5), np.ceil(from_min), np.floor(from_min))
        zero_point = np.where(from_min < qmin, qmin, np.where(from_min > qmax, qmax, rounded)).astype(F32)
        nudged_low, nudged_high = (qmin - zero_point) * scale, (qmax - zero_point) * scale
        quant_zero = np.floor(-nudged_low * inv_scale + F32(0.5))
    # min == max == 0: every value is 0 (a grid of step 0 at 0 computes that through both the formula and
    # a FakeQuantize)
    keep = ~zero
    return Nudged(*(np.where(keep, v, F32(0)).astype(F32) for v in (scale, inv_scale, nudged_low, nudged_high,
                                                                      quant_zero)),
                  first=np.where(keep, qmin - zero_point, F32(0)).astype(F32), levels=quant_max - quant_min + 1)


def tf_fake_quant_steps(x: np.ndarray, r: Nudged, divide: bool) -> np.ndarray:
    """TensorFlow's integer grid step of each value (floats holding integers); y = steps * scale."""
    with np.errstate(all="ignore"):
        shifted = np.maximum(np.minimum(x, r.high), r.low) - r.low
        ratio = shifted / np.where(r.scale == 0, F32(1), r.scale) if divide else shifted * r.inv_scale
        steps = np.floor(ratio - r.quant_zero + F32(0.5))
    return np.where(r.scale == 0, F32(0), steps).astype(F32)


def known_value(n: TfNode, x: Output, depth: int = 32) -> np.ndarray | None:
    """x's value when it is computed from constants only (weights read through Identity, scaled by a folded
    batch normalization...): evaluated here, as constant folding would later."""
    value = n.graph.constant_value(x)
    if value is not None or not _from_constants(x.node, depth, {}):
        return value
    return _evaluate(n, x, {})


def _from_constants(node, depth: int, seen: dict[int, bool]) -> bool:
    if id(node) not in seen:
        if isinstance(node.op, Constant):
            seen[id(node)] = True
        elif depth == 0 or not node.op.FOLDABLE or not node.inputs:
            seen[id(node)] = False
        else:
            seen[id(node)] = all(_from_constants(i.node, depth - 1, seen) for i in node.inputs)
    return seen[id(node)]


def _evaluate(n: TfNode, x: Output, values: dict[int, list]) -> np.ndarray | None:
    if id(x.node) not in values:
        if isinstance(x.node.op, Constant):
            values[id(x.node)] = [x.node.op.array()]
        else:
            inputs = [_evaluate(n, i, values) for i in x.node.inputs]
            try:
                values[id(x.node)] = [None] if any(v is None for v in inputs) else \
                    list(x.node.op.evaluate(*inputs))
            except (NotEvaluable, NotImplementedError):
                values[id(x.node)] = [None]
    out = values[id(x.node)]
    return None if out[0] is None else np.asarray(out[x.index])


def grid_weights(n: TfNode, values: np.ndarray, grid: Grid) -> Output:
    """Quantized weights (values on `grid`) as a FakeQuantize of themselves on that grid: it returns them unchanged
    and compress_quantized_weights stores its grid indices as integers. Values the FakeQuantize would not return
    unchanged (off the grid, not finite, too many levels) stay plain constants: the values are right either way."""
    dtype = values.dtype
    const = n.const(values, name=f"{n.name}/weights")
    if grid.levels > FAKE_QUANT_LEVELS_LIMIT or not np.all(np.isfinite(values)):
        return const
    low, high = grid.limits(dtype)
    low, high = (np.ascontiguousarray(v) for v in np.broadcast_arrays(low, high))  # limits of one shape
    fq = ops.FakeQuantize(levels=grid.levels)
    same = fq.evaluate(values, low, high, low, high)[0]
    step = np.abs(np.asarray(grid.step, np.float64))
    if not np.all(np.abs(same.astype(np.float64) - values) <= 1e-3 * step + 8 * np.finfo(dtype).eps * np.abs(values)):
        return const
    return n.out(fq, const, *_limits(n, low, high))


def _fake_quantize(n: TfNode, x: Output, low, high, divide: bool) -> Output:
    num_bits = int(n.attr("num_bits", 8))
    narrow = bool(n.attr("narrow_range", False))
    if not 2 <= num_bits <= 16:
        raise n.error(f"num_bits {num_bits} is not between 2 and 16")
    if x.element_type != ElementType.f32:
        raise n.error(f"fake quantization of {x.element_type.value} tensors: TensorFlow defines it for float32 only")
    r = nudge(n, low, high, num_bits, narrow)
    weights = known_value(n, x)
    if weights is not None:
        steps = tf_fake_quant_steps(np.asarray(weights, F32), r, divide)
        return grid_weights(n, (steps * r.scale).astype(F32), Grid(r.scale, r.first, r.levels))
    if r.levels > 256:
        # More levels than the CPU plugin quantizes to: it strips 16-bit FakeQuantizes from activations (the
        # clamp and the rounding are lost) and is steps off around 32768 levels, so TensorFlow's formula.
        return _primitives(n, x, r, divide)
    low, high, levels = r.low, r.high, r.levels
    if levels % 2:
        # Odd levels (narrow_range): the CPU plugin (2026.4) computes a FakeQuantize with 255 or 15 levels and
        # a zero point off the middle on a wrong grid when it feeds more than one layer, or per channel on the
        # last axis. The same grid with one more level above the range is right: values are clamped to the
        # range first, so the extra level is never reached.
        x = n.out(ops.Minimum(), x, n.const(high))
        high, levels = (high + r.scale).astype(F32), levels + 1
    return n.out(ops.FakeQuantize(levels=levels), x, *_limits(n, low, high))


def _limits(n: TfNode, low: np.ndarray, high: np.ndarray) -> list[Output]:
    """FakeQuantize limits for a grid [low, high]: input and output limits alike, except for grids of width 0 (a
    channel of zeros): input limits [0, 1] around an output of 0, since the CPU plugin computes NaN for an
    input range of width 0."""
    flat = low == high
    if not np.any(flat):
        lo, hi = n.const(low), n.const(high)
        return [lo, hi, lo, hi]
    in_low, in_high = np.where(flat, 0, low).astype(low.dtype), np.where(flat, 1, high).astype(high.dtype)
    return [n.const(in_low), n.const(in_high), n.const(low), n.const(high)]


def fake_quant_vars(n: TfNode) -> list[Output]:
    """-> FakeQuantize (on weights: TensorFlow's integers); min, max (per last-axis channel) known at conversion.

    FakeQuantWithMinMaxVars takes scalars, ...PerChannel one range per channel of the input's last axis."""
    low, high = n.const_value(1, "min"), n.const_value(2, "max")
    x = n.input(0)
    per_channel = n.op_type == "FakeQuantWithMinMaxVarsPerChannel"
    channels = x.shape[-1] if x.shape.rank else None
    want = (channels,) if per_channel else ()
    if per_channel and not isinstance(channels, int):
        want = low.shape if low.ndim == 1 else (None,)
    if low.shape != want or high.shape != want:
        raise n.error(f"min / max of shapes {low.shape} / {high.shape}: "
                      f"{'one value per channel of the last axis' if per_channel else 'scalars'} are needed")
    return [_fake_quantize(n, x, low, high, divide=not per_channel)]


def fake_quant_args(n: TfNode) -> list[Output]:
    """-> FakeQuantize on the nudged [min, max] of the attributes (on weights: TensorFlow's integers)."""
    return [_fake_quantize(n, n.input(0), n.attr("min", -6.0), n.attr("max", 6.0), divide=False)]


def _primitives(n: TfNode, x: Output, r: Nudged, divide: bool) -> Output:
    """TensorFlow's formula, op for op."""
    clamped = n.out(ops.Maximum(), n.out(ops.Minimum(), x, n.const(r.high)), n.const(r.low))
    shifted = n.out(ops.Subtract(), clamped, n.const(r.low))
    if divide:  # a range of min == max == 0 divides 0 by 1 (TensorFlow outputs zeros)
        ratio = n.out(ops.Divide(), shifted, n.const(np.where(r.scale == 0, F32(1), r.scale)))
    else:
        ratio = n.out(ops.Multiply(), shifted, n.const(r.inv_scale))
    steps = n.out(ops.Floor(), n.out(ops.Add(), n.out(ops.Subtract(), ratio, n.const(r.quant_zero)),
                                     n.const(F32(0.5))))
    return n.out(ops.Multiply(), steps, n.const(r.scale))
