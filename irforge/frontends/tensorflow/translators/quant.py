"""TensorFlow fake quantization -> FakeQuantize.

TensorFlow first nudges [min, max] so that 0.0 is exactly representable: with quant_min = 1 if narrow_range
else 0, quant_max = 2^num_bits - 1 and scale = (max - min) / (quant_max - quant_min), the zero point
quant_min - min / scale is rounded (clamped to [quant_min, quant_max]) and the range becomes
[(quant_min - zp) * scale, (quant_max - zp) * scale]. Values are clamped to that range and rounded to the grid:
FakeQuantize with the nudged range as both its input and output limits and quant_max - quant_min + 1 levels.
"""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Constant, Output

from ..node import TfNode


def nudged_range(low: np.ndarray, high: np.ndarray, num_bits: int, narrow_range: bool
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    quant_min = 1 if narrow_range else 0
    quant_max = (1 << num_bits) - 1
    low, high = np.asarray(low, np.float32), np.asarray(high, np.float32)
    scale = (high - low) / np.float32(quant_max - quant_min)
    zero_point = np.float32(quant_min) - low / scale
    nudged = np.where(zero_point < quant_min, quant_min,
                      np.where(zero_point > quant_max, quant_max, np.floor(zero_point + np.float32(0.5))))
    nudged = nudged.astype(np.float32)
    return ((quant_min - nudged) * scale).astype(np.float32), ((quant_max - nudged) * scale).astype(np.float32), \
        quant_max - quant_min + 1


def _fake_quantize(n: TfNode, x: Output, low: np.ndarray, high: np.ndarray) -> Output:
    num_bits = int(n.attr("num_bits", 8))
    narrow = bool(n.attr("narrow_range", False))
    if not 2 <= num_bits <= 16:
        raise n.error(f"num_bits {num_bits} is not between 2 and 16")
    lo, hi, levels = nudged_range(low, high, num_bits, narrow)
    rank = x.shape.rank
    weights = isinstance(x.node.op, Constant)  # stays a FakeQuantize: compress_quantized_weights stores integers
    if lo.size > 1 and (rank is None or rank > 2) and not weights:
        # Per-channel ranges on the last axis of activations of rank > 2: the OpenVINO CPU plugin (2026.4)
        # quantizes FakeQuantize with such ranges on a wrong grid (seen with levels=255, also after moving the
        # channels to axis 1, which its own transpose sinking undoes), so they are computed from primitives, as
        # TF does. (On constant weights the FakeQuantize becomes integer storage, which the plugin reads right.)
        return _decomposed(n, x, lo, hi, levels)
    lo_out, hi_out = n.const(lo), n.const(hi)
    return n.out(ops.FakeQuantize(levels=levels), x, lo_out, hi_out, lo_out, hi_out)


def fake_quant_vars(n: TfNode) -> list[Output]:
    """FakeQuantWithMinMaxVars / ...PerChannel (min, max per last-axis channel): the range must be known."""
    low = n.const_value(1, "min")
    high = n.const_value(2, "max")
    return [_fake_quantize(n, n.input(0), low, high)]


def fake_quant_args(n: TfNode) -> list[Output]:
    """-> FakeQuantize with the nudged [min, max] of the attributes."""
    return [_fake_quantize(n, n.input(0), np.float32(n.attr("min", -6.0)), np.float32(n.attr("max", 6.0)))]


def _decomposed(n: TfNode, x: Output, lo: np.ndarray, hi: np.ndarray, levels: int) -> Output:
    """TensorFlow's own arithmetic: floor((clamp(x) - min) / scale + 0.5) * scale + min."""
    scale = ((hi - lo) / np.float32(levels - 1)).astype(np.float32)
    clamped = n.out(ops.Minimum(), n.out(ops.Maximum(), x, n.const(lo)), n.const(hi))
    shifted = n.out(ops.Multiply(), n.out(ops.Subtract(), clamped, n.const(lo)), n.const(np.float32(1) / scale))
    steps = n.out(ops.Floor(), n.out(ops.Add(), shifted, n.const(np.float32(0.5))))
    return n.out(ops.Add(), n.out(ops.Multiply(), steps, n.const(scale)), n.const(lo))
