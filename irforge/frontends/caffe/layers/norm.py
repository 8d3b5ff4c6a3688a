"""Normalization and per-channel affine layers: BatchNorm, BN, Scale, Bias, LRN, MVN, Normalize, GRN."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Output

from ..context import LayerContext
from .common import broadcast_shape, i64


def _channels(ctx: LayerContext, x: Output) -> int:
    if ctx.rank(x) < 2 or not isinstance(x.shape[1], int):
        raise ctx.error(f"needs an input [N, C, ...] with a known C, got [{x.shape}]")
    return x.shape[1]  # type: ignore[return-value]


def batch_norm(ctx: LayerContext) -> list[Output]:
    """Caffe stores the running sums: mean and variance are blob / scale_factor (blob 2; 0 means no samples)."""
    x = ctx.input()
    c = _channels(ctx, x)
    eps = float(ctx.param("batch_norm_param").get("eps"))
    factor_blob = ctx.blob_array(2, (1,), "scale_factor", fill=1.0) if ctx.has_blob(2) else np.ones(1, np.float32)
    factor = 0.0 if factor_blob[0] == 0 else 1.0 / float(factor_blob[0])
    mean = ctx.blob_array(0, (c,), "mean") * np.float32(factor)
    var = ctx.blob_array(1, (c,), "variance", fill=1.0) * np.float32(factor)
    ones, zeros = np.ones(c, np.float32), np.zeros(c, np.float32)
    return [ctx.out(ops.BatchNormInference(epsilon=eps), x, ctx.const(ones), ctx.const(zeros),
                    ctx.const(mean.astype(np.float32)), ctx.const(var.astype(np.float32)))]


def bn(ctx: LayerContext) -> list[Output]:
    """The BN layer of SegNet-style forks: blobs scale, shift, mean, variance (each [1, C, 1, 1])."""
    x = ctx.input()
    c = _channels(ctx, x)
    eps = float(ctx.param("bn_param").get("eps"))
    gamma = ctx.blob_array(0, (c,), "scale", fill=1.0)
    beta = ctx.blob_array(1, (c,), "shift")
    mean = ctx.blob_array(2, (c,), "mean")
    var = ctx.blob_array(3, (c,), "variance", fill=1.0)
    return [ctx.out(ops.BatchNormInference(epsilon=eps), x, ctx.const(gamma), ctx.const(beta), ctx.const(mean),
                    ctx.const(var))]


def _param_shape(ctx: LayerContext, x: Output, axis: int, num_axes: int) -> tuple[int, ...]:
    rank = ctx.rank(x)
    end = rank if num_axes == -1 else axis + num_axes
    if num_axes < -1 or end > rank:
        raise ctx.error(f"num_axes {num_axes} from axis {axis} does not fit an input of rank {rank}")
    dims = x.shape.dims[axis:end]  # type: ignore[index]
    if not all(isinstance(d, int) for d in dims):
        raise ctx.error(f"needs the scaled axes to be static, got [{x.shape}]")
    return tuple(dims)  # type: ignore[arg-type]


def _second_bottom(ctx: LayerContext, x: Output, y: Output, axis: int) -> Output:
    """A parameter given as a second bottom, put in place for broadcasting along `axis`."""
    rank, yrank = ctx.rank(x), ctx.rank(y, "its second bottom")
    if axis + yrank > rank:
        raise ctx.error(f"the second bottom [{y.shape}] does not fit input [{x.shape}] from axis {axis}")
    trailing = rank - axis - yrank
    if trailing == 0:
        return y
    return ctx.out(ops.Unsqueeze(), y, ctx.const(i64(list(range(yrank, yrank + trailing)))))


def scale(ctx: LayerContext) -> list[Output]:
    """top = bottom * scale (+ bias): the scale is blob 0 or the second bottom, covering axes
    [axis, axis + num_axes)."""
    x = ctx.input()
    p = ctx.param("scale_param")
    rank = ctx.rank(x)
    axis = ctx.axis(p.get("axis"), rank)
    if len(ctx.inputs) > 1:
        factor = _second_bottom(ctx, x, ctx.input(1), axis)
        shape = ctx.input(1).shape.dims
        bias_index = 0
    else:
        shape = _param_shape(ctx, x, axis, int(p.get("num_axes")))
        factor = ctx.blob(0, broadcast_shape(shape, axis, rank), "scale", fill=1.0)
        bias_index = 1
    y = ctx.out(ops.Multiply(), x, factor)
    if p.get("bias_term"):
        if not all(isinstance(d, int) for d in shape):  # type: ignore[union-attr]
            raise ctx.error("a bias with a second-bottom scale needs that scale's shape to be static")
        bias = ctx.blob(bias_index, broadcast_shape(tuple(shape), axis, rank), "bias")  # type: ignore[arg-type]
        y = ctx.out(ops.Add(), y, bias)
    return [y]


def bias(ctx: LayerContext) -> list[Output]:
    x = ctx.input()
    p = ctx.param("bias_param")
    rank = ctx.rank(x)
    axis = ctx.axis(p.get("axis"), rank)
    if len(ctx.inputs) > 1:
        b = _second_bottom(ctx, x, ctx.input(1), axis)
    else:
        shape = _param_shape(ctx, x, axis, int(p.get("num_axes")))
        b = ctx.blob(0, broadcast_shape(shape, axis, rank), "bias")
    return [ctx.out(ops.Add(), x, b)]


def lrn(ctx: LayerContext) -> list[Output]:
    """ACROSS_CHANNELS: k + alpha/n * sum over n channels; WITHIN_CHANNEL: 1 + alpha/n^2 * sum over an n x n
    window (Caffe ignores k there). OpenVINO's LRN divides alpha by size^len(axes): the same formulas."""
    x = ctx.input()
    p = ctx.param("lrn_param")
    size = int(p.get("local_size"))
    if size % 2 == 0:
        raise ctx.error(f"local_size {size} must be odd (Caffe requires it)")
    within = p.get("norm_region") == "WITHIN_CHANNEL"
    axes = [2, 3] if within else [1]
    op = ops.LRN(alpha=float(p.get("alpha")), beta=float(p.get("beta")),
                 bias=1.0 if within else float(p.get("k")), size=size)
    return [ctx.out(op, x, ctx.const(i64(axes)))]


def mvn(ctx: LayerContext) -> list[Output]:
    """Caffe's MVN divides by sqrt(variance) + eps: eps outside the root."""
    x = ctx.input()
    p = ctx.param("mvn_param")
    rank = ctx.rank(x)
    first = 1 if p.get("across_channels") else 2
    op = ops.MVN(normalize_variance=bool(p.get("normalize_variance")), eps=float(p.get("eps")),
                 eps_mode="outside_sqrt")
    return [ctx.out(op, x, ctx.const(i64(list(range(first, rank)))))]


def normalize(ctx: LayerContext) -> list[Output]:
    """SSD's Normalize: x / sqrt(sum(x^2) + eps) over the channels (or C, H, W), times a learned scale."""
    x = ctx.input()
    p = ctx.param("norm_param")
    rank = ctx.rank(x)
    c = _channels(ctx, x)
    axes = list(range(1, rank)) if p.get("across_spatial") else [1]
    y = ctx.out(ops.NormalizeL2(eps=float(p.get("eps")), eps_mode="add"), x, ctx.const(i64(axes)))
    shared = bool(p.get("channel_shared"))
    blob_shape = ctx.blob_shape(0)
    if blob_shape is not None and int(np.prod(blob_shape)) == 1 and c != 1:
        shared = True   # trust the weights when the prototxt's channel_shared default disagrees
    factor = ctx.blob(0, (1,) if shared else (1, c) + (1,) * (rank - 2), "scale", fill=1.0)
    return [ctx.out(ops.Multiply(), y, factor)]


def grn(ctx: LayerContext) -> list[Output]:
    """GRN: x / sqrt(sum over channels of x^2 + bias)."""
    x = ctx.input()
    b = float(ctx.param("grn_param").get("bias"))
    return [ctx.out(ops.NormalizeL2(eps=b, eps_mode="add"), x, ctx.const(i64([1])))]

