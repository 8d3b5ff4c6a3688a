"""Nearest-neighbour upsampling spelled as Split + Concat (TensorFlow and Caffe-era exports): x split into its N
slices along an axis, concatenated back with each slice repeated k times in order, is x upsampled k times along
that axis: one Interpolate (nearest, asymmetric coordinates, floor: output i reads input i // k exactly).
Consecutive ones over different axes (H, then W) become one Interpolate over both.

This needs the Interpolate op (ops/interpolate.py); without it in the opset the pass does nothing."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Graph, Node, Output
from irforge.core.pattern import known_value


def _interpolate_class():
    return getattr(ops, "Interpolate11", None)


def _repeats(split: Node, concat: Node) -> tuple[int, int] | None:
    """(axis, k) when concat's inputs are split's outputs in order, each repeated k times."""
    if not isinstance(split.op, (ops.Split, ops.VariadicSplit)):
        return None
    x, axis = split.inputs[0], known_value(split.inputs[1])
    if x.shape.rank is None or axis is None:
        return None
    axis = int(np.asarray(axis).reshape(-1)[0]) % x.shape.rank
    parts = split.outputs
    if x.shape[axis] != len(parts) or concat.op.axis % x.shape.rank != axis or \
            any(p.shape.rank is None or p.shape[axis] != 1 for p in parts):
        return None
    k, rest = divmod(len(concat.inputs), len(parts))
    if rest or k < 2 or concat.inputs != [p for p in parts for _ in range(k)]:
        return None
    if any(u.node is not concat for p in parts for u in p.uses):
        return None
    return axis, k


def _nearest(interp: Node) -> bool:
    op = interp.op
    return (op.mode, op.shape_calculation_mode, op.coordinate_transformation_mode, op.nearest_mode) == \
        ("nearest", "sizes", "asymmetric", "floor") and not any(op.pads_begin) and not any(op.pads_end)


def fuse_split_concat_upsample(graph: Graph) -> int:
    interpolate = _interpolate_class()
    if interpolate is None:
        return 0
    fused = 0
    for concat in graph.nodes_of(ops.Concat):
        split = concat.inputs[0].node if concat.inputs else None
        found = _repeats(split, concat) if split is not None else None   # type: ignore[arg-type]
        if found is None:
            continue
        axis, k = found
        x: Output = split.inputs[0]
        axes, sizes = [axis], [x.shape[axis] * k]
        prev = x.node
        if isinstance(prev.op, interpolate) and _nearest(prev) and len(x.uses) == 1:
            prev_axes = [int(a) for a in known_value(prev.inputs[2]).reshape(-1)]
            if axis not in prev_axes:           # H then W: one Interpolate over both
                prev_sizes = [int(s) for s in known_value(prev.inputs[1]).reshape(-1)]
                axes, sizes, x = prev_axes + axes, prev_sizes + sizes, prev.inputs[0]
        op = interpolate(mode="nearest", shape_calculation_mode="sizes", coordinate_transformation_mode="asymmetric",
                         nearest_mode="floor")
        new = graph.out(op, x, graph.constant(np.asarray(sizes, np.int64)),
                        graph.constant(np.asarray(axes, np.int64)), name=concat.name)
        graph.replace_uses(concat.outputs[0], new)
        fused += 1
    return fused
