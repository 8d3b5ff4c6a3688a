"""Parameters that arrive as tensors computed at run time (axes, pads), translated so that every output keeps a
static rank: OpenVINO's CPU plugin cannot run an op whose output rank is dynamic, and Unsqueeze, Squeeze or a
Reduce without keepdims over run-time axes would have one. The trick: with k axes known to be k values, the
kept positions are the k smallest keys of `is_axis * rank + position` (TopK, a static count), and the new shape
is gathered (or scattered) from there into a Reshape target of static length."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import OnnxNode
from .generic import i64


def axes_count(axes: Output) -> int | None:
    """How many axes a run-time axes tensor holds, when its shape says so."""
    if axes.shape.rank == 0:
        return 1
    if axes.shape.rank == 1 and isinstance(axes.shape[0], int):
        return axes.shape[0]
    return None


def _is_axis(n: OnnxNode, axes: Output, rank: int) -> Output:
    """[rank] boolean: position j is one of the (possibly negative) axes."""
    axes = n.out(ops.Convert(ElementType.i64), n.out(ops.Reshape(), axes, n.const(i64([-1]))))
    normalized = n.out(ops.FloorMod(), axes, n.const(i64(rank)))
    positions = n.const(i64(np.arange(rank).reshape(rank, 1)))
    hits = n.out(ops.Equal(), positions, n.out(ops.Unsqueeze(), normalized, n.const(i64([0]))))
    return n.out(ops.ReduceLogicalOr(keep_dims=False), hits, n.const(i64([1])))


def kept_positions(n: OnnxNode, axes: Output, rank: int, count: int) -> Output:
    """[rank - count] i64: the positions that are not axes, ascending."""
    keys = n.out(ops.Add(), n.out(ops.Multiply(), n.out(ops.Convert(ElementType.i64), _is_axis(n, axes, rank)),
                                  n.const(i64(rank))), n.const(i64(np.arange(rank))))
    smallest = n.add(ops.TopK(axis=0, mode="min", sort="value", index_element_type=ElementType.i64), keys,
                     n.const(i64(rank - count)))
    return smallest.outputs[0]


def unsqueeze(n: OnnxNode, x: Output, axes: Output) -> Output:
    """Unsqueeze by run-time axes: the input dims are scattered into the kept positions of a row of ones."""
    count = axes_count(axes)
    if x.shape.rank is None or count is None:
        raise n.error("run-time axes need an input of known rank and a known number of axes")
    rank = x.shape.rank + count
    kept = kept_positions(n, axes, rank, count)
    target = n.out(ops.ScatterUpdate(), n.const(i64(np.ones(rank))), kept, n.out(ops.ShapeOf(), x),
                   n.const(i64(0)))
    return n.out(ops.Reshape(special_zero=False), x, target)


def squeeze(n: OnnxNode, x: Output, axes: Output) -> Output:
    """Squeeze by run-time axes: the kept dims are gathered into the Reshape target."""
    count = axes_count(axes)
    if x.shape.rank is None or count is None:
        raise n.error("run-time axes need an input of known rank and a known number of axes")
    kept = kept_positions(n, axes, x.shape.rank, count)
    target = n.out(ops.Gather(), n.out(ops.ShapeOf(), x), kept, n.const(i64(0)))
    return n.out(ops.Reshape(special_zero=False), x, target)


def reduce_dropping_axes(n: OnnxNode, op_class, x: Output, axes: Output) -> Output:
    """Reduce without keepdims over run-time axes: reduce keeping dims, then squeeze those axes."""
    kept = n.out(op_class(keep_dims=True), x, axes)
    return squeeze(n, kept, axes)


EMPTY_REDUCTION_VALUES = {"ReduceMax": -np.inf, "ReduceMin": np.inf, "ReduceSum": 0, "ReduceProd": 1,
                          "ReduceL1": 0, "ReduceL2": 0, "ReduceLogicalOr": False, "ReduceLogicalAnd": True}


def empty_reduction(n: OnnxNode, op_class, x: Output, axes: Output, keep_dims: bool) -> Output | None:
    """A reduction over an axis of static size 0 has a fixed value (ONNX: -inf for max, inf for min, 0 for sums,
    1 for products); OpenVINO's reductions give the type's finite extremes instead. None if not that case."""
    axes_v = n.graph.constant_value(axes)
    if x.shape.rank is None or op_class.TYPE not in EMPTY_REDUCTION_VALUES or 0 not in x.shape.dims:  # type: ignore
        return None
    rank = x.shape.rank
    value = EMPTY_REDUCTION_VALUES[op_class.TYPE]
    et = ElementType.boolean if op_class.TYPE.startswith("ReduceLogical") else x.element_type
    if et.is_integral and value in (np.inf, -np.inf):  # integers have no infinity: their extremes
        value = np.iinfo(et.numpy).min if value < 0 else np.iinfo(et.numpy).max
    fill = n.const(np.array(value, et.numpy), et)
    if axes_v is None:
        # Axes known only at run time: where the reduced extent is 0, select the fixed value.
        reduced = n.out(op_class(keep_dims=keep_dims), x, axes) if keep_dims else \
            reduce_dropping_axes(n, op_class, x, axes)
        sizes = n.out(ops.Gather(), n.out(ops.ShapeOf(), x), n.out(ops.Reshape(), axes, n.const(i64([-1]))),
                      n.const(i64(0)))
        extent = n.out(ops.ReduceProd(keep_dims=False), sizes, n.const(i64([0])))
        return n.out(ops.Select(), n.out(ops.Equal(), extent, n.const(i64(0))), fill, reduced)
    reduced = {int(a) % rank for a in np.asarray(axes_v).reshape(-1)}
    if not any(x.shape[a] == 0 for a in reduced):
        return None
    shape = n.out(ops.ShapeOf(), x)
    if keep_dims:
        target = n.out(ops.ScatterUpdate(), shape, n.const(i64(sorted(reduced))), n.const(i64([1] * len(reduced))),
                       n.const(i64(0)))
    else:
        target = n.out(ops.Gather(), shape, n.const(i64([i for i in range(rank) if i not in reduced])),
                       n.const(i64(0)))
    return n.out(ops.Broadcast(), fill, target)


def split_pads(n: OnnxNode, x: Output, pads: Output, axes: Output | None) -> tuple[Output, Output]:
    """Pad-11+ `pads` computed at run time -> (pads_begin, pads_end) over every axis."""
    rank = x.shape.rank
    if rank is None:
        raise n.error("Pad needs an input of known rank")
    pads = n.out(ops.Convert(ElementType.i64), pads)
    begin, end = n.add(ops.Split(num_splits=2), pads, n.const(i64(0))).outputs
    if axes is None:
        return begin, end
    zeros = n.const(i64(np.zeros(rank)))
    normalized = n.out(ops.FloorMod(), n.out(ops.Convert(ElementType.i64), axes), n.const(i64(rank)))
    full = [n.out(ops.ScatterUpdate(), zeros, normalized, part, n.const(i64(0))) for part in (begin, end)]
    return full[0], full[1]


def pad_wrap(n: OnnxNode, x: Output, begin: list[int], end: list[int]) -> Output:
    """Pad mode "wrap" (no OpenVINO mode): per axis, the last `begin` elements go before and the first `end`
    after (negative pads crop)."""
    for axis, (b, e) in enumerate(zip(begin, end)):
        if b == 0 and e == 0:
            continue
        parts = []
        if b > 0:
            parts.append(n.out(ops.Slice(), x, n.const(i64([-b])), n.const(i64([np.iinfo(np.int64).max])),
                               n.const(i64([1])), n.const(i64([axis]))))
        core = x
        if b < 0 or e < 0:
            stop = e if e < 0 else np.iinfo(np.int64).max
            core = n.out(ops.Slice(), x, n.const(i64([max(-b, 0)])), n.const(i64([stop])), n.const(i64([1])),
                         n.const(i64([axis])))
        parts.append(core)
        if e > 0:
            parts.append(n.out(ops.Slice(), x, n.const(i64([0])), n.const(i64([e])), n.const(i64([1])),
                               n.const(i64([axis]))))
        x = parts[0] if len(parts) == 1 else n.out(ops.Concat(axis=axis), *parts)
    return x


def tile(n: OnnxNode, x: Output, repeats: Output) -> Output:
    """Tile by repeats known only at run time, as Broadcast: x [d0, d1, ...] viewed as [1, d0, 1, d1, ...] is
    broadcast to [r0, d0, r1, d1, ...] and folded to [r0 * d0, ...]. (The CPU plugin's Tile gave NaNs with run-time
    repeats in OpenVINO 2026.4.)"""
    rank = x.shape.rank
    if rank is None:
        raise n.error("Tile with run-time repeats needs an input of known rank")
    spread = n.out(ops.Unsqueeze(), x, n.const(i64(list(range(0, 2 * rank, 2)))))      # [1, d0, 1, d1, ...]
    shape = n.out(ops.ShapeOf(), x)
    repeats = n.out(ops.Convert(ElementType.i64), repeats)
    pairs = n.out(ops.Concat(axis=1), n.out(ops.Unsqueeze(), repeats, n.const(i64([1]))),
                  n.out(ops.Unsqueeze(), shape, n.const(i64([1]))))                    # [[r0, d0], [r1, d1], ...]
    target = n.out(ops.Reshape(), pairs, n.const(i64([2 * rank])))
    wide = n.out(ops.Broadcast(), spread, target)
    return n.out(ops.Reshape(), wide, n.out(ops.Multiply(), repeats, shape))


def pad_wrap_runtime(n: OnnxNode, x: Output, begin: Output, end: Output) -> Output:
    """Pad mode "wrap" by pads known only at run time: along each axis, gather positions (i mod size) for
    i in [-begin, size + end)."""
    rank = x.shape.rank
    if rank is None:
        raise n.error("Pad needs an input of known rank")
    shape = n.out(ops.ShapeOf(), x)
    for axis in range(rank):
        def pick(t: Output) -> Output:
            return n.out(ops.Gather(), t, n.const(i64(axis)), n.const(i64(0)))
        size = pick(shape)
        start = n.out(ops.Negative(), pick(begin))
        stop = n.out(ops.Add(), size, pick(end))
        positions = n.out(ops.Range(output_type=ElementType.i64), start, stop, n.const(i64(1)))
        x = n.out(ops.Gather(), x, n.out(ops.FloorMod(), positions, size), n.const(i64(axis)))
    return x
