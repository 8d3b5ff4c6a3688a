"""Identical nodes computed once: Constants with the same type, shape and bytes become one node (the IR writer
already stores equal blobs once; merging the nodes also drops the duplicate Const layers; per-channel biases and
scales stay apart, see _bias_like), then ops with equal
attributes reading the same inputs become one (common subexpressions: exporters repeat ShapeOf / Gather chains
and scalar constants per use)."""
from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np

from irforge.core.graph import Constant, Graph, Node, Parameter, Result
from irforge.core.tensor import FileSlice, pack
from irforge.ops.elementwise import BinaryOp


def _digest(const: Constant) -> bytes:
    data = const.data.buffer() if isinstance(const.data, FileSlice) else pack(const.array(), const.element_type)
    return hashlib.blake2b(data, digest_size=20).digest()


def _merge(graph: Graph, keep: Node, twin: Node) -> None:
    for a, b in zip(keep.outputs, twin.outputs):
        graph.replace_uses(b, a)


def _bias_like(node: Node) -> bool:
    """A float vector read by an elementwise op: a per-channel bias or scale. The OpenVINO CPU plugin fuses such
    an Add / Multiply into the convolution before it only when the constant has no other reader, so these stay
    one per use (the .bin stores their bytes once anyway)."""
    op = node.op
    return op.element_type.is_float and int(np.prod(op.shape)) > 1 and \
        any(isinstance(u.node.op, BinaryOp) for u in node.outputs[0].uses)


def merge_constants(graph: Graph) -> int:
    """Constants are grouped by type and shape first, so only candidates' bytes are read and hashed."""
    groups: dict[tuple, list[Node]] = defaultdict(list)
    for node in graph.topological():
        if isinstance(node.op, Constant) and node.outputs[0].uses and not _bias_like(node):
            groups[(node.op.element_type, tuple(node.op.shape))].append(node)
    merged = 0
    for nodes in groups.values():
        if len(nodes) < 2:
            continue
        first: dict[bytes, Node] = {}
        for node in nodes:
            keep = first.setdefault(_digest(node.op), node)
            if keep is not node:
                _merge(graph, keep, node)
                merged += 1
    return merged


def _op_key(node: Node) -> tuple | None:
    op = node.op
    if isinstance(op, (Constant, Parameter, Result)) or not op.FOLDABLE or node.rt_info:
        return None
    try:
        hash(op)
    except TypeError:       # an attribute holds something unhashable (a body graph, an array): leave it
        return None
    return (type(op), op, tuple((id(x.node), x.index) for x in node.inputs))


def merge_common_subexpressions(graph: Graph) -> int:
    """Producers first, so a chain of duplicates collapses in one sweep (inputs are merged before their users)."""
    seen: dict[tuple, Node] = {}
    merged = 0
    for node in graph.topological():
        key = _op_key(node)
        if key is None or not any(o.uses for o in node.outputs):
            continue
        keep = seen.setdefault(key, node)
        if keep is not node:
            _merge(graph, keep, node)
            merged += 1
    return merged


def merge_duplicates(graph: Graph) -> int:
    return merge_constants(graph) + merge_common_subexpressions(graph)
