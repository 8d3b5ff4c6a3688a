"""Constant folding through each op's own numpy `evaluate` (the same code the reference runtime runs)."""
from __future__ import annotations

import numpy as np

from functools import partial

from irforge import ops
from irforge.core.graph import Constant, Graph, Node, Parameter, Result
from irforge.core.tensor import DeferredValue, read_values
from irforge.errors import NotEvaluable

from .compress_quantized_weights import dequantization_nodes

# Folding must not turn a small graph into a huge constant (Broadcast of a scalar to a big shape, Range...):
# a folded output may be at most this many bytes larger than the constants it replaces.
MAX_GROWTH_BYTES = 16 * 1024 * 1024


# Folds of one big constant through an op that only moves or casts its elements (a TensorFlow kernel transposed
# HWIO -> OIHW, a reshape of grouped weights) are deferred to the IR writer (DeferredValue): it computes them one
# at a time, so a model's folded weights are never all in memory together. These ops cannot fail on a constant
# whose shape inference already passed, which is what a deferred computation needs.
DEFER_BYTES = 1 << 20
_MOVES = (ops.Transpose, ops.Reshape, ops.Squeeze, ops.Unsqueeze, ops.Convert)


def _deferred(node: Node) -> DeferredValue | None:
    out = node.outputs[0]
    if not isinstance(node.op, _MOVES) or len(node.outputs) != 1 or not out.shape.is_static:
        return None
    shape = tuple(int(d) for d in out.shape)   # type: ignore[arg-type]
    sources = [x.node.op for x in node.inputs]
    value = DeferredValue(partial(_evaluate, node.op, sources), out.element_type, shape, (node.op, *sources))
    return value if value.nbytes >= DEFER_BYTES else None


def _evaluate(op, constants: list[Constant]) -> np.ndarray:
    return op.evaluate(*[read_values(c.data, c.element_type, c.shape) for c in constants])[0]


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
        deferred = _deferred(node) if all_const and not known else None
        if deferred is not None:
            const = graph.add(Constant(deferred.element_type, deferred.shape, deferred), name=node.name)
            graph.replace_uses(node.outputs[0], const.outputs[0])
            folded += 1
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
