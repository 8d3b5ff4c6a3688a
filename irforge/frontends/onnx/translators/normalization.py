"""Normalizations without a one-to-one OpenVINO op, and Lp norms: MeanVarianceNormalization, InstanceNormalization,
GroupNormalization, RMSNormalization, LpNormalization, LpPool."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import OnnxNode
from .generic import i64
from .nn import AUTO_PAD, channel_shape
from .pointwise import scalar


def _rank(n: OnnxNode, x: Output) -> int:
    if x.shape.rank is None:
        raise n.error("needs an input of known rank")
    return x.shape.rank


def _stash(n: OnnxNode, x: Output) -> Output:
    """stash_type=1 (the default) computes in f32 whatever the input type."""
    if n.attr("stash_type", 1) == 1 and x.element_type != ElementType.f32 and x.element_type.is_float:
        return n.out(ops.Convert(ElementType.f32), x)
    return x


def _back(n: OnnxNode, y: Output, like: Output) -> Output:
    return y if y.element_type == like.element_type else n.out(ops.Convert(like.element_type), y)


def mean_variance_normalization(n: OnnxNode) -> list[Output]:
    """(x - mean) / sqrt(var) over `axes`; the ONNX function has no epsilon, OpenVINO's MVN needs one: 1e-9."""
    x = n.input(0)
    axes = n.ints("axes", [0, 2, 3])
    return [n.out(ops.MVN(normalize_variance=True, eps=1e-9, eps_mode="outside_sqrt"), x, n.const(i64(axes)))]


def instance_normalization(n: OnnxNode) -> list[Output]:
    """MVN over the spatial axes (epsilon inside the square root), then the per-channel scale and bias."""
    x, scale, bias = n.input(0), n.input(1), n.input(2)
    rank = _rank(n, x)
    eps = float(n.attr("epsilon", 1e-5))
    y = n.out(ops.MVN(normalize_variance=True, eps=eps, eps_mode="inside_sqrt"), x,
              n.const(i64(list(range(2, rank)))))
    target = n.const(channel_shape(rank))
    y = n.out(ops.Multiply(), y, n.out(ops.Reshape(), scale, target))
    return [n.out(ops.Add(), y, n.out(ops.Reshape(), bias, target))]


def group_normalization(n: OnnxNode) -> list[Output]:
    """OpenVINO's GroupNormalization takes per-channel scale and bias. Opset 18 gave them per group: each group's
    value is repeated for its channels."""
    x, scale, bias = n.input(0), n.input(1), n.input(2)
    groups = int(n.attr("num_groups"))
    eps = float(n.attr("epsilon", 1e-5))
    if n.opset < 21:
        channels = x.shape[1] if x.shape.rank else None
        if not isinstance(channels, int):
            raise n.error("GroupNormalization-18 needs a known channel count")
        per_group = n.const(i64([channels // groups]))
        target = n.const(i64([channels]))
        scale, bias = (n.out(ops.Reshape(), n.out(ops.Tile(), n.out(ops.Unsqueeze(), t, n.const(i64([1]))),
                                                  n.out(ops.Concat(axis=0), n.const(i64([1])), per_group)),
                             target) for t in (scale, bias))
    data = _stash(n, x)
    scale, bias = (t if t.element_type == data.element_type else n.out(ops.Convert(data.element_type), t)
                   for t in (scale, bias))
    y = n.out(ops.GroupNormalization(num_groups=groups, epsilon=eps), data, scale, bias)
    return [_back(n, y, x)]


def rms_normalization(n: OnnxNode) -> list[Output]:
    """x / sqrt(mean(x^2 over axes [axis, rank)) + epsilon) * scale."""
    x, scale = n.input(0), n.input(1)
    rank = _rank(n, x)
    axis = int(n.attr("axis", -1))
    axis = axis + rank if axis < 0 else axis
    eps = float(n.attr("epsilon", 1e-5))
    data = _stash(n, x)
    square = n.out(ops.Multiply(), data, data)
    mean = n.out(ops.ReduceMean(keep_dims=True), square, n.const(i64(list(range(axis, rank)))))
    rms = n.out(ops.Sqrt(), n.out(ops.Add(), mean, scalar(n, eps, data)))
    y = _back(n, n.out(ops.Divide(), data, rms), x)
    return [n.out(ops.Multiply(), y, scale)]


def lp_normalization(n: OnnxNode) -> list[Output]:
    """x / ||x||_p along the axis; where the norm is 0 the output is 0."""
    x = n.input(0)
    p = int(n.attr("p", 2))
    axis = n.const(i64([int(n.attr("axis", -1))]))
    if p not in (1, 2):
        raise n.error(f"p must be 1 or 2, got {p}")
    norm = n.out((ops.ReduceL1 if p == 1 else ops.ReduceL2)(keep_dims=True), x, axis)
    zero = n.out(ops.Equal(), norm, scalar(n, 0, x))
    safe = n.out(ops.Select(), zero, scalar(n, 1, x), norm)
    return [n.out(ops.Divide(), x, safe)]


def lp_pool(n: OnnxNode) -> list[Output]:
    """(sum over each window of |x|^p)^(1/p): a depthwise convolution with a kernel of ones sums the windows
    (dilations and every padding mode included; ceil_mode pads the end with zeros, which add nothing)."""
    x = n.input(0)
    rank = _rank(n, x)
    channels = x.shape[1]
    if not isinstance(channels, int):
        raise n.error("LpPool needs a known channel count")
    kernel = n.ints("kernel_shape")
    spatial = len(kernel)
    strides = n.ints("strides", [1] * spatial)
    dilations = n.ints("dilations", [1] * spatial)
    pads = n.ints("pads", [0] * 2 * spatial)
    auto_pad = AUTO_PAD[n.attr("auto_pad", "NOTSET")]
    begin, end = list(pads[:spatial]), list(pads[spatial:])
    if n.attr("ceil_mode", 0) and auto_pad == ops.AutoPad.EXPLICIT:
        for i, size in enumerate(x.shape.dims[2:]):  # type: ignore[index]
            if not isinstance(size, int):
                raise n.error("ceil_mode needs static spatial dims")
            span = size + begin[i] + end[i] - (kernel[i] - 1) * dilations[i] - 1
            if span % strides[i]:
                end[i] += strides[i] - span % strides[i]
    p = float(n.attr("p", 2))
    powered = n.out(ops.Power(), n.out(ops.Abs(), x), scalar(n, p, x))
    weights = n.const(np.ones((channels, 1, 1, *kernel), x.element_type.numpy), x.element_type)
    summed = n.out(ops.GroupConvolution(strides=tuple(strides), pads_begin=tuple(begin), pads_end=tuple(end),
                                        dilations=tuple(dilations), auto_pad=auto_pad), powered, weights)
    assert rank == spatial + 2
    return [n.out(ops.Power(), summed, scalar(n, 1.0 / p, x))]


def batch_norm_training(n: OnnxNode) -> list[Output]:
    """BatchNormalization with training_mode=1: normalized with the batch's own mean and (population) variance
    over every axis but 1; the running averages come out as mean * momentum + batch_mean * (1 - momentum)."""
    x, scale, bias, mean, var = (n.input(i) for i in range(5))
    rank = _rank(n, x)
    eps, momentum = float(n.attr("epsilon", 1e-5)), float(n.attr("momentum", 0.9))
    axes = n.const(i64([a for a in range(rank) if a != 1]))
    batch_mean = n.out(ops.ReduceMean(keep_dims=False), x, axes)
    centered = n.out(ops.Subtract(), x, n.out(ops.Reshape(), batch_mean, n.const(channel_shape(rank))))
    batch_var = n.out(ops.ReduceMean(keep_dims=False), n.out(ops.Multiply(), centered, centered), axes)
    y = n.out(ops.BatchNormInference(epsilon=eps), x, scale, bias, batch_mean, batch_var)

    def running(old: Output, new: Output) -> Output:
        return n.out(ops.Add(), n.out(ops.Multiply(), old, scalar(n, momentum, old)),
                     n.out(ops.Multiply(), new, scalar(n, 1 - momentum, new)))
    return [y, running(mean, batch_mean), running(var, batch_var)]
