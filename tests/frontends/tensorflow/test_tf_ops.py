"""TensorFlow ops, one small frozen graph each: TensorFlow's outputs against OpenVINO and the reference runtime
reading irforge's IR."""
import numpy as np
import pytest

from tf_models import check_function, nms_outputs, tf

rng = np.random.default_rng(11)


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# -- StridedSlice with every mask -----------------------------------------------------------------------------------
SLICES = {
    "begin_end": lambda x: x[1:3, :, 2:],
    "negative_stride": lambda x: x[::-1, 1:, ::-2],
    "shrink": lambda x: x[1, :, 3],
    "ellipsis": lambda x: x[..., 1:3],
    "ellipsis_middle_shrink": lambda x: x[1, ..., 1],
    "new_axis": lambda x: x[:, None, 1:, None],
    "all_masks": lambda x: x[None, 1, ..., ::2, None],
    "negative_indices": lambda x: x[-2:, -3:-1, -1],
}


@pytest.mark.parametrize("name", sorted(SLICES))
def test_strided_slice(name, tmp_path):
    check_function(SLICES[name], [f32(4, 5, 6, 2)], tmp_path)


def test_strided_slice_dynamic_bounds(tmp_path):
    t = tf()

    def fn(x, k):
        return x[:, k[0]:k[1]]
    check_function(fn, [f32(2, 8), np.array([1, 6], np.int32)], tmp_path)


# -- space <-> batch, fake quantization ------------------------------------------------------------------------------
def test_space_to_batch_conv_batch_to_space(tmp_path):
    """The dilated-convolution pattern of TF1 (atrous_conv2d): SpaceToBatchND -> Conv2D -> BatchToSpaceND."""
    t = tf()
    w = t.constant(f32(3, 3, 3, 4))

    def fn(x):
        y = t.space_to_batch_nd(x, [2, 2], [[2, 3], [2, 1]])
        y = t.nn.conv2d(y, w, 1, "VALID")
        return t.batch_to_space(y, [2, 2], [[0, 1], [0, 1]])
    check_function(fn, [f32(2, 9, 11, 3)], tmp_path)


@pytest.mark.parametrize("num_bits,narrow", [(8, False), (8, True), (4, False)])
def test_fake_quant(num_bits, narrow, tmp_path):
    t = tf()

    def fn(x):
        a = t.quantization.fake_quant_with_min_max_vars(x, -1.3, 2.1, num_bits=num_bits, narrow_range=narrow)
        b = t.quantization.fake_quant_with_min_max_args(x, min=-0.7, max=0.9, num_bits=num_bits,
                                                        narrow_range=narrow)
        c = t.quantization.fake_quant_with_min_max_vars_per_channel(
            x, [-1.0, -0.2, -3.0], [1.0, 0.5, 0.01], num_bits=num_bits, narrow_range=narrow)
        return a, b, c
    check_function(fn, [f32(2, 5, 3, scale=1.5)], tmp_path)


# -- elementwise math and activations ---------------------------------------------------------------------------
UNARY = ["abs", "negative", "sign", "floor", "ceil", "round", "sqrt", "rsqrt", "square", "reciprocal", "exp",
         "expm1", "log", "log1p", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh",
         "erf", "erfc", "sigmoid", "tanh", "softplus", "softsign", "relu", "relu6", "elu", "selu", "leaky_relu"]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name, tmp_path):
    t = tf()
    fn = {"relu": t.nn.relu, "relu6": t.nn.relu6, "elu": t.nn.elu, "selu": t.nn.selu, "softplus": t.nn.softplus,
          "softsign": t.nn.softsign, "leaky_relu": lambda x: t.nn.leaky_relu(x, 0.3)}.get(name)
    fn = fn or getattr(t.math, name)
    x = f32(3, 7) * 0.9
    if name in ("sqrt", "rsqrt", "log", "log1p"):
        x = np.abs(x) + 0.1
    if name in ("asin", "acos", "atanh"):
        x = np.clip(x, -0.9, 0.9)
    if name == "round":
        x = np.array([[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.3]], np.float32)
    check_function(fn, [x], tmp_path)


BINARY = {
    "add": lambda t: t.math.add, "sub": lambda t: t.math.subtract, "mul": lambda t: t.math.multiply,
    "realdiv": lambda t: t.math.divide, "floordiv": lambda t: t.math.floordiv, "floormod": lambda t: t.math.floormod,
    "maximum": lambda t: t.math.maximum, "minimum": lambda t: t.math.minimum, "pow": lambda t: t.math.pow,
    "squared_difference": lambda t: t.math.squared_difference, "div_no_nan": lambda t: t.math.divide_no_nan,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name, tmp_path):
    t = tf()
    x, y = f32(2, 3, 4), f32(3, 1)
    if name == "pow":
        x = np.abs(x) + 0.5
    if name == "div_no_nan":
        y[1, 0] = 0
    check_function(BINARY[name](t), [x, y], tmp_path)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_division(dtype, tmp_path):
    t = tf()
    x = np.array([7, -7, 7, -7, 0], dtype)
    y = np.array([2, 2, -2, -2, 3], dtype)
    check_function(lambda a, b: (t.math.floordiv(a, b), t.math.floormod(a, b), t.truncatediv(a, b),
                                 t.truncatemod(a, b)), [x, y], tmp_path)


def test_comparison_and_select(tmp_path):
    t = tf()

    def fn(a, b):
        m = t.logical_and(t.greater(a, b), t.not_equal(a, 0.0))
        return (t.where(m, a, b), t.cast(t.less_equal(a, b), t.int32), t.raw_ops.Select(condition=m[:, 0], x=a,
                                                                                          y=b))
    check_function(fn, [f32(4, 3), f32(4, 3)], tmp_path)


# -- reductions ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(op, keepdims, tmp_path):
    t = tf()
    check_function(lambda x: getattr(t.math, op)(x, axis=[1, -1], keepdims=keepdims), [f32(2, 3, 4)], tmp_path)


def test_arg_max_min(tmp_path):
    t = tf()
    x = f32(3, 5, 4)
    x[0, 1, :] = x[0, 3, :]  # ties: TensorFlow picks the first
    check_function(lambda a: (t.math.argmax(a, axis=1), t.math.argmin(a, axis=-1, output_type=t.int32)), [x],
                   tmp_path)


# -- tensor plumbing -------------------------------------------------------------------------------------------------
def test_pack_unpack_split(tmp_path):
    t = tf()

    def fn(x, y):
        a, b, c = t.unstack(x, axis=1)
        s1, s2 = t.split(y, 2, axis=-1)
        v1, v2, v3 = t.split(y, [1, -1, 2], axis=-1)
        return t.stack([a, b * c], axis=-1), s1 - s2, v2, t.concat([v1, v3], axis=-1)
    check_function(fn, [f32(2, 3, 4), f32(2, 6)], tmp_path)


def test_shapes_fill_range_tile(tmp_path):
    t = tf()

    def fn(x):
        s = t.shape(x)
        r = t.range(0, s[1], 2)
        f = t.fill([s[0], 2], 3.5)
        return (t.tile(x, [2, 1, 1]), t.cast(r, t.float32), f, t.zeros_like(x), t.ones_like(x), t.size(x),
                t.rank(x), t.broadcast_to(x[:, :1], [2, 3, 4]))
    check_function(fn, [f32(2, 3, 4)], tmp_path)


def test_reshape_squeeze_expand_transpose(tmp_path):
    t = tf()

    def fn(x):
        y = t.reshape(x, [2, -1])
        z = t.squeeze(t.expand_dims(x, 1), [1])
        return y, t.transpose(z, [2, 0, 1]), t.squeeze(x[:, :1])
    check_function(fn, [f32(2, 3, 4)], tmp_path)


def test_pads_and_slices(tmp_path):
    t = tf()

    def fn(x):
        return (t.pad(x, [[1, 0], [0, 2], [1, 1]]), t.pad(x, [[0, 0], [1, 1], [2, 2]], constant_values=-1.0),
                t.pad(x, [[0, 0], [1, 1], [2, 2]], mode="REFLECT"),
                t.pad(x, [[1, 1], [1, 1], [0, 2]], mode="SYMMETRIC"), t.slice(x, [0, 1, 1], [-1, 2, 3]))
    check_function(fn, [f32(2, 3, 4)], tmp_path)


def test_gathers(tmp_path):
    t = tf()
    table = t.constant(f32(10, 4))

    def fn(ids, x):
        return (t.gather(table, ids), t.gather(x, [2, 0], axis=1), t.gather(x, [[1], [0]], axis=1, batch_dims=1),
                t.nn.embedding_lookup(table, ids))
    check_function(fn, [np.array([[1, 9], [3, 3]], np.int32), f32(2, 3, 4)], tmp_path)


def test_casts_and_clip(tmp_path):
    t = tf()

    def fn(x):
        return (t.cast(x * 3, t.int32), t.cast(t.cast(x > 0, t.int64), t.float32), t.clip_by_value(x, -0.5, 0.25),
                t.add_n([x, x * 2, x * 3]))
    check_function(fn, [f32(3, 4)], tmp_path)


def test_matmuls_and_einsum(tmp_path):
    t = tf()
    w = t.constant(f32(4, 5))

    def fn(a, b):
        return (t.matmul(a[0], w), t.matmul(a, b, transpose_b=True), t.matmul(a, b, adjoint_a=True) if False else
                t.linalg.matmul(a, a, transpose_a=True), t.einsum("bij,bkj->bik", a, b),
                t.einsum("bij,jk->bik", a, w))
    check_function(fn, [f32(2, 3, 4), f32(2, 6, 4)], tmp_path)


# -- convolution and pooling variants --------------------------------------------------------------------------------
@pytest.mark.parametrize("padding,strides,dilations", [("SAME", 2, 1), ("VALID", 1, 2), ("SAME", 1, 2),
                                                       ([[0, 0], [1, 2], [0, 1], [0, 0]], 2, 1)])
def test_conv2d_variants(padding, strides, dilations, tmp_path):
    t = tf()
    w = t.constant(f32(3, 3, 4, 6))
    dw = t.constant(f32(3, 3, 4, 2))

    def fn(x):
        y = t.nn.conv2d(x, w, strides, padding, dilations=dilations)
        z = t.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "SAME" if isinstance(padding, list) else padding,
                                  dilations=[dilations, dilations])
        return y, z
    check_function(fn, [f32(1, 9, 10, 4)], tmp_path)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_conv2d_transpose(padding, tmp_path):
    t = tf()
    w = t.constant(f32(3, 3, 5, 4))
    out = [1, 12, 14, 5] if padding == "SAME" else [1, 13, 15, 5]
    check_function(lambda x: t.nn.conv2d_transpose(x, w, out, 2, padding), [f32(1, 6, 7, 4)], tmp_path)


def test_conv3d_and_pool3d(tmp_path):
    t = tf()
    w = t.constant(f32(2, 3, 3, 3, 4))

    def fn(x):
        y = t.nn.conv3d(x, w, [1, 1, 2, 1, 1], "SAME")
        return t.nn.max_pool3d(y, 2, 2, "VALID"), t.nn.avg_pool3d(y, [1, 2, 3, 2, 1], [1, 1, 2, 2, 1], "SAME")
    check_function(fn, [f32(1, 4, 8, 8, 3)], tmp_path)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_pooling(padding, tmp_path):
    t = tf()

    def fn(x):
        return (t.nn.max_pool2d(x, 3, 2, padding), t.nn.avg_pool2d(x, [2, 3], [2, 1], padding),
                t.raw_ops.MaxPoolV2(input=x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding=padding))
    check_function(fn, [f32(2, 9, 10, 3)], tmp_path)


def test_batch_norm_and_lrn(tmp_path):
    t = tf()
    c = 5
    scale, offset, mean, var = (t.constant(v) for v in (f32(c), f32(c), f32(c), np.abs(f32(c)) + 0.5))

    def fn(x):
        y, _, _ = t.compat.v1.nn.fused_batch_norm(x, scale, offset, mean, var, epsilon=0.001, is_training=False)
        z, _, _ = t.compat.v1.nn.fused_batch_norm(x, scale, offset, epsilon=0.01, is_training=True)
        return y, z, t.nn.local_response_normalization(x, 2, 1.5, 1e-3, 0.75), t.nn.bias_add(x, offset)
    check_function(fn, [f32(2, 4, 6, c)], tmp_path)


def test_softmax_family(tmp_path):
    t = tf()
    check_function(lambda x: (t.nn.softmax(x), t.nn.log_softmax(x), t.nn.softmax(x, axis=1)), [f32(2, 3, 4)],
                   tmp_path)


def test_conv2d_transpose_explicit_and_dynamic(tmp_path):
    t = tf()
    w = t.constant(f32(3, 3, 5, 4))

    def fn(x):
        n = t.shape(x)[0]
        return t.nn.conv2d_transpose(x, w, t.stack([n, 12, 14, 5]), 2, "SAME")
    check_function(fn, [f32(1, 6, 7, 4)], tmp_path)
    # A dynamic batch leaves input_sizes unknown at conversion: the output-shape form is used.
    graph = check_function(fn, [f32(1, 6, 7, 4)], tmp_path, dynamic_batch=True)
    assert any(len(n.inputs) == 3 for n in graph.nodes if n.op.TYPE == "ConvolutionBackpropData")


# -- sequence decoding --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("merge", [True, False])
def test_ctc_greedy_decoder(merge, tmp_path):
    from irforge import ops
    if not hasattr(ops, "NonZero"):
        pytest.skip("needs ops.NonZero / GatherND / ScatterNDUpdate (helper onnx-suite, not on main yet)")
    t = tf()
    logits = f32(12, 3, 5)
    logits[4] = logits[3]  # a repeated step

    def fn(x, lengths):
        (decoded,), log_prob = t.nn.ctc_greedy_decoder(x, lengths, merge_repeated=merge)
        return (decoded.indices, decoded.values, decoded.dense_shape, log_prob,
                t.sparse.to_dense(decoded, default_value=-1))
    check_function(fn, [logits, np.array([12, 7, 2], np.int32)], tmp_path)


# -- image resizing, detection post-processing -------------------------------------------------------------------
def _needs(*names):
    from irforge import ops
    missing = [name for name in names if not hasattr(ops, name)]
    if missing:
        pytest.skip(f"needs ops.{', ops.'.join(missing)} (helper onnx-suite, not on main yet)")


@pytest.mark.parametrize("method", ["ResizeBilinear", "ResizeNearestNeighbor"])
@pytest.mark.parametrize("align,half", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("size", [[7, 10], [3, 2]])
def test_resize(method, align, half, size, tmp_path):
    _needs("Interpolate11")
    t = tf()
    op = getattr(t.raw_ops, method)
    check_function(lambda x: op(images=x, size=size, align_corners=align, half_pixel_centers=half),
                   [f32(2, 5, 4, 3)], tmp_path)


def _anchors_and_boxes(t):
    anchors = t.constant(np.concatenate([rng.uniform(0, 0.6, (40, 2)), rng.uniform(0.2, 0.4, (40, 2))], 1)
                         .astype(np.float32))

    def boxes_of(deltas):
        centre = anchors[:, :2] + deltas[:, :2] * 0.1
        half = anchors[:, 2:] * t.exp(deltas[:, 2:] * 0.2) / 2
        return t.concat([centre - half, centre + half], axis=1)
    return boxes_of


def test_detection_post_processing(tmp_path):
    """Anchors + regression deltas -> boxes, sigmoid scores, NonMaxSuppression V3, V4 padded, V5 (with scores),
    and the kept boxes gathered."""
    _needs("NonMaxSuppression")
    t = tf()
    boxes_of = _anchors_and_boxes(t)

    def fn(deltas, logits):
        return nms_outputs(t, boxes_of(deltas), t.sigmoid(logits))
    check_function(fn, [f32(40, 4), f32(40) * 2], tmp_path)


@pytest.mark.timeout(300)
def test_soft_nms(tmp_path):
    """NonMaxSuppressionV5 with soft_nms_sigma: suppressed boxes' scores decay instead."""
    _needs("NonMaxSuppression")
    t = tf()
    boxes_of = _anchors_and_boxes(t)

    def fn(deltas, logits):
        return t.image.non_max_suppression_with_scores(boxes_of(deltas), t.sigmoid(logits), 8, 0.5, 0.1,
                                                       soft_nms_sigma=0.5)
    check_function(fn, [f32(40, 4), f32(40) * 2], tmp_path)


def test_padded_nms_graph_reference_runtime(tmp_path):
    """tf.image.non_max_suppression_padded is written in TensorFlow ops (nested while loops, TopK, conditionals,
    frozen with the control flow lowered). The reference runtime gives TensorFlow's answer; OpenVINO 2026.4 reads
    and compiles the IR but crashes (segmentation fault) running it, so it is not run here."""
    t = tf()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    import irforge
    from oracles import assert_close, openvino, run_reference
    boxes_of = _anchors_and_boxes(t)

    def fn(deltas, logits):
        return t.image.non_max_suppression_padded(boxes_of(deltas), t.sigmoid(logits), 12, 0.4, 0.2,
                                                  pad_to_max_output_size=True)
    feeds = [f32(40, 4), f32(40) * 2]
    concrete = t.function(fn).get_concrete_function(t.TensorSpec([40, 4]), t.TensorSpec([40]))
    t.io.write_graph(convert_variables_to_constants_v2(concrete).graph.as_graph_def(), str(tmp_path), "m.pb",
                     as_text=False)
    expected = [np.asarray(v) for v in fn(*[t.constant(f) for f in feeds])]
    graph = irforge.convert_model(str(tmp_path / "m.pb"))
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "m.xml")
    assert sum(n.op.TYPE == "Loop" for n in graph.nodes) >= 1
    for got, want in zip(run_reference(xml, feeds), expected):
        assert_close(got, want, what="reference runtime vs TensorFlow")
    ov = openvino()
    ov.Core().compile_model(ov.Core().read_model(str(xml)), "CPU")


def test_top_k(tmp_path):
    t = tf()
    x = f32(3, 8)
    x[1, 5] = x[1, 2]  # a tie: the lower index first
    check_function(lambda a: tuple(t.math.top_k(a, 3)) + tuple(t.math.top_k(a, 8, sorted=True)), [x], tmp_path)


def test_depth_space_reverse_atan2(tmp_path):
    t = tf()

    def fn(x, y):
        d2s = t.nn.depth_to_space(x, 2)
        return (d2s, t.nn.space_to_depth(d2s, 2), t.reverse(x, [1, -1]), t.math.atan2(y, x[..., :3]))
    y = f32(1, 3, 4, 3)
    y[0, 0, 0, 0] = 0.0
    x = f32(1, 3, 4, 8)
    x[0, 0, 0, 0] = 0.0
    x[0, 1, 1, 1] = 0.0
    check_function(fn, [x, y], tmp_path)


def test_where_gather_nd_one_hot_cumsum(tmp_path):
    _needs("NonZero", "GatherND", "OneHot", "CumSum")
    t = tf()

    def fn(x, ids):
        coords = t.where(x > 0.3)
        return (coords, t.gather_nd(x, coords), t.one_hot(ids, 5, 2.0, -1.0), t.math.cumsum(x, axis=1),
                t.math.cumsum(x, axis=0, exclusive=True, reverse=True))
    check_function(fn, [f32(3, 4), np.array([0, 4, 7, -1], np.int32)], tmp_path)


def test_quantization_aware_conv(tmp_path):
    """QAT-style graph: per-channel fake-quantized conv weights (kept as a FakeQuantize that becomes integer
    weights) and per-tensor fake-quantized activations."""
    t = tf()
    w = t.constant(f32(3, 3, 3, 4))
    low, high = t.constant(-np.abs(f32(4)) - 0.5), t.constant(np.abs(f32(4)) + 0.5)

    def fn(x):
        a = t.quantization.fake_quant_with_min_max_vars(x, -2.0, 2.0)
        q = t.quantization.fake_quant_with_min_max_vars_per_channel(w, low, high, narrow_range=True)
        y = t.nn.relu(t.nn.conv2d(a, q, 1, "SAME"))
        return t.quantization.fake_quant_with_min_max_vars(y, 0.0, 6.0)
    graph = check_function(fn, [f32(1, 6, 6, 3)], tmp_path, atol=1e-4)
    assert any(n.op.TYPE == "Convert" and n.inputs[0].element_type.value in ("i8", "u8") for n in graph.nodes)
