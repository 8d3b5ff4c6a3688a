"""Tensor plumbing: Reshape, Flatten, Transpose, (Un)Squeeze, Concat, Split, Gather, Slice, Shape, Constant,
ConstantOfShape, Cast, Expand, Tile, Pad, Dropout."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import OnnxNode, element_type
from . import dynamic
from .generic import i64


def flatten_shape(n: OnnxNode, x: Output, axis: int) -> Output:
    """The target [prod(dims[:axis]), prod(dims[axis:])] as a tensor: a constant when the leading or the trailing
    dims are known (-1 for the other part), else computed from ShapeOf so the IR stays reshape-able. The computed
    form has no -1: a -1 next to a dynamic product cannot be resolved by shape inference, and the flattened
    [?, 4] boxes of a detector would become [?, ?] (which OpenVINO's NonMaxSuppression rejects)."""
    rank = x.shape.rank
    if rank is not None:
        lead, tail = x.shape.dims[:axis], x.shape.dims[axis:]  # type: ignore[index]
        if all(isinstance(d, int) for d in lead):
            return n.const(i64([int(np.prod(lead, dtype=np.int64)), -1]))
        if all(isinstance(d, int) for d in tail) and int(np.prod(tail, dtype=np.int64)) > 0:
            return n.const(i64([-1, int(np.prod(tail, dtype=np.int64))]))
    shape = n.out(ops.ShapeOf(), x)
    parts = [n.out(ops.Slice(), shape, n.const(i64([begin])), n.const(i64([end])), n.const(i64([1])))
             for begin, end in ((0, axis), (axis, np.iinfo(np.int64).max))]
    return n.out(ops.Concat(axis=0), *[n.out(ops.ReduceProd(keep_dims=True), p, n.const(i64([0]))) for p in parts])


def flatten(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    axis = int(n.attr("axis", 1))
    if axis < 0:
        if x.shape.rank is None:
            raise n.error("a negative axis needs an input of known rank")
        axis += x.shape.rank
    if axis == 0:
        return [n.out(ops.Reshape(), x, n.const(i64([1, -1])))]
    return [n.out(ops.Reshape(), x, flatten_shape(n, x, axis))]


def reshape(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    if n.opset < 5:
        target = n.const(i64(n.ints("shape")))
    else:
        target = n.input(1)
    # allowzero=1 (opset 14) means a 0 is a real zero dim, not "copy the input dim".
    return [n.out(ops.Reshape(special_zero=not n.attr("allowzero", 0)), x, target)]


def transpose(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    perm = n.ints("perm")
    if not perm:
        if x.shape.rank is None:
            return [n.out(ops.Transpose(), x, n.const(i64([])))]
        perm = list(range(x.shape.rank))[::-1]
    return [n.out(ops.Transpose(), x, n.const(i64(perm)))]


def _axes(n: OnnxNode, attr_until: int) -> Output | None:
    """Axes from the attribute (opset < attr_until) or from input 1."""
    if n.opset < attr_until:
        return n.const(i64(n.ints("axes"))) if n.has_attr("axes") else None
    return n.optional(1)


def unsqueeze(n: OnnxNode) -> list[Output]:
    axes = _axes(n, 13)
    if axes is None:
        raise n.error("axes are required")
    if axes.value is None:  # run-time axes: keep the output rank static
        return [dynamic.unsqueeze(n, n.input(0), axes)]
    return [n.out(ops.Unsqueeze(), n.input(0), axes)]


def squeeze(n: OnnxNode) -> list[Output]:
    axes = _axes(n, 13)
    if axes is None:
        return [n.out(ops.Squeeze(), n.input(0))]
    if axes.value is None:  # run-time axes: keep the output rank static
        return [dynamic.squeeze(n, n.input(0), axes)]
    return [n.out(ops.Squeeze(), n.input(0), axes)]


def concat(n: OnnxNode) -> list[Output]:
    xs = [x for x in n.inputs if x is not None]
    axis = n.attr("axis", 1 if n.opset < 4 else None)
    if axis is None:
        raise n.error("axis is required")
    return [n.out(ops.Concat(axis=int(axis)), *xs)]


def split(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    axis = int(n.attr("axis", 0))
    count = n.num_outputs
    if n.opset < 13:
        sizes = n.ints("split") or None
        split_input = n.const(i64(sizes)) if sizes else None
    else:
        split_input = n.optional(1)
    if split_input is None:
        if n.has_attr("num_outputs") and x.shape.rank is not None:
            dim = x.shape[axis]
            if isinstance(dim, int) and dim % count:
                # opset 18: the last chunk is smaller when the axis does not divide evenly
                part = -(-dim // count)
                sizes = [part] * (count - 1) + [dim - part * (count - 1)]
                node = n.add(ops.VariadicSplit(), x, n.const(i64(axis)), n.const(i64(sizes)))
                return list(node.outputs)
        return list(n.add(ops.Split(num_splits=count), x, n.const(i64(axis))).outputs)
    return list(n.add(ops.VariadicSplit(), x, n.const(i64(axis)), split_input).outputs)


def gather(n: OnnxNode) -> list[Output]:
    return [n.out(ops.Gather(), n.input(0), n.input(1), n.const(i64(int(n.attr("axis", 0)))))]


def slice_(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    if n.opset < 10:
        starts, ends = n.ints("starts"), n.ints("ends")
        axes = n.ints("axes") or list(range(len(starts)))
        return [n.out(ops.Slice(), x, n.const(i64(starts)), n.const(i64(ends)), n.const(i64([1] * len(starts))),
                      n.const(i64(axes)))]
    starts, ends = n.input(1), n.input(2)
    steps = n.optional(4)
    if steps is None:
        count = starts.shape[0] if starts.shape.rank == 1 and isinstance(starts.shape[0], int) else None
        if count is None:
            ones = n.out(ops.Broadcast(), n.const(i64(1)), n.out(ops.ShapeOf(), starts))
            steps = ones
        else:
            steps = n.const(i64([1] * count))
    axes = n.optional(3)
    inputs = [x, starts, ends, steps] + ([axes] if axes is not None else [])
    return [n.out(ops.Slice(), *inputs)]


def shape(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    s = n.out(ops.ShapeOf(), x)
    start, end = n.attr("start", 0), n.attr("end")
    if start == 0 and end is None:
        return [s]
    stop = end if end is not None else np.iinfo(np.int64).max
    return [n.out(ops.Slice(), s, n.const(i64([start])), n.const(i64([stop])), n.const(i64([1])))]


def size(n: OnnxNode) -> list[Output]:
    s = n.out(ops.ShapeOf(), n.input(0))
    return [n.out(ops.ReduceProd(keep_dims=False), s, n.const(i64([0])))]


def constant(n: OnnxNode) -> list[Output]:
    for key, dtype in (("value_float", np.float32), ("value_floats", np.float32), ("value_int", np.int64),
                       ("value_ints", np.int64)):
        if n.has_attr(key):
            return [n.const(np.asarray(n.attr(key), dtype))]
    if n.has_attr("value_string") or n.has_attr("value_strings"):
        value = n.attr("value_string") if n.has_attr("value_string") else n.attr("value_strings")
        return [n.const(np.asarray(value, dtype=object), ElementType.string)]
    if n.has_attr("sparse_value"):
        raise n.error("sparse constants are not supported")
    proto = next(a for a in n.proto.attribute if a.name == "value").t
    et = element_type(proto.data_type, n.name)
    value = n.attr("value")
    if et == ElementType.bf16:
        value = value.astype(np.float32)
    return [n.const(value, et)]


def constant_of_shape(n: OnnxNode) -> list[Output]:
    value = n.attr("value")
    if value is None:
        value = np.zeros((1,), np.float32)
    proto = next((a.t for a in n.proto.attribute if a.name == "value"), None)
    et = element_type(proto.data_type, n.name) if proto is not None else ElementType.f32
    scalar = n.const(np.asarray(value).reshape(()), et)
    return [n.out(ops.Broadcast(), scalar, n.input(0))]


def cast(n: OnnxNode) -> list[Output]:
    target = element_type(int(n.attr("to")), n.name)
    x = n.input(0)
    if x.element_type == target:
        return [x]
    return [n.out(ops.Convert(destination_type=target), x)]


def cast_like(n: OnnxNode) -> list[Output]:
    return [n.out(ops.ConvertLike(), n.input(0), n.input(1))]


def expand(n: OnnxNode) -> list[Output]:
    return [n.out(ops.Broadcast(mode="bidirectional"), n.input(0), n.input(1))]


def tile(n: OnnxNode) -> list[Output]:
    if n.input(1).value is None:  # run-time repeats
        return [dynamic.tile(n, n.input(0), n.input(1))]
    return [n.out(ops.Tile(), n.input(0), n.input(1))]


def pad(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    mode = n.attr("mode", "constant")
    if n.opset < 11:
        pads = n.ints("pads")
        value = n.const(np.array(n.attr("value", 0.0), x.element_type.numpy))
        half = len(pads) // 2
        begin, end = n.const(i64(pads[:half])), n.const(i64(pads[half:]))
    else:
        pads_v = n.value(1)
        axes = n.value(3) if n.has(3) else None
        if pads_v is None or (n.has(3) and axes is None):
            begin, end = dynamic.split_pads(n, x, n.input(1), n.optional(3))
            if mode == "wrap":
                return [dynamic.pad_wrap_runtime(n, x, begin, end)]
            value = n.optional(2) if n.has(2) else None
            if value is not None and value.shape.rank not in (0, None):
                value = n.out(ops.Squeeze(), value)
            inputs = [x, begin, end] + ([value] if value is not None and mode == "constant" else [])
            return [n.out(ops.Pad(pad_mode=mode), *inputs)]
        pads_l = [int(p) for p in pads_v]
        if x.shape.rank is None:
            raise n.error("Pad needs an input of known rank")
        rank = x.shape.rank
        if axes is not None:
            ax = [int(a) % rank for a in axes]
            full_b, full_e = [0] * rank, [0] * rank
            for k, a in enumerate(ax):
                full_b[a], full_e[a] = pads_l[k], pads_l[k + len(ax)]
        else:
            full_b, full_e = pads_l[:rank], pads_l[rank:]
        begin, end = n.const(i64(full_b)), n.const(i64(full_e))
        value = n.optional(2) if n.has(2) else None
        if value is not None and value.shape.rank not in (0, None):
            value = n.out(ops.Squeeze(), value)
    if mode == "wrap":
        return [dynamic.pad_wrap(n, x, [int(v) for v in begin.value], [int(v) for v in end.value])]  # type: ignore
    ov_mode = {"constant": "constant", "reflect": "reflect", "edge": "edge"}[mode]
    inputs = [x, begin, end] + ([value] if value is not None and ov_mode == "constant" else [])
    return [n.out(ops.Pad(pad_mode=ov_mode), *inputs)]


def dropout(n: OnnxNode) -> list[Output]:
    x = n.input(0)
    if n.output_used(1):
        mask = n.out(ops.Broadcast(), n.const(np.array(True)), n.out(ops.ShapeOf(), x))
        return [x, mask]
    return [x]


def range_(n: OnnxNode) -> list[Output]:
    """Range-11: start, limit, delta scalars of one type -> Range-4 with that output type."""
    start, limit, delta = (x if x.shape.rank in (0, None) else n.out(ops.Reshape(), x, n.const(i64([])))
                           for x in (n.input(0), n.input(1), n.input(2)))  # one-element tensors -> scalars
    return [n.out(ops.Range(output_type=start.element_type), start, limit, delta)]
