"""Push Transposes down through layout-agnostic ops so that inverse pairs meet and cancel.

Frontends of channels-last frameworks (TensorFlow) wrap each channels-first op (Convolution, pooling) in
Transpose(to NCHW) ... Transpose(back). Between two such layers sit elementwise ops, per-channel constants,
concatenations, paddings and reductions; moving the "back" transpose below them brings it next to the following
"to NCHW" transpose, and the two compose to the identity. What is left is a transpose at the model's inputs and
outputs and wherever the layout really matters (Reshape, MatMul...).

Rewrites, for a Transpose T(x, p) feeding op:
- op elementwise (unary, binary, Select...): op(T(x, p), c) -> T(op(x, c'), p), each constant c transposed by
  the inverse permutation (after numpy's rank alignment), other operands transposed by the same p;
- Concat(axis a) -> T(Concat(axis p[a]), p); Pad -> T(Pad(pads permuted), p);
- Reduce(axes A) -> Reduce(axes p[A]) followed by the permutation that remains of p (none for global pooling);
- T(T(x, p), q) -> T(x, p[q]); an identity permutation disappears.
"""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.graph import Constant, Graph, Node, Output
from irforge.ops.elementwise import BinaryOp, UnaryOp
from irforge.ops.reduction import Reduce

ELEMENTWISE = (UnaryOp, BinaryOp, ops.Select, ops.Convert, ops.Selu, ops.Swish, ops.FakeQuantize)


def _movable(node: Node) -> bool:
    """FakeQuantize moves only with per-tensor limits: the OpenVINO CPU plugin mis-quantizes per-channel limits
    that are not on axis 1 (frontends put them there on purpose)."""
    if isinstance(node.op, ops.FakeQuantize):
        return all(x.shape.is_static and int(np.prod(x.shape.to_static())) == 1 for x in node.inputs[1:])
    return True


def _perm(x: Output) -> list[int] | None:
    """p when x is produced by Transpose(y, p) with a known permutation."""
    if not isinstance(x.node.op, ops.Transpose):
        return None
    value = x.node.inputs[1].value
    return None if value is None else [int(v) for v in np.asarray(value).reshape(-1)]


def _inverse(p: list[int]) -> list[int]:
    inv = [0] * len(p)
    for i, a in enumerate(p):
        inv[a] = i
    return inv


def _transpose(graph: Graph, x: Output, perm: list[int], name: str) -> Output:
    return graph.out(ops.Transpose(), x, graph.constant(np.asarray(perm, np.int64)), name=name)


def _const(graph: Graph, x: Output) -> np.ndarray | None:
    if isinstance(x.node.op, Constant):
        return x.node.op.array()
    return x.info.value


def _move_through_elementwise(graph: Graph, node: Node) -> bool:
    perms = [_perm(x) for x in node.inputs]
    found = [p for p in perms if p is not None]
    if not found or any(p != found[0] for p in found):
        return False
    p = found[0]
    rank = len(p)
    inverse = _inverse(p)
    inputs = []
    for x, xp in zip(node.inputs, perms):
        if xp is not None:
            inputs.append(x.node.inputs[0])
            continue
        if x.shape.rank is not None and x.shape.rank == 0:
            inputs.append(x)
            continue
        value = _const(graph, x)
        if value is None or value.ndim > rank:
            return False
        aligned = value.reshape((1,) * (rank - value.ndim) + value.shape)
        moved = np.ascontiguousarray(np.transpose(aligned, inverse))
        inputs.append(graph.constant(moved, x.element_type, name=f"{x.node.name}/transposed"))
    if len(node.outputs) != 1 or node.outputs[0].shape.rank not in (None, rank):
        return False
    new = graph.add(node.op, *inputs, name=node.name, origin=node.origin)
    graph.replace_uses(node.outputs[0], _transpose(graph, new.outputs[0], p, f"{node.name}/transpose"))
    return True


def _move_through_concat(graph: Graph, node: Node) -> bool:
    perms = [_perm(x) for x in node.inputs]
    found = [p for p in perms if p is not None]
    if not found or any(p != found[0] for p in found):
        return False
    p = found[0]
    inputs = []
    for x, xp in zip(node.inputs, perms):
        if xp is not None:
            inputs.append(x.node.inputs[0])
            continue
        value = _const(graph, x)
        if value is None or value.ndim != len(p):
            return False
        inputs.append(graph.constant(np.ascontiguousarray(np.transpose(value, _inverse(p))), x.element_type))
    axis = node.op.axis % len(p)
    new = graph.add(ops.Concat(axis=p[axis]), *inputs, name=node.name, origin=node.origin)
    graph.replace_uses(node.outputs[0], _transpose(graph, new.outputs[0], p, f"{node.name}/transpose"))
    return True


def _move_through_pad(graph: Graph, node: Node) -> bool:
    p = _perm(node.inputs[0])
    begin, end = (_const(graph, x) for x in node.inputs[1:3])
    if p is None or begin is None or end is None or begin.size != len(p) or end.size != len(p):
        return False
    inverse = _inverse(p)
    new_begin = np.asarray(begin).reshape(-1)[inverse]   # in the model's own integer type (i32 stays 4 bytes)
    new_end = np.asarray(end).reshape(-1)[inverse]
    inputs = [node.inputs[0].node.inputs[0], graph.constant(new_begin), graph.constant(new_end), *node.inputs[3:]]
    new = graph.add(node.op, *inputs, name=node.name, origin=node.origin)
    graph.replace_uses(node.outputs[0], _transpose(graph, new.outputs[0], p, f"{node.name}/transpose"))
    return True


def _move_through_reduce(graph: Graph, node: Node) -> bool:
    p = _perm(node.inputs[0])
    axes = _const(graph, node.inputs[1])
    if p is None or axes is None:
        return False
    rank = len(p)
    reduced = sorted({int(a) % rank for a in np.asarray(axes).reshape(-1)})
    new_axes = np.asarray(sorted(p[a] for a in reduced), np.asarray(axes).dtype)  # the model's integer type
    new = graph.add(node.op, node.inputs[0].node.inputs[0], graph.constant(new_axes), name=node.name,
                    origin=node.origin)
    if node.op.keep_dims:
        out = _transpose(graph, new.outputs[0], p, f"{node.name}/transpose")
    else:
        kept = [p[i] for i in range(rank) if i not in reduced]   # axes of x, in the order the output wants them
        order = sorted(kept)
        remaining = [order.index(a) for a in kept]
        out = new.outputs[0] if remaining == sorted(remaining) else \
            _transpose(graph, new.outputs[0], remaining, f"{node.name}/transpose")
    graph.replace_uses(node.outputs[0], out)
    return True


def _fold_pair(graph: Graph, node: Node) -> bool:
    inner = _perm(node.inputs[0])
    outer = _perm(node.outputs[0])  # the permutation of `node` itself
    if inner is None or outer is None or len(inner) != len(outer):
        return False
    combined = [inner[i] for i in outer]
    source = node.inputs[0].node.inputs[0]
    if combined == list(range(len(combined))):
        if any(isinstance(u.node.op, ops.Result) for u in node.outputs[0].uses) and \
                isinstance(source.node.op, ops.Parameter):
            return False  # an output would become the input tensor itself and take over its name
        graph.replace_uses(node.outputs[0], source)
    else:
        graph.replace_uses(node.outputs[0], _transpose(graph, source, combined, node.name))
    return True


def sink_transposes(graph: Graph) -> int:
    changes = 0
    for node in graph.topological():
        if node not in graph.nodes or not node.outputs or not any(o.uses for o in node.outputs):
            continue
        op = node.op
        if isinstance(op, ops.Transpose):
            moved = _fold_pair(graph, node)
        elif not any(_perm(x) is not None for x in node.inputs):
            continue
        elif isinstance(op, ELEMENTWISE):
            moved = _movable(node) and _move_through_elementwise(graph, node)
        elif isinstance(op, ops.Concat):
            moved = _move_through_concat(graph, node)
        elif isinstance(op, ops.Pad):
            moved = _move_through_pad(graph, node)
        elif isinstance(op, Reduce):
            moved = _move_through_reduce(graph, node)
        else:
            continue
        changes += moved
    return changes
