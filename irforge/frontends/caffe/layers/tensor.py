"""Layers that route, combine or reshape blobs: Input, Concat, Eltwise, Slice, Flatten, Reshape, Permute, Crop,
Tile, Reduction, ArgMax, Axpy, Silence, Parameter."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..context import LayerContext
from .common import f32, i64


def input_layer(ctx: LayerContext) -> list[Output]:
    """One model input per top; input_param gives one shape per top, or one shape for all of them."""
    shapes = ctx.param("input_param").list("shape")
    if len(shapes) > 1 and len(shapes) != len(ctx.layer.tops):
        raise ctx.error(f"input_param has {len(shapes)} shapes for {len(ctx.layer.tops)} tops")
    outputs = []
    for i, top in enumerate(ctx.layer.tops):
        shape = shapes[i] if len(shapes) > 1 else shapes[0] if shapes else None
        dims = tuple(int(d) for d in shape.list("dim")) if shape is not None else None
        outputs.append(ctx.converter.add_input(top, dims, ctx.name))
    return outputs


def concat(ctx: LayerContext) -> list[Output]:
    p = ctx.param("concat_param")
    x = ctx.input()
    axis = int(p.get("concat_dim")) if p.has("concat_dim") else int(p.get("axis"))
    axis = ctx.axis(axis, ctx.rank(x))
    if len(ctx.inputs) == 1:
        return [x]
    return [ctx.out(ops.Concat(axis=axis), *ctx.inputs)]


def eltwise(ctx: LayerContext) -> list[Output]:
    """PROD, SUM (each bottom times its coeff) or MAX over all bottoms, left to right."""
    p = ctx.param("eltwise_param")
    operation = p.get("operation")
    coeffs = [float(c) for c in p.list("coeff")]
    if coeffs and (operation != "SUM" or len(coeffs) != len(ctx.inputs)):
        raise ctx.error(f"coeff is for SUM and needs one value per bottom ({len(ctx.inputs)}), got {coeffs}")
    terms = list(ctx.inputs)
    if operation == "SUM" and coeffs:
        terms = [t if c == 1.0 else ctx.out(ops.Multiply(), t, ctx.const(f32(c))) for t, c in zip(terms, coeffs)]
    op_class = {"SUM": ops.Add, "PROD": ops.Multiply, "MAX": ops.Maximum}[operation]
    acc = terms[0]
    for t in terms[1:]:
        acc = ctx.out(op_class(), acc, t)
    return [acc]


def slice_layer(ctx: LayerContext) -> list[Output]:
    """Cut along an axis at slice_point (or into equal parts, one per top)."""
    x = ctx.input()
    p = ctx.param("slice_param")
    rank = ctx.rank(x)
    axis = ctx.axis(int(p.get("slice_dim")) if p.has("slice_dim") else int(p.get("axis")), rank)
    tops = len(ctx.layer.tops)
    points = [int(v) for v in p.list("slice_point")]
    dim = x.shape[axis]
    axis_const = ctx.const(i64(axis))
    if not points:
        if isinstance(dim, int) and dim % tops:
            raise ctx.error(f"axis {axis} of size {dim} does not split into {tops} equal parts")
        node = ctx.add(ops.Split(num_splits=tops), x, axis_const)
        return list(node.outputs)
    if len(points) != tops - 1:
        raise ctx.error(f"{len(points)} slice_point values for {tops} tops (needs {tops - 1})")
    if not isinstance(dim, int):
        raise ctx.error(f"slicing needs axis {axis} to be static, got [{x.shape}]")
    bounds = [0] + points + [dim]
    lengths = [b - a for a, b in zip(bounds, bounds[1:])]
    if any(n <= 0 for n in lengths):
        raise ctx.error(f"slice_point {points} must increase within the axis size {dim}")
    node = ctx.add(ops.VariadicSplit(), x, axis_const, ctx.const(i64(lengths)))
    return list(node.outputs)


def flatten(ctx: LayerContext) -> list[Output]:
    """Axes axis..end_axis become one."""
    x = ctx.input()
    p = ctx.param("flatten_param")
    rank = ctx.rank(x)
    start, end = ctx.axis(int(p.get("axis")), rank), ctx.axis(int(p.get("end_axis")), rank, "end_axis")
    if end < start:
        raise ctx.error(f"end_axis {end} comes before axis {start}")
    trailing = x.shape.dims[end + 1:]  # type: ignore[index]
    if trailing and not all(isinstance(d, int) for d in trailing):
        raise ctx.error(f"needs the axes after end_axis to be static, got [{x.shape}]")
    target = [0] * start + [-1] + [int(d) for d in trailing]  # type: ignore[arg-type]
    return [ctx.out(ops.Reshape(special_zero=True), x, ctx.const(i64(target)))]


def reshape(ctx: LayerContext) -> list[Output]:
    """reshape_param.shape replaces input axes [axis, axis + num_axes); 0 copies the input dim, -1 infers one.
    Caffe's 0 refers to the same position as OpenVINO's special_zero, so the dims pass through unchanged."""
    x = ctx.input()
    p = ctx.param("reshape_param")
    rank = ctx.rank(x)
    dims = [int(d) for d in p.get("shape").list("dim")]
    axis = int(p.get("axis"))
    start = axis + rank + 1 if axis < 0 else axis
    num_axes = int(p.get("num_axes"))
    end = rank if num_axes == -1 else start + num_axes
    if not 0 <= start <= end <= rank:
        raise ctx.error(f"axis {axis} / num_axes {num_axes} do not fit an input of rank {rank}")
    trailing = list(x.shape.dims[end:])  # type: ignore[index]
    if len(dims) == end - start:
        tail = [0] * len(trailing)           # trailing axes keep their positions
    elif all(isinstance(d, int) for d in trailing):
        tail = [int(d) for d in trailing]    # type: ignore[arg-type]
    else:
        raise ctx.error(f"needs the axes after the reshaped range to be static, got [{x.shape}]")
    target = [0] * start + dims + tail
    return [ctx.out(ops.Reshape(special_zero=True), x, ctx.const(i64(target)))]


def permute(ctx: LayerContext) -> list[Output]:
    """permute_param.order lists the leading axes of the output; the axes it leaves out follow in order."""
    x = ctx.input()
    rank = ctx.rank(x)
    order = [int(a) for a in ctx.param("permute_param").list("order")]
    if len(set(order)) != len(order) or any(not 0 <= a < rank for a in order):
        raise ctx.error(f"permute order {order} is not a set of axes of an input of rank {rank}")
    order += [a for a in range(rank) if a not in order]
    if order == list(range(rank)):
        return [x]
    return [ctx.out(ops.Transpose(), x, ctx.const(i64(order)))]


def crop(ctx: LayerContext) -> list[Output]:
    """Crop bottom 0 to the shape of bottom 1 on the axes from `axis` on, starting at `offset`."""
    x, like = ctx.input(0), ctx.input(1)
    p = ctx.param("crop_param")
    rank = ctx.rank(x)
    axis = ctx.axis(int(p.get("axis")), rank)
    axes = list(range(axis, rank))
    offsets = [int(v) for v in p.list("offset")]
    if len(offsets) == 1:
        offsets = offsets * len(axes)
    elif not offsets:
        offsets = [0] * len(axes)
    elif len(offsets) != len(axes):
        raise ctx.error(f"{len(offsets)} offsets for {len(axes)} cropped axes")
    sizes = [like.shape[a] if like.shape.rank is not None else None for a in axes]
    if not all(isinstance(s, int) for s in sizes):
        raise ctx.error(f"needs the reference bottom's cropped axes to be static, got [{like.shape}]")
    for a, o, s in zip(axes, offsets, sizes):
        d = x.shape[a]
        if isinstance(d, int) and o + s > d:  # type: ignore[operator]
            raise ctx.error(f"axis {a}: offset {o} + size {s} exceeds the input size {d}")
    stops = [o + s for o, s in zip(offsets, sizes)]  # type: ignore[operator]
    return [ctx.out(ops.Slice(), x, ctx.const(i64(offsets)), ctx.const(i64(stops)), ctx.const(i64([1] * len(axes))),
                    ctx.const(i64(axes)))]


def tile(ctx: LayerContext) -> list[Output]:
    x = ctx.input()
    p = ctx.param("tile_param")
    rank = ctx.rank(x)
    axis = ctx.axis(int(p.get("axis")), rank)
    tiles = int(p.get("tiles"))
    if tiles < 1:
        raise ctx.error(f"tile_param.tiles must be >= 1, got {tiles}")
    repeats = [1] * rank
    repeats[axis] = tiles
    return [ctx.out(ops.Tile(), x, ctx.const(i64(repeats)))]


def reduction(ctx: LayerContext) -> list[Output]:
    """SUM / ASUM / SUMSQ / MEAN over every axis from `axis` on (the output keeps the axes before), times coeff."""
    x = ctx.input()
    p = ctx.param("reduction_param")
    rank = ctx.rank(x)
    axis = ctx.axis(int(p.get("axis")), rank)
    axes = ctx.const(i64(list(range(axis, rank))))
    operation = p.get("operation")
    if operation == "SUMSQ":
        x = ctx.out(ops.Multiply(), x, x)
    op_class = {"SUM": ops.ReduceSum, "SUMSQ": ops.ReduceSum, "ASUM": ops.ReduceL1, "MEAN": ops.ReduceMean}[operation]
    y = ctx.out(op_class(keep_dims=False), x, axes)
    coeff = float(p.get("coeff"))
    return [y if coeff == 1.0 else ctx.out(ops.Multiply(), y, ctx.const(f32(coeff)))]


def argmax(ctx: LayerContext) -> list[Output]:
    """Indices (as floats, like Caffe) of the top_k values along `axis`, or over all axes after the first, where
    out_max_val adds the values as a second channel. With an axis, out_max_val gives the values instead."""
    x = ctx.input()
    p = ctx.param("argmax_param")
    rank = ctx.rank(x)
    k = int(p.get("top_k"))
    out_max_val = bool(p.get("out_max_val"))
    k_const = ctx.const(i64(k))
    if p.has("axis"):
        axis = ctx.axis(int(p.get("axis")), rank)
        node = ctx.add(ops.TopK(axis=axis, mode="max", sort="value", index_element_type=ElementType.i32), x, k_const)
        if out_max_val:
            return [node.outputs[0]]
        return [ctx.out(ops.Convert(destination_type=ElementType.f32), node.outputs[1])]
    flat = ctx.out(ops.Reshape(special_zero=True), x, ctx.const(i64([0, -1])))
    node = ctx.add(ops.TopK(axis=1, mode="max", sort="value", index_element_type=ElementType.i32), flat, k_const)
    indices = ctx.out(ops.Convert(destination_type=ElementType.f32), node.outputs[1])
    shape = [0, 1, k] + [1] * (rank - 3)   # Caffe's top: [N, 1 (2 with values), top_k, 1...]
    if rank < 3:
        raise ctx.error(f"ArgMax without an axis needs an input of rank >= 3, got [{x.shape}]")
    indices = ctx.out(ops.Reshape(special_zero=True), indices, ctx.const(i64(shape)))
    if not out_max_val:
        return [indices]
    values = ctx.out(ops.Reshape(special_zero=True), node.outputs[0], ctx.const(i64(shape)))
    return [ctx.out(ops.Concat(axis=1), indices, values)]


def axpy(ctx: LayerContext) -> list[Output]:
    """a * x + y with a [N, C, 1, 1] (SENet's fused scale-and-add)."""
    a, x, y = ctx.input(0), ctx.input(1), ctx.input(2)
    return [ctx.out(ops.Add(), ctx.out(ops.Multiply(), a, x), y)]


def silence(ctx: LayerContext) -> list[Output]:
    """Reads its bottoms so that they are not model outputs; produces nothing."""
    return []


def parameter(ctx: LayerContext) -> list[Output]:
    """Its one blob, as a constant."""
    shape = tuple(int(d) for d in ctx.param("parameter_param").get("shape").list("dim"))
    return [ctx.blob(0, shape, "value")]


def embed(ctx: LayerContext) -> list[Output]:
    """Rows of the [input_dim, num_output] weights picked by the (float) indices, plus a bias."""
    x = ctx.input()
    p = ctx.param("embed_param")
    n, vocabulary = int(p.get("num_output")), int(p.get("input_dim"))
    weights = ctx.blob(0, (vocabulary, n), "weights")
    indices = ctx.out(ops.Convert(destination_type=ElementType.i32), x)
    y = ctx.out(ops.Gather(batch_dims=0), weights, indices, ctx.const(np.int64(0)))
    if p.get("bias_term"):
        y = ctx.out(ops.Add(), y, ctx.blob(1, (n,), "bias"))
    return [y]


def shuffle_channel(ctx: LayerContext) -> list[Output]:
    group = int(ctx.param("shuffle_channel_param").get("group"))
    return [ctx.out(ops.ShuffleChannels(axis=1, group=group), ctx.input())]
