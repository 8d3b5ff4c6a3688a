"""Neural-network layers: convolutions, pooling, normalization, Gemm, softmax."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output
from irforge.ops import AutoPad, RoundingType

from ..node import OnnxNode
from .generic import i64
from .tensor import flatten_shape

AUTO_PAD = {"NOTSET": AutoPad.EXPLICIT, "SAME_UPPER": AutoPad.SAME_UPPER, "SAME_LOWER": AutoPad.SAME_LOWER,
            "VALID": AutoPad.VALID}


def _window_attrs(n: OnnxNode, spatial: int) -> dict:
    pads = n.ints("pads", [0] * 2 * spatial)
    auto_pad = n.attr("auto_pad", "NOTSET")
    if auto_pad not in AUTO_PAD:
        raise n.error(f"auto_pad {auto_pad!r} is not one of {list(AUTO_PAD)}")
    return dict(strides=tuple(n.ints("strides", [1] * spatial)), pads_begin=tuple(pads[:spatial]),
                pads_end=tuple(pads[spatial:]), auto_pad=AUTO_PAD[auto_pad])


def _spatial_rank(n: OnnxNode, x: Output, kernel_from: Output | None = None) -> int:
    if n.has_attr("kernel_shape"):
        return len(n.ints("kernel_shape"))
    for t in (kernel_from, x):
        if t is not None and t.shape.rank is not None:
            return t.shape.rank - 2
    raise n.error("the spatial rank is unknown (no kernel_shape and inputs of unknown rank)")


def channel_shape(rank: int, axis: int = 1) -> np.ndarray:
    """Target shape that puts a 1-D per-channel vector on `axis` of a rank-`rank` tensor: [1, -1, 1, 1]."""
    shape = [1] * rank
    shape[axis] = -1
    return i64(shape)


def add_bias(n: OnnxNode, y: Output, bias: Output | None) -> Output:
    if bias is None:
        return y
    rank = y.shape.rank if y.shape.rank is not None else 4
    b = n.out(ops.Reshape(special_zero=False), bias, n.const(channel_shape(rank)))
    return n.out(ops.Add(), y, b)


def grouped_weights(n: OnnxNode, w: Output, groups: int) -> Output:
    """Split the first weight axis into groups: Conv [O, C/G, *K] -> [G, O/G, C/G, *K];
    ConvTranspose [C, O/G, *K] -> [G, C/G, O/G, *K]."""
    if not w.shape.is_static:
        raise n.error(f"grouped convolution needs weights of a known shape, got [{w.shape}]")
    dims = w.shape.to_static()
    return n.out(ops.Reshape(), w, n.const(i64([groups, dims[0] // groups, *dims[1:]])))


def conv(n: OnnxNode) -> list[Output]:
    x, w = n.input(0), n.input(1)
    spatial = _spatial_rank(n, x, w)
    attrs = _window_attrs(n, spatial)
    attrs["dilations"] = tuple(n.ints("dilations", [1] * spatial))
    groups = n.attr("group", 1)
    if groups == 1:
        y = n.out(ops.Convolution(**attrs), x, w)
    else:
        y = n.out(ops.GroupConvolution(**attrs), x, grouped_weights(n, w, groups))
    return [add_bias(n, y, n.optional(2))]


def conv_transpose(n: OnnxNode) -> list[Output]:
    x, w = n.input(0), n.input(1)
    spatial = _spatial_rank(n, x, w)
    attrs = _window_attrs(n, spatial)
    attrs["dilations"] = tuple(n.ints("dilations", [1] * spatial))
    attrs["output_padding"] = tuple(n.ints("output_padding", [0] * spatial))
    groups = n.attr("group", 1)
    extra: list[Output] = []
    same = attrs["auto_pad"] in (AutoPad.SAME_UPPER, AutoPad.SAME_LOWER)
    if n.has_attr("output_shape") or same:
        if n.has_attr("output_shape"):
            out_shape = n.ints("output_shape")[-spatial:]
        else:  # SAME_*: ONNX's output is input * stride
            dims = x.shape.dims[2:] if x.shape.rank is not None else []  # type: ignore[index]
            if len(dims) != spatial or not all(isinstance(d, int) for d in dims):
                raise n.error("ConvTranspose with auto_pad SAME needs static spatial dims")
            out_shape = [d * s for d, s in zip(dims, attrs["strides"])]  # type: ignore[operator]
        extra = [n.const(i64(out_shape))]
        # ONNX derives the pads from output_shape: SAME_UPPER puts the odd one at the end (OpenVINO's
        # SAME_LOWER crop), NOTSET and SAME_LOWER at the start (OpenVINO's SAME_UPPER crop).
        attrs["auto_pad"] = AutoPad.SAME_LOWER if attrs["auto_pad"] == AutoPad.SAME_UPPER else AutoPad.SAME_UPPER
    if groups == 1:
        y = n.out(ops.ConvolutionBackpropData(**attrs), x, w, *extra)
    else:
        y = n.out(ops.GroupConvolutionBackpropData(**attrs), x, grouped_weights(n, w, groups), *extra)
    return [add_bias(n, y, n.optional(2))]


def _pool_attrs(n: OnnxNode, x: Output) -> dict:
    kernel = n.ints("kernel_shape")
    if not kernel:
        raise n.error("kernel_shape is required")
    attrs = _window_attrs(n, len(kernel))
    attrs["kernel"] = tuple(kernel)
    # ONNX ceil_mode drops a last window that would start in the end padding, as PyTorch does.
    attrs["rounding_type"] = RoundingType.CEIL_TORCH if n.attr("ceil_mode", 0) else RoundingType.FLOOR
    return attrs


def max_pool(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    attrs = _pool_attrs(n, x)
    attrs["dilations"] = tuple(n.ints("dilations", [1] * len(attrs["kernel"])))
    node = n.add(ops.MaxPool(**attrs, axis=0), x)
    if n.output_used(1) and n.attr("storage_order", 0):
        from .pool_decompositions import column_major_indices
        return [node.outputs[0], column_major_indices(n, node.outputs[1], x)]
    return [node.outputs[0], node.outputs[1]] if n.output_used(1) else [node.outputs[0]]


def average_pool(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    attrs = _pool_attrs(n, x)
    dilations = n.ints("dilations", [1] * len(attrs["kernel"]))
    if any(d != 1 for d in dilations):  # AvgPool has no dilations: a depthwise convolution instead
        from .pool_decompositions import dilated_average_pool
        if attrs["auto_pad"] != AutoPad.EXPLICIT:
            raise n.error("AveragePool with dilations and auto_pad is not supported")
        return [dilated_average_pool(n, x, list(attrs["kernel"]), list(attrs["strides"]), dilations,
                                     list(attrs["pads_begin"]), list(attrs["pads_end"]),
                                     bool(n.attr("ceil_mode", 0)), bool(n.attr("count_include_pad", 0)))]
    return [n.out(ops.AvgPool(**attrs, exclude_pad=not n.attr("count_include_pad", 0)), x)]


def _global(op_class):
    def translate(n: OnnxNode) -> list[Output]:
        x = n.input(0)
        if x.shape.rank is None:
            raise n.error("global pooling needs an input of known rank")
        return [n.out(op_class(keep_dims=True), x, n.const(i64(list(range(2, x.shape.rank)))))]
    return translate


global_average_pool = _global(ops.ReduceMean)
global_max_pool = _global(ops.ReduceMax)


def batch_normalization(n: OnnxNode) -> list[Output]:
    if n.attr("training_mode", 0):  # batch statistics and updated running averages
        from .normalization import batch_norm_training
        return batch_norm_training(n)
    x, scale, bias, mean, var = (n.input(i) for i in range(5))
    return [n.out(ops.BatchNormInference(epsilon=float(n.attr("epsilon", 1e-5))), x, scale, bias, mean, var)]


def lrn(n: OnnxNode) -> list[Output]:
    size = n.attr("size")
    if size is None:
        raise n.error("size is required")
    alpha, beta, bias = float(n.attr("alpha", 1e-4)), float(n.attr("beta", 0.75)), float(n.attr("bias", 1.0))
    x = n.input(0)
    if int(size) % 2 == 0:
        return [_lrn_even_size(n, x, int(size), alpha, beta, bias)]
    if bias > 0 and bias != int(bias):
        # The CPU plugin truncates LRN's bias to an integer (1.5 acts as 1). Scale it out instead:
        # x / (b + a s)^beta = b^-beta * x / (1 + (a / b) s)^beta.
        y = n.out(ops.LRN(alpha=alpha / bias, beta=beta, bias=1.0, size=int(size)), x, n.const(i64([1])))
        return [n.out(ops.Multiply(), y, n.const(np.array(bias ** -beta, x.element_type.numpy)))]
    return [n.out(ops.LRN(alpha=alpha, beta=beta, bias=bias, size=int(size)), x, n.const(i64([1])))]


def _lrn_even_size(n: OnnxNode, x: Output, size: int, alpha: float, beta: float, bias: float) -> Output:
    """ONNX sums channels c - floor((size-1)/2) .. c + ceil((size-1)/2): for an even size one more channel after
    c than before, where OpenVINO's LRN is symmetric. The channel window sum is then a convolution of x^2 (with a
    unit axis in front) by ones of shape [size, 1, ...], padded (lo, hi) on the channel axis."""
    rank = x.shape.rank
    if rank is None or rank < 3:
        raise n.error("LRN with an even size needs an input of known rank >= 3")
    if not isinstance(x.shape[1], int):
        raise n.error("LRN with an even size needs a known channel count")
    lo, hi = (size - 1) // 2, size // 2
    square = n.out(ops.Multiply(), x, x)
    stacked = n.out(ops.Unsqueeze(), square, n.const(i64([1])))             # [N, 1, C, *S]
    spatial = rank - 1
    ones = n.const(np.ones((1, 1, size) + (1,) * (spatial - 1), x.element_type.numpy))
    window = n.out(ops.Convolution(strides=(1,) * spatial, pads_begin=(lo,) + (0,) * (spatial - 1),
                                   pads_end=(hi,) + (0,) * (spatial - 1), dilations=(1,) * spatial),
                   stacked, ones)
    window = n.out(ops.Squeeze(), window, n.const(i64([1])))
    scaled = n.out(ops.Add(), n.out(ops.Multiply(), window, n.const(np.array(alpha / size, x.element_type.numpy))),
                   n.const(np.array(bias, x.element_type.numpy)))
    return n.out(ops.Divide(), x, n.out(ops.Power(), scaled, n.const(np.array(beta, x.element_type.numpy))))


def gemm(n: OnnxNode) -> list[Output]:
    """Y = alpha * op(A) @ op(B) + beta * C."""
    a, b = n.input(0), n.input(1)
    y = n.out(ops.MatMul(transpose_a=bool(n.attr("transA", 0)), transpose_b=bool(n.attr("transB", 0))), a, b)
    alpha, beta = float(n.attr("alpha", 1.0)), float(n.attr("beta", 1.0))
    if alpha != 1.0:
        y = n.out(ops.Multiply(), y, n.const(np.array(alpha, y.element_type.numpy)))
    c = n.optional(2)
    if c is not None:
        if beta != 1.0:
            c = n.out(ops.Multiply(), c, n.const(np.array(beta, c.element_type.numpy)))
        y = n.out(ops.Add(), y, c)
    return [y]


def matmul(n: OnnxNode) -> list[Output]:
    return [n.out(ops.MatMul(), n.input(0), n.input(1))]


def _flatten_2d_apply(n: OnnxNode, x: Output, axis: int, op) -> Output:
    """Softmax-1 / LogSoftmax-1: coerce to 2-D at `axis`, apply over the last axis, restore the shape."""
    flat = n.out(ops.Reshape(), x, flatten_shape(n, x, axis) if axis else n.const(i64([1, -1])))
    y = n.out(op(axis=1), flat)
    return n.out(ops.Reshape(), y, n.out(ops.ShapeOf(), x))


def _softmax_like(op_class):
    def translate(n: OnnxNode) -> list[Output]:
        x = n.input(0)
        if n.opset >= 13:
            return [n.out(op_class(axis=int(n.attr("axis", -1))), x)]
        axis = int(n.attr("axis", 1))
        if x.shape.rank is None:
            raise n.error("Softmax before opset 13 needs an input of known rank")
        axis = axis + x.shape.rank if axis < 0 else axis
        if axis == x.shape.rank - 1:
            return [n.out(op_class(axis=axis), x)]
        return [_flatten_2d_apply(n, x, axis, op_class)]
    return translate


softmax = _softmax_like(ops.Softmax)
log_softmax = _softmax_like(ops.LogSoftmax)


def layer_normalization(n: OnnxNode) -> list[Output]:
    """LayerNormalization-17 (OpenVINO has no LayerNorm op): MVN over the axes from `axis` to the last, with eps
    inside the sqrt, then * scale + bias (both broadcast numpy-style over the trailing dims).
    The optional Mean / InvStdDev outputs are computed when a node reads them."""
    x, scale = n.input(0), n.input(1)
    rank = x.shape.rank
    if rank is None:
        raise n.error("LayerNormalization needs an input of known rank")
    axis = int(n.attr("axis", -1))
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise n.error(f"axis {n.attr('axis', -1)} is out of range for rank {rank}")
    eps = float(n.attr("epsilon", 1e-5))
    axes = n.const(i64(list(range(axis, rank))))
    y = n.out(ops.MVN(normalize_variance=True, eps=eps, eps_mode="inside_sqrt"), x, axes)
    y = n.out(ops.Multiply(), y, scale)
    bias = n.optional(2)
    if bias is not None:
        y = n.out(ops.Add(), y, bias)
    outs = [y]
    if n.output_used(1) or n.output_used(2):
        mean = n.out(ops.ReduceMean(keep_dims=True), x, axes)
        centered = n.out(ops.Subtract(), x, mean)
        var = n.out(ops.ReduceMean(keep_dims=True), n.out(ops.Multiply(), centered, centered), axes)
        eps_c = n.const(np.array(eps, x.element_type.numpy))
        inv_std = n.out(ops.Divide(), n.const(np.array(1, x.element_type.numpy)),
                        n.out(ops.Sqrt(), n.out(ops.Add(), var, eps_c)))
        outs += [mean, inv_std]
    return outs
