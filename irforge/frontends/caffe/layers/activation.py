"""Elementwise activations and the Power / Exp / Log family."""
from __future__ import annotations

import math

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..context import LayerContext
from .common import f32, scale_by, shift_by


def relu(ctx: LayerContext) -> list[Output]:
    """ReLU; a negative_slope makes it a leaky ReLU (PRelu with one shared slope)."""
    x = ctx.input()
    slope = float(ctx.param("relu_param").get("negative_slope"))
    if slope == 0.0:
        return [ctx.out(ops.Relu(), x)]
    return [ctx.out(ops.PRelu(), x, ctx.const(f32([slope])))]


def prelu(ctx: LayerContext) -> list[Output]:
    x = ctx.input()
    channels = x.shape[1] if ctx.rank(x) >= 2 else 1
    shared = bool(ctx.param("prelu_param").get("channel_shared"))
    if not shared and not isinstance(channels, int):
        raise ctx.error(f"needs a known channel count, got [{x.shape}]")
    slope = ctx.blob(0, (1,) if shared else (channels,), "slope", fill=0.25)
    return [ctx.out(ops.PRelu(), x, slope)]


def elu(ctx: LayerContext) -> list[Output]:
    return [ctx.out(ops.Elu(alpha=float(ctx.param("elu_param").get("alpha"))), ctx.input())]


def relu6(ctx: LayerContext) -> list[Output]:
    return [ctx.out(ops.Clamp(min=0.0, max=float(ctx.param("relu6_param").get("n"))), ctx.input())]


def clip(ctx: LayerContext) -> list[Output]:
    p = ctx.param("clip_param")
    return [ctx.out(ops.Clamp(min=float(p.get("min")), max=float(p.get("max"))), ctx.input())]


def swish(ctx: LayerContext) -> list[Output]:
    beta = float(ctx.param("swish_param").get("beta"))
    if beta == 1.0:
        return [ctx.out(ops.Swish(), ctx.input())]
    return [ctx.out(ops.Swish(), ctx.input(), ctx.const(f32(beta)))]


def power(ctx: LayerContext) -> list[Output]:
    """(shift + scale * x) ^ power, without the steps that do nothing."""
    p = ctx.param("power_param")
    y = shift_by(ctx, scale_by(ctx, ctx.input(), float(p.get("scale"))), float(p.get("shift")))
    exponent = float(p.get("power"))
    if exponent != 1.0:
        y = ctx.out(ops.Power(), y, ctx.const(f32(exponent)))
    return [y]


def exp(ctx: LayerContext) -> list[Output]:
    """base ^ (shift + scale * x) = exp(ln(base) * (shift + scale * x)); base -1 means e."""
    p = ctx.param("exp_param")
    base = float(p.get("base"))
    if base != -1.0 and base <= 0:
        raise ctx.error(f"exp_param.base {base} must be positive (or -1 for e)")
    factor = 1.0 if base == -1.0 else math.log(base)
    t = scale_by(ctx, ctx.input(), float(p.get("scale")) * factor)
    t = shift_by(ctx, t, float(p.get("shift")) * factor)
    return [ctx.out(ops.Exp(), t)]


def log(ctx: LayerContext) -> list[Output]:
    """log_base(shift + scale * x) = ln(shift + scale * x) / ln(base); base -1 means e."""
    p = ctx.param("log_param")
    base = float(p.get("base"))
    if base != -1.0 and (base <= 0 or base == 1.0):
        raise ctx.error(f"log_param.base {base} must be positive and not 1 (or -1 for e)")
    t = shift_by(ctx, scale_by(ctx, ctx.input(), float(p.get("scale"))), float(p.get("shift")))
    y = ctx.out(ops.Log(), t)
    return [y if base == -1.0 else scale_by(ctx, y, 1.0 / math.log(base))]


def threshold(ctx: LayerContext) -> list[Output]:
    """1 where x > threshold, else 0."""
    t = float(ctx.param("threshold_param").get("threshold"))
    above = ctx.out(ops.Greater(), ctx.input(), ctx.const(f32(t)))
    return [ctx.out(ops.Convert(destination_type=ElementType.f32), above)]


def softmax(ctx: LayerContext) -> list[Output]:
    x = ctx.input()
    axis = ctx.axis(int(ctx.param("softmax_param").get("axis")), ctx.rank(x))
    return [ctx.out(ops.Softmax(axis=axis), x)]
