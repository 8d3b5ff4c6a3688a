"""Sequence decoding: CTCGreedyDecoder (and SparseToDense, which usually follows its sparse result)."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import TfNode
from .generic import cast_to, i64, scalar_like


def ctc_greedy_decoder(n: TfNode) -> list[Output]:
    """CTCGreedyDecoder(logits [T, N, C], sequence_length [N]) -> the SparseTensor parts (indices [K, 2],
    values [K], dense shape [N, longest]) and log_probability [N, 1] = -(sum of each step's best logit).

    CTCGreedyDecoderSeqLen decodes batch-major into [N, T] padded with -1; the sparse parts are the positions
    of its non-padding entries in row-major order, which is TensorFlow's order."""
    logits, lengths = n.input(0), n.input(1)
    blank = int(n.attr("blank_index", -1))
    data = n.out(ops.Transpose(), logits, n.const(i64([1, 0, 2])))
    extra = [n.const(np.asarray(blank, np.int64))] if blank >= 0 else []
    decoder = n.add(ops.CTCGreedyDecoderSeqLen(merge_repeated=bool(n.attr("merge_repeated", False)),
                                               classes_index_type=ElementType.i64,
                                               sequence_length_type=ElementType.i64),
                    data, cast_to(n, lengths, ElementType.i64), *extra)
    classes, decoded_lengths = decoder.outputs
    present = n.out(ops.NotEqual(), classes, n.const(i64(-1)))
    indices = n.out(ops.Transpose(), n.out(ops.NonZero(output_type=ElementType.i64), present),
                    n.const(i64([1, 0])))
    values = n.out(ops.GatherND(), classes, indices)
    batch = n.out(ops.Gather(), n.out(ops.ShapeOf(), classes), n.const(i64([0])), n.const(i64(0)))
    longest = n.out(ops.ReduceMax(keep_dims=True), decoded_lengths, n.const(i64([0])))
    shape = n.out(ops.Concat(axis=0), batch, longest)
    best = n.out(ops.ReduceMax(keep_dims=False), logits, n.const(i64([2])))                     # [T, N]
    steps = n.out(ops.Range(output_type=ElementType.i64), n.const(i64(0)),
                  n.out(ops.Gather(), n.out(ops.ShapeOf(), logits), n.const(i64(0)), n.const(i64(0))),
                  n.const(i64(1)))
    inside = n.out(ops.Less(), n.out(ops.Unsqueeze(), steps, n.const(i64([1]))),
                   n.out(ops.Unsqueeze(), cast_to(n, lengths, ElementType.i64), n.const(i64([0]))))
    kept = n.out(ops.Select(), inside, best, scalar_like(n, 0, best))
    total = n.out(ops.ReduceSum(keep_dims=False), kept, n.const(i64([0])))
    log_probability = n.out(ops.Unsqueeze(), n.out(ops.Negative(), total), n.const(i64([1])))
    return [indices, values, shape, log_probability]


def sparse_to_dense(n: TfNode) -> list[Output]:
    """SparseToDense(indices [K, R] (or [K]), output_shape [R], values [K] or scalar, default) -> scatter into a
    tensor filled with the default."""
    indices, shape, values, default = (n.input(i) for i in range(4))
    base = n.out(ops.Broadcast(), default, shape)
    if indices.shape.rank == 1:
        indices = n.out(ops.Unsqueeze(), indices, n.const(i64([1])))
    if values.shape.rank == 0:
        count = n.out(ops.Gather(), n.out(ops.ShapeOf(), indices), n.const(i64([0])), n.const(i64(0)))
        values = n.out(ops.Broadcast(), values, count)
    return [n.out(ops.ScatterNDUpdate(), base, indices, values)]
