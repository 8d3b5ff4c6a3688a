"""TensorFlow's quantization ops, one small frozen graph each, against TensorFlow in the OpenVINO runtime and the
reference runtime: FakeQuantWithMinMaxArgs / Vars / VarsPerChannel and QuantizeAndDequantizeV2 / V3 / V4.

Weights (constants) must come out exactly as TensorFlow computes them, rounding ties included, and be stored as
integers; activations quantized by QuantizeAndDequantize must be exact too (TensorFlow's formula op for op), and
fake-quantized activations must be a FakeQuantize (what the CPU plugin runs in INT8) or, per channel on data of
rank > 2, TensorFlow's formula."""
import numpy as np
import pytest

import irforge
from irforge.errors import ConversionError
from oracles import assert_close, run_openvino, run_reference
from tf_models import check_function, tf

rng = np.random.default_rng(5)
EXACT = {"rtol": 1e-6, "atol": 1e-7}   # a rounding flip moves a value a whole step; float dust stays below this


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def op_types(graph) -> list[str]:
    return [n.op.TYPE for n in graph.nodes]


def integer_weights(graph) -> list[str]:
    """The element types of the integer constants converted to float (compressed weights; zero points left out)."""
    return [n.inputs[0].element_type.value for n in graph.nodes
            if n.op.TYPE == "Convert" and n.inputs[0].node.op.TYPE == "Const" and n.op.destination_type.is_float
            and not n.inputs[0].element_type.is_float
            and not any(u.node.op.TYPE == "Subtract" and u.index == 1 for u in n.outputs[0].uses)]


def convert(fn, inputs, tmp_path):
    """Freeze `fn` and convert it with irforge, without running it in TensorFlow (for graphs TensorFlow rejects
    or that irforge must reject)."""
    t = tf()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    specs = [t.TensorSpec(np.shape(x), t.as_dtype(np.asarray(x).dtype)) for x in inputs]
    frozen = convert_variables_to_constants_v2(t.function(fn).get_concrete_function(*specs))
    t.io.write_graph(frozen.graph.as_graph_def(), str(tmp_path), "model.pb", as_text=False)
    graph = irforge.convert_model(str(tmp_path / "model.pb"))
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "model.xml")
    return graph, xml


def tf_nudged(low, high, num_bits, narrow):
    """(nudged_min, scale) as TensorFlow's fake_quant_ops_functor.h computes them, for crafting inputs on its
    rounding edges."""
    qmin, qmax = np.float32(1 if narrow else 0), np.float32((1 << num_bits) - 1)
    low, high = np.float32(low), np.float32(high)
    scale = (high - low) / (qmax - qmin)
    zero_point = min(max(qmin - low / scale, qmin), qmax)
    zero_point = np.float32(np.floor(zero_point + np.float32(0.5)))
    return (qmin - zero_point) * scale, scale


# -- FakeQuantWithMinMax* on activations -----------------------------------------------------------------------------
FAKE_QUANT_RANGES = [(-1.3, 2.1), (0.2, 3.0), (-4.0, -0.5), (-0.7, 0.7)]   # nudged to hold 0 when they do not


@pytest.mark.parametrize("num_bits,narrow", [(8, False), (8, True), (4, False), (4, True), (2, True), (16, False),
                                             (12, True)])
@pytest.mark.parametrize("low,high", FAKE_QUANT_RANGES)
def test_fake_quant_activations_per_tensor(num_bits, narrow, low, high, tmp_path):
    """Two fake quantizations of one tensor (OpenVINO merges them into one FakeQuantize feeding two layers: with
    odd levels the CPU plugin quantizes that on a wrong grid unless irforge's workaround applies)."""
    t = tf()

    def fn(x):
        x = x + 0.1
        a = t.quantization.fake_quant_with_min_max_vars(x, low, high, num_bits=num_bits, narrow_range=narrow)
        b = t.quantization.fake_quant_with_min_max_args(x, min=low, max=high, num_bits=num_bits, narrow_range=narrow)
        return a * 2.0, b * 2.0
    graph = check_function(fn, [f32(2, 4, 5, 3, scale=2.0)], tmp_path)
    # Up to 256 levels a FakeQuantize (INT8 in the CPU plugin); above, TensorFlow's formula (exact).
    assert op_types(graph).count("FakeQuantize") == (2 if num_bits <= 8 else 0)


@pytest.mark.parametrize("rank", [1, 2, 4])
@pytest.mark.parametrize("num_bits,narrow", [(8, False), (8, True), (5, False), (4, True)])
def test_fake_quant_activations_per_channel(rank, num_bits, narrow, tmp_path):
    """Per channel of the last axis; channel 3 has min == max == 0 (zeros), channel 1 a positive range."""
    t = tf()
    low = np.array([-1.0, 0.3, -3.0, 0.0, -0.2], np.float32)
    high = np.array([1.0, 2.0, 0.01, 0.0, 0.5], np.float32)

    def fn(x):
        y = t.quantization.fake_quant_with_min_max_vars_per_channel(x, low, high, num_bits=num_bits,
                                                                    narrow_range=narrow)
        return y, y * 3.0
    shape = [3, 4, 2, 5][-rank:] if rank > 1 else [5]
    graph = check_function(fn, [f32(*shape, scale=1.5)], tmp_path)
    assert "FakeQuantize" in op_types(graph)


@pytest.mark.parametrize("op", ["vars", "per_channel"])
def test_fake_quant_activations_above_256_levels_are_exact(op, tmp_path):
    """12-bit grids: TensorFlow's formula op for op, so inputs on its rounding edges (which it rounds up, and
    FakeQuantize would round to even) come out exactly in the reference runtime. OpenVINO rearranges the linear
    ops before the floor ((x - a) * b as x * b - a * b, a division by a constant as a multiplication by its
    reciprocal), so at those edges it may land a step away; away from them it is exact."""
    t = tf()
    low, high = np.array([-1.0, -0.5, -2.0], np.float32), np.array([1.0, 1.5, 0.75], np.float32)
    if op == "vars":
        low, high = low[:1], high[:1]
    ties, steps = [], []
    for lo, hi in zip(low, high):
        nudged_low, scale = tf_nudged(lo, hi, 12, True)
        ties.append(nudged_low + (rng.integers(0, 4094, 16) + np.float32(0.5)) * scale)
        steps.append(scale)
    x = np.stack(ties, -1).astype(np.float32).reshape(2, 2, 4, len(low))

    def fn(x):
        if op == "vars":
            return t.quantization.fake_quant_with_min_max_vars(x, low[0], high[0], num_bits=12, narrow_range=True)
        return t.quantization.fake_quant_with_min_max_vars_per_channel(x, low, high, num_bits=12, narrow_range=True)
    graph, xml = convert(fn, [x], tmp_path)
    expected = fn(t.constant(x)).numpy()
    assert_close(run_reference(xml, [x])[0], expected, what="reference runtime", **EXACT)
    got = run_openvino(xml, [x])[0]
    assert np.all(np.abs(got - expected) <= 1.001 * np.asarray(steps)), "OpenVINO: more than a step away"
    check_function(fn, [f32(*x.shape)], tmp_path, **EXACT)   # random inputs, away from the edges: exact
    assert "FakeQuantize" not in op_types(graph)


# -- FakeQuantWithMinMax* on weights -----------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["vars", "args", "per_channel"])
@pytest.mark.parametrize("num_bits,narrow,stored", [(8, True, "i8"), (8, False, "u8"), (4, True, "i4"),
                                                    (4, False, "u4"), (12, False, "i16")])
def test_fake_quant_weights_are_exact_integers(op, num_bits, narrow, stored, tmp_path):
    """Weights on TensorFlow's rounding edges (it rounds them up; FakeQuantize would round half of them to even)
    come out exactly, as integers of the smallest type. Symmetric ranges give signed integers without a zero
    point."""
    t = tf()
    channels = 6
    amax = np.abs(f32(channels)) + 0.5
    low, high = (-amax, amax) if op == "per_channel" else (np.float32(-amax[0]), np.float32(amax[0]))
    if not narrow:   # asymmetric ranges: the zero point is not in the middle (unsigned integers)
        low = (low * 0.6).astype(np.float32)
    w = f32(8, channels)
    nudged_low, scale = tf_nudged(low, high, num_bits, narrow) if op != "per_channel" else \
        np.vectorize(lambda lo, hi: tf_nudged(lo, hi, num_bits, narrow))(low, high)
    ties = (nudged_low + (rng.integers(0, (1 << num_bits) - 1, (8, channels)) + np.float32(0.5)) * scale)
    w = np.where(rng.random((8, channels)) < 0.5, ties, w).astype(np.float32)
    weights = t.constant(w)

    def quantized():
        if op == "vars":
            return t.quantization.fake_quant_with_min_max_vars(weights, low, high, num_bits, narrow)
        if op == "args":
            return t.quantization.fake_quant_with_min_max_args(weights, float(low), float(high), num_bits, narrow)
        return t.quantization.fake_quant_with_min_max_vars_per_channel(weights, low, high, num_bits, narrow)

    def fn(x):
        q = quantized()
        return q, t.matmul(x, q)
    graph = check_function(fn, [f32(3, 8)], tmp_path, **EXACT)
    assert integer_weights(graph) == [stored]
    assert "FakeQuantize" not in op_types(graph)


def test_fake_quant_weights_computed_from_constants(tmp_path):
    """Weights scaled by constants before the fake quantization (a folded batch normalization) are weights too."""
    t = tf()
    w, gamma = t.constant(f32(3, 3, 4, 6)), t.constant(np.abs(f32(6)) + 0.5)
    amax = np.abs(f32(6)) + 1.0

    def fn(x):
        q = t.quantization.fake_quant_with_min_max_vars_per_channel(w * gamma, -amax, amax, narrow_range=True)
        return t.nn.conv2d(x, q, 1, "SAME")
    graph = check_function(fn, [f32(1, 5, 5, 4)], tmp_path)
    assert integer_weights(graph) == ["i8"]


def test_fake_quant_range_must_be_known(tmp_path):
    t = tf()
    with pytest.raises(ConversionError, match="min.*must be known at conversion time"):
        check_function(lambda x, m: t.quantization.fake_quant_with_min_max_vars(x, m, 1.0),
                       [f32(2, 3), np.float32(-1.0)], tmp_path)


def test_fake_quant_empty_range_is_an_error(tmp_path):
    t = tf()
    with pytest.raises(ConversionError, match="empty or inverted"):
        convert(lambda x: t.quantization.fake_quant_with_min_max_vars(x, 0.5, 0.5), [f32(2, 3)], tmp_path)


# -- QuantizeAndDequantizeV2 / V3 / V4 ---------------------------------------------------------------------------
def qdq(version: str, x, low, high, **attrs):
    t = tf()
    if version == "V3":
        attrs.pop("round_mode", None)
        return t.raw_ops.QuantizeAndDequantizeV3(input=x, input_min=low, input_max=high,
                                                 num_bits=attrs.pop("num_bits", 8), **attrs)
    return getattr(t.raw_ops, f"QuantizeAndDequantize{version}")(input=x, input_min=low, input_max=high, **attrs)


def integer_range(signed, num_bits, narrow):
    if signed:
        return -(1 << (num_bits - 1)) + int(narrow), (1 << (num_bits - 1)) - 1
    return 0, (1 << num_bits) - 1


def on_edges(shape, signed, num_bits, narrow, exponent=5):
    """Data whose range makes TensorFlow's scale 2^exponent, half of it on rounding edges (k + 0.5) / scale, and
    holding that range's ends (so the range is the same with and without range_given)."""
    min_q, max_q = integer_range(signed, num_bits, narrow)
    scale = np.float32(2.0 ** exponent)
    low, high = np.float32(min(-(1 << (num_bits - 1)), 0) / scale) if signed else np.float32(-0.3), \
        np.float32(max_q / scale)
    edges = (rng.integers(min_q, max_q, shape) + np.float32(0.5)) / scale
    x = np.where(rng.random(shape) < 0.5, edges, rng.uniform(low, high, shape)).astype(np.float32)
    x.reshape(-1)[:2] = [low, high]
    return x, low, high


QDQ_CASES = [
    # version, signed, num_bits, narrow, range_given, round_mode
    ("V2", True, 8, False, True, "HALF_TO_EVEN"),
    ("V2", True, 8, True, True, "HALF_UP"),
    ("V2", False, 8, False, False, "HALF_UP"),
    ("V2", True, 4, True, False, "HALF_TO_EVEN"),
    ("V4", True, 8, True, True, "HALF_TO_EVEN"),
    ("V4", False, 6, False, True, "HALF_UP"),
    ("V4", True, 20, False, False, "HALF_UP"),
    ("V3", True, 8, True, True, "HALF_TO_EVEN"),
    ("V3", False, 8, False, False, "HALF_TO_EVEN"),
    ("V3", True, 3, False, True, "HALF_TO_EVEN"),
]


@pytest.mark.parametrize("version,signed,num_bits,narrow,range_given,mode", QDQ_CASES)
def test_quantize_and_dequantize_activations_exact(version, signed, num_bits, narrow, range_given, mode, tmp_path):
    x, low, high = on_edges((4, 6, 5), signed, num_bits, narrow)

    def fn(x):
        return qdq(version, x, low, high, signed_input=signed, num_bits=num_bits, narrow_range=narrow,
                   range_given=range_given, round_mode=mode)
    graph = check_function(fn, [x], tmp_path, **EXACT)
    assert "FakeQuantize" not in op_types(graph)


@pytest.mark.parametrize("version,signed,narrow,mode", [("V2", True, False, "HALF_UP"),
                                                        ("V4", False, False, "HALF_TO_EVEN"),
                                                        ("V4", True, True, "HALF_TO_EVEN")])
@pytest.mark.parametrize("axis", [0, 2])
def test_quantize_and_dequantize_activations_per_channel(version, signed, narrow, mode, axis, tmp_path):
    """axis: each slice its own range (computed in the graph); random data, one slice all zeros."""
    t = tf()
    x = f32(3, 4, 5, scale=2.0)
    np.moveaxis(x, axis, 0)[1] = 0.0
    channels = x.shape[axis]

    def fn(x):
        return qdq(version, x, t.zeros([channels]), t.zeros([channels]), signed_input=signed, narrow_range=narrow,
                   range_given=False, round_mode=mode, axis=axis)
    check_function(fn, [x], tmp_path, dynamic_batch=axis != 0, **EXACT)


def test_quantize_and_dequantize_random_ranges(tmp_path):
    """Ranges that make no power-of-two scale, one side limiting the scale, then the other."""
    x = f32(5, 7, scale=3.0)

    def fn(x):
        return (qdq("V2", x, -1.3, 2.9, range_given=True), qdq("V4", x, -2.7, 0.4, range_given=True,
                                                                  narrow_range=True, round_mode="HALF_UP"),
                qdq("V2", x * 0.37 + 0.1, 0.0, 0.0, signed_input=False), qdq("V2", x, 0.0, 0.0, num_bits=3))
    check_function(fn, [x], tmp_path, **EXACT)


@pytest.mark.parametrize("version,signed,num_bits,narrow,range_given,mode", QDQ_CASES)
def test_quantize_and_dequantize_weights_exact_integers(version, signed, num_bits, narrow, range_given, mode,
                                                        tmp_path):
    t = tf()
    w, low, high = on_edges((6, 4), signed, num_bits, narrow)
    weights = t.constant(w)

    def fn(x):
        q = qdq(version, weights, low, high, signed_input=signed, num_bits=num_bits, narrow_range=narrow,
                range_given=range_given, round_mode=mode)
        return q, t.matmul(x, q)
    graph = check_function(fn, [f32(2, 6)], tmp_path, **EXACT)
    # Integers of the smallest type for the grid's levels; unsigned quantization without range_given takes the
    # negative weights below its range (TensorFlow does not clamp them), so its grid has more levels.
    levels = (1 << num_bits) + (0 if signed or range_given else 32)
    width = next((w for w in (4, 8, 16) if levels <= 1 << w), None)
    assert [t[1:] for t in integer_weights(graph)] == ([str(width)] if width else [])


def test_quantize_and_dequantize_weights_per_channel(tmp_path):
    """Weights quantized per output channel (axis 3 of HWIO filters) with their own ranges, into a convolution."""
    t = tf()
    w = f32(3, 3, 4, 6)
    w[..., 2] = 0.0
    weights = t.constant(w)

    def fn(x):
        q = qdq("V4", weights, t.zeros([6]), t.zeros([6]), narrow_range=True, axis=3)
        return q, t.nn.conv2d(x, q, 1, "SAME")
    graph = check_function(fn, [f32(1, 5, 5, 4)], tmp_path, **EXACT)
    assert integer_weights(graph) == ["i8"]


@pytest.mark.parametrize("weights", [False, True])
def test_quantize_and_dequantize_per_channel_given_range(weights, tmp_path):
    """Per channel with range_given: TensorFlow 2.21's kernel rejects it (it asks for a scalar and a vector
    input_min at once), so TensorFlow's per-tensor op on each slice is the oracle."""
    t = tf()
    low, high = np.array([-1.0, -0.25, -3.0, 0.0], np.float32), np.array([2.0, 0.5, 1.0, 4.0], np.float32)
    attrs = {"narrow_range": True, "round_mode": "HALF_UP", "range_given": True}
    if weights:   # [4, 5] weights quantized per row, then x [3, 4] @ weights
        w, x = f32(4, 5, scale=2.0), f32(3, 4)
        expected = np.stack([qdq("V2", w[c], low[c], high[c], **attrs).numpy() for c in range(4)], 0)

        def fn(x):
            q = qdq("V2", t.constant(w), t.constant(low), t.constant(high), axis=0, **attrs)
            return q, t.matmul(x, q)
        expected = [expected, x @ expected]
    else:         # [2, 4, 3] activations quantized per slice of axis 1
        x = f32(2, 4, 3, scale=2.0)
        expected = [np.stack([qdq("V2", x[:, c], low[c], high[c], **attrs).numpy() for c in range(4)], 1)]

        def fn(x):
            return qdq("V2", x, t.constant(low), t.constant(high), axis=1, **attrs)
    graph, xml = convert(fn, [x], tmp_path)
    for run in (run_openvino, run_reference):
        got = run(xml, [x])
        assert_close(got[0], expected[0], what=run.__name__, **EXACT)
        if weights:
            assert_close(got[1], expected[1], what=run.__name__)
    assert integer_weights(graph) == (["i8"] if weights else [])


def test_quantize_and_dequantize_errors(tmp_path):
    t = tf()
    with pytest.raises(ConversionError, match="num_bits.*must be known"):
        check_function(lambda x, b: t.raw_ops.QuantizeAndDequantizeV3(input=x, input_min=-1.0, input_max=1.0,
                                                                      num_bits=b), [f32(3), np.int32(8)], tmp_path)
    with pytest.raises(ConversionError, match="input_min.*must be known"):
        check_function(lambda x, m: qdq("V2", x, m, 1.0, range_given=True), [f32(3), np.float32(-1)], tmp_path)
    with pytest.raises(ConversionError, match="invalid range"):
        convert(lambda x: qdq("V4", x, 1.0, -1.0, range_given=True), [f32(3)], tmp_path)


def test_narrow_range_activations_run_in_int8(tmp_path):
    """Narrow-range (255-level) activations get the odd-levels workaround (a Minimum, then a 256-level
    FakeQuantize): the CPU plugin must still run the convolutions between them in INT8, with TensorFlow's values."""
    t = tf()
    from oracles import F32_HINT, openvino
    weights = [f32(3, 3, 3, 8, scale=0.3), f32(3, 3, 8, 8, scale=0.2)]

    def fn(x):
        y = t.quantization.fake_quant_with_min_max_vars(x, -3.0, 3.0, narrow_range=True)
        for w in weights:
            amax = np.abs(w).max(axis=(0, 1, 2))
            q = t.quantization.fake_quant_with_min_max_vars_per_channel(t.constant(w), -amax, amax, narrow_range=True)
            y = t.quantization.fake_quant_with_min_max_vars(t.nn.relu(t.nn.conv2d(y, q, 1, "SAME")), 0.0, 4.0,
                                                            narrow_range=True)
        return y
    x = f32(1, 8, 8, 3)
    graph = check_function(fn, [x], tmp_path, atol=1e-4)
    assert integer_weights(graph) == ["i8", "i8"]
    _, xml = convert(fn, [x], tmp_path / "again")
    core = openvino().Core()
    compiled = core.compile_model(core.read_model(str(xml)), "CPU", F32_HINT)
    layers = [op.get_rt_info() for op in compiled.get_runtime_model().get_ordered_ops()]
    precisions = [rt["runtimePrecision"].astype(str) for rt in layers if rt["layerType"].astype(str) == "Convolution"]
    assert precisions == ["u8", "u8"]
