"""ResNet stride optimization (the legacy tool's default; off with --disable_resnet_optimization).

A 1x1 convolution with stride s and no padding reads only every s-th input position, so it equals a stride-1
convolution of the input subsampled by s. The stride is moved up the graph to where it saves work: each node,
visited consumers first, looks at what its consumers ask of it (a stride per use):
  - every use asks the same stride s > 1, and the node can provide it:
      * a Convolution / GroupConvolution computes only every s-th output (its strides are multiplied by s; SAME
        padding is made explicit first, since SAME pads depend on the stride);
      * an elementwise op (unary, BatchNorm, or binary where every input is either of the output's shape or
        broadcast over the spatial axes) passes the request on to its full-size inputs;
    a 1x1 convolution without padding then asks its own (possibly multiplied) stride of its input and takes
    stride 1 itself;
  - otherwise each use that asked is served where it is: a convolution that asked keeps its stride, and an
    elementwise op that passed a request on gets a MaxPool (kernel 1, stride s) on that input.
This is how Caffe ResNets (stride 2 in the 1x1 branch convolutions) lose the work of computing the full-size
output of the previous block's last convolution.
"""
from __future__ import annotations

from dataclasses import replace

from irforge import ops
from irforge.core.graph import Constant, Graph, Node, Output
from irforge.errors import InternalError
from irforge.ops import AutoPad, RoundingType
from irforge.ops.elementwise import BinaryOp, UnaryOp
from irforge.ops.window import resolve_pads

CONVOLUTIONS = (ops.Convolution, ops.GroupConvolution)
PER_ELEMENT = (UnaryOp, BinaryOp, ops.BatchNormInference, ops.PRelu, ops.Swish)

Strides = tuple[int, ...]


def _spatial(out: Output) -> tuple[int, ...] | None:
    if not out.shape.is_static or out.shape.rank is None or out.shape.rank < 3:
        return None
    return out.shape.to_static()[2:]


def _explicit(node: Node) -> ops.Convolution | None:
    """The convolution's op with explicit pads (SAME pads resolved), or None when they cannot be resolved."""
    op = node.op
    spatial = _spatial(node.inputs[0])
    kernel = node.inputs[1].shape.to_static()[-len(op.strides):] if node.inputs[1].shape.is_static else None
    if spatial is None or kernel is None:
        return None
    pads = resolve_pads(op.auto_pad, spatial, kernel, op.strides, op.dilations, op.pads_begin, op.pads_end)
    if pads is None:
        return None
    return replace(op, pads_begin=tuple(pads[0]), pads_end=tuple(pads[1]), auto_pad=AutoPad.EXPLICIT)


def _is_pointwise_1x1(op: ops.Convolution, node: Node) -> bool:
    kernel = node.inputs[1].shape.to_static()[-len(op.strides):]
    return all(k == 1 for k in kernel) and not any(op.pads_begin) and not any(op.pads_end)


def _full_size_inputs(node: Node) -> list[int] | None:
    """Inputs of an elementwise node that carry the spatial axes; the others must broadcast over all of them
    (a per-channel constant [1, C, 1, 1], a scalar, an SE gate [N, C, 1, 1]). None when an input does neither."""
    out = node.outputs[0]
    rank = out.shape.rank
    full = []
    for i, x in enumerate(node.inputs):
        if x.shape == out.shape and not isinstance(x.node.op, Constant):
            full.append(i)
            continue
        if rank is None or x.shape.rank is None or x.shape.rank > rank:
            return None
        trailing = list(x.shape)[max(0, x.shape.rank - (rank - 2)):]   # the dims aligned with spatial axes
        if any(d != 1 for d in trailing):
            return None
    return full


def optimize_strides(graph: Graph) -> int:
    order = graph.topological()
    asked: dict[tuple[int, int], Strides] = {}      # (id(consumer), input index) -> stride it asks of that input
    conv_plan: dict[int, tuple[Node, ops.Convolution]] = {}   # the op each changed convolution will have
    delegated: dict[int, ops.Convolution] = {}      # conv -> its op if its request is refused (keeps its stride)
    pools: list[tuple[Node, int, Strides]] = []
    moved = 0
    for node in reversed(order):
        uses = [u for out in node.outputs for u in out.uses]
        requests = [asked.get((id(u.node), u.index)) for u in uses]
        wanted = requests[0] if requests and all(r is not None and r == requests[0] for r in requests) else None
        if wanted is not None and all(s == 1 for s in wanted):
            wanted = None
        accepted = False
        op = _explicit(node) if type(node.op) in CONVOLUTIONS else None
        if op is not None:
            if wanted is not None and len(wanted) == len(op.strides):
                op = replace(op, strides=tuple(a * b for a, b in zip(op.strides, wanted)))
                accepted = True
            if _is_pointwise_1x1(op, node) and any(s > 1 for s in op.strides):
                asked[(id(node), 0)] = op.strides       # ask the input for the stride, compute at stride 1
                delegated[id(node)] = op
                op = replace(op, strides=(1,) * len(op.strides))
            if accepted or id(node) in delegated:
                conv_plan[id(node)] = (node, op)
        elif wanted is not None and isinstance(node.op, PER_ELEMENT) and len(node.outputs) == 1 \
                and _spatial(node.outputs[0]) is not None:
            full = _full_size_inputs(node)
            if full:
                for i in full:
                    asked[(id(node), i)] = wanted
                accepted = True
        if accepted:
            moved += 1
            continue
        for use, request in zip(uses, requests):          # refused: serve each request at its consumer
            if request is None or all(s == 1 for s in request):
                continue
            consumer = use.node
            if id(consumer) in delegated:
                conv_plan[id(consumer)] = (consumer, delegated.pop(id(consumer)))
            else:
                pools.append((consumer, use.index, request))
    if not moved:
        return 0
    _apply(graph, conv_plan, pools)
    return moved


def _apply(graph: Graph, conv_plan: dict[int, tuple[Node, ops.Convolution]],
           pools: list[tuple[Node, int, Strides]]) -> None:
    before = [r.inputs[0].shape for r in graph.results]
    for node, op in conv_plan.values():
        node.op = op                 # shapes change downstream: re-inferred below, in one sweep
    for consumer, index, strides in pools:
        x = consumer.inputs[index]
        rank = len(strides)
        pool = graph.out(ops.MaxPoolV1(strides=strides, pads_begin=(0,) * rank, pads_end=(0,) * rank,
                                       kernel=(1,) * rank, rounding_type=RoundingType.FLOOR),
                         x, name=x.node.name + "/stride")
        graph.set_input(consumer, index, pool)
    graph.reinfer()
    after = [r.inputs[0].shape for r in graph.results]
    if before != after:
        raise InternalError(f"stride optimization changed the output shapes {before} -> {after}")
