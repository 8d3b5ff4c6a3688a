"""Layers: Convolution, Deconvolution, Pooling, FullyConnected, normalizations, activations, softmax family,
Embedding."""
from __future__ import annotations

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output
from irforge.ops import AutoPad, RoundingType

from ..node import MxNode
from .common import along_axis, i64, normalize_axis, reshaped, scalar_like, shape_of

CHANNEL_FIRST = (None, "NCW", "NCHW", "NCDHW")


def _check_layout(n: MxNode) -> None:
    if n.str("layout") not in CHANNEL_FIRST:
        raise n.error(f"layout {n.str('layout')} is not supported: only channel-first layouts (NCHW) convert")


def _window(n: MxNode, spatial: int, key: str, default: int) -> tuple[int, ...]:
    values = n.ints(key) or (default,) * spatial
    if len(values) != spatial:
        raise n.error(f"{key}={values} must have {spatial} values (kernel has {spatial})")
    return tuple(int(v) for v in values)


def _bias(n: MxNode, y: Output, bias_index: int) -> Output:
    if n.bool("no_bias", False) or n.optional(bias_index) is None:
        return y
    return n.out(ops.Add(), y, along_axis(n, n.input(bias_index), n.rank(y, "output")))


def convolution(n: MxNode) -> list[Output]:
    """weight [O, C/G, *K]; groups give GroupConvolution with weights [G, O/G, C/G, *K]."""
    _check_layout(n)
    kernel = n.ints("kernel")
    spatial = len(kernel)
    x, w = n.input(0), n.input(1)
    attrs = dict(strides=_window(n, spatial, "stride", 1), dilations=_window(n, spatial, "dilate", 1),
                 pads_begin=_window(n, spatial, "pad", 0), pads_end=_window(n, spatial, "pad", 0))
    groups = n.int("num_group", 1)
    if groups == 1:
        y = n.out(ops.Convolution(**attrs), x, w)
    else:
        if not w.shape.is_static:
            raise n.error("grouped convolution needs weights of a known shape")
        out_c, *rest = w.shape.to_static()
        y = n.out(ops.GroupConvolution(**attrs), x, reshaped(n, w, [groups, out_c // groups, *rest]))
    return [_bias(n, y, 2)]


def deconvolution(n: MxNode) -> list[Output]:
    """weight [C, O/G, *K]. out = stride*(in-1) + dilate*(k-1) + 1 - 2*pad + adj; with target_shape MXNet derives
    pad = ceil(total/2) and adj = total % 2 from total = stride*(in-1) + dilate*(k-1) + 1 - target."""
    _check_layout(n)
    kernel = n.ints("kernel")
    spatial = len(kernel)
    x, w = n.input(0), n.input(1)
    strides, dilations = _window(n, spatial, "stride", 1), _window(n, spatial, "dilate", 1)
    pads, adj = list(_window(n, spatial, "pad", 0)), list(_window(n, spatial, "adj", 0))
    target = [t for t in n.ints("target_shape") if t is not None]
    if target and any(t > 0 for t in target):
        if len(target) != spatial:
            raise n.error(f"target_shape {target} must have {spatial} values")
        if x.shape.rank is None or not all(isinstance(d, int) for d in x.shape.dims[2:]):  # type: ignore[index]
            raise n.error("target_shape needs the input's spatial dims: give --input_shape")
        for i, t in enumerate(target):
            total = strides[i] * (x.shape[2 + i] - 1) + dilations[i] * (kernel[i] - 1) + 1 - t  # type: ignore
            if total < 0:
                raise n.error(f"target_shape {target} is larger than the deconvolution can produce")
            pads[i], adj[i] = (total + 1) // 2, total % 2
    attrs = dict(strides=strides, dilations=dilations, pads_begin=tuple(pads), pads_end=tuple(pads),
                 output_padding=tuple(adj))
    groups = n.int("num_group", 1)
    if groups == 1:
        y = n.out(ops.ConvolutionBackpropData(**attrs), x, w)
    else:
        if not w.shape.is_static:
            raise n.error("grouped deconvolution needs weights of a known shape")
        in_c, *rest = w.shape.to_static()
        y = n.out(ops.GroupConvolutionBackpropData(**attrs), x, reshaped(n, w, [groups, in_c // groups, *rest]))
    return [_bias(n, y, 2)]


def pooling(n: MxNode) -> list[Output]:
    """max / avg / sum (global too, and global lp 1/2); pooling_convention valid, full (ceil), same; count_include_pad."""
    _check_layout(n)
    x = n.input(0)
    pool_type = n.str("pool_type", "max")
    if n.bool("global_pool", False):
        rank = n.rank(x)
        axes = n.const(i64(list(range(2, rank))))
        reduce = {"max": ops.ReduceMax, "avg": ops.ReduceMean, "sum": ops.ReduceSum}.get(pool_type)
        if pool_type == "lp" and n.int("p_value", 2) in (1, 2):
            reduce = ops.ReduceL2 if n.int("p_value", 2) == 2 else ops.ReduceL1
        if reduce is None:
            raise n.error(f"pool_type {pool_type} is not supported")
        return [n.out(reduce(keep_dims=True), x, axes)]
    kernel = tuple(int(k) for k in n.ints("kernel"))
    spatial = len(kernel)
    convention = n.str("pooling_convention", "valid")
    attrs = dict(kernel=kernel, strides=_window(n, spatial, "stride", 1), pads_begin=_window(n, spatial, "pad", 0),
                 pads_end=_window(n, spatial, "pad", 0))
    if convention == "full":
        # MXNet: out = 1 + ceil((in + 2 * pad - kernel) / stride), the last window may run past the end pad.
        attrs["rounding_type"] = RoundingType.CEIL
    elif convention == "same":
        attrs.update(auto_pad=AutoPad.SAME_UPPER, pads_begin=(0,) * spatial, pads_end=(0,) * spatial)
    elif convention != "valid":
        raise n.error(f"pooling_convention {convention} is not one of valid, full, same")
    if pool_type == "max":
        return [n.add(ops.MaxPool(**attrs, axis=0), x).outputs[0]]
    if pool_type not in ("avg", "sum"):
        raise n.error(f"pool_type {pool_type} is not supported (max, avg, sum and global lp are)")
    include_pad = n.bool("count_include_pad", True) or pool_type == "sum"
    overflow = _window_overflow(n, x, attrs) if convention == "full" else None
    if include_pad and (pool_type == "sum" or (overflow and any(overflow))):
        # MXNet counts the padding in the divisor but not a last (ceil) window's part past the end padding;
        # OpenVINO counts both. So pad explicitly (the padding then counts as data) and let a window's part
        # past the end be excluded: exact for avg, and sum = that avg * window size needs every window full.
        extra = overflow or (0,) * spatial
        pads_begin, pads_end = attrs["pads_begin"], attrs["pads_end"]
        rank = n.rank(x)
        x = n.out(ops.Pad(pad_mode="constant"), x, n.const(i64([0, 0, *pads_begin])),
                  n.const(i64([0, 0, *(p + (e if pool_type == "sum" else 0) for p, e in zip(pads_end, extra))])),
                  scalar_like(n, x, 0.0))
        attrs.update(pads_begin=(0,) * spatial, rounding_type=RoundingType.FLOOR,
                     pads_end=(0,) * spatial if pool_type == "sum" else tuple(extra))
        assert rank == spatial + 2
        y = n.out(ops.AvgPool(**attrs, exclude_pad=pool_type == "avg"), x)
        if pool_type == "sum":
            y = n.out(ops.Multiply(), y, scalar_like(n, y, float(np.prod(kernel))))
        return [y]
    return [n.out(ops.AvgPool(**attrs, exclude_pad=not include_pad), x)]


def _window_overflow(n: MxNode, x: Output, attrs: dict) -> tuple[int, ...] | None:
    """How far the last 'full' (ceil) window runs past the end padding on each axis (None if unknown)."""
    if x.shape.rank is None or not all(isinstance(d, int) for d in x.shape.dims[2:]):  # type: ignore[index]
        return None
    out = []
    for size, k, s, b, e in zip(x.shape.dims[2:], attrs["kernel"], attrs["strides"], attrs["pads_begin"],  # type: ignore
                                attrs["pads_end"]):
        count = 1 + -(-(size + b + e - k) // s)
        out.append(max(0, (count - 1) * s + k - (size + b + e)))
    return tuple(out)


def fully_connected(n: MxNode) -> list[Output]:
    """y = x W^T + b; flatten=True (the default) first folds every axis after the first into one."""
    x, w = n.input(0), n.input(1)
    if n.bool("flatten", True) and (x.shape.rank is None or x.shape.rank != 2):
        x = n.out(ops.Reshape(special_zero=True), x, n.const(i64([0, -1])))
    y = n.out(ops.MatMul(transpose_b=True), x, w)
    if not n.bool("no_bias", False) and n.optional(2) is not None:
        y = n.out(ops.Add(), y, n.input(2))
    return [y]


def batch_norm(n: MxNode) -> list[Output]:
    """Inference uses the moving statistics. fix_gamma (MXNet's default: True) means gamma = 1."""
    x, gamma, beta, mean, var = (n.input(i) for i in range(5))
    eps = n.float("eps", 1e-3)
    rank = n.rank(x)
    axis = normalize_axis(n, n.int("axis", 1), rank)
    if n.bool("fix_gamma", True):
        gamma = n.out(ops.Broadcast(), scalar_like(n, beta, 1.0), shape_of(n, beta))
    if axis == 1 and rank >= 2:
        y = n.out(ops.BatchNormInference(epsilon=eps), x, gamma, beta, mean, var)
    else:  # another channel axis: (x - mean) * gamma / sqrt(var + eps) + beta, the constants fold
        std = n.out(ops.Sqrt(), n.out(ops.Add(), var, scalar_like(n, var, eps)))
        scale = n.out(ops.Divide(), gamma, std)
        shift = n.out(ops.Subtract(), beta, n.out(ops.Multiply(), mean, scale))
        y = n.out(ops.Add(), n.out(ops.Multiply(), x, along_axis(n, scale, rank, axis)),
                  along_axis(n, shift, rank, axis))
    if n.bool("output_mean_var", False):
        return [y, mean, var]
    return [y]


def instance_norm(n: MxNode) -> list[Output]:
    """Per sample and channel over the spatial axes: (x - mean) / sqrt(var + eps) * gamma + beta."""
    x, gamma, beta = n.input(0), n.input(1), n.input(2)
    rank = n.rank(x)
    y = n.out(ops.MVN(normalize_variance=True, eps=n.float("eps", 1e-3), eps_mode="inside_sqrt"), x,
              n.const(i64(list(range(2, rank)))))
    y = n.out(ops.Multiply(), y, along_axis(n, gamma, rank))
    return [n.out(ops.Add(), y, along_axis(n, beta, rank))]


def layer_norm(n: MxNode) -> list[Output]:
    """MVN over `axis`, then gamma and beta along it."""
    x, gamma, beta = n.input(0), n.input(1), n.input(2)
    rank = n.rank(x)
    axis = normalize_axis(n, n.int("axis", -1), rank)
    y = n.out(ops.MVN(normalize_variance=True, eps=n.float("eps", 1e-5), eps_mode="inside_sqrt"), x,
              n.const(i64([axis])))
    y = n.out(ops.Multiply(), y, along_axis(n, gamma, rank, axis))
    return [n.out(ops.Add(), y, along_axis(n, beta, rank, axis))]


def l2_normalization(n: MxNode) -> list[Output]:
    """mode instance: over all axes but the first; channel: over axis 1; spatial: over axes 2+.
    MXNet divides by sqrt(sum(x^2) + eps)."""
    x = n.input(0)
    rank = n.rank(x)
    mode = n.str("mode", "instance")
    axes = {"instance": list(range(1, rank)), "channel": [1], "spatial": list(range(2, rank))}.get(mode)
    if axes is None:
        raise n.error(f"mode {mode} is not one of instance, channel, spatial")
    return [n.out(ops.NormalizeL2(eps=n.float("eps", 1e-10), eps_mode="add"), x, n.const(i64(axes)))]


def lrn(n: MxNode) -> list[Output]:
    """Across channels: x / (knorm + alpha / nsize * sum(x^2)) ^ beta, as OpenVINO's LRN with axes [1]."""
    return [n.out(ops.LRN(alpha=n.float("alpha", 1e-4), beta=n.float("beta", 0.75), bias=n.float("knorm", 2.0),
                          size=n.int("nsize")), n.input(0), n.const(i64([1])))]


# -- activations -------------------------------------------------------------------------------------------------
def activation(n: MxNode) -> list[Output]:
    """act_type relu, sigmoid, tanh, softrelu (SoftPlus), softsign, mish, log_sigmoid."""
    x = n.input(0)
    act = n.str("act_type")
    simple = {"relu": ops.Relu, "sigmoid": ops.Sigmoid, "tanh": ops.Tanh, "softrelu": ops.SoftPlus,
              "softsign": ops.SoftSign, "mish": ops.Mish}
    if act in simple:
        return [n.out(simple[act](), x)]
    if act == "log_sigmoid":  # log(sigmoid(x)) = -softplus(-x)
        return [n.out(ops.Negative(), n.out(ops.SoftPlus(), n.out(ops.Negative(), x)))]
    raise n.error(f"act_type {act} is not supported")


def leaky_relu(n: MxNode) -> list[Output]:
    """act_type leaky, prelu, elu, selu, gelu, rrelu (mean slope)."""
    x = n.input(0)
    act = n.str("act_type", "leaky")
    if act == "leaky":
        return [n.out(ops.PRelu(), x, scalar_like(n, x, n.float("slope", 0.25)))]
    if act == "rrelu":  # inference uses the mean of the random slope's range
        slope = (n.float("lower_bound", 0.125) + n.float("upper_bound", 0.334)) / 2
        return [n.out(ops.PRelu(), x, scalar_like(n, x, slope))]
    if act == "prelu":
        gamma = n.input(1)
        if gamma.shape.rank == 1 and gamma.shape[0] != 1 and n.rank(x) >= 2:
            gamma = along_axis(n, gamma, n.rank(x))
        return [n.out(ops.PRelu(), x, gamma)]
    if act == "elu":
        return [n.out(ops.Elu(alpha=n.float("slope", 0.25)), x)]
    if act == "selu":
        return [n.out(ops.Selu(), x, scalar_like(n, x, 1.6732632423543772), scalar_like(n, x, 1.0507009873554805))]
    if act == "gelu":
        return [n.out(ops.Gelu(approximation_mode="ERF"), x)]
    raise n.error(f"act_type {act} is not supported")


def _softmax_input(n: MxNode, x: Output) -> Output:
    temperature = n.float("temperature", None)
    if temperature is not None and temperature != 1.0:
        x = n.out(ops.Divide(), x, scalar_like(n, x, temperature))
    return x


def softmax(n: MxNode) -> list[Output]:
    """Softmax over `axis` (default -1), divided by `temperature` first."""
    if n.bool("use_length", False):
        raise n.error("use_length=True is not supported")
    x = _softmax_input(n, n.input(0))
    return [n.out(ops.Softmax(axis=n.int("axis", -1)), x)]


def log_softmax(n: MxNode) -> list[Output]:
    """LogSoftmax over `axis`, with `temperature`."""
    x = _softmax_input(n, n.input(0))
    return [n.out(ops.LogSoftmax(axis=n.int("axis", -1)), x)]


def _softmax_flat(n: MxNode, x: Output) -> Output:
    """Softmax over everything but the batch axis (then back to x's shape)."""
    if x.shape.rank == 2:
        return n.out(ops.Softmax(axis=1), x)
    flat = n.out(ops.Reshape(special_zero=True), x, n.const(i64([0, -1])))
    return n.out(ops.Reshape(special_zero=False), n.out(ops.Softmax(axis=1), flat), shape_of(n, x))


def softmax_output(n: MxNode) -> list[Output]:
    """SoftmaxOutput (the training loss layer): at inference a softmax; its label input is never read."""
    x = n.input(0)
    if n.bool("multi_output", False):
        return [n.out(ops.Softmax(axis=1), x)]
    if n.bool("preserve_shape", False):
        return [n.out(ops.Softmax(axis=-1), x)]
    return [_softmax_flat(n, x)]


def softmax_activation(n: MxNode) -> list[Output]:
    """mode instance (all but the batch axis) or channel (axis 1)."""
    x = n.input(0)
    if n.str("mode", "instance") == "channel":
        return [n.out(ops.Softmax(axis=1), x)]
    return [_softmax_flat(n, x)]


def regression_output(op_class=None):
    """LinearRegressionOutput (identity) and LogisticRegressionOutput (sigmoid) at inference."""
    def translate(n: MxNode) -> list[Output]:
        x = n.input(0)
        return [x if op_class is None else n.out(op_class(), x)]
    translate.__doc__ = "Identity at inference." if op_class is None else f"{op_class.TYPE} at inference."
    return translate


def embedding(n: MxNode) -> list[Output]:
    """Rows of the weight [input_dim, output_dim] at the (float) indices of data, truncated and clipped to
    [0, input_dim - 1] as MXNet does."""
    data, weight = n.input(0), n.input(1)
    index = data if data.element_type.value.startswith(("i", "u")) else n.out(ops.Convert(ElementType.i32), data)
    rows = n.int("input_dim", None)
    if rows is None and weight.shape.rank == 2 and isinstance(weight.shape[0], int):
        rows = weight.shape[0]
    if rows is not None:
        index = n.out(ops.Clamp(min=0.0, max=float(rows - 1)), index)
    return [n.out(ops.Gather(), weight, index, n.const(i64(0)))]
