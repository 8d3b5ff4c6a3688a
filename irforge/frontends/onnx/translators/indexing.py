"""Data-dependent indexing: GatherElements, GatherND, ScatterElements / Scatter, ScatterND, OneHot, NonZero,
Compress, CumSum, CumProd, TopK, Unique, ReverseSequence, TensorScatter, MaxUnpool."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import OnnxNode
from .generic import i64
from .pointwise import scalar
from .structured import arange

INT64_MAX = np.iinfo(np.int64).max


def _rank(n: OnnxNode, x: Output) -> int:
    if x.shape.rank is None:
        raise n.error("needs an input of known rank")
    return x.shape.rank


def _norm_axis(n: OnnxNode, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise n.error(f"axis {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def gather_elements(n: OnnxNode) -> list[Output]:
    """ONNX lets indices be smaller than data on the other axes; OpenVINO wants them equal: slice data first."""
    data, indices = n.input(0), n.input(1)
    rank = _rank(n, data)
    axis = _norm_axis(n, int(n.attr("axis", 0)), rank)
    same = data.shape.is_static and indices.shape.is_static and all(
        d == k for i, (d, k) in enumerate(zip(data.shape, indices.shape)) if i != axis)
    if not same:
        stop = n.out(ops.ShapeOf(), indices)
        keep_axis = np.zeros(rank, bool)
        keep_axis[axis] = True
        stop = n.out(ops.Select(), n.const(keep_axis), n.const(i64([INT64_MAX] * rank)), stop)
        data = n.out(ops.Slice(), data, n.const(i64([0] * rank)), stop, n.const(i64([1] * rank)))
    return [n.out(ops.GatherElements(axis=axis), data, indices)]


def gather_nd(n: OnnxNode) -> list[Output]:
    return [n.out(ops.GatherND(batch_dims=int(n.attr("batch_dims", 0))), n.input(0), n.input(1))]


_REDUCTIONS = {"none": "none", "add": "sum", "mul": "prod", "min": "min", "max": "max"}


def _reduction(n: OnnxNode) -> str:
    reduction = n.attr("reduction", "none")
    if reduction not in _REDUCTIONS:
        raise n.error(f"reduction {reduction!r} is not one of {list(_REDUCTIONS)}")
    return _REDUCTIONS[reduction]


def scatter_elements(n: OnnxNode) -> list[Output]:
    """ScatterElements (and the deprecated Scatter): `reduction` combines with the data value."""
    data, indices, updates = n.input(0), n.input(1), n.input(2)
    axis = n.const(i64(int(n.attr("axis", 0))))
    return [n.out(ops.ScatterElementsUpdate(reduction=_reduction(n), use_init_val=True), data, indices, updates,
                  axis)]


def scatter_nd(n: OnnxNode) -> list[Output]:
    return [n.out(ops.ScatterNDUpdate(reduction=_reduction(n)), n.input(0), n.input(1), n.input(2))]


def one_hot(n: OnnxNode) -> list[Output]:
    """values = [off, on]; negative indices count from the end (OpenVINO's OneHot-1 gives off values for them)."""
    indices, depth, values = n.input(0), n.input(1), n.input(2)
    depth = n.out(ops.Convert(ElementType.i64), depth)
    if depth.shape.rank not in (0, None):
        depth = n.out(ops.Squeeze(), depth)
    if indices.element_type.is_float:
        indices = n.out(ops.Convert(ElementType.i64), indices)
    if indices.element_type.is_signed:
        wrapped = n.out(ops.Add(), indices, n.out(ops.ConvertLike(), depth, indices))
        indices = n.out(ops.Select(), n.out(ops.Less(), indices, scalar(n, 0, indices)), wrapped, indices)
    off = n.out(ops.Gather(), values, n.const(i64(0)), n.const(i64(0)))
    on = n.out(ops.Gather(), values, n.const(i64(1)), n.const(i64(0)))
    return [n.out(ops.OneHot(axis=int(n.attr("axis", -1))), indices, depth, on, off)]


def non_zero(n: OnnxNode) -> list[Output]:
    return [n.out(ops.NonZero(output_type=ElementType.i64), n.input(0))]


def compress(n: OnnxNode) -> list[Output]:
    """Gather the slices (or, without an axis, the flattened elements) where the condition is true."""
    x, condition = n.input(0), n.input(1)
    positions = n.out(ops.Squeeze(), n.out(ops.NonZero(output_type=ElementType.i64), condition),
                      n.const(i64([0])))
    if not n.has_attr("axis"):
        x = n.out(ops.Reshape(), x, n.const(i64([-1])))
        axis = 0
    else:
        axis = int(n.attr("axis"))
    return [n.out(ops.Gather(), x, positions, n.const(i64(axis)))]


def _axis_input(n: OnnxNode) -> Output:
    axis = n.input(1)
    if axis.shape.rank not in (0, None):
        axis = n.out(ops.Squeeze(), axis)
    return axis


def cum_sum(n: OnnxNode) -> list[Output]:
    return [n.out(ops.CumSum(exclusive=bool(n.attr("exclusive", 0)), reverse=bool(n.attr("reverse", 0))),
                  n.input(0), _axis_input(n))]


def cum_prod(n: OnnxNode) -> list[Output]:
    """No OpenVINO op: |product| = exp(cumsum(log|x|)) over the nonzero values, the sign from the parity of the
    negatives counted so far, and 0 once a zero has been seen. Computed in f64 (integers come back rounded)."""
    x, axis = n.input(0), _axis_input(n)
    attrs = dict(exclusive=bool(n.attr("exclusive", 0)), reverse=bool(n.attr("reverse", 0)))
    wide = n.out(ops.Convert(ElementType.f64), x)
    zero, one = n.const(0.0, ElementType.f64), n.const(1.0, ElementType.f64)
    is_zero = n.out(ops.Equal(), wide, zero)
    magnitude = n.out(ops.Select(), is_zero, one, n.out(ops.Abs(), wide))
    log_sum = n.out(ops.CumSum(**attrs), n.out(ops.Log(), magnitude), axis)
    negatives = n.out(ops.CumSum(**attrs), n.out(ops.Convert(ElementType.f64), n.out(ops.Less(), wide, zero)), axis)
    zeros = n.out(ops.CumSum(**attrs), n.out(ops.Convert(ElementType.f64), is_zero), axis)
    odd = n.out(ops.Equal(), n.out(ops.FloorMod(), negatives, n.const(2.0, ElementType.f64)), one)
    value = n.out(ops.Exp(), log_sum)
    value = n.out(ops.Select(), odd, n.out(ops.Negative(), value), value)
    value = n.out(ops.Select(), n.out(ops.Greater(), zeros, zero), zero, value)
    if not x.element_type.is_float:
        value = n.out(ops.Round(mode="half_to_even"), value)
    return [n.out(ops.Convert(x.element_type), value)]


def top_k(n: OnnxNode) -> list[Output]:
    """Equal values keep the lower index first (TopK-11 stable); sorted=0 still gets sorted output."""
    x = n.input(0)
    if n.opset < 10:
        k = n.const(i64(int(n.attr("k"))))
    else:
        k = n.input(1)
        if k.shape.rank not in (0, None):
            k = n.out(ops.Squeeze(), k)
    mode = "max" if n.attr("largest", 1) else "min"
    node = n.add(ops.TopK(axis=int(n.attr("axis", -1)), mode=mode, sort="value", stable=True,
                          index_element_type=ElementType.i64), x, k)
    return list(node.outputs)


def unique(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    op = ops.Unique(sorted=bool(n.attr("sorted", 1)))
    if n.has_attr("axis"):
        return list(n.add(op, x, n.const(i64(int(n.attr("axis"))))).outputs)
    return list(n.add(op, x).outputs)


def reverse_sequence(n: OnnxNode) -> list[Output]:
    return [n.out(ops.ReverseSequence(batch_axis=int(n.attr("batch_axis", 1)),
                                      seq_axis=int(n.attr("time_axis", 0))), n.input(0), n.input(1))]


def tensor_scatter(n: OnnxNode) -> list[Output]:
    """KV-cache update: each cache position s along the axis takes update[s - write_index[batch]] when that is
    in [0, update length) ("circular": taken modulo the cache length), else keeps the past value."""
    past, update = n.input(0), n.input(1)
    rank = _rank(n, past)
    axis = _norm_axis(n, int(n.attr("axis", -2)), rank)
    circular = n.attr("mode", "linear") == "circular"
    shape = n.out(ops.ShapeOf(), past)
    capacity = n.out(ops.Gather(), shape, n.const(i64(axis)), n.const(i64(0)))
    length = n.out(ops.Gather(), n.out(ops.ShapeOf(), update), n.const(i64(axis)), n.const(i64(0)))
    along = [1] * rank
    along[axis] = -1
    positions = n.out(ops.Reshape(), arange(n, capacity), n.const(i64(along)))
    if n.has(2):
        per_batch = [1] * rank
        per_batch[0] = -1
        start = n.out(ops.Reshape(), n.out(ops.Convert(ElementType.i64), n.input(2)), n.const(i64(per_batch)))
        relative = n.out(ops.Subtract(), positions, start)
    else:
        relative = positions
    if circular:
        relative = n.out(ops.FloorMod(), relative, capacity)
    valid = n.out(ops.LogicalAnd(), n.out(ops.GreaterEqual(), relative, n.const(i64(0))),
                  n.out(ops.Less(), relative, length))
    safe = n.out(ops.Select(), valid, relative, n.const(i64(0)))
    # The cache and the update agree on every axis but `axis`: GatherElements reads the update at cache shape.
    gathered = n.out(ops.GatherElements(axis=axis), update, n.out(ops.Broadcast(), safe, shape))
    return [n.out(ops.Select(), n.out(ops.Broadcast(), valid, shape), gathered, past)]


def max_unpool(n: OnnxNode) -> list[Output]:
    """Zeros of the unpooled shape ((in - 1) * stride + kernel - pads per spatial dim) with X scattered to the
    flat positions I (MaxPool's indices over the whole tensor); an output_shape larger than that pads the end
    with zeros, as ONNX's reference does."""
    x, index = n.input(0), n.input(1)
    kernel = n.ints("kernel_shape")
    spatial = len(kernel)
    strides = n.ints("strides", [1] * spatial)
    pads = n.ints("pads", [0] * 2 * spatial)
    dims = x.shape.dims
    if dims is None or not all(isinstance(d, int) for d in dims[2:]):
        raise n.error("MaxUnpool needs static spatial dims")
    out = [(d - 1) * s + k - pads[i] - pads[i + spatial]
           for i, (d, s, k) in enumerate(zip(dims[2:], strides, kernel))]  # type: ignore[operator]
    lead = n.out(ops.Slice(), n.out(ops.ShapeOf(), x), n.const(i64([0])), n.const(i64([2])), n.const(i64([1])))
    shape = n.out(ops.Concat(axis=0), lead, n.const(i64(out)))
    total = n.out(ops.ReduceProd(keep_dims=True), shape, n.const(i64([0])))
    zeros = n.out(ops.Broadcast(), n.const(np.array(0, x.element_type.numpy), x.element_type), total)
    flat = n.const(i64([-1]))
    scattered = n.out(ops.ScatterElementsUpdate(), zeros, n.out(ops.Reshape(), index, flat),
                      n.out(ops.Reshape(), x, flat), n.const(i64(0)))
    y = n.out(ops.Reshape(), scattered, shape)
    if not n.has(2):
        return [y]
    extra = n.out(ops.Subtract(), n.out(ops.Convert(ElementType.i64), n.input(2)), shape)
    return [n.out(ops.Pad(pad_mode="constant"), y, n.const(i64([0] * (spatial + 2))), extra)]
