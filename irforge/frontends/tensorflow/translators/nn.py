"""Convolutions, pooling, batch normalization and LRN.

TensorFlow's default layout is channels-last (NHWC); OpenVINO's convolution and pooling are channels-first. Each
channels-last layer is translated as Transpose(to NCHW) -> op -> Transpose(back to NHWC), with the weights
transposed at conversion; the sink_transposes pass then cancels the pairs between consecutive layers, so the IR
keeps the model's own layout at its inputs and outputs and has transposes only where the layout really changes.
"""
from __future__ import annotations

from irforge import ops
from irforge.core.graph import Output
from irforge.frontends.base import channels_first, channels_last
from irforge.ops import AutoPad, RoundingType

from ..node import TfNode
from .generic import i64, scalar_like

PADDING = {"SAME": AutoPad.SAME_UPPER, "VALID": AutoPad.VALID, "EXPLICIT": AutoPad.EXPLICIT}


def _channels_last(fmt: str) -> bool:
    return not fmt.startswith("NC")


def _spatial(values: list[int], fmt: str) -> tuple[int, ...]:
    """The spatial entries of a per-dimension attribute (strides, dilations, ksize) in data-format order."""
    return tuple(values[1:-1]) if _channels_last(fmt) else tuple(values[2:])


def _window(n: TfNode, rank: int, fmt: str) -> dict:
    padding = n.attr("padding")
    if padding not in PADDING:
        raise n.error(f"padding {padding!r} is not one of SAME, VALID, EXPLICIT")
    spatial = rank - 2
    begin = end = (0,) * spatial
    if padding == "EXPLICIT":
        pads = n.ints("explicit_paddings")
        pairs = [tuple(pads[2 * i:2 * i + 2]) for i in range(rank)]
        pairs = pairs[1:-1] if _channels_last(fmt) else pairs[2:]
        begin, end = tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    return {"auto_pad": PADDING[padding], "pads_begin": begin, "pads_end": end,
            "strides": _spatial(n.ints("strides", [1] * rank), fmt)}


def _rank(n: TfNode, default: int) -> int:
    x = n.input(0)
    return x.shape.rank if x.shape.rank is not None else default


def _to_internal(n: TfNode, x: Output, fmt: str) -> Output:
    return channels_first(n, x) if _channels_last(fmt) else x


def _to_model(n: TfNode, y: Output, fmt: str) -> Output:
    return channels_last(n, y) if _channels_last(fmt) else y


def conv(n: TfNode) -> list[Output]:
    """Conv2D / Conv3D: filters [*K, I, O] -> [O, I, *K]."""
    x, w = n.input(0), n.input(1)
    fmt = n.data_format()
    rank = _rank(n, 5 if n.op_type == "Conv3D" else 4)
    attrs = _window(n, rank, fmt)
    attrs["dilations"] = _spatial(n.ints("dilations", [1] * rank), fmt)
    weights = n.out(ops.Transpose(), w, n.const(i64([rank - 1, rank - 2, *range(rank - 2)])))
    if w.shape.rank == rank and x.shape.rank == rank:
        in_channels, per_group = x.shape[-1 if _channels_last(fmt) else 1], w.shape[rank - 2]
        if isinstance(in_channels, int) and isinstance(per_group, int) and in_channels != per_group:
            return [_grouped_conv(n, x, weights, attrs, fmt, in_channels // per_group)]
    y = n.out(ops.Convolution(**attrs), _to_internal(n, x, fmt), weights)
    return [_to_model(n, y, fmt)]


def _grouped_conv(n: TfNode, x: Output, weights: Output, attrs: dict, fmt: str, groups: int) -> Output:
    """Conv2D whose input has `groups` times the filter's input channels (Keras Conv2D(groups=...))."""
    out_channels = weights.shape[0]
    grouped = n.out(ops.Reshape(), weights, n.const(i64([groups, out_channels // groups, *weights.shape.dims[1:]])))
    y = n.out(ops.GroupConvolution(**attrs), _to_internal(n, x, fmt), grouped)
    return _to_model(n, y, fmt)


def depthwise_conv(n: TfNode) -> list[Output]:
    """DepthwiseConv2dNative: filters [H, W, C, M] -> groups [C, M, 1, H, W]."""
    x, w = n.input(0), n.input(1)
    fmt = n.data_format()
    attrs = _window(n, 4, fmt)
    attrs["dilations"] = _spatial(n.ints("dilations", [1, 1, 1, 1]), fmt)
    weights = n.out(ops.Transpose(), w, n.const(i64([2, 3, 0, 1])))
    weights = n.out(ops.Unsqueeze(), weights, n.const(i64([2])))
    y = n.out(ops.GroupConvolution(**attrs), _to_internal(n, x, fmt), weights)
    return [_to_model(n, y, fmt)]


def conv_backprop_input(n: TfNode) -> list[Output]:
    """Conv2DBackpropInput / Conv3DBackpropInputV2 (transposed convolution): input_sizes, filters [*K, I, O],
    out_backprop -> ConvolutionBackpropData with filters [O, I, *K]. The padding is the forward convolution's:
    with known sizes it is given explicitly (SAME: total // 2 before, the rest after) plus the output padding
    that reaches input_sizes; otherwise the output shape is passed and SAME puts the odd pad at the end."""
    sizes, w, dy = n.input(0), n.input(1), n.input(2)
    fmt = n.data_format()
    rank = dy.shape.rank if dy.shape.rank is not None else (5 if "3D" in n.op_type else 4)
    attrs = _window(n, rank, fmt)
    dilations = _spatial(n.ints("dilations", [1] * rank), fmt)
    weights = n.out(ops.Transpose(), w, n.const(i64([rank - 1, rank - 2, *range(rank - 2)])))
    spatial_axes = list(range(1, rank - 1)) if _channels_last(fmt) else list(range(2, rank))
    target = n.value(0)
    kernel = w.shape.dims[:rank - 2] if w.shape.rank == rank else None
    inner = [dy.shape[a] for a in spatial_axes] if dy.shape.rank == rank else None
    attrs["dilations"] = dilations
    static = target is not None and kernel is not None and inner is not None and \
        all(isinstance(d, int) for d in [*kernel, *inner])
    if static:
        out = [int(target.reshape(-1)[a]) for a in spatial_axes]
        begin, end, extra = [], [], []
        for size, k, s, d, o in zip(inner, kernel, attrs["strides"], dilations, out):
            full = (size - 1) * s + (k - 1) * d + 1
            total = max(full - o, 0) if attrs["auto_pad"] == AutoPad.SAME_UPPER else 0
            if attrs["auto_pad"] == AutoPad.EXPLICIT:
                total = attrs["pads_begin"][len(begin)] + attrs["pads_end"][len(begin)]
            lo = total // 2 if attrs["auto_pad"] != AutoPad.EXPLICIT else attrs["pads_begin"][len(begin)]
            begin.append(lo)
            end.append(total - lo)
            extra.append(o - (full - total))
        if any(e < 0 or e >= s for e, s in zip(extra, attrs["strides"])):
            raise n.error(f"input_sizes {out} cannot come from out_backprop {inner} with these strides and pads")
        attrs.update(auto_pad=AutoPad.EXPLICIT, pads_begin=tuple(begin), pads_end=tuple(end))
        y = n.out(ops.ConvolutionBackpropData(**attrs, output_padding=tuple(extra)), _to_internal(n, dy, fmt),
                  weights)
        return [_to_model(n, y, fmt)]
    out_shape = n.out(ops.Gather(), sizes, n.const(i64(spatial_axes)), n.const(i64(0)))
    if attrs["auto_pad"] == AutoPad.SAME_UPPER:
        attrs["auto_pad"] = AutoPad.SAME_LOWER  # with an output shape, OpenVINO's SAME_LOWER crops at the end
    elif attrs["auto_pad"] == AutoPad.VALID:
        attrs["auto_pad"] = AutoPad.EXPLICIT
    y = n.out(ops.ConvolutionBackpropData(**attrs, output_padding=(0,) * (rank - 2)), _to_internal(n, dy, fmt),
              weights, out_shape)
    return [_to_model(n, y, fmt)]


def pool(kind: str):
    """MaxPool / AvgPool (2-D and 3-D, ksize and strides as attributes or, for *V2, as inputs)."""
    def translate(n: TfNode) -> list[Output]:
        x = n.input(0)
        fmt = n.data_format()
        rank = _rank(n, 5 if "3D" in n.op_type else 4)
        attrs = _window(n, rank, fmt)
        if n.op_type.endswith("V2"):
            kernel = _spatial(n.const_ints(1, "ksize"), fmt)
            attrs["strides"] = _spatial(n.const_ints(2, "strides"), fmt)
        else:
            kernel = _spatial(n.ints("ksize"), fmt)
        attrs.update(kernel=kernel, rounding_type=RoundingType.FLOOR)
        if kind == "max":
            op = ops.MaxPoolV1(**attrs)
        else:
            op = ops.AvgPool(**attrs, exclude_pad=True)  # TF averages over the valid (unpadded) elements
        return [_to_model(n, n.out(op, _to_internal(n, x, fmt)), fmt)]
    translate.__doc__ = ("-> MaxPool (opset1)" if kind == "max" else
                         "-> AvgPool excluding padding (TF averages the valid elements)") + ", NCHW inside."
    return translate


def fused_batch_norm(n: TfNode) -> list[Output]:
    """FusedBatchNorm(V2/V3) at inference: y = x * a + b, a = scale / sqrt(var + eps), b = offset - mean * a,
    per channel (constant inputs fold). In training mode the statistics are the batch's own."""
    x, scale, offset, mean, var = (n.input(i) for i in range(5))
    fmt = n.data_format()
    eps = float(n.attr("epsilon", 1e-4))
    rank = x.shape.rank if x.shape.rank is not None else 4
    channel_axis = rank - 1 if _channels_last(fmt) else 1

    def per_channel(v: Output) -> Output:
        if channel_axis == rank - 1:
            return v
        return n.out(ops.Reshape(), v, n.const(i64([-1] + [1] * (rank - 2))))

    if n.attr("is_training", True):
        axes = n.const(i64([a for a in range(rank) if a != channel_axis]))
        mean = n.out(ops.ReduceMean(keep_dims=False), x, axes)
        centered = n.out(ops.Subtract(), x, per_channel(mean))
        var = n.out(ops.ReduceMean(keep_dims=False), n.out(ops.Multiply(), centered, centered), axes)
    a = n.out(ops.Divide(), scale, n.out(ops.Sqrt(), n.out(ops.Add(), var, scalar_like(n, eps, var))))
    b = n.out(ops.Subtract(), offset, n.out(ops.Multiply(), mean, a))
    y = n.out(ops.Add(), n.out(ops.Multiply(), x, per_channel(a)), per_channel(b))
    return [y, mean, var, mean, var, mean]


def lrn(n: TfNode) -> list[Output]:
    """LRN over the channels of NHWC data: TF sums depth_radius neighbours each side and scales alpha per
    element; OpenVINO's alpha is divided by the window size."""
    x = n.input(0)
    radius = int(n.attr("depth_radius", 5))
    size = 2 * radius + 1
    alpha, beta, bias = float(n.attr("alpha", 1.0)), float(n.attr("beta", 0.5)), float(n.attr("bias", 1.0))
    # x / (bias + alpha * s)^beta = bias^-beta * x / (1 + alpha / bias * s)^beta: the OpenVINO CPU plugin
    # truncates a fractional LRN bias to an integer, so the bias is moved into a scale.
    op = ops.LRN(alpha=alpha / bias * size, beta=beta, bias=1.0, size=size)
    y = channels_last(n, n.out(op, channels_first(n, x), n.const(i64([1]))))
    if bias != 1.0:
        y = n.out(ops.Multiply(), y, scalar_like(n, bias ** -beta, y))
    return [y]


def l2_loss(n: TfNode) -> list[Output]:
    """sum(x * x) / 2."""
    x = n.input(0)
    total = n.out(ops.ReduceSum(keep_dims=False), n.out(ops.Multiply(), x, x),
                  n.const(i64(list(range(x.shape.rank or 0)))))
    return [n.out(ops.Multiply(), total, scalar_like(n, 0.5, x))]

