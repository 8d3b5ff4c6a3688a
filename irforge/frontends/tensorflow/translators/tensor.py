"""Tensor plumbing: reshapes, concatenation and splitting, slicing, gathering, padding, shapes, fills."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import TfNode
from .generic import cast_to, i64

INT64_MAX = np.iinfo(np.int64).max


def _axis(n: TfNode, i: int, what: str = "axis") -> int:
    return int(n.const_value(i, what).reshape(-1)[0])


def reshape(n: TfNode) -> list[Output]:
    """-> Reshape (a -1 is inferred; 0 is a real 0)."""
    return [n.out(ops.Reshape(special_zero=False), n.input(0), n.input(1))]


def squeeze(n: TfNode) -> list[Output]:
    """-> Squeeze of squeeze_dims (every size-1 dim of a static shape when empty)."""
    axes = n.ints("squeeze_dims", []) or n.ints("axis", [])
    x = n.input(0)
    if not axes:
        if not x.shape.is_static:
            raise n.error("Squeeze of every size-1 dim needs a static input shape (give squeeze_dims)")
        axes = [i for i, d in enumerate(x.shape) if d == 1]
    return [n.out(ops.Squeeze(), x, n.const(i64(axes)))]


def expand_dims(n: TfNode) -> list[Output]:
    """-> Unsqueeze."""
    return [n.out(ops.Unsqueeze(), n.input(0), n.input(1))]


def concat_v2(n: TfNode) -> list[Output]:
    """ConcatV2: the axis is the last input."""
    return [n.out(ops.Concat(axis=_axis(n, len(n.inputs) - 1)), *n.inputs[:-1])]


def concat(n: TfNode) -> list[Output]:
    """Concat (TF1): the axis is the first input."""
    return [n.out(ops.Concat(axis=_axis(n, 0)), *n.inputs[1:])]


def pack(n: TfNode) -> list[Output]:
    """Unsqueeze each input at axis, then Concat."""
    axis = int(n.attr("axis", 0))
    parts = [n.out(ops.Unsqueeze(), x, n.const(i64([axis]))) for x in n.inputs]
    return [n.out(ops.Concat(axis=axis), *parts)]


def unpack(n: TfNode) -> list[Output]:
    """Split along axis, then Squeeze each part."""
    x = n.input(0)
    axis = int(n.attr("axis", 0))
    count = int(n.attr("num"))
    node = n.add(ops.Split(num_splits=count), x, n.const(i64(axis)))
    return [n.out(ops.Squeeze(), part, n.const(i64([axis]))) for part in node.outputs]


def split(n: TfNode) -> list[Output]:
    """Split(axis, value)."""
    node = n.add(ops.Split(num_splits=int(n.attr("num_split"))), n.input(1), n.input(0))
    return list(node.outputs)


def split_v(n: TfNode) -> list[Output]:
    """SplitV(value, size_splits, axis): one size may be -1."""
    node = n.add(ops.VariadicSplit(), n.input(0), n.input(2), n.input(1))
    return list(node.outputs)


def transpose(n: TfNode) -> list[Output]:
    """-> Transpose."""
    return [n.out(ops.Transpose(), n.input(0), n.input(1))]


def shape(n: TfNode) -> list[Output]:
    """-> ShapeOf (out_type, int32 by default)."""
    return [n.out(ops.ShapeOf(output_type=n.type_attr("out_type", 3)), n.input(0))]


def shape_n(n: TfNode) -> list[Output]:
    """ShapeOf of each input."""
    et = n.type_attr("out_type", 3)
    return [n.out(ops.ShapeOf(output_type=et), x) for x in n.inputs]


def size(n: TfNode) -> list[Output]:
    """ReduceProd(ShapeOf(x))."""
    s = n.out(ops.ShapeOf(output_type=n.type_attr("out_type", 3)), n.input(0))
    return [n.out(ops.ReduceProd(keep_dims=False), s, n.const(i64([0])))]


def rank(n: TfNode) -> list[Output]:
    """ShapeOf(ShapeOf(x)) as a scalar."""
    s = n.out(ops.ShapeOf(output_type=ElementType.i32), n.input(0))
    r = n.out(ops.ShapeOf(output_type=ElementType.i32), s)
    return [n.out(ops.Squeeze(), r, n.const(i64([0])))]


def fill(n: TfNode) -> list[Output]:
    """-> Broadcast(value, dims)."""
    return [n.out(ops.Broadcast(), n.input(1), n.input(0))]


def range_(n: TfNode) -> list[Output]:
    """-> Range (output type Tidx)."""
    et = n.type_attr("Tidx", 3)
    start, limit, delta = (cast_to(n, n.input(i), et) for i in range(3))
    return [n.out(ops.Range(output_type=et), start, limit, delta)]


def tile(n: TfNode) -> list[Output]:
    """-> Tile."""
    return [n.out(ops.Tile(), n.input(0), n.input(1))]


def broadcast_to(n: TfNode) -> list[Output]:
    """-> Broadcast (numpy)."""
    return [n.out(ops.Broadcast(mode="numpy"), n.input(0), n.input(1))]


def _pads(n: TfNode) -> tuple[Output, Output]:
    """The [rank, 2] paddings input as (begin, end) vectors."""
    paddings = n.input(1)
    value = n.value(1)
    if value is not None:
        value = np.asarray(value, np.int64).reshape(-1, 2)
        return n.const(value[:, 0].copy()), n.const(value[:, 1].copy())
    column = [n.out(ops.Gather(), paddings, n.const(i64(k)), n.const(i64(1))) for k in (0, 1)]
    return column[0], column[1]


def pad(n: TfNode) -> list[Output]:
    """Pad / PadV2 (constant_values as input 2)."""
    x = n.input(0)
    begin, end = _pads(n)
    extra = [n.input(2)] if n.op_type == "PadV2" else []
    return [n.out(ops.Pad(pad_mode="constant"), x, begin, end, *extra)]


def mirror_pad(n: TfNode) -> list[Output]:
    """-> Pad in reflect / symmetric mode."""
    mode = n.attr("mode")
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise n.error(f"MirrorPad mode {mode!r} is not REFLECT or SYMMETRIC")
    begin, end = _pads(n)
    return [n.out(ops.Pad(pad_mode=mode.lower()), n.input(0), begin, end)]


def _bits(mask: int, count: int) -> tuple[int, ...]:
    return tuple((mask >> i) & 1 for i in range(count))


def strided_slice(n: TfNode) -> list[Output]:
    """StridedSlice: TF's integer bit masks become OpenVINO's per-index 0/1 lists (same meaning, bit i is
    index entry i); ellipsis, new axes and shrinking all carry over."""
    x, begin, end, strides = n.input(0), n.input(1), n.input(2), n.input(3)
    count = begin.shape[0] if begin.shape.rank == 1 and isinstance(begin.shape[0], int) else 32
    masks = {name: _bits(int(n.attr(name, 0)), count) for name in
             ("begin_mask", "end_mask", "new_axis_mask", "shrink_axis_mask", "ellipsis_mask")}
    return [n.out(ops.StridedSlice(**masks), x, begin, end, strides)]


def slice_(n: TfNode) -> list[Output]:
    """Slice(x, begin, size): a size of -1 runs to the end of the axis."""
    x, begin = n.input(0), n.input(1)
    b, s = n.value(1), n.value(2)
    if b is not None and s is not None:
        stop = [INT64_MAX if int(k) == -1 else int(a) + int(k) for a, k in zip(b.reshape(-1), s.reshape(-1))]
        start = n.const(i64(b.reshape(-1)))
        return [n.out(ops.Slice(), x, start, n.const(i64(stop)), n.const(i64([1] * len(stop))))]
    begin64 = cast_to(n, begin, ElementType.i64)
    size64 = cast_to(n, n.input(2), ElementType.i64)
    whole = n.out(ops.Equal(), size64, n.const(i64(-1)))
    stop = n.out(ops.Select(), whole, n.const(i64(INT64_MAX)), n.out(ops.Add(), begin64, size64))
    ones = n.out(ops.Broadcast(), n.const(i64(1)), n.out(ops.ShapeOf(), begin64))
    return [n.out(ops.Slice(), x, begin64, stop, ones)]


def gather_v2(n: TfNode) -> list[Output]:
    """-> Gather (axis input, batch_dims)."""
    return [n.out(ops.Gather(batch_dims=int(n.attr("batch_dims", 0))), n.input(0), n.input(1), n.input(2))]


def gather(n: TfNode) -> list[Output]:
    """Gather (TF1) / ResourceGather: along axis 0."""
    return [n.out(ops.Gather(batch_dims=int(n.attr("batch_dims", 0))), n.input(0), n.input(1),
                  n.const(i64(0)))]


def _full_rank(n: TfNode, x: Output, values: Output, fill: int, column: int | None = None) -> Output:
    """TF's per-spatial-dim values (block shape, or one column of [M, 2] paddings) as OpenVINO's one value
    per data axis: the batch axis and the trailing (channel) axes get `fill`."""
    rank = x.shape.rank
    if rank is None:
        raise n.error("needs an input of known rank")
    known = n.graph.constant_value(values)
    if known is not None:
        known = np.asarray(known, np.int64)
        part = known[:, column] if column is not None else known.reshape(-1)
        return n.const(i64([fill, *part.tolist(), *[fill] * (rank - 1 - part.size)]))
    part = values if column is None else n.out(ops.Gather(), values, n.const(i64(column)), n.const(i64(1)))
    part = cast_to(n, part, ElementType.i64)
    m = values.shape[0]
    if not isinstance(m, int):
        raise n.error("the number of block dims must be known")
    return n.out(ops.Concat(axis=0), n.const(i64([fill])), part, n.const(i64([fill] * (rank - 1 - m))))


def space_to_batch_nd(n: TfNode) -> list[Output]:
    """SpaceToBatchND(x, block_shape [M], paddings [M, 2]) on axes 1..M."""
    x, block, paddings = n.input(0), n.input(1), n.input(2)
    return [n.out(ops.SpaceToBatch(), x, _full_rank(n, x, block, 1), _full_rank(n, x, paddings, 0, 0),
                  _full_rank(n, x, paddings, 0, 1))]


def batch_to_space_nd(n: TfNode) -> list[Output]:
    """BatchToSpaceND(x, block_shape [M], crops [M, 2]) on axes 1..M."""
    x, block, crops = n.input(0), n.input(1), n.input(2)
    return [n.out(ops.BatchToSpace(), x, _full_rank(n, x, block, 1), _full_rank(n, x, crops, 0, 0),
                  _full_rank(n, x, crops, 0, 1))]


def space_to_batch(n: TfNode) -> list[Output]:
    """SpaceToBatch (TF1): 4-D NHWC, square block_size attribute, paddings input."""
    x = n.input(0)
    size = int(n.attr("block_size"))
    paddings = n.input(1)
    return [n.out(ops.SpaceToBatch(), x, n.const(i64([1, size, size, 1])), _full_rank(n, x, paddings, 0, 0),
                  _full_rank(n, x, paddings, 0, 1))]


def batch_to_space(n: TfNode) -> list[Output]:
    """BatchToSpace (TF1, 4-D NHWC, block_size attribute, crops input) -> BatchToSpace."""
    x = n.input(0)
    size = int(n.attr("block_size"))
    crops = n.input(1)
    return [n.out(ops.BatchToSpace(), x, n.const(i64([1, size, size, 1])), _full_rank(n, x, crops, 0, 0),
                  _full_rank(n, x, crops, 0, 1))]


def _static_nhwc(n: TfNode, x: Output) -> tuple[int, int, int, int]:
    if x.shape.rank != 4 or not all(isinstance(d, int) for d in x.shape.dims[1:]):  # type: ignore[union-attr]
        raise n.error(f"needs a 4-D input of known height, width and channels, got [{x.shape}]")
    return tuple(x.shape.dims)  # type: ignore[return-value]


def depth_to_space(n: TfNode) -> list[Output]:
    """DepthToSpace (NHWC): [N, H, W, b*b*C] -> [N, H*b, W*b, C] by Reshape / Transpose / Reshape."""
    if n.attr("data_format", "NHWC") != "NHWC":
        raise n.error("only NHWC DepthToSpace is supported")
    x = n.input(0)
    b = int(n.attr("block_size"))
    _, h, w, c = _static_nhwc(n, x)
    y = n.out(ops.Reshape(special_zero=True), x, n.const(i64([0, h, w, b, b, c // (b * b)])))
    y = n.out(ops.Transpose(), y, n.const(i64([0, 1, 3, 2, 4, 5])))
    return [n.out(ops.Reshape(special_zero=True), y, n.const(i64([0, h * b, w * b, c // (b * b)])))]


def space_to_depth(n: TfNode) -> list[Output]:
    """SpaceToDepth (NHWC): [N, H*b, W*b, C] -> [N, H, W, b*b*C] by Reshape / Transpose / Reshape."""
    if n.attr("data_format", "NHWC") != "NHWC":
        raise n.error("only NHWC SpaceToDepth is supported")
    x = n.input(0)
    b = int(n.attr("block_size"))
    _, h, w, c = _static_nhwc(n, x)
    y = n.out(ops.Reshape(special_zero=True), x, n.const(i64([0, h // b, b, w // b, b, c])))
    y = n.out(ops.Transpose(), y, n.const(i64([0, 1, 3, 2, 4, 5])))
    return [n.out(ops.Reshape(special_zero=True), y, n.const(i64([0, h // b, w // b, b * b * c])))]


def reverse_v2(n: TfNode) -> list[Output]:
    """ReverseV2(x, axes) -> Slice with step -1 on those axes."""
    x = n.input(0)
    axes = n.const_ints(1, "axes")
    if not axes:
        return [x]
    count = len(axes)
    return [n.out(ops.Slice(), x, n.const(i64([-1] * count)), n.const(i64([-(2 ** 62)] * count)),
                  n.const(i64([-1] * count)), n.const(i64(axes)))]


def where(n: TfNode) -> list[Output]:
    """Where(cond): the coordinates [count, rank] of the true (nonzero) elements, int64."""
    x = n.input(0)
    return [n.out(ops.Transpose(), n.out(ops.NonZero(output_type=ElementType.i64), x), n.const(i64([1, 0])))]


def gather_nd(n: TfNode) -> list[Output]:
    """GatherNd(params, indices) -> GatherND (batch_dims 0)."""
    return [n.out(ops.GatherND(), n.input(0), n.input(1))]


def one_hot(n: TfNode) -> list[Output]:
    """OneHot(indices, depth, on_value, off_value; axis) -> OneHot."""
    return [n.out(ops.OneHot(axis=int(n.attr("axis", -1))), n.input(0), n.input(1), n.input(2), n.input(3))]


def cumsum(n: TfNode) -> list[Output]:
    """Cumsum(x, axis; exclusive, reverse) -> CumSum."""
    return [n.out(ops.CumSum(exclusive=bool(n.attr("exclusive", False)), reverse=bool(n.attr("reverse", False))),
                  n.input(0), n.input(1))]
