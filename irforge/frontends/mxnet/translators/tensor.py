"""Tensor plumbing: Reshape (MXNet's special values), Flatten, transpose, expand_dims, squeeze, Concat, split,
slices, Crop, Pad, tile, repeat, stack, Cast, constants, take, one_hot, depth/space moves, nearest UpSampling."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output
from irforge.core.shape import Dim

from ..node import MxNode
from ..params import TYPE_FLAGS
from .common import i64, normalize_axis, scalar, scalar_like, shape_of

INT64_MAX = np.iinfo(np.int64).max
DTYPES = {"float32": ElementType.f32, "float16": ElementType.f16, "float64": ElementType.f64,
          "uint8": ElementType.u8, "int8": ElementType.i8, "int32": ElementType.i32, "int64": ElementType.i64,
          "bool": ElementType.boolean, "int16": ElementType.i16, "uint16": ElementType.u16,
          "uint32": ElementType.u32, "uint64": ElementType.u64, "bfloat16": ElementType.bf16}


def dtype(n: MxNode, key: str = "dtype", default: str = "float32") -> ElementType:
    name = n.str(key, default)
    if name.isdigit() and int(name) in TYPE_FLAGS:
        return TYPE_FLAGS[int(name)]
    if name not in DTYPES:
        raise n.error(f"{key}={name} is not a known type")
    return DTYPES[name]


# -- Reshape -----------------------------------------------------------------------------------------------------
Piece = tuple  # ("lit", v) | ("dims", [input axes whose product this dim is]) | ("infer",)


def mxnet_reshape_pieces(n: MxNode, target: list[int], rank: int, reverse: bool,
                         dims: list[Dim] | None = None) -> list[Piece]:
    """MXNet's InferReshapeShape as symbolic pieces: 0 copies an input dim, -1 is inferred, -2 copies every
    remaining dim, -3 merges two, -4 splits one into the next two values (either may be -1); reverse=True matches
    from the right. Pieces refer to input axes so dynamic dims stay symbolic."""
    axes = list(range(rank))
    spec = list(target)
    if reverse:
        axes.reverse()
        spec.reverse()
    pieces: list[Piece] = []
    src = 0
    i = 0

    def need(count: int) -> None:
        if src + count > rank:
            raise n.error(f"shape {tuple(target)} consumes more dims than the input's {rank}")

    while i < len(spec):
        p = spec[i]
        if p == 0:
            need(1)
            pieces.append(("dims", [axes[src]]))
            src += 1
        elif p == -1:
            pieces.append(("infer",))
            src += 1
        elif p == -2:
            pieces.extend(("dims", [a]) for a in axes[src:])
            src = rank
        elif p == -3:
            need(2)
            pieces.append(("dims", [axes[src], axes[src + 1]]))
            src += 2
        elif p == -4:
            need(1)
            if i + 2 >= len(spec):
                raise n.error(f"shape {tuple(target)}: -4 must be followed by two values")
            d1, d2 = spec[i + 1], spec[i + 2]
            if d1 == -1 and d2 == -1:
                raise n.error(f"shape {tuple(target)}: -4 cannot split into two -1s")
            whole = dims[axes[src]] if dims is not None else None
            if -1 in (d1, d2):
                known = d2 if d1 == -1 else d1
                if isinstance(whole, int):
                    d1, d2 = (whole // known, d2) if d1 == -1 else (d1, whole // known)
            pieces.extend([("lit", d1) if d1 != -1 else ("infer",), ("lit", d2) if d2 != -1 else ("infer",)])
            src += 1
            i += 2
        elif p > 0:
            pieces.append(("lit", p))
            src += 1
        else:
            raise n.error(f"shape {tuple(target)} has the value {p}; MXNet knows 0, -1, -2, -3 and -4")
        i += 1
    if reverse:
        pieces.reverse()
    return pieces


def reshape(n: MxNode) -> list[Output]:
    """Target shape with 0, -1, -2, -3, -4 and reverse (pre-0.9 target_shape / keep_highest too)."""
    x = n.input(0)
    rank = n.rank(x)
    if n.has("shape"):
        target = [int(v) for v in n.ints("shape")]
        reverse = n.bool("reverse", False)
    elif n.has("target_shape"):  # before MXNet 0.9: 0 = infer; keep_highest keeps the first dim
        target = [-1 if v == 0 else int(v) for v in n.ints("target_shape")]
        if n.bool("keep_highest", False):
            target[0] = 0
        reverse = False
    else:
        raise n.error("Reshape needs a shape")
    dims = list(x.shape.dims)  # type: ignore[arg-type]
    pieces = mxnet_reshape_pieces(n, target, rank, reverse, dims)
    return [n.out(ops.Reshape(special_zero=False), x, target_from_pieces(n, x, pieces, dims))]


def target_from_pieces(n: MxNode, x: Output, pieces: list[Piece], dims: list[Dim]) -> Output:
    """A constant target when every dim it copies is known; else one computed from ShapeOf(x)."""
    if pieces.count(("infer",)) > 1:
        raise n.error("a reshape may infer (-1) only one dim")
    values: list[int | None] = []
    for piece in pieces:
        if piece[0] == "lit":
            values.append(piece[1])
        elif piece[0] == "infer":
            values.append(-1)
        else:
            sizes = [dims[a] for a in piece[1]]
            values.append(int(np.prod(sizes)) if all(isinstance(s, int) for s in sizes) else None)
    if None not in values:
        return n.const(i64(values))
    shape = shape_of(n, x)
    parts = []
    for piece, value in zip(pieces, values):
        if value is not None:
            parts.append(n.const(i64([value])))
            continue
        picked = n.out(ops.Gather(), shape, n.const(i64(piece[1])), n.const(i64(0)))
        parts.append(n.out(ops.ReduceProd(keep_dims=True), picked, n.const(i64([0]))))
    return n.out(ops.Concat(axis=0), *parts)


def flatten(n: MxNode) -> list[Output]:
    """[d0, d1, ...] -> [d0, d1 * ...]."""
    return [n.out(ops.Reshape(special_zero=True), n.input(0), n.const(i64([0, -1])))]


def transpose(n: MxNode) -> list[Output]:
    """Transpose by `axes` (reversed when empty)."""
    x = n.input(0)
    axes = n.ints("axes")
    if not axes:
        axes = tuple(reversed(range(n.rank(x))))
    return [n.out(ops.Transpose(), x, n.const(i64(axes)))]


def swap_axis(n: MxNode) -> list[Output]:
    """Transpose swapping dim1 and dim2."""
    x = n.input(0)
    rank = n.rank(x)
    perm = list(range(rank))
    a, b = normalize_axis(n, n.int("dim1", 0), rank), normalize_axis(n, n.int("dim2", 0), rank)
    perm[a], perm[b] = perm[b], perm[a]
    return [n.out(ops.Transpose(), x, n.const(i64(perm)))]


def expand_dims(n: MxNode) -> list[Output]:
    """Unsqueeze at `axis`."""
    return [n.out(ops.Unsqueeze(), n.input(0), n.const(i64([n.int("axis")])))]


def squeeze(n: MxNode) -> list[Output]:
    """Squeeze `axis` (every size-1 axis when absent)."""
    x = n.input(0)
    axes = n.ints("axis")
    if not axes:
        if not x.shape.is_static:
            raise n.error("squeeze without axis needs a static input shape")
        axes = tuple(i for i, d in enumerate(x.shape.to_static()) if d == 1)
        if len(axes) == n.rank(x):  # MXNet keeps one dim of a squeezed all-ones shape
            axes = axes[1:]
    return [n.out(ops.Squeeze(), x, n.const(i64(axes)))]


def concat(n: MxNode) -> list[Output]:
    """Concat along `dim` (default 1)."""
    xs = [x for x in n.inputs if x is not None]
    if len(xs) == 1:
        return [xs[0]]
    return [n.out(ops.Concat(axis=n.int("dim", 1)), *xs)]


def stack(n: MxNode) -> list[Output]:
    """Unsqueeze each input at `axis`, then Concat."""
    xs = [x for x in n.inputs if x is not None]
    axis = n.int("axis", 0)
    axis_const = n.const(i64([axis]))
    return [n.out(ops.Concat(axis=axis), *[n.out(ops.Unsqueeze(), x, axis_const) for x in xs])]


def slice_channel(n: MxNode) -> list[Output]:
    """SliceChannel / split: num_outputs equal parts along axis; squeeze_axis drops the split axis."""
    x = n.input(0)
    count = n.int("num_outputs")
    axis = n.int("axis", 1)
    parts = list(n.add(ops.Split(num_splits=count), x, scalar(n, axis, ElementType.i64)).outputs)
    if n.bool("squeeze_axis", False):
        parts = [n.out(ops.Squeeze(), p, n.const(i64([axis]))) for p in parts]
    return parts


def split_v2(n: MxNode) -> list[Output]:
    """_split_v2: sections (equal parts) or indices (split points)."""
    x = n.input(0)
    axis = n.int("axis", 0)
    sections = n.int("sections", 0)
    if sections:
        parts = list(n.add(ops.Split(num_splits=sections), x, scalar(n, axis, ElementType.i64)).outputs)
    else:
        points = [int(i) for i in n.ints("indices")]
        dim = x.shape[axis] if x.shape.rank is not None else None
        if not isinstance(dim, int):
            raise n.error("split at indices needs the split axis' size")
        bounds = [p for p in points if p > 0] + [dim]
        sizes, start = [], 0
        for b in bounds:
            sizes.append(b - start)
            start = b
        parts = list(n.add(ops.VariadicSplit(), x, scalar(n, axis, ElementType.i64), n.const(i64(sizes))).outputs)
    if n.bool("squeeze_axis", False):
        parts = [n.out(ops.Squeeze(), p, n.const(i64([axis]))) for p in parts]
    return parts


def slice_(n: MxNode) -> list[Output]:
    """slice(begin, end, step): None entries take the whole axis (in the step's direction)."""
    x = n.input(0)
    begin, end = n.ints("begin"), n.ints("end")
    step = n.ints("step") or (1,) * len(begin)
    starts, stops, steps = [], [], []
    for b, e, s in zip(begin, end, list(step) + [1] * (len(begin) - len(step))):
        s = 1 if s is None else s
        starts.append((0 if s > 0 else -1) if b is None else b)
        stops.append((INT64_MAX if s > 0 else -INT64_MAX) if e is None else e)
        steps.append(s)
    return [n.out(ops.Slice(), x, n.const(i64(starts)), n.const(i64(stops)), n.const(i64(steps)),
                  n.const(i64(list(range(len(starts))))))]


def slice_axis(n: MxNode) -> list[Output]:
    """Slice one axis from begin to end (None: the end)."""
    x = n.input(0)
    end = n.int("end", None)
    return [n.out(ops.Slice(), x, n.const(i64([n.int("begin", 0)])), n.const(i64([INT64_MAX if end is None else end])),
                  n.const(i64([1])), n.const(i64([n.int("axis")])))]


def slice_like(n: MxNode) -> list[Output]:
    """x cut to shape_like's size on `axes` (all of shape_like's axes when empty), starting at 0."""
    x, like = n.input(0), n.input(1)
    axes = list(n.ints("axes")) or list(range(min(n.rank(x), n.rank(like, "shape_like input"))))
    stops = n.out(ops.Gather(), shape_of(n, like), n.const(i64(axes)), n.const(i64(0)))
    return [n.out(ops.Slice(), x, n.const(i64([0] * len(axes))), stops, n.const(i64([1] * len(axes))),
                  n.const(i64(axes)))]


def crop(n: MxNode) -> list[Output]:
    """Crop the two spatial axes to h_w (or to the second input's size), at offset or centred."""
    x = n.input(0)
    if not x.shape.is_static:
        raise n.error("Crop needs the input's shape: give --input_shape")
    height, width = x.shape.to_static()[2:4]
    if n.int("num_args", 1) >= 2:
        like = n.input(1)
        if like.shape.rank is None or not all(isinstance(d, int) for d in like.shape.dims[2:4]):  # type: ignore
            raise n.error("Crop needs the reference input's spatial size")
        h, w = like.shape[2], like.shape[3]
    else:
        h, w = n.ints("h_w")
    if n.bool("center_crop", False):
        top, left = (height - h) // 2, (width - w) // 2  # type: ignore[operator]
    else:
        top, left = (n.ints("offset") or (0, 0))
    return [n.out(ops.Slice(), x, n.const(i64([top, left])), n.const(i64([top + h, left + w])),  # type: ignore
                  n.const(i64([1, 1])), n.const(i64([2, 3])))]


def pad(n: MxNode) -> list[Output]:
    """Pad with mode constant (constant_value), edge or reflect."""
    x = n.input(0)
    widths = [int(v) for v in n.ints("pad_width")]
    mode = n.str("mode", "constant")
    begin, end = widths[0::2], widths[1::2]
    pad_mode = {"constant": "constant", "edge": "edge", "reflect": "reflect"}.get(mode)
    if pad_mode is None:
        raise n.error(f"mode {mode} is not one of constant, edge, reflect")
    args = [x, n.const(i64(begin)), n.const(i64(end))]
    if pad_mode == "constant":
        args.append(scalar_like(n, x, n.float("constant_value", 0.0)))
    return [n.out(ops.Pad(pad_mode=pad_mode), *args)]


def tile(n: MxNode) -> list[Output]:
    """Tile by `reps`."""
    return [n.out(ops.Tile(), n.input(0), n.const(i64(n.ints("reps"))))]


def repeat(n: MxNode) -> list[Output]:
    """Each element `repeats` times along axis (the flattened input when axis is None)."""
    x = n.input(0)
    count = n.int("repeats")
    axis = n.int("axis", None)
    if axis is None:
        x = n.out(ops.Reshape(special_zero=False), x, n.const(i64([-1])))
        axis = 0
    rank = n.rank(x)
    axis = normalize_axis(n, axis, rank)
    if not x.shape.is_static:
        raise n.error("repeat needs a static input shape")
    dims = list(x.shape.to_static())
    expanded = n.out(ops.Unsqueeze(), x, n.const(i64([axis + 1])))
    reps = [1] * (rank + 1)
    reps[axis + 1] = count
    tiled = n.out(ops.Tile(), expanded, n.const(i64(reps)))
    dims[axis] *= count
    return [n.out(ops.Reshape(special_zero=False), tiled, n.const(i64(dims)))]


def cast(n: MxNode) -> list[Output]:
    """Convert to `dtype`."""
    return [n.out(ops.Convert(dtype(n)), n.input(0))]


def _filled(value: float):
    def translate(n: MxNode) -> list[Output]:
        # A 0 is a dim MXNet infers from the consumer (gluon's RNN begin states): size 1 here, and the
        # consumer broadcasts it (the RNN translator does; the values are all `value` anyway).
        shape = [max(int(d), 1) if d is not None else 1 for d in n.ints("shape")]
        return [n.const(np.full(shape, value, dtype(n).numpy), dtype(n))]
    translate.__doc__ = f"A constant of `shape` filled with {value:g} (an unknown 0 dim becomes 1: consumers broadcast)."
    return translate


zeros = _filled(0.0)
ones = _filled(1.0)


def full(n: MxNode) -> list[Output]:
    """A constant of `shape` filled with `value`."""
    return _filled(n.float("value", 0.0))(n)


def _filled_like(value: float):
    def translate(n: MxNode) -> list[Output]:
        x = n.input(0)
        return [n.out(ops.Broadcast(), scalar_like(n, x, value), shape_of(n, x))]
    translate.__doc__ = f"Broadcast {value:g} to the input's shape."
    return translate


zeros_like = _filled_like(0.0)
ones_like = _filled_like(1.0)


def arange(n: MxNode) -> list[Output]:
    """A constant: start, stop, step, repeat."""
    start, stop, step = n.float("start", 0.0), n.float("stop", None), n.float("step", 1.0)
    if stop is None:
        start, stop = 0.0, start
    values = np.arange(start, stop, step)
    values = np.repeat(values, n.int("repeat", 1))
    et = dtype(n)
    return [n.const(values.astype(et.numpy), et)]


def take(n: MxNode) -> list[Output]:
    """Gather along axis; mode clip (default) clamps the indices, wrap takes them modulo the axis size."""
    data, indices = n.input(0), n.input(1)
    axis = n.int("axis", 0)
    index = n.out(ops.Convert(ElementType.i64), indices) if indices.element_type != ElementType.i64 else indices
    mode = n.str("mode", "clip")
    rank = n.rank(data)
    dim = data.shape[normalize_axis(n, axis, rank)]
    size = n.out(ops.Gather(), shape_of(n, data), n.const(i64([normalize_axis(n, axis, rank)])), n.const(i64(0)))
    if mode == "clip":
        if isinstance(dim, int):
            index = n.out(ops.Clamp(min=0.0, max=float(dim - 1)), index)
        else:
            index = n.out(ops.Minimum(), n.out(ops.Maximum(), index, n.const(i64(0))),
                          n.out(ops.Subtract(), size, n.const(i64(1))))
    elif mode == "wrap":
        index = n.out(ops.FloorMod(), index, size)
    return [n.out(ops.Gather(), data, index, n.const(i64(axis)))]


def one_hot(n: MxNode) -> list[Output]:
    """on_value where the index equals the position along a new last axis of size depth, else off_value."""
    indices = n.input(0)
    depth = n.int("depth")
    et = dtype(n)
    index = n.out(ops.Convert(ElementType.i64), indices)
    hit = n.out(ops.Equal(), n.out(ops.Unsqueeze(), index, n.const(i64([-1]))), n.const(i64(np.arange(depth))))
    on = n.const(np.asarray(n.float("on_value", 1.0)).astype(et.numpy), et)
    off = n.const(np.asarray(n.float("off_value", 0.0)).astype(et.numpy), et)
    return [n.out(ops.Select(), hit, on, off)]


def depth_to_space(n: MxNode) -> list[Output]:
    """[N, C, H, W] -> [N, C/b^2, H*b, W*b], depth split as (b, b, C/b^2) (DCR, as MXNet does)."""
    x = n.input(0)
    b = n.int("block_size")
    if not x.shape.is_static:
        raise n.error("depth_to_space needs a static input shape")
    N, C, H, W = x.shape.to_static()
    y = n.out(ops.Reshape(), x, n.const(i64([N, b, b, C // (b * b), H, W])))
    y = n.out(ops.Transpose(), y, n.const(i64([0, 3, 4, 1, 5, 2])))
    return [n.out(ops.Reshape(), y, n.const(i64([N, C // (b * b), H * b, W * b])))]


def space_to_depth(n: MxNode) -> list[Output]:
    """[N, C, H, W] -> [N, C*b^2, H/b, W/b], the inverse of depth_to_space."""
    x = n.input(0)
    b = n.int("block_size")
    if not x.shape.is_static:
        raise n.error("space_to_depth needs a static input shape")
    N, C, H, W = x.shape.to_static()
    y = n.out(ops.Reshape(), x, n.const(i64([N, C, H // b, b, W // b, b])))
    y = n.out(ops.Transpose(), y, n.const(i64([0, 3, 5, 1, 2, 4])))
    return [n.out(ops.Reshape(), y, n.const(i64([N, C * b * b, H // b, W // b])))]


def upsampling(n: MxNode) -> list[Output]:
    """UpSampling: nearest repeats each pixel scale x scale times (several inputs: each scaled to the first's
    output size, then concatenated or summed); bilinear is a grouped deconvolution with its weight input."""
    scale = n.int("scale")
    if n.str("sample_type", "nearest") == "bilinear":
        x, w = n.input(0), n.input(1)
        channels = n.int("num_filter", None) or (x.shape[1] if x.shape.rank else None)
        if not isinstance(channels, int):
            raise n.error("bilinear UpSampling needs the channel count")
        kernel = 2 * scale - scale % 2
        pad = int(np.ceil((scale - 1) / 2))
        weights = n.out(ops.Reshape(), w, n.const(i64([channels, 1, 1, kernel, kernel])))
        return [n.out(ops.GroupConvolutionBackpropData(strides=(scale, scale), dilations=(1, 1), pads_begin=(pad, pad),
                                                       pads_end=(pad, pad), output_padding=(0, 0)), x, weights)]
    xs = [x for x in n.inputs if x is not None]
    first = xs[0]
    if not first.shape.is_static:
        raise n.error("nearest UpSampling needs static input shapes")
    height = first.shape[2] * scale  # type: ignore[operator]
    outs = []
    for x in xs:
        if not x.shape.is_static:
            raise n.error("nearest UpSampling needs static input shapes")
        N, C, H, W = x.shape.to_static()
        s = height // H
        y = n.out(ops.Reshape(), x, n.const(i64([N, C, H, 1, W, 1])))
        y = n.out(ops.Tile(), y, n.const(i64([1, 1, 1, s, 1, s])))
        outs.append(n.out(ops.Reshape(), y, n.const(i64([N, C, H * s, W * s]))))
    if len(outs) == 1:
        return outs
    if n.str("multi_input_mode", "concat") == "sum":
        acc = outs[0]
        for y in outs[1:]:
            acc = n.out(ops.Add(), acc, y)
        return [acc]
    return [n.out(ops.Concat(axis=1), *outs)]
