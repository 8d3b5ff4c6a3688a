"""Elementwise ONNX ops that OpenVINO spells differently or lacks: Reciprocal, Celu, ThresholdedRelu, Shrink,
Swish, Pow of mixed types, Mod, BitShift, Bitwise*, IsInf, IsNaN."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output

from ..node import OnnxNode


def scalar(n: OnnxNode, value: float | int | bool, like: Output) -> Output:
    """A 0-d constant of `like`'s element type."""
    return n.const(np.array(value, like.element_type.numpy), like.element_type)


def reciprocal(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    return [n.out(ops.Divide(), scalar(n, 1, x), x)]


def celu(n: OnnxNode) -> list[Output]:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) = alpha * Elu(x / alpha)."""
    x = n.input(0)
    alpha = float(n.attr("alpha", 1.0))
    if alpha == 1.0:
        return [n.out(ops.Elu(alpha=1.0), x)]
    y = n.out(ops.Elu(alpha=1.0), n.out(ops.Divide(), x, scalar(n, alpha, x)))
    return [n.out(ops.Multiply(), y, scalar(n, alpha, x))]


def thresholded_relu(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    alpha = float(n.attr("alpha", 1.0))
    return [n.out(ops.Select(), n.out(ops.Greater(), x, scalar(n, alpha, x)), x, scalar(n, 0, x))]


def shrink(n: OnnxNode) -> list[Output]:
    """x < -lambd: x + bias; x > lambd: x - bias; else 0."""
    x = n.input(0)
    lambd, bias = float(n.attr("lambd", 0.5)), float(n.attr("bias", 0.0))
    zero = scalar(n, 0, x)
    low = n.out(ops.Select(), n.out(ops.Less(), x, scalar(n, -lambd, x)),
                n.out(ops.Add(), x, scalar(n, bias, x)), zero)
    return [n.out(ops.Select(), n.out(ops.Greater(), x, scalar(n, lambd, x)),
                  n.out(ops.Subtract(), x, scalar(n, bias, x)), low)]


def swish(n: OnnxNode) -> list[Output]:
    """x * sigmoid(alpha * x): OpenVINO's Swish with beta = alpha."""
    x = n.input(0)
    alpha = float(n.attr("alpha", 1.0))
    if alpha == 1.0:
        return [n.out(ops.Swish(), x)]
    return [n.out(ops.Swish(), x, scalar(n, alpha, x))]


def pow_(n: OnnxNode) -> list[Output]:
    """The output has the base's type; the exponent may have another type (opset 12+)."""
    base, exponent = n.input(0), n.input(1)
    if base.element_type == exponent.element_type:
        return [n.out(ops.Power(), base, exponent)]
    if base.element_type.is_float or not exponent.element_type.is_float:
        return [n.out(ops.Power(), base, n.out(ops.Convert(base.element_type), exponent))]
    # An integer base with a float exponent: compute in the exponent's type, then back to the base's.
    y = n.out(ops.Power(), n.out(ops.Convert(exponent.element_type), base), exponent)
    return [n.out(ops.Convert(base.element_type), y)]


def mod(n: OnnxNode) -> list[Output]:
    """fmod=1: C fmod (OpenVINO Mod). fmod=0: floor modulo; for floats it is built on fmod, r = fmod(a, b) moved
    by b when r is nonzero and its sign differs from b's, which keeps ONNX's infinity and NaN cases."""
    a, b = n.input(0), n.input(1)
    if n.attr("fmod", 0):
        return [n.out(ops.Mod(), a, b)]
    if not a.element_type.is_float:
        return [n.out(ops.FloorMod(), a, b)]
    # OpenVINO's Mod gives NaN for a finite value modulo an infinity (C's fmod gives the value): select it.
    keep = n.out(ops.LogicalAnd(), n.out(ops.IsInf(), b), n.out(ops.IsFinite(), a))
    r = n.out(ops.Select(), keep, a, n.out(ops.Mod(), a, b))
    zero = scalar(n, 0, a)
    differ = n.out(ops.NotEqual(), n.out(ops.Less(), r, zero), n.out(ops.Less(), b, zero))
    move = n.out(ops.LogicalAnd(), n.out(ops.NotEqual(), r, zero), differ)
    return [n.out(ops.Select(), move, n.out(ops.Add(), r, b), r)]


def bit_shift(n: OnnxNode) -> list[Output]:
    """A shift by a negative count or by the bit width or more gives the sign fill (0, or -1 for a right shift
    of a negative signed value); OpenVINO leaves those counts undefined, so they are selected explicitly."""
    x, y = n.input(0), n.input(1)
    left = n.attr("direction", "") == "LEFT"
    if n.attr("direction", "") not in ("LEFT", "RIGHT"):
        raise n.error("direction must be LEFT or RIGHT")
    bits = x.element_type.bits
    count = y if y.element_type == x.element_type else n.out(ops.Convert(x.element_type), y)
    shift = ops.BitwiseLeftShift() if left else ops.BitwiseRightShift()
    count_value = n.value(1)
    if count_value is not None and np.all((count_value >= 0) & (count_value < bits)):
        return [n.out(shift, x, count)]
    out_of_range = n.out(ops.GreaterEqual(), count, scalar(n, bits, count))
    if count.element_type.is_signed:
        out_of_range = n.out(ops.LogicalOr(), out_of_range, n.out(ops.Less(), count, scalar(n, 0, count)))
    zero = scalar(n, 0, x)
    fill = zero
    if not left and x.element_type.is_signed:
        fill = n.out(ops.Select(), n.out(ops.Less(), x, zero), scalar(n, -1, x), zero)
    # Shift by a safe count where the real count is out of range, so no lane computes an undefined shift.
    safe = n.out(ops.Select(), out_of_range, scalar(n, 0, count), count)
    shifted = n.out(shift, x, safe)
    return [n.out(ops.Select(), out_of_range, fill, shifted)]


def bitwise(op_class):
    def translate(n: OnnxNode) -> list[Output]:
        return [n.out(op_class(), *(n.input(i) for i in range(len(n.inputs))))]
    translate.__doc__ = f"-> {op_class.TYPE}"
    return translate


def is_inf(n: OnnxNode) -> list[Output]:
    return [n.out(ops.IsInf(detect_negative=bool(n.attr("detect_negative", 1)),
                            detect_positive=bool(n.attr("detect_positive", 1))), n.input(0))]


def is_nan(n: OnnxNode) -> list[Output]:
    return [n.out(ops.IsNaN(), n.input(0))]
