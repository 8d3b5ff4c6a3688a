"""Constant folding through each op's own numpy `evaluate` (the same code the reference runtime runs)."""
from __future__ import annotations

import numpy as np

from irforge.core.graph import Constant, Graph, Node, Parameter, Result
from irforge.errors import NotEvaluable

from .compress_quantized_weights import dequantization_nodes

# Folding must not turn a small graph into a huge constant (Broadcast of a scalar to a big shape, Range...):
# a folded output may be at most this many bytes larger than the constants it replaces.
MAX_GROWTH_BYTES = 16 * 1024 * 1024


def _is_decompression(node: Node) -> bool:
    """Convert(f16 weights -> f32) marked for the runtime: folding it would undo the compression."""
    return "decompression" in node.rt_info


def fold_constants(graph: Graph, keep_shape_ops: bool = False) -> int:
    """Replace every node whose inputs are all constants by a Constant holding its value. Nodes whose small
    value inference already knows (ShapeOf of a static shape and what follows) are folded too, unless
    keep_shape_ops asks to keep shape sub-graphs so the IR stays reshape-able. Returns the nodes folded."""
    folded = 0
    # Integer weights with their Convert / Subtract / Multiply (and what is computed from them, a Reshape of
    # grouped weights) stay as they are: folding would store them as f32 again.
    kept = dequantization_nodes(graph)
    for node in graph.topological():
        op = node.op
        if id(node) in kept or any(id(x.node) in kept for x in node.inputs):
            kept.add(id(node))
            continue
        if isinstance(op, (Constant, Parameter, Result)) or not op.FOLDABLE or _is_decompression(node):
            continue
        if not node.outputs or not any(o.uses for o in node.outputs):
            continue
        all_const = all(isinstance(x.node.op, Constant) for x in node.inputs)
        known = all(o.info.value is not None for o in node.outputs)
        if not all_const and (keep_shape_ops or not known):
            continue
        if all_const and not known:
            try:
                values = op.evaluate(*[x.node.op.array() for x in node.inputs])  # type: ignore[attr-defined]
            except NotEvaluable:
                continue
            grown = sum(np.asarray(v).nbytes for v in values) - sum(x.node.op.nbytes for x in node.inputs
                                                                     if len(x.uses) == 1)
            if grown > MAX_GROWTH_BYTES:
                continue
        else:
            values = [o.info.value for o in node.outputs]
        for out, value in zip(node.outputs, values):
            if not out.uses:
                continue
            array = np.asarray(value, dtype=out.element_type.numpy, order="C")  # keeps 0-d values 0-d
            const = graph.add(Constant(out.element_type, tuple(array.shape), array), name=node.name)
            graph.replace_uses(out, const.outputs[0])
        folded += 1
    return folded
