"""Detection post-processing: NonMaxSuppression V2-V5 -> NonMaxSuppression-9 on one batch and one class.

TensorFlow's boxes [N, 4] (corners, either diagonal) and scores [N] become [1, N, 4] and [1, 1, N]; the selected
[batch, class, box] triples give the box indices (column 2). V4/V5 with pad_to_max_output_size pad the indices
(and V5's scores) with zeros to max_output_size; valid_outputs is the number selected."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import TfNode
from .generic import cast_to, i64, scalar_like


def _column(n: TfNode, x: Output, k: int) -> Output:
    return n.out(ops.Gather(), x, n.const(i64(k)), n.const(i64(1)))


def non_max_suppression(n: TfNode) -> list[Output]:
    boxes, scores, limit = n.input(0), n.input(1), n.input(2)
    version = n.op_type[-2:] if n.op_type[-2:] in ("V2", "V3", "V4", "V5") else "V1"
    iou = n.input(3) if version != "V1" else n.const(np.asarray(n.attr("iou_threshold", 0.5), np.float32))
    threshold = n.input(4) if version not in ("V1", "V2") else scalar_like(n, float("-inf"), scores)
    sigma = n.input(5) if version == "V5" else scalar_like(n, 0.0, scores)
    limit64 = cast_to(n, limit, ElementType.i64)
    node = n.add(ops.NonMaxSuppression(box_encoding="corner", sort_result_descending=True,
                                       output_type=ElementType.i32),
                 n.out(ops.Unsqueeze(), boxes, n.const(i64([0]))),
                 n.out(ops.Unsqueeze(), scores, n.const(i64([0, 1]))),
                 limit64, cast_to(n, iou, ElementType.f32), cast_to(n, threshold, ElementType.f32),
                 cast_to(n, sigma, ElementType.f32))
    selected, picked, count = node.outputs
    indices = _column(n, selected, 2)
    chosen_scores = cast_to(n, _column(n, picked, 2), scores.element_type)
    valid = n.out(ops.Reshape(), count, n.const(i64([])))
    if version in ("V4", "V5") and n.attr("pad_to_max_output_size", False):
        missing = n.out(ops.Subtract(), n.out(ops.Reshape(), limit64, n.const(i64([1]))),
                        n.out(ops.Convert(destination_type=ElementType.i64), count))
        indices = n.out(ops.Pad(), indices, n.const(i64([0])), missing, n.const(np.asarray(0, np.int32)))
        chosen_scores = n.out(ops.Pad(), chosen_scores, n.const(i64([0])), missing, scalar_like(n, 0, scores))
    if version == "V5":
        return [indices, chosen_scores, valid]
    if version == "V4":
        return [indices, valid]
    return [indices]


non_max_suppression.__doc__ = "-> NonMaxSuppression-9 (one batch, one class); V4/V5 padding and valid count."
