"""Embedding lookups and segment reductions (Wide & Deep style models): Unique, SparseSegmentSum/Mean/SqrtN,
(Unsorted)SegmentSum.

A segment reduction sums rows of `data` into segments: out[s] = sum of data[indices[k]] over k with
segment_ids[k] == s. It is written as a one-hot matrix [S, K] (segment_ids compared with 0..S-1) times the
gathered rows [K, D]: exact, shape-agnostic, and it needs no scatter. Segments without rows give 0, as in TF.
"""
from __future__ import annotations

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import TfNode
from .generic import cast_to, i64, scalar_like


def unique(n: TfNode) -> list[Output]:
    """Unique(x) -> (y in order of first occurrence, idx of each x in y)."""
    node = n.add(ops.Unique(sorted=False, index_element_type=n.type_attr("out_idx", 3)), n.input(0))
    return [node.outputs[0], node.outputs[2]]


def _segment_sum(n: TfNode, rows: Output, segment_ids: Output, count: Output, kind: str) -> Output:
    """rows [K, *D] summed into `count` segments by segment_ids [K] (then divided for mean / sqrt_n)."""
    ids = cast_to(n, segment_ids, ElementType.i64)
    segments = n.out(ops.Range(output_type=ElementType.i64), n.const(i64(0)), count, n.const(i64(1)))
    hot = n.out(ops.Equal(), n.out(ops.Unsqueeze(), segments, n.const(i64([1]))),
                n.out(ops.Unsqueeze(), ids, n.const(i64([0]))))                      # [S, K]
    weights = cast_to(n, hot, rows.element_type)
    shape = n.out(ops.ShapeOf(), rows)
    flat = n.out(ops.Reshape(special_zero=True), rows, n.const(i64([0, -1])))         # [K, prod(D)]
    summed = n.out(ops.MatMul(), weights, flat)                                      # [S, prod(D)]
    if kind != "sum":
        counts = n.out(ops.ReduceSum(keep_dims=True), weights, n.const(i64([1])))     # [S, 1]
        counts = n.out(ops.Maximum(), counts, scalar_like(n, 1, counts))
        if kind == "sqrt_n":
            counts = n.out(ops.Sqrt(), counts)
        summed = n.out(ops.Divide(), summed, counts)
    tail = n.out(ops.Slice(), shape, n.const(i64([1])), n.const(i64([2 ** 62])), n.const(i64([1])))
    target = n.out(ops.Concat(axis=0), n.out(ops.Reshape(), count, n.const(i64([1]))), tail)
    return n.out(ops.Reshape(special_zero=False), summed, target)


def _last_plus_one(n: TfNode, segment_ids: Output) -> Output:
    """Sorted segment ids: the number of segments is the last id + 1."""
    ids = cast_to(n, segment_ids, ElementType.i64)
    last = n.out(ops.Gather(), ids, n.const(i64(-1)), n.const(i64(0)))
    return n.out(ops.Add(), last, n.const(i64(1)))


def sparse_segment(kind: str):
    """SparseSegmentSum/Mean/SqrtN(data, indices, segment_ids[, num_segments])."""
    def translate(n: TfNode) -> list[Output]:
        data, indices, segment_ids = n.input(0), n.input(1), n.input(2)
        rows = n.out(ops.Gather(), data, indices, n.const(i64(0)))
        count = cast_to(n, n.input(3), ElementType.i64) if len(n.inputs) > 3 else _last_plus_one(n, segment_ids)
        count = n.out(ops.Reshape(), count, n.const(i64([])))
        return [_segment_sum(n, rows, segment_ids, count, kind)]
    translate.__doc__ = f"Gather rows, then the one-hot segment {kind.replace('_', ' ')} (MatMul)."
    return translate


def segment_sum(n: TfNode) -> list[Output]:
    """SegmentSum(data, segment_ids) (sorted ids) / UnsortedSegmentSum(data, segment_ids, num_segments) with 1-D
    segment ids."""
    data, segment_ids = n.input(0), n.input(1)
    if segment_ids.shape.rank not in (None, 1):
        raise n.error("segment ids of rank > 1 are not supported")
    count = cast_to(n, n.input(2), ElementType.i64) if len(n.inputs) > 2 else _last_plus_one(n, segment_ids)
    count = n.out(ops.Reshape(), count, n.const(i64([])))
    return [_segment_sum(n, data, segment_ids, count, "sum")]
