"""Identical nodes computed once. Ops with equal attributes reading the same inputs become one (common
subexpressions: exporters repeat ShapeOf / Gather chains and whole branches); a Constant input counts as the same
when its type, shape and bytes are, so twin ops over twin constants merge too. Constant nodes themselves are
merged only where sharing one is harmless: integer ones (axes, shapes) and weights read only by convolutions and
MatMuls. A float constant read by an elementwise op or a FakeQuantize (a bias, a scale, a quantization limit)
keeps one node per reader: the OpenVINO CPU plugin fuses such an op into the one before it only when the
constant has no other reader. (The IR writer stores equal bytes once in the .bin either way.)"""
from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np

from irforge import ops
from irforge.core.graph import Constant, Graph, Node, Output, Parameter, Result
from irforge.core.tensor import STREAMED, DeferredValue, FileSlice, ScaledWeights, pack

WEIGHTED = (ops.Convolution, ops.GroupConvolution, ops.ConvolutionBackpropData, ops.GroupConvolutionBackpropData,
            ops.MatMul)


def _digest(const: Constant) -> bytes:
    digest = hashlib.blake2b(digest_size=20)
    if isinstance(const.data, STREAMED):
        for piece in const.data.chunks():    # read in pieces: no page of the weights stays resident
            digest.update(piece)
    else:
        digest.update(pack(const.array(), const.element_type))
    return digest.digest()


_SAMPLE = 4096


def _sample(const: Constant) -> bytes:
    """The first and last few KB of a constant's bytes: equal constants have equal samples, and weights of the
    same shape almost never do, so only constants whose samples agree are read whole."""
    data = const.data
    if isinstance(data, FileSlice) and data.nbytes > 2 * _SAMPLE:
        head = b"".join(FileSlice(data.path, data.offset, _SAMPLE).chunks())
        return head + b"".join(FileSlice(data.path, data.offset + data.nbytes - _SAMPLE, _SAMPLE).chunks())
    if isinstance(data, ScaledWeights) and data.shape and data.shape[0] > 2:
        return bytes(pack(data.rows(0, 1), data.element_type)) + bytes(pack(data.rows(data.shape[0] - 1,
                                                                                    data.shape[0]), data.element_type))
    if isinstance(data, DeferredValue) and data.origin:
        op, *sources = data.origin     # equal sources through the same op: the same value, without computing it
        return repr(op).encode() + b"".join(_sample(c) for c in sources)
    if isinstance(data, DeferredValue):
        data = data.array()
    if isinstance(data, np.ndarray) and data.nbytes > 2 * _SAMPLE and const.element_type.bits >= 8:
        flat = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        return flat[:_SAMPLE].tobytes() + flat[-_SAMPLE:].tobytes()
    return _digest(const)


def _merge(graph: Graph, keep: Node, twin: Node) -> None:
    for a, b in zip(keep.outputs, twin.outputs):
        graph.replace_uses(b, a)


def _shareable(node: Node) -> bool:
    """Integer constants, and float ones read only as the weights of convolutions / MatMuls."""
    if not node.op.element_type.is_float:
        return True
    return all(u.index == 1 and isinstance(u.node.op, WEIGHTED) for u in node.outputs[0].uses)


def merge_constants(graph: Graph) -> int:
    """Constants are grouped by type and shape first, so only candidates' bytes are read and hashed."""
    groups: dict[tuple, list[Node]] = defaultdict(list)
    for node in graph.topological():
        if isinstance(node.op, Constant) and node.outputs[0].uses and _shareable(node):
            groups[(node.op.element_type, tuple(node.op.shape))].append(node)
    merged = 0
    for nodes in groups.values():
        if len(nodes) < 2:
            continue
        samples: dict[bytes, list[Node]] = defaultdict(list)
        for node in nodes:
            samples[_sample(node.op)].append(node)
        for twins in samples.values():
            first: dict[bytes, Node] = {}
            for node in twins if len(twins) > 1 else ():
                keep = first.setdefault(_digest(node.op), node)
                if keep is not node:
                    _merge(graph, keep, node)
                    merged += 1
    return merged


def _input_key(x: Output, digests: dict[int, tuple] | None) -> tuple:
    """What an input is, for comparing ops: a constant by its content (by its type and shape alone when
    `digests` is None: the coarse key that decides whether the content is worth reading), anything else by
    identity."""
    op = x.node.op
    if not isinstance(op, Constant):
        return (id(x.node), x.index)
    if digests is None:
        return (op.element_type, tuple(op.shape))
    if id(x.node) not in digests:
        digests[id(x.node)] = (op.element_type, tuple(op.shape), _digest(op))
    return digests[id(x.node)]


def _op_key(node: Node, digests: dict[int, tuple] | None) -> tuple | None:
    op = node.op
    if isinstance(op, (Constant, Parameter, Result)) or not op.FOLDABLE or node.rt_info:
        return None
    try:
        hash(op)
    except TypeError:       # an attribute holds something unhashable (a body graph, an array): leave it
        return None
    return (type(op), op, tuple(_input_key(x, digests) for x in node.inputs))


def merge_common_subexpressions(graph: Graph) -> int:
    """Producers first, so a chain of duplicates collapses in one sweep (inputs are merged before their users).
    Constant inputs' bytes are hashed only for ops that already agree on everything else: two convolutions are
    twins only if they read the same data, so a model's weights are not read at all in the common case."""
    buckets: dict[tuple, list[Node]] = {}
    digests: dict[int, tuple] = {}
    full: dict[int, tuple] = {}

    def full_key(n: Node) -> tuple:
        if id(n) not in full:
            full[id(n)] = _op_key(n, digests)  # type: ignore[assignment]
        return full[id(n)]

    merged = 0
    for node in graph.topological():
        coarse = _op_key(node, None)
        if coarse is None or not any(o.uses for o in node.outputs):
            continue
        bucket = buckets.setdefault(coarse, [])
        keep = next((other for other in bucket if full_key(other) == full_key(node)), None) if bucket else None
        if keep is None:
            bucket.append(node)
        else:
            _merge(graph, keep, node)
            merged += 1
    return merged


def merge_duplicates(graph: Graph) -> int:
    return merge_constants(graph) + merge_common_subexpressions(graph)
