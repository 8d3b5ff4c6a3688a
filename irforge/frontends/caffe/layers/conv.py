"""Convolution, Deconvolution, Pooling and InnerProduct."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output
from irforge.ops import AutoPad, RoundingType
from irforge.ops.window import output_size

from ..context import LayerContext
from .common import i64, spatial_values


def _geometry(ctx: LayerContext, x: Output) -> dict:
    """kernel, stride, pad, dilation of a ConvolutionParameter for the input's spatial rank."""
    p = ctx.param("convolution_param")
    if p.get("axis") != 1:
        raise ctx.error(f"convolution_param.axis {p.get('axis')} is not supported (only 1, the channel axis)")
    spatial = ctx.rank(x) - 2
    if spatial < 1:
        raise ctx.error(f"needs an input with spatial axes, got [{x.shape}]")
    try:
        kernel = spatial_values(p, "kernel_size", "kernel_h", "kernel_w", spatial, 0)
        stride = spatial_values(p, "stride", "stride_h", "stride_w", spatial, 1)
        pad = spatial_values(p, "pad", "pad_h", "pad_w", spatial, 0)
        dilation = spatial_values(p, "dilation", "dilation_h", "dilation_w", spatial, 1)
    except ValueError as e:
        raise ctx.error(str(e)) from None
    if not all(kernel):
        raise ctx.error("convolution_param needs kernel_size (or kernel_h and kernel_w)")
    return dict(kernel=kernel, stride=stride, pad=pad, dilation=dilation, num_output=int(p.get("num_output")),
                group=int(p.get("group")), bias_term=bool(p.get("bias_term")))


def _add_bias(ctx: LayerContext, y: Output, geometry: dict, rank: int) -> Output:
    if not geometry["bias_term"]:
        return y
    n = geometry["num_output"]
    bias = ctx.blob(1, (1, n) + (1,) * (rank - 2), "bias")
    return ctx.out(ops.Add(), y, bias)


def _conv_like(ctx: LayerContext, plain: type, grouped: type, transposed: bool) -> list[Output]:
    x = ctx.input()
    g = _geometry(ctx, x)
    rank = ctx.rank(x)
    channels, groups, out = x.shape[1], g["group"], g["num_output"]
    if not isinstance(channels, int):
        raise ctx.error(f"needs a known channel count, got [{x.shape}]")
    if channels % groups or out % groups:
        raise ctx.error(f"group {groups} does not divide the {channels} input / {out} output channels")
    attrs = dict(strides=tuple(g["stride"]), pads_begin=tuple(g["pad"]), pads_end=tuple(g["pad"]),
                 dilations=tuple(g["dilation"]), auto_pad=AutoPad.EXPLICIT)
    first, second = (channels, out) if transposed else (out, channels)   # the blob's two channel axes
    if groups == 1:
        y = ctx.out(plain(**attrs), x, ctx.blob(0, (first, second, *g["kernel"]), "weights"))
    else:
        shape = (groups, first // groups, second // groups, *g["kernel"])
        y = ctx.out(grouped(**attrs), x, ctx.blob(0, shape, "weights"))
    return [_add_bias(ctx, y, g, rank)]


def convolution(ctx: LayerContext) -> list[Output]:
    """Weights [O, C/G, *K] -> Convolution, or GroupConvolution over the same bytes seen as [G, O/G, C/G, *K]."""
    return _conv_like(ctx, ops.Convolution, ops.GroupConvolution, transposed=False)


def deconvolution(ctx: LayerContext) -> list[Output]:
    """Weights [C, O/G, *K] -> ConvolutionBackpropData ([G, C/G, O/G, *K] when grouped); Caffe's output size
    (in - 1) * stride - 2 * pad + dilation * (k - 1) + 1 is what explicit pads give."""
    return _conv_like(ctx, ops.ConvolutionBackpropData, ops.GroupConvolutionBackpropData, transposed=True)


def pooling(ctx: LayerContext) -> list[Output]:
    x = ctx.input()
    p = ctx.param("pooling_param")
    rank = ctx.rank(x)
    if rank != 4:
        raise ctx.error(f"Caffe pools 4-D inputs; got [{x.shape}]")
    method = p.get("pool")
    if method == "STOCHASTIC":
        raise ctx.error("STOCHASTIC pooling has no OpenVINO equivalent")
    if p.get("global_pooling"):
        reduce = ops.ReduceMax if method == "MAX" else ops.ReduceMean
        return [ctx.out(reduce(keep_dims=True), x, ctx.const(i64([2, 3])))]
    try:
        kernel = spatial_values(p, "kernel_size", "kernel_h", "kernel_w", 2, 0)
        stride = spatial_values(p, "stride", "stride_h", "stride_w", 2, 1)
        pad = spatial_values(p, "pad", "pad_h", "pad_w", 2, 0)
    except ValueError as e:
        raise ctx.error(str(e)) from None
    if not all(kernel):
        raise ctx.error("pooling_param needs kernel_size (or kernel_h and kernel_w) unless global_pooling")
    ceil = p.get("round_mode") == "CEIL" and p.get("ceil_mode")
    # Caffe rounds the window count up, then (only when padded) drops a last window that would start past the
    # input and its begin pad: OpenVINO's ceil_torch. Unpadded, plain ceil gives the same count.
    if not ceil:
        rounding = RoundingType.FLOOR
    elif any(pad):
        rounding = RoundingType.CEIL_TORCH
    else:
        rounding = RoundingType.CEIL
    attrs = dict(strides=tuple(stride), pads_begin=tuple(pad), pads_end=tuple(pad), kernel=tuple(kernel),
                 rounding_type=rounding, auto_pad=AutoPad.EXPLICIT)
    if method == "MAX":
        return [ctx.add(ops.MaxPool(**attrs, dilations=(1, 1)), x).outputs[0]]
    return [_caffe_average(ctx, x, attrs)]


def _caffe_average(ctx: LayerContext, x: Output, attrs: dict) -> Output:
    """Caffe's AVE divides by the window clipped to the input plus its pads. OpenVINO without exclude-pad divides
    by the whole kernel whenever a pad is set, which differs where a ceil-mode window runs past the end pad. There
    the average over the input elements (exclude-pad) is rescaled by a constant map: inside / Caffe's divisor."""
    spatial = x.shape.dims[2:]  # type: ignore[index]
    if not all(isinstance(d, int) for d in spatial):
        return ctx.out(ops.AvgPool(**attrs, exclude_pad=False), x)
    ceil = attrs["rounding_type"] != RoundingType.FLOOR
    torch = attrs["rounding_type"] == RoundingType.CEIL_TORCH
    inside, caffe = [], []
    for size, k, s, p in zip(spatial, attrs["kernel"], attrs["strides"], attrs["pads_begin"]):
        starts = np.arange(output_size(size, k, s, 1, p, p, ceil, torch)) * s - p
        caffe.append(np.minimum(starts + k, size + p) - starts)
        inside.append(np.minimum(starts + k, size) - np.maximum(starts, 0))
    kernel_divisor = np.prod(attrs["kernel"]) if any(attrs["pads_begin"]) else np.multiply.outer(*inside)
    caffe_divisor = np.multiply.outer(*caffe)
    if np.array_equal(caffe_divisor, kernel_divisor * np.ones_like(caffe_divisor)):
        return ctx.out(ops.AvgPool(**attrs, exclude_pad=False), x)
    mean_inside = ctx.out(ops.AvgPool(**attrs, exclude_pad=True), x)
    factor = (np.multiply.outer(*inside) / caffe_divisor).astype(np.float32)[np.newaxis, np.newaxis]
    return ctx.out(ops.Multiply(), mean_inside, ctx.const(factor))


def inner_product(ctx: LayerContext) -> list[Output]:
    """x flattened from `axis` on -> MatMul with weights [N, K] (transpose_b) or [K, N] (transpose: true)."""
    x = ctx.input()
    p = ctx.param("inner_product_param")
    rank = ctx.rank(x)
    axis = ctx.axis(p.get("axis"), rank)
    tail = x.shape.dims[axis:]  # type: ignore[index]
    if not all(isinstance(d, int) for d in tail):
        raise ctx.error(f"needs the axes it flattens to be static, got [{x.shape}]")
    k = 1
    for d in tail:
        k *= d  # type: ignore[operator]
    n = int(p.get("num_output"))
    if rank != axis + 1:
        x = ctx.out(ops.Reshape(special_zero=True), x, ctx.const(i64([0] * axis + [-1])))
    transpose = bool(p.get("transpose"))
    w = ctx.blob(0, (k, n) if transpose else (n, k), "weights")
    y = ctx.out(ops.MatMul(transpose_a=False, transpose_b=not transpose), x, w)
    if p.get("bias_term"):
        y = ctx.out(ops.Add(), y, ctx.blob(1, (n,), "bias"))
    return [y]
