"""Per-op MXNet test cases: one small symbol per case, with random weights, built with MXNet (make_models.py
--ops). Each entry: name -> (symbol builder over the input variables, {input: (shape, kind)}); kinds: "normal",
"positive" (0.5..2), "index:K" (whole numbers 0..K-1 as float, as MXNet feeds indices), "mask" (0/1)."""
from __future__ import annotations

import os

S = None  # mxnet.sym, set by build_op_cases (the tests import CASES for its names without MXNet)
N4 = {"data": ((1, 4, 9, 9), "normal")}
N3 = {"data": ((2, 3, 4), "normal")}
IMG = {"data": ((2, 3, 6, 6), "normal")}


def two(shape_a, shape_b, kind="normal"):
    return {"a": (shape_a, kind), "b": (shape_b, kind)}


CASES = {
    # -- convolutions --------------------------------------------------------------------------------------------
    "conv_group_dilate": (lambda data: S.Convolution(data, kernel=(3, 3), num_filter=6, num_group=2, dilate=(2, 2),
                                                     pad=(2, 1), stride=(1, 2), name="conv"), N4),
    "conv_depthwise": (lambda data: S.Convolution(data, kernel=(3, 3), num_filter=4, num_group=4, pad=(1, 1),
                                                  no_bias=True, name="conv"), N4),
    "conv_1x1_nobias": (lambda data: S.Convolution(data, kernel=(1, 1), num_filter=3, no_bias=True, name="conv"), N4),
    "conv_1d": (lambda data: S.Convolution(data, kernel=(3,), num_filter=2, pad=(1,), name="conv"),
                {"data": ((2, 3, 10), "normal")}),
    "deconv_adj": (lambda data: S.Deconvolution(data, kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 1),
                                                num_filter=3, name="deconv"), {"data": ((1, 4, 5, 5), "normal")}),
    "deconv_target_shape": (lambda data: S.Deconvolution(data, kernel=(4, 4), stride=(2, 2), target_shape=(11, 12),
                                                         num_filter=2, no_bias=True, name="deconv"),
                            {"data": ((1, 4, 6, 6), "normal")}),
    "deconv_group": (lambda data: S.Deconvolution(data, kernel=(3, 3), stride=(2, 2), num_group=2, num_filter=4,
                                                  name="deconv"), {"data": ((1, 4, 4, 4), "normal")}),
    # -- pooling -------------------------------------------------------------------------------------------------
    "pool_max_full": (lambda data: S.Pooling(data, kernel=(3, 3), stride=(2, 2), pool_type="max",
                                             pooling_convention="full", name="pool"), {"data": ((1, 2, 8, 8), "normal")}),
    "pool_avg_full_pad": (lambda data: S.Pooling(data, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg",
                                                 pooling_convention="full", name="pool"),
                          {"data": ((1, 2, 8, 8), "normal")}),
    "pool_avg_exclude_pad": (lambda data: S.Pooling(data, kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type="avg",
                                                    count_include_pad=False, name="pool"), IMG),
    "pool_sum": (lambda data: S.Pooling(data, kernel=(2, 2), stride=(2, 2), pool_type="sum", name="pool"), IMG),
    "pool_global_max": (lambda data: S.Pooling(data, kernel=(1, 1), global_pool=True, pool_type="max", name="pool"),
                        IMG),
    "pool_global_avg": (lambda data: S.Pooling(data, kernel=(1, 1), global_pool=True, pool_type="avg", name="pool"),
                        IMG),
    # -- dense, normalization ------------------------------------------------------------------------------------
    "fc_flatten": (lambda data: S.FullyConnected(data, num_hidden=5, name="fc"), N3),
    "fc_no_flatten": (lambda data: S.FullyConnected(data, num_hidden=5, flatten=False, name="fc"), N3),
    "fc_no_bias": (lambda data: S.FullyConnected(data, num_hidden=5, no_bias=True, name="fc"), N3),
    "bn_fix_gamma": (lambda data: S.BatchNorm(data, name="bn"), IMG),
    "bn_axis_last": (lambda data: S.BatchNorm(data, axis=-1, fix_gamma=False, eps=1e-4, name="bn"), N3),
    "bn_mean_var": (lambda data: S.BatchNorm(data, fix_gamma=False, output_mean_var=True, name="bn")[0], IMG),
    "instance_norm": (lambda data: S.InstanceNorm(data, eps=1e-3, name="inorm"), IMG),
    "layer_norm": (lambda data: S.LayerNorm(data, axis=-1, name="ln"), N3),
    "layer_norm_axis1": (lambda data: S.LayerNorm(data, axis=1, name="ln"), N3),
    "l2norm_instance": (lambda data: S.L2Normalization(data, mode="instance", name="l2"), IMG),
    "l2norm_channel": (lambda data: S.L2Normalization(data, mode="channel", name="l2"), IMG),
    "l2norm_spatial": (lambda data: S.L2Normalization(data, mode="spatial", name="l2"), IMG),
    "lrn": (lambda data: S.LRN(data, nsize=3, alpha=1e-2, beta=0.75, knorm=2.0, name="lrn"), IMG),
    "embedding": (lambda data: S.Embedding(data, input_dim=7, output_dim=3, name="embed"),
                  {"data": ((2, 5), "index:7")}),
    "embedding_out_of_range": (lambda data: S.Embedding(data, input_dim=5, output_dim=3, name="embed"),
                               {"data": ((3, 4), "index:8")}),
    # -- activations ---------------------------------------------------------------------------------------------
    **{f"act_{a}": (lambda data, a=a: S.Activation(data, act_type=a, name="act"), N3)
       for a in ("relu", "sigmoid", "tanh", "softrelu", "softsign")},
    "leaky": (lambda data: S.LeakyReLU(data, act_type="leaky", slope=0.1, name="lrelu"), N3),
    "prelu": (lambda data: S.LeakyReLU(data, act_type="prelu", name="prelu"), IMG),
    "elu": (lambda data: S.LeakyReLU(data, act_type="elu", slope=0.7, name="elu"), N3),
    "selu": (lambda data: S.LeakyReLU(data, act_type="selu", name="selu"), N3),
    "gelu": (lambda data: S.LeakyReLU(data, act_type="gelu", name="gelu"), N3),
    "softmax_axis_temperature": (lambda data: S.softmax(data, axis=1, temperature=2.0, name="sm"), N3),
    "log_softmax": (lambda data: S.log_softmax(data, axis=-1, name="lsm"), N3),
    "softmax_output": (lambda data: S.SoftmaxOutput(data, name="softmax"), N3),
    "softmax_output_multi": (lambda data: S.SoftmaxOutput(data, multi_output=True, name="softmax"), N3),
    "softmax_output_preserve": (lambda data: S.SoftmaxOutput(data, preserve_shape=True, name="softmax"), N3),
    "softmax_activation_channel": (lambda data: S.SoftmaxActivation(data, mode="channel", name="sa"), IMG),
    "dropout_flatten": (lambda data: S.Flatten(S.Dropout(data, p=0.5, name="drop"), name="flat"), IMG),
    # -- shapes --------------------------------------------------------------------------------------------------
    "transpose": (lambda data: S.transpose(data, axes=(0, 2, 1), name="t"), N3),
    "transpose_default": (lambda data: S.transpose(data, name="t"), N3),
    "swapaxes": (lambda data: S.swapaxes(data, dim1=0, dim2=2, name="sw"), N3),
    "expand_dims": (lambda data: S.expand_dims(data, axis=1, name="ed"), N3),
    "squeeze": (lambda data: S.squeeze(data, axis=(1,), name="sq"), {"data": ((2, 1, 3), "normal")}),
    "concat": (lambda a, b: S.Concat(a, b, a, dim=2, name="cat"), two((2, 3, 4), (2, 3, 1))),
    "stack": (lambda a, b: S.stack(a, b, axis=1, name="st"), two((2, 3), (2, 3))),
    "slice_channel": (lambda data: S.SliceChannel(data, num_outputs=3, axis=2, squeeze_axis=False, name="sc"),
                      {"data": ((2, 2, 3), "normal")}),
    "split_squeeze": (lambda data: S.split(data, num_outputs=2, axis=1, squeeze_axis=True, name="sp"),
                      {"data": ((3, 2, 4), "normal")}),
    "slice": (lambda data: S.slice(data, begin=(None, 1), end=(None, 3), name="sl"), N3),
    "slice_step": (lambda data: S.slice(data, begin=(0, None, 3), end=(2, None, 0), step=(1, 2, -1), name="sl"), N3),
    "slice_axis": (lambda data: S.slice_axis(data, axis=2, begin=1, end=None, name="sa"), N3),
    "slice_like": (lambda a, b: S.slice_like(a, b, axes=(1, 2), name="sl"), two((2, 5, 6), (2, 3, 4))),
    "crop_hw": (lambda data: S.Crop(data, h_w=(3, 4), offset=(1, 2), name="crop"), IMG),
    "crop_center": (lambda data: S.Crop(data, h_w=(3, 3), center_crop=True, name="crop"), IMG),
    "pad_constant": (lambda data: S.Pad(data, mode="constant", pad_width=(0, 0, 0, 0, 1, 2, 2, 1),
                                        constant_value=1.5, name="pad"), IMG),
    "pad_edge": (lambda data: S.Pad(data, mode="edge", pad_width=(0, 0, 0, 0, 1, 2, 2, 1), name="pad"), IMG),
    "pad_reflect": (lambda data: S.Pad(data, mode="reflect", pad_width=(0, 0, 0, 0, 1, 2, 2, 1), name="pad"), IMG),
    "tile": (lambda data: S.tile(data, reps=(2, 1, 3), name="tile"), N3),
    "repeat_axis": (lambda data: S.repeat(data, repeats=2, axis=1, name="rep"), N3),
    "repeat_flat": (lambda data: S.repeat(data, repeats=3, name="rep"), N3),
    "space_to_depth": (lambda data: S.space_to_depth(data, block_size=2, name="s2d"),
                       {"data": ((1, 2, 4, 6), "normal")}),
    "depth_to_space": (lambda data: S.depth_to_space(data, block_size=2, name="d2s"),
                       {"data": ((1, 8, 2, 3), "normal")}),
    "upsampling_nearest": (lambda data: S.UpSampling(data, scale=2, sample_type="nearest", num_args=1, name="up"),
                           IMG),
    "upsampling_bilinear": (lambda data: S.UpSampling(data, S.var("up_weight"), scale=2, sample_type="bilinear",
                                                      num_filter=3, num_args=2, name="up"), IMG),
    "bilinear_resize": (lambda data: S.contrib.BilinearResize2D(data, height=9, width=4, name="resize"), IMG),
    "bilinear_resize_no_align": (lambda data: S.contrib.BilinearResize2D(data, height=4, width=11,
                                                                         align_corners=False, name="resize"), IMG),
    "bilinear_resize_scale": (lambda data: S.contrib.BilinearResize2D(data, scale_height=1.5, scale_width=0.5,
                                                                      name="resize"), IMG),
    "bilinear_resize_like": (lambda a, b: S.contrib.BilinearResize2D(a, b, mode="like", name="resize"),
                             two((1, 2, 5, 5), (1, 1, 8, 3))),
    "multibox_prior": (lambda data: S.contrib.MultiBoxPrior(data, sizes=(0.3, 0.5), ratios=(1, 2, 0.5),
                                                            name="prior"), {"data": ((1, 2, 4, 6), "normal")}),
    "multibox_prior_steps_clip": (lambda data: S.contrib.MultiBoxPrior(data, sizes=(0.9,), ratios=(1, 3),
                                                                       steps=(0.2, 0.1), offsets=(0.3, 0.6),
                                                                       clip=True, name="prior"),
                                  {"data": ((1, 2, 5, 5), "normal")}),
    "roi_pooling": (lambda data, rois: S.ROIPooling(data, rois, pooled_size=(2, 3), spatial_scale=0.5, name="roi"),
                    {"data": ((2, 3, 8, 8), "normal"), "rois": ((4, 5), "rois:2:16")}),
    # -- box_nms: rows (class id, score, x1, y1, x2, y2) ("boxes") or (id, score, cx, cy, w, h) ("cboxes") --------
    "box_nms_classes": (lambda data: S.contrib.box_nms(data, overlap_thresh=0.45, valid_thresh=0.2, id_index=0,
                                                       name="nms"), {"data": ((2, 40, 6), "boxes:3")}),
    "box_nms_force_topk": (lambda data: S.contrib.box_nms(data, overlap_thresh=0.3, topk=12, id_index=0,
                                                          force_suppress=True, name="nms"),
                           {"data": ((1, 30, 6), "boxes:3")}),
    "box_nms_no_ids_2d": (lambda data: S.contrib.box_nms(S.slice_axis(data, axis=-1, begin=1, end=None),
                                                         overlap_thresh=0.5, score_index=0, coord_start=1,
                                                         name="nms"), {"data": ((25, 6), "boxes:1")}),
    "box_nms_center_4d": (lambda data: S.contrib.box_nms(data, overlap_thresh=0.4, valid_thresh=0.1, id_index=0,
                                                         in_format="center", topk=20, name="nms"),
                          {"data": ((2, 2, 24, 6), "cboxes:2")}),
    "box_nms_background_out_center": (lambda data: S.contrib.box_nms(data, overlap_thresh=0.5, id_index=0,
                                                                     background_id=0, out_format="center",
                                                                     name="nms"),
                                      {"data": ((1, 30, 6), "boxes:3")}),
    "box_nms_nothing_valid": (lambda data: S.contrib.box_nms(data, valid_thresh=2.0, id_index=0, name="nms"),
                              {"data": ((1, 10, 6), "boxes:2")}),
    "box_nms_topk_zero": (lambda data: S.contrib.box_nms(data, topk=0, name="nms") * 2,   # (the input as is)
                          {"data": ((1, 10, 6), "boxes:2")}),
    "cast_int": (lambda data: S.Cast(data * 3, dtype="int32", name="cast"), N3),
    "identity_ops": (lambda data: S.BlockGrad(S.identity(S.stop_gradient(data), name="id"), name="bg") + 1, N3),
    # -- constants -----------------------------------------------------------------------------------------------
    "ones_zeros": (lambda data: S.broadcast_add(data, S.broadcast_add(S.ones(shape=(1, 3, 1)) * 2, S.zeros(shape=(2, 3, 4))),
                                                name="add"), N3),
    "arange": (lambda data: S.broadcast_mul(data, S.arange(start=1, stop=5, name="ar"), name="mul"), N3),
    "zeros_like": (lambda data: S.zeros_like(data) + S.ones_like(data) + data, N3),
    # -- indexing ------------------------------------------------------------------------------------------------
    "take_clip": (lambda a, b: S.take(a, b, axis=1, mode="clip", name="take"),
                  {"a": ((2, 5, 3), "normal"), "b": ((4,), "index:7")}),
    "take_wrap": (lambda a, b: S.take(a, b, axis=0, mode="wrap", name="take"),
                  {"a": ((4, 3), "normal"), "b": ((2, 3), "index:9")}),
    "one_hot": (lambda data: S.one_hot(data, depth=5, on_value=2.0, off_value=-1.0, name="oh"),
                {"data": ((2, 3), "index:5")}),
    # -- arithmetic ----------------------------------------------------------------------------------------------
    **{f"broadcast_{op}": (lambda a, b, op=op: getattr(S, f"broadcast_{op}")(a, b, name="bc"),
                           two((2, 3, 4), (1, 3, 1), "positive"))
       for op in ("add", "sub", "mul", "div", "maximum", "minimum", "power", "equal", "greater", "lesser_equal",
                  "logical_and", "logical_or")},
    **{f"elemwise_{op}": (lambda a, b, op=op: getattr(S, f"elemwise_{op}")(a, b, name="ew"),
                          two((2, 3), (2, 3), "positive")) for op in ("add", "sub", "mul", "div")},
    "add_n": (lambda a, b: S.add_n(a, b, a, name="sum"), two((2, 3), (2, 3))),
    **{f"scalar_{name}": (lambda data, fn=fn: fn(data), {"data": ((2, 3), "positive")}) for name, fn in {
        "plus": lambda x: x + 1.5, "minus": lambda x: x - 2, "rminus": lambda x: 2 - x, "mul": lambda x: x * 3,
        "div": lambda x: x / 4, "rdiv": lambda x: 4 / x, "power": lambda x: x ** 2, "rpower": lambda x: 2 ** x,
        "greater": lambda x: x > 1, "equal": lambda x: S.round(x) == 1, "maximum": lambda x: S.maximum(x, 1.0),
        "minimum": lambda x: S.minimum(x, 1.0)}.items()},
    "clip": (lambda data: S.clip(data, a_min=-0.5, a_max=0.7, name="clip"), N3),
    "where": (lambda c, a, b: S.where(c, a, b, name="where"),
              {"c": ((2, 3), "mask"), "a": ((2, 3), "normal"), "b": ((2, 3), "normal")}),
    "where_rows": (lambda c, a, b: S.where(c, a, b, name="where"),
                   {"c": ((2,), "mask"), "a": ((2, 3), "normal"), "b": ((2, 3), "normal")}),
    "sum_keepdims": (lambda data: S.sum(data, axis=1, keepdims=True, name="sum"), N3),
    "mean_exclude": (lambda data: S.mean(data, axis=1, exclude=True, name="mean"), N3),
    "max_all": (lambda data: S.max(data, name="max"), N3),
    "min_axes": (lambda data: S.min(data, axis=(0, 2), name="min"), N3),
    "prod": (lambda data: S.prod(data, axis=2, name="prod"), N3),
    "norm": (lambda data: S.norm(data, ord=2, axis=1, name="norm"), N3),
    "dot_2d_transpose": (lambda a, b: S.dot(a, b, transpose_b=True, name="dot"), two((3, 4), (5, 4))),
    "dot_3d_2d": (lambda a, b: S.dot(a, b, name="dot"), two((2, 3, 4), (4, 5))),
    "dot_2d_3d": (lambda a, b: S.dot(a, b, name="dot"), two((3, 4), (4, 2, 5))),
    "batch_dot": (lambda a, b: S.batch_dot(a, b, transpose_a=True, name="bdot"), two((2, 4, 3), (2, 4, 5))),
    **{f"unary_{op}": (lambda data, op=op: getattr(S, op)(data, name="u"), {"data": ((2, 3), "positive")})
       for op in ("abs", "exp", "log", "sqrt", "square", "reciprocal", "rsqrt", "negative", "floor", "ceil",
                  "round", "rint", "sign", "sin", "cos", "log1p", "expm1", "log2", "log10", "trunc", "relu",
                  "sigmoid", "tanh", "erf")},
}


# Cases whose op belongs to another part of irforge that may not have landed yet: the test skips without it.
NEEDS_OP = {"roi_pooling": "ROIPooling"}


def box_rows(shape, classes: int, center: bool, rng):
    """Detection rows (class id, score, 4 coordinates) crowded into a small area so that NMS has work: some
    boxes start left of 0 (MXNet's format conversion skips those), about one in ten has its corners swapped or a
    negative width (boxes MXNet never matches)."""
    import numpy as np
    *lead, count, width = shape
    ids = rng.integers(0, classes, (*lead, count, 1)).astype(np.float32)
    scores = rng.uniform(0, 1, (*lead, count, 1))
    x1, y1 = rng.uniform(-0.05, 0.25, (*lead, count, 1)), rng.uniform(0, 0.25, (*lead, count, 1))
    w, h = rng.uniform(0.2, 0.45, (*lead, count, 1)), rng.uniform(0.2, 0.45, (*lead, count, 1))
    odd = rng.uniform(0, 1, (*lead, count, 1)) < 0.1
    if center:
        boxes = np.concatenate([x1 + w / 2, y1 + h / 2, np.where(odd, -w, w), h], axis=-1)
    else:
        boxes = np.concatenate([np.where(odd, x1 + w, x1), y1, np.where(odd, x1, x1 + w), y1 + h], axis=-1)
    return np.concatenate([ids, scores, boxes], axis=-1).astype(np.float32)


def make_inputs(spec: dict, rng):
    import numpy as np
    inputs = {}
    for name, (shape, kind) in spec.items():
        if kind == "positive":
            inputs[name] = rng.uniform(0.5, 2.0, shape).astype(np.float32)
        elif kind.startswith("index:"):
            inputs[name] = rng.integers(0, int(kind.split(":")[1]), shape).astype(np.float32)
        elif kind.startswith("rois:"):  # (batch index, x1, y1, x2, y2) in an image of the given size
            _, batches, size = kind.split(":")
            count = shape[0]
            corners = np.sort(rng.integers(0, int(size), (count, 2, 2)), axis=1)
            inputs[name] = np.concatenate([rng.integers(0, int(batches), (count, 1)),
                                           corners[:, :, 0], corners[:, :, 1]], axis=1)[:, [0, 1, 3, 2, 4]]
            inputs[name] = inputs[name].astype(np.float32)
        elif kind.startswith(("boxes:", "cboxes:")):
            inputs[name] = box_rows(shape, int(kind.split(":")[1]), kind.startswith("c"), rng)
        elif kind == "mask":
            inputs[name] = rng.integers(0, 2, shape).astype(np.float32)
        else:
            inputs[name] = rng.standard_normal(shape).astype(np.float32)
    return inputs


def build_op_cases(out, save_case, init_args, rng):
    global S
    import mxnet as mx
    import numpy as np
    S = mx.sym
    for name, (build, spec) in CASES.items():
        if os.path.exists(os.path.join(out, name + ".json")):
            continue
        print("building", name, flush=True)
        sym = build(*[S.var(k) for k in spec])
        inputs = make_inputs(spec, rng)
        args, aux = init_args(sym, {k: v.shape for k, v in inputs.items()})
        if name == "upsampling_bilinear":  # the bilinear kernel MXNet's initializer would give
            k = args["up_weight"].shape[-1]
            f = np.ceil(k / 2.0)
            c = (2 * f - 1 - f % 2) / (2.0 * f)
            grid = 1 - np.abs(np.arange(k) / f - c)
            args["up_weight"] = mx.nd.array(np.broadcast_to(np.outer(grid, grid), args["up_weight"].shape).copy())
        shapes = ",".join(str(list(v.shape)).replace(" ", "") for v in inputs.values())
        save_case(out, name, sym, args, aux, inputs, {"input": ",".join(inputs), "input_shape": shapes})
