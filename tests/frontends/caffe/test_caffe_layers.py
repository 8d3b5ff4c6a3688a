"""Each Caffe layer in small nets, against OpenCV's Caffe importer (or, for layers OpenCV does not import, against
the layer's formula in numpy)."""
from __future__ import annotations

import numpy as np
import pytest

from caffe_oracle import check_against_numpy, check_against_opencv

rng = np.random.default_rng(3)


def data(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def net(shape, body: str) -> str:
    dims = " ".join(f"dim: {d}" for d in shape)
    return f'name: "t"\ninput: "data"\ninput_shape {{ {dims} }}\n{body}'


def layer(name, type_, bottom="data", top=None, params="", bottoms=None, tops=None):
    bottoms = [bottom] if bottoms is None else bottoms
    tops = [top or name] if tops is None else tops
    text = "".join(f' bottom: "{b}"' for b in bottoms) + "".join(f' top: "{t}"' for t in tops)
    return f'layer {{ name: "{name}" type: "{type_}"{text} {params} }}\n'


# -- convolution family -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("params,in_c,w_shape,bias", [
    ("convolution_param { num_output: 4 kernel_size: 3 }", 3, (4, 3, 3, 3), True),
    ("convolution_param { num_output: 6 kernel_size: 3 pad: 1 stride: 2 group: 3 }", 6, (6, 2, 3, 3), True),
    ("convolution_param { num_output: 4 kernel_h: 3 kernel_w: 2 pad_h: 1 pad_w: 0 stride_h: 2 stride_w: 1 "
     "bias_term: false }", 3, (4, 3, 3, 2), False),
    ("convolution_param { num_output: 5 kernel_size: 3 dilation: 2 pad: 2 }", 3, (5, 3, 3, 3), True),
    ("convolution_param { num_output: 8 kernel_size: 3 pad: 1 group: 8 }", 8, (8, 1, 3, 3), True),   # depthwise
])
def test_convolution(tmp_path, params, in_c, w_shape, bias):
    blobs = [data(*w_shape)] + ([data(w_shape[0])] if bias else [])
    check_against_opencv(tmp_path, net((1, in_c, 9, 11), layer("conv", "Convolution", params=params)),
                         {"conv": blobs}, {"data": data(1, in_c, 9, 11)}, [("conv", "conv")])


@pytest.mark.parametrize("params,in_c,w_shape", [
    ("convolution_param { num_output: 4 kernel_size: 4 stride: 2 pad: 1 }", 3, (3, 4, 4, 4)),
    ("convolution_param { num_output: 6 kernel_size: 3 stride: 2 group: 2 }", 4, (4, 3, 3, 3)),
    ("convolution_param { num_output: 2 kernel_size: 2 stride: 2 bias_term: false }", 3, (3, 2, 2, 2)),
])
def test_deconvolution(tmp_path, params, in_c, w_shape):
    blobs = [data(*w_shape)] + ([] if "bias_term: false" in params else [data(int(params.split()[3]))])
    check_against_opencv(tmp_path, net((1, in_c, 5, 6), layer("up", "Deconvolution", params=params)),
                         {"up": blobs}, {"data": data(1, in_c, 5, 6)}, [("up", "up")])


@pytest.mark.parametrize("params,size", [
    ("pooling_param { pool: MAX kernel_size: 3 stride: 2 }", (8, 9)),
    ("pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 }", (7, 8)),     # ceil + the dropped window
    ("pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }", (7, 8)),
    ("pooling_param { pool: AVE kernel_size: 2 stride: 2 }", (7, 9)),            # ceil overhang: not counted
    ("pooling_param { pool: AVE kernel_size: 3 stride: 3 pad: 1 }", (10, 11)),
    ("pooling_param { pool: MAX kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 pad_h: 1 pad_w: 0 }", (6, 7)),
    ("pooling_param { pool: MAX global_pooling: true }", (5, 6)),
    ("pooling_param { pool: AVE global_pooling: true }", (5, 6)),
])
def test_pooling(tmp_path, params, size):
    shape = (2, 3, *size)
    check_against_opencv(tmp_path, net(shape, layer("pool", "Pooling", params=params)), {},
                         {"data": data(*shape)}, [("pool", "pool")])


@pytest.mark.parametrize("shape,params,w_shape", [
    ((2, 3, 4, 5), "inner_product_param { num_output: 7 }", (7, 60)),
    ((2, 3, 4, 5), "inner_product_param { num_output: 7 axis: 2 }", (7, 20)),
    ((2, 12), "inner_product_param { num_output: 5 bias_term: false }", (5, 12)),
])
def test_inner_product(tmp_path, shape, params, w_shape):
    n = w_shape[1] if "transpose" in params else w_shape[0]
    blobs = [data(*w_shape)] + ([] if "bias_term: false" in params else [data(n)])
    check_against_opencv(tmp_path, net(shape, layer("fc", "InnerProduct", params=params)), {"fc": blobs},
                         {"data": data(*shape)}, [("fc", "fc")])


def test_inner_product_transposed_weights(tmp_path):
    """transpose: true stores the weights [K, N] (OpenCV's importer ignores the flag)."""
    x, w, b = data(2, 3, 4), data(12, 5), data(5)
    check_against_numpy(tmp_path, net((2, 3, 4), layer("fc", "InnerProduct",
                                                         params="inner_product_param { num_output: 5 transpose: true }")),
                        {"fc": [w, b]}, {"data": x}, {"fc": x.reshape(2, 12) @ w + b})


# -- normalization ------------------------------------------------------------------------------------------------
def test_batch_norm_and_scale(tmp_path):
    c = 4
    factor = np.float32(1.7)
    bn = [rng.normal(0, 1, c).astype(np.float32) * factor, rng.uniform(0.5, 2, c).astype(np.float32) * factor,
          np.array([factor], np.float32)]
    body = (layer("bn", "BatchNorm", params="batch_norm_param { eps: 0.001 }") +
            layer("sc", "Scale", bottom="bn", params="scale_param { bias_term: true }") +
            layer("sc2", "Scale", bottom="sc", params="scale_param { axis: 0 num_axes: 2 }"))
    # Fusing off: with it the chain BN -> Scale -> Scale is one Multiply and Add, and the blobs in between are gone.
    check_against_opencv(tmp_path, net((2, c, 3, 5), body),
                         {"bn": bn, "sc": [data(c), data(c)], "sc2": [data(2, c)]}, {"data": data(2, c, 3, 5)},
                         [("bn", "bn"), ("sc", "sc"), ("sc2", "sc2")], disable_fusing=True)


def test_scale_and_bias_by_second_bottom(tmp_path):
    body = (layer("s", "Scale", bottoms=["data", "factor"], top="s", params="scale_param { axis: 1 }") +
            layer("b", "Bias", bottoms=["s", "shift"], top="b", params="bias_param { axis: 0 }"))
    prototxt = (f'input: "data" input_shape {{ dim: 2 dim: 3 dim: 4 dim: 5 }} input: "factor" input_shape '
                f'{{ dim: 3 dim: 4 }} input: "shift" input_shape {{ dim: 2 dim: 3 }}\n{body}')
    x, f, b = data(2, 3, 4, 5), data(3, 4), data(2, 3)
    expected = x * f[None, :, :, None] + b[:, :, None, None]
    check_against_numpy(tmp_path, prototxt, {}, {"data": x, "factor": f, "shift": b}, {"b": expected})


def test_bias_blob(tmp_path):
    x, b = data(2, 3, 4), data(3)
    check_against_numpy(tmp_path, net((2, 3, 4), layer("b", "Bias")), {"b": [b]}, {"data": x},
                        {"b": x + b[None, :, None]})


@pytest.mark.parametrize("params", [
    "lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 }",
    "lrn_param { local_size: 3 alpha: 0.3 beta: 0.75 norm_region: WITHIN_CHANNEL }",
])
def test_lrn(tmp_path, params):
    check_against_opencv(tmp_path, net((1, 7, 6, 5), layer("lrn", "LRN", params=params)), {},
                         {"data": data(1, 7, 6, 5)}, [("lrn", "lrn")])


@pytest.mark.parametrize("params", [
    "", "mvn_param { across_channels: true }", "mvn_param { normalize_variance: false }",
])
def test_mvn(tmp_path, params):
    check_against_opencv(tmp_path, net((2, 3, 4, 5), layer("mvn", "MVN", params=params)), {},
                         {"data": data(2, 3, 4, 5)}, [("mvn", "mvn")])


def test_lrn_k_and_mvn_eps(tmp_path):
    """Caffe's LRN k (OpenCV ignores it) and MVN eps, added to the standard deviation outside the root (OpenCV puts
    it inside): against Caffe's formulas."""
    x = data(1, 7, 6, 5)
    squares = np.pad(x * x, ((0, 0), (1, 1), (0, 0), (0, 0)))
    window = squares[:, :-2] + squares[:, 1:-1] + squares[:, 2:]
    mean = x.mean(axis=(2, 3), keepdims=True)
    std = np.sqrt(((x - mean) ** 2).mean(axis=(2, 3), keepdims=True))
    body = (layer("lrn", "LRN", params="lrn_param { local_size: 3 alpha: 0.5 beta: 0.6 k: 2 }") +
            layer("mvn", "MVN", params="mvn_param { eps: 0.1 }"))
    check_against_numpy(tmp_path, net(x.shape, body), {}, {"data": x},
                        {"lrn": x / (2 + 0.5 / 3 * window) ** 0.6, "mvn": (x - mean) / (std + 0.1)})


@pytest.mark.parametrize("params,scale_shape", [
    ("norm_param { across_spatial: false channel_shared: false }", (3,)),
    ("norm_param { across_spatial: true channel_shared: true eps: 0.01 }", (1,)),
    ("norm_param { across_spatial: false channel_shared: true }", (1,)),
])
def test_normalize(tmp_path, params, scale_shape):
    check_against_opencv(tmp_path, net((2, 3, 4, 5), layer("norm", "Normalize", params=params)),
                         {"norm": [rng.uniform(1, 20, scale_shape).astype(np.float32)]}, {"data": data(2, 3, 4, 5)},
                         [("norm", "norm")])


# -- activations --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("type_,params", [
    ("ReLU", ""), ("ReLU", "relu_param { negative_slope: 0.1 }"), ("ELU", "elu_param { alpha: 0.7 }"),
    ("Sigmoid", ""), ("TanH", ""), ("AbsVal", ""), ("BNLL", ""),
    ("Power", "power_param { power: 2 scale: 0.5 shift: 3 }"), ("Power", "power_param { scale: -2 }"),
    ("Exp", ""), ("Exp", "exp_param { base: 2 scale: 0.5 shift: 0.1 }"),
    ("ReLU6", ""), ("Softmax", ""), ("Softmax", "softmax_param { axis: 3 }"),
])
def test_activation(tmp_path, type_, params):
    check_against_opencv(tmp_path, net((2, 3, 4, 5), layer("act", type_, params=params)), {},
                         {"data": data(2, 3, 4, 5)}, [("act", "act")])


def test_log_threshold_dropout(tmp_path):
    """Log with shift/scale/base and Threshold (OpenCV's importer gets them wrong or lacks them); Dropout passes
    its input through at inference."""
    x = data(2, 3, 4, 5)
    body = (layer("log", "Log", params="log_param { shift: 10 }") +
            layer("log10", "Log", params="log_param { base: 10 scale: 2 shift: 9 }") +
            layer("thr", "Threshold", params="threshold_param { threshold: 0.2 }") +
            layer("relu", "ReLU") + layer("drop", "Dropout", bottom="relu", params="dropout_param { dropout_ratio: 0.3 }"))
    check_against_numpy(tmp_path, net(x.shape, body), {}, {"data": x},
                        {"log": np.log(x + 10), "log10": np.log10(2 * x + 9), "thr": (x > 0.2).astype(np.float32),
                         "drop": np.maximum(x, 0)})


@pytest.mark.parametrize("shared", [False, True])
def test_prelu(tmp_path, shared):
    params = f"prelu_param {{ channel_shared: {str(shared).lower()} }}"
    check_against_opencv(tmp_path, net((2, 3, 4, 5), layer("act", "PReLU", params=params)),
                         {"act": [data(1 if shared else 3)]}, {"data": data(2, 3, 4, 5)}, [("act", "act")])


def test_in_place_chain(tmp_path):
    """conv -> in-place ReLU -> in-place Scale: the blob name ends on the last value; every step compares."""
    body = (layer("conv", "Convolution", params="convolution_param { num_output: 3 kernel_size: 1 }") +
            layer("relu", "ReLU", bottom="conv", top="conv") +
            layer("scale", "Scale", bottom="conv", top="conv", params="scale_param { bias_term: true }"))
    check_against_opencv(tmp_path, net((1, 2, 3, 3), body),
                         {"conv": [data(3, 2, 1, 1), data(3)], "scale": [data(3), data(3)]},
                         {"data": data(1, 2, 3, 3)}, [("scale", "conv")])


# -- plumbing -----------------------------------------------------------------------------------------------------
def test_concat_eltwise_split(tmp_path):
    body = (layer("split", "Split", tops=["a", "b"]) +
            layer("sum", "Eltwise", bottoms=["a", "b"], top="sum",
                  params="eltwise_param { operation: SUM coeff: 0.5 coeff: -2 }") +
            layer("prod", "Eltwise", bottoms=["a", "sum"], top="prod", params="eltwise_param { operation: PROD }") +
            layer("max", "Eltwise", bottoms=["a", "prod", "sum"], top="max",
                  params="eltwise_param { operation: MAX }") +
            layer("cat", "Concat", bottoms=["sum", "prod", "max"], top="cat") +
            layer("cat2", "Concat", bottoms=["a", "max"], top="cat2", params="concat_param { axis: 3 }"))
    check_against_opencv(tmp_path, net((2, 3, 4, 5), body), {}, {"data": data(2, 3, 4, 5)},
                         [("cat", "cat"), ("cat2", "cat2")])


def test_slice(tmp_path):
    body = layer("slice", "Slice", tops=["a", "b", "c"], params="slice_param { axis: 1 slice_point: 1 slice_point: 4 }")
    check_against_opencv(tmp_path, net((2, 6, 4, 5), body), {}, {"data": data(2, 6, 4, 5)}, [("slice", "a")])


def test_slice_equal_parts_and_slice_dim(tmp_path):
    """No slice_point: equal parts, one per top; the deprecated slice_dim wins over axis (OpenCV ignores it)."""
    x = data(2, 6, 4, 5)
    body = (layer("halves", "Slice", tops=["h0", "h1"], params="slice_param { axis: 2 }") +
            layer("cut", "Slice", tops=["c0", "c1"], params="slice_param { slice_dim: 3 slice_point: 2 }"))
    check_against_numpy(tmp_path, net(x.shape, body), {}, {"data": x},
                        {"h0": x[:, :, :2], "h1": x[:, :, 2:], "c0": x[..., :2], "c1": x[..., 2:]})


@pytest.mark.parametrize("type_,params,shape", [
    ("Flatten", "", (2, 3, 4, 5)),
    ("Flatten", "flatten_param { axis: 2 }", (2, 3, 4, 5)),
    ("Flatten", "flatten_param { axis: 1 end_axis: 2 }", (2, 3, 4, 5)),
    ("Reshape", "reshape_param { shape { dim: 0 dim: -1 dim: 10 } }", (2, 3, 4, 5)),
    ("Reshape", "reshape_param { shape { dim: 2 dim: 2 } axis: 1 num_axes: 1 }", (2, 4, 3, 5)),
    ("Reshape", "reshape_param { shape { dim: 6 } axis: 1 num_axes: 2 }", (2, 2, 3, 5)),
    ("Permute", "permute_param { order: 0 order: 2 order: 3 order: 1 }", (2, 3, 4, 5)),
])
def test_reshape_family(tmp_path, type_, params, shape):
    check_against_opencv(tmp_path, net(shape, layer("r", type_, params=params)), {}, {"data": data(*shape)},
                         [("r", "r")])


def test_reshape_after_the_last_axis_and_partial_permute(tmp_path):
    x = data(2, 3, 4, 5)
    body = (layer("r", "Reshape", params="reshape_param { shape { dim: 1 } axis: -1 num_axes: 0 }") +
            layer("p", "Permute", params="permute_param { order: 0 order: 3 }"))
    check_against_numpy(tmp_path, net(x.shape, body), {}, {"data": x},
                        {"r": x.reshape(2, 3, 4, 5, 1), "p": x.transpose(0, 3, 1, 2)})


def test_crop(tmp_path):
    prototxt = ('input: "data" input_shape { dim: 1 dim: 3 dim: 9 dim: 10 }\n'
                'input: "like" input_shape { dim: 1 dim: 2 dim: 5 dim: 4 }\n' +
                layer("crop", "Crop", bottoms=["data", "like"], top="crop",
                      params="crop_param { axis: 2 offset: 2 offset: 3 }") +
                layer("crop1", "Crop", bottoms=["data", "like"], top="crop1", params="crop_param { axis: 1 offset: 1 }"))
    check_against_opencv(tmp_path, prototxt, {}, {"data": data(1, 3, 9, 10), "like": data(1, 2, 5, 4)},
                         [("crop", "crop"), ("crop1", "crop1")])


def test_tile_reduction_argmax_axpy(tmp_path):
    """Layers OpenCV's importer leaves out: checked against their Caffe formulas."""
    body = (layer("tile", "Tile", params="tile_param { axis: 2 tiles: 3 }") +
            layer("rsum", "Reduction", params="reduction_param { operation: SUM axis: 2 coeff: 0.5 }") +
            layer("rasum", "Reduction", params="reduction_param { operation: ASUM axis: 1 }") +
            layer("rsq", "Reduction", params="reduction_param { operation: SUMSQ axis: -1 }") +
            layer("rmean", "Reduction", params="reduction_param { operation: MEAN }") +
            layer("amax", "ArgMax", params="argmax_param { axis: 1 top_k: 2 }") +
            layer("aval", "ArgMax", params="argmax_param { axis: 3 out_max_val: true }") +
            layer("aflat", "ArgMax", params="argmax_param { top_k: 3 out_max_val: true }"))
    prototxt = net((2, 4, 3, 5), body)
    x = data(2, 4, 3, 5)
    order = np.argsort(-x, axis=1, kind="stable")
    flat = x.reshape(2, -1)
    top = np.argsort(-flat, axis=1, kind="stable")[:, :3]
    expected = {
        "tile": np.tile(x, (1, 1, 3, 1)), "rsum": 0.5 * x.sum(axis=(2, 3)), "rasum": np.abs(x).sum(axis=(1, 2, 3)),
        "rsq": (x * x).sum(axis=3), "rmean": np.array(x.mean(), np.float32),
        "amax": order[:, :2].astype(np.float32), "aval": x.max(axis=3, keepdims=True),
        "aflat": np.stack([top.astype(np.float32), np.take_along_axis(flat, top, 1)], axis=1)[..., None],
    }
    check_against_numpy(tmp_path, prototxt, {}, {"data": x}, expected)
    axpy = ('input: "a" input_shape { dim: 2 dim: 3 dim: 1 dim: 1 } input: "x" input_shape { dim: 2 dim: 3 dim: 4 '
            'dim: 5 } input: "y" input_shape { dim: 2 dim: 3 dim: 4 dim: 5 }\n' +
            layer("axpy", "Axpy", bottoms=["a", "x", "y"], top="out"))
    a, xx, y = data(2, 3, 1, 1), data(2, 3, 4, 5), data(2, 3, 4, 5)
    check_against_numpy(tmp_path, axpy, {}, {"a": a, "x": xx, "y": y}, {"out": a * xx + y})


def test_fork_and_newer_layers(tmp_path):
    """BN (SegNet forks), Clip and Swish (newer BVLC), GRN, Embed, Parameter and Silence, against their formulas."""
    x = data(2, 3, 4, 5)
    gamma, beta, mean, var = data(3), data(3), data(3), rng.uniform(0.5, 2, 3).astype(np.float32)
    table = data(7, 4)
    bias = data(4)
    constant = data(2, 3)
    indices = np.array([[0, 6, 3], [2, 2, 5]], np.float32)
    body = (layer("bn", "BN", params="bn_param { eps: 0.01 }") +
            layer("clip", "Clip", params="clip_param { min: -0.5 max: 0.7 }") +
            layer("swish", "Swish", params="swish_param { beta: 1.5 }") +
            layer("grn", "GRN", params="grn_param { bias: 2 }") +
            layer("embed", "Embed", bottom="ids", params="embed_param { num_output: 4 input_dim: 7 }") +
            layer("param", "Parameter", bottoms=[], top="param", params="parameter_param { shape { dim: 2 dim: 3 } }") +
            layer("silence", "Silence", bottoms=["param"], tops=[]))
    prototxt = ('input: "data" input_shape { dim: 2 dim: 3 dim: 4 dim: 5 }\n'
                'input: "ids" input_shape { dim: 2 dim: 3 }\n' + body)
    c = (1, 3, 1, 1)
    expected = {
        "bn": (x - mean.reshape(c)) / np.sqrt(var.reshape(c) + 0.01) * gamma.reshape(c) + beta.reshape(c),
        "clip": np.clip(x, -0.5, 0.7), "swish": x / (1 + np.exp(-1.5 * x)),
        "grn": x / np.sqrt((x * x).sum(axis=1, keepdims=True) + 2), "embed": table[indices.astype(int)] + bias,
    }
    blobs = {"bn": [gamma.reshape(c), beta.reshape(c), mean.reshape(c), var.reshape(c)], "embed": [table, bias],
             "param": [constant]}
    check_against_numpy(tmp_path, prototxt, blobs, {"data": x, "ids": indices}, expected)


def test_prior_box_clustered(tmp_path):
    """The legacy Model Optimizer's PriorBoxClustered layer: one box per (width, height) at every cell."""
    prototxt = ('input: "feat" input_shape { dim: 1 dim: 2 dim: 3 dim: 4 }\n'
                'input: "image" input_shape { dim: 1 dim: 3 dim: 48 dim: 64 }\n' +
                layer("pbc", "PriorBoxClustered", bottoms=["feat", "image"], top="pbc",
                      params="prior_box_param { width: 10 width: 30 height: 20 height: 12 clip: false "
                             "variance: 0.1 variance: 0.1 variance: 0.2 variance: 0.2 offset: 0.5 }"))
    cx = (np.arange(4) + 0.5) * 16
    cy = (np.arange(3) + 0.5) * 16
    boxes = [[(x - w / 2) / 64, (y - h / 2) / 48, (x + w / 2) / 64, (y + h / 2) / 48]
             for y in cy for x in cx for w, h in ((10, 20), (30, 12))]
    expected = np.stack([np.array(boxes, np.float32).reshape(-1),
                         np.tile(np.array([0.1, 0.1, 0.2, 0.2], np.float32), len(boxes))])[np.newaxis]
    check_against_numpy(tmp_path, prototxt, {}, {"feat": data(1, 2, 3, 4), "image": data(1, 3, 48, 64)},
                        {"pbc": expected})


@pytest.mark.parametrize("params", ["interp_param { zoom_factor: 2 }", "interp_param { height: 9 width: 4 }"])
def test_interp(tmp_path, params):
    shape = (2, 3, 7, 8)
    check_against_opencv(tmp_path, net(shape, layer("interp", "Interp", params=params)), {},
                         {"data": data(*shape)}, [("interp", "interp")])


def caffe_interp2(x, pad_beg, h_eff, w_eff, h_out, w_out):
    """Caffe's caffe_cpu_interp2 (DeepLab), loop for loop: bilinear over x[pad:pad + eff], corners aligned."""
    out = np.zeros(x.shape[:2] + (h_out, w_out), np.float32)
    rh = np.float32(h_eff - 1) / np.float32(h_out - 1) if h_out > 1 else np.float32(0)
    rw = np.float32(w_eff - 1) / np.float32(w_out - 1) if w_out > 1 else np.float32(0)
    for h2 in range(h_out):
        h1r = rh * np.float32(h2)
        h1 = int(h1r)
        h1p = 1 if h1 < h_eff - 1 else 0
        hl1 = h1r - np.float32(h1)
        for w2 in range(w_out):
            w1r = rw * np.float32(w2)
            w1 = int(w1r)
            w1p = 1 if w1 < w_eff - 1 else 0
            wl1 = w1r - np.float32(w1)
            y, xx = -pad_beg + h1, -pad_beg + w1
            out[:, :, h2, w2] = ((1 - hl1) * ((1 - wl1) * x[:, :, y, xx] + wl1 * x[:, :, y, xx + w1p]) +
                                 hl1 * ((1 - wl1) * x[:, :, y + h1p, xx] + wl1 * x[:, :, y + h1p, xx + w1p]))
    return out


def test_interp_shrink_pads_and_second_bottom(tmp_path):
    """What OpenCV's importer reads differently (it ignores shrink_factor and the pads, and takes one bottom):
    against Caffe's interp2."""
    x, like = data(2, 3, 7, 8), data(1, 1, 11, 13)
    body = (layer("shrink", "Interp", params="interp_param { shrink_factor: 2 }") +
            layer("both", "Interp", params="interp_param { zoom_factor: 3 shrink_factor: 2 }") +
            layer("cropped", "Interp", params="interp_param { zoom_factor: 2 pad_beg: -1 pad_end: -1 }") +
            layer("like_it", "Interp", bottoms=["data", "like"], top="like_it"))
    prototxt = ('input: "data" input_shape { dim: 2 dim: 3 dim: 7 dim: 8 }\n'
                'input: "like" input_shape { dim: 1 dim: 1 dim: 11 dim: 13 }\n' + body)
    expected = {"shrink": caffe_interp2(x, 0, 7, 8, 4, 4), "both": caffe_interp2(x, 0, 7, 8, 10, 10),
                "cropped": caffe_interp2(x, -1, 5, 6, 9, 11), "like_it": caffe_interp2(x, 0, 7, 8, 11, 13)}
    check_against_numpy(tmp_path, prototxt, {}, {"data": x, "like": like}, expected)
