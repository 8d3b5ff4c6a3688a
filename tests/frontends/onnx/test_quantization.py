"""ONNX quantization translators against onnxruntime, in the OpenVINO runtime and the reference runtime: QDQ
(QuantizeLinear / DequantizeLinear of every integer type, per tensor, per axis, blocks), dynamic quantization
(DynamicQuantizeLinear, ConvInteger, MatMulInteger) and QOperator ops (QLinearConv ... QLinearConcat).

Where irforge computes a quantized result through a FakeQuantize (a QuantizeLinear -> DequantizeLinear pair, a
QLinear op's output) its rounding may land one step from onnxruntime's integer arithmetic on values within a
rounding error of a midpoint: those comparisons allow one step on a small share of the elements. Standalone
QuantizeLinear and the integer ops are exact."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import irforge
from irforge.core.element_type import ElementType
from oracles import assert_close, run_onnxruntime, run_openvino, run_reference

rng = np.random.default_rng(11)
F = TensorProto.FLOAT
TYPES = {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8, np.uint16: TensorProto.UINT16,
         np.int16: TensorProto.INT16, np.int32: TensorProto.INT32}


def model(nodes, inputs, outputs, initializers=(), opset=13, ms_domain=False) -> onnx.ModelProto:
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("com.microsoft", 1)] if ms_domain else [])
    graph = helper.make_graph(nodes, "q", inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=imports)
    m.ir_version = 10 if opset >= 21 else 8
    return m


def value(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def init(name, array, data_type=None):
    if data_type is not None:   # 4-bit types: numpy_helper has no dtype for them
        return helper.make_tensor(name, data_type, array.shape, np.asarray(array).reshape(-1).tolist())
    return numpy_helper.from_array(np.asarray(array), name)


def convert(m: onnx.ModelProto, tmp_path: Path, **options):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "model.onnx"
    onnx.save(m, str(path))
    graph = irforge.convert_model(str(path), **options)
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "model.xml")
    return path, graph, xml


def run_all(m: onnx.ModelProto, feeds, tmp_path: Path, **options):
    """(onnxruntime outputs, [OpenVINO outputs, reference outputs], graph, xml)."""
    path, graph, xml = convert(m, tmp_path, **options)
    expected = run_onnxruntime(path, feeds)
    return expected, [run_openvino(xml, feeds), run_reference(xml, feeds)], graph, xml


def op_types(graph) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in graph.topological():
        counts[node.op.TYPE] = counts.get(node.op.TYPE, 0) + 1
    return counts


def assert_within_one_step(got, expected, step, what, share=0.02):
    """|got - expected| <= one quantization step everywhere (+ float noise), and more than float noise on at
    most `share` of the elements (rounding flips at midpoints)."""
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    assert got.shape == expected.shape, what
    diff = np.abs(got - expected)
    noise = 1e-5 * (1 + np.abs(expected))
    assert np.all(diff <= np.max(step) * 1.001 + noise), f"{what}: off by {diff.max()} > one step {np.max(step)}"
    flipped = np.mean(diff > noise)
    assert flipped <= share, f"{what}: {flipped:.1%} of the elements differ"


# -- QuantizeLinear / DequantizeLinear -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype,zero_point", [(np.uint8, 128), (np.uint8, 3), (np.int8, 0), (np.int8, -5)])
def test_quantize_linear_is_exact(tmp_path, dtype, zero_point):
    """Ties (x / scale = k + 0.5 exactly: the scale is a power of two) round to even; out-of-range values
    saturate."""
    x = np.concatenate([np.arange(-40, 40) * 0.25, [-1000, 1000, 63.75, -64.25]]).astype(np.float32)[None]
    m = model([helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["y"])], [value("x", F, x.shape)],
              [value("y", TYPES[dtype], x.shape)], [init("s", np.float32(0.5)), init("zp", dtype(zero_point))])
    expected, outs, graph, _ = run_all(m, [x], tmp_path)
    for got, who in zip(outs, ("OpenVINO", "reference")):
        assert got[0].dtype == dtype, who
        np.testing.assert_array_equal(got[0], expected[0], err_msg=who)


def test_quantize_linear_per_axis_and_default_type(tmp_path):
    x = (rng.standard_normal((2, 3, 4)) * 4).astype(np.float32)
    scale = np.array([0.5, 0.25, 0.125], np.float32)
    m = model([helper.make_node("QuantizeLinear", ["x", "s"], ["y"], axis=1)], [value("x", F, x.shape)],
              [value("y", TensorProto.UINT8, x.shape)], [init("s", scale)])
    expected, outs, _, _ = run_all(m, [x], tmp_path)
    for got in outs:
        np.testing.assert_array_equal(got[0], expected[0])


@pytest.mark.parametrize("dtype", [np.int16, np.uint16])
def test_sixteen_bit_quantize_dequantize_opset21(tmp_path, dtype):
    """A 16-bit pair is a FakeQuantize with 65536 levels. (The CPU plugin drops such FakeQuantize nodes as
    lossless, "QDQ stripping", and fails to when one sits between a Parameter and a Result: Relus around it.)"""
    x = (rng.standard_normal((3, 8)) * 3).astype(np.float32)
    zp = dtype(0 if dtype == np.int16 else 30000)
    m = model([helper.make_node("Relu", ["x"], ["r"]),
               helper.make_node("QuantizeLinear", ["r", "s", "zp"], ["q"]),
               helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["d"]), helper.make_node("Relu", ["d"], ["y"])],
              [value("x", F, x.shape)], [value("q", TYPES[dtype], x.shape), value("y", F, x.shape)],
              [init("s", np.float32(2 ** -10)), init("zp", zp)], opset=21)
    expected, outs, graph, _ = run_all(m, [x], tmp_path)
    assert op_types(graph).get("FakeQuantize") == 1
    for got, who in zip(outs, ("OpenVINO", "reference")):
        np.testing.assert_array_equal(got[0], expected[0])
        assert_close(got[1], expected[1], 0, 2 ** -11 * 1.001, who)   # within half a step: stripped or not


def test_dequantize_linear_of_integer_inputs(tmp_path):
    """Integers that come from outside (a u8 image, an i8 tensor) are dequantized as (x - zp) * s, per axis."""
    x = rng.integers(0, 256, (2, 3, 5)).astype(np.uint8)
    y = rng.integers(-128, 128, (4, 3)).astype(np.int8)
    m = model([helper.make_node("DequantizeLinear", ["x", "sx", "zx"], ["a"], axis=1),
               helper.make_node("DequantizeLinear", ["y", "sy", "zy"], ["b"], axis=0)],
              [value("x", TensorProto.UINT8, x.shape), value("y", TensorProto.INT8, y.shape)],
              [value("a", F, x.shape), value("b", F, y.shape)],
              [init("sx", np.float32([0.1, 0.02, 3.0])), init("zx", np.uint8([0, 128, 255])),
               init("sy", np.float32([0.5, 0.25, 1, 2])), init("zy", np.int8([0, -3, 4, 127]))])
    expected, outs, _, _ = run_all(m, [x, y], tmp_path)
    for got in outs:
        for g, e in zip(got, expected):
            assert_close(g, e, 1e-6, 1e-6)


@pytest.mark.parametrize("dtype,zp", [(np.uint8, 17), (np.int8, 0), (np.int8, 3)])
@pytest.mark.parametrize("per_axis", [False, True])
def test_quantize_dequantize_pair_is_one_fake_quantize(tmp_path, dtype, zp, per_axis):
    x = (rng.standard_normal((2, 4, 6, 6)) * 2).astype(np.float32)
    scale = np.float32([0.02, 0.03, 0.05, 0.01]) if per_axis else np.float32(0.03)
    zps = np.full(scale.shape, zp, dtype)
    m = model([helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"]),
               helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"])],
              [value("x", F, x.shape)], [value("y", F, x.shape)], [init("s", scale), init("zp", zps)])
    expected, outs, graph, _ = run_all(m, [x], tmp_path)
    assert op_types(graph) == {"Parameter": 1, "Const": 4, "FakeQuantize": 1, "Result": 1}
    fq = graph.nodes_of(irforge.ops.FakeQuantize)[0]
    assert fq.op.levels == 256
    for got, who in zip(outs, ("OpenVINO", "reference")):
        assert_within_one_step(got[0], expected[0], scale, who)


@pytest.mark.parametrize("onnx_type,zp", [(TensorProto.INT4, 0), (TensorProto.UINT4, 8), (TensorProto.UINT4, 3)])
def test_four_bit_pair_is_a_sixteen_level_fake_quantize(tmp_path, onnx_type, zp):
    x = (rng.standard_normal((2, 3, 40)) * 2).astype(np.float32)
    m = model([helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"]),
               helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"])],
              [value("x", F, x.shape)], [value("y", F, x.shape)],
              [init("s", np.float32(0.3)), init("zp", np.asarray(zp), onnx_type)], opset=21)
    expected, outs, graph, _ = run_all(m, [x], tmp_path)
    (fq,) = graph.nodes_of(irforge.ops.FakeQuantize)
    assert fq.op.levels == 16
    for got, who in zip(outs, ("OpenVINO", "reference")):
        assert_within_one_step(got[0], expected[0], 0.3, who)


def test_compress_to_fp16_keeps_quantization_f32(tmp_path):
    """--compress_to_fp16 halves the other weights; FakeQuantize limits, integer weights and their scales stay
    as they were, and so do the outputs."""
    w = rng.integers(-127, 128, (8, 4, 3, 3)).astype(np.int8)
    m, x_shape = _conv_with_dequantized_weights(w, rng.uniform(0.001, 0.01, 8).astype(np.float32),
                                                np.zeros(8, np.int8))
    _, _, xml = convert(m, tmp_path / "f32")
    path, graph, _ = convert(m, tmp_path / "fp16", compress_to_fp16=True)
    xml16, _ = irforge.save_model(graph, tmp_path / "fp16" / "ir" / "m.xml", compress_to_fp16=True)
    text = xml16.read_text()
    assert 'element_type="i8"' in text
    ir = irforge.read_model(xml16)
    for node in ir.nodes_of(irforge.ops.FakeQuantize):
        assert all(x.element_type == ElementType.f32 and x.node.op.TYPE == "Const" for x in node.inputs[1:])
    scales = [n for n in ir.nodes_of(irforge.ops.Multiply) if n.inputs[0].node.op.TYPE == "Convert"
              and n.inputs[0].node.inputs[0].element_type == ElementType.i8]
    assert scales and all(n.inputs[1].element_type == ElementType.f32 and n.inputs[1].node.op.TYPE == "Const"
                          for n in scales)
    x = rng.standard_normal(x_shape).astype(np.float32)
    for run in (run_openvino, run_reference):
        assert_close(run(xml16, [x])[0], run(xml, [x])[0], 1e-3, 1e-3)


def test_requantization_maps_one_grid_onto_another(tmp_path):
    """QuantizeLinear with (s1, zp1) then DequantizeLinear with (s2, zp2): the FakeQuantize's input range is the
    first grid, its output range the second."""
    x = (rng.standard_normal((3, 50)) * 2).astype(np.float32)
    m = model([helper.make_node("QuantizeLinear", ["x", "s1", "z1"], ["q"]),
               helper.make_node("DequantizeLinear", ["q", "s2", "z2"], ["y"])],
              [value("x", F, x.shape)], [value("y", F, x.shape)],
              [init("s1", np.float32(0.02)), init("z1", np.uint8(100)), init("s2", np.float32(0.5)),
               init("z2", np.uint8(7))])
    expected, outs, graph, _ = run_all(m, [x], tmp_path)
    assert op_types(graph).get("FakeQuantize") == 1
    for got in outs:
        assert_within_one_step(got[0], expected[0], 0.5, "requantized")


# -- quantized weights ---------------------------------------------------------------------------------------------
def _conv_with_dequantized_weights(w_q, w_scale, w_zp, axis=0, opset=13, w_type=None, extra_attrs=None,
                                   activation=True):
    """x -> QDQ -> Conv(DQ(w_q)) -> y, the QDQ form onnxruntime writes."""
    cout = w_q.shape[0]
    x_shape = (1, w_q.shape[1] * (extra_attrs or {}).get("group", 1), 8, 8)
    nodes = [helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["w"], axis=axis),
             helper.make_node("Conv", ["xd" if activation else "x", "w", "b"], ["y"], pads=[1, 1, 1, 1],
                              **(extra_attrs or {}))]
    inits = [init("wq", w_q, w_type), init("ws", w_scale), init("wz", w_zp, w_type),
             init("b", rng.standard_normal(cout).astype(np.float32) * 0.1)]
    if activation:
        nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
                 helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"])] + nodes
        inits += [init("xs", np.float32(0.025)), init("xz", np.uint8(128))]
    return model(nodes, [value("x", F, x_shape)], [value("y", F, None)], inits, opset=opset), x_shape


def _weights(graph):
    """(element type, Subtract present, Multiply present) of each integer weights chain in the graph."""
    chains = []
    for node in graph.topological():
        if node.op.TYPE == "Const" and node.op.element_type.bits <= 16 and node.op.element_type.is_integral \
                and node.outputs[0].uses and node.outputs[0].uses[0].node.op.TYPE == "Convert":
            after = node.outputs[0].uses[0].node.outputs[0].uses[0]
            if after.node.op.TYPE == "Subtract" and after.index == 1:
                continue   # a zero point
            kinds = []
            while after.node.op.TYPE in ("Subtract", "Multiply"):
                kinds.append(after.node.op.TYPE)
                after = after.node.outputs[0].uses[0]
            chains.append((node.op.element_type, tuple(kinds)))
    return chains


def test_int8_weights_are_stored_as_int8(tmp_path):
    w = rng.integers(-127, 128, (8, 4, 3, 3)).astype(np.int8)
    scale = rng.uniform(0.001, 0.01, 8).astype(np.float32)
    m, x_shape = _conv_with_dequantized_weights(w, scale, np.zeros(8, np.int8))
    x = rng.standard_normal(x_shape).astype(np.float32)
    expected, outs, graph, xml = run_all(m, [x], tmp_path)
    assert _weights(graph) == [(ElementType.i8, ("Multiply",))]
    assert op_types(graph).get("FakeQuantize") == 1   # the activation's
    ints = [n for n in graph.topological() if n.op.TYPE == "Const" and n.op.element_type == ElementType.i8]
    np.testing.assert_array_equal(ints[0].op.array(), w)  # the very integers of the model
    for got in outs:
        assert_close(got[0], expected[0], 1e-4, 1e-4)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_asymmetric_weights_keep_their_zero_points(tmp_path, dtype):
    info = np.iinfo(dtype)
    w = rng.integers(info.min, info.max + 1, (6, 3, 3, 3)).astype(dtype)
    zp = rng.integers(info.min + 20, info.max - 20, 6).astype(dtype)
    scale = rng.uniform(0.001, 0.01, 6).astype(np.float32)
    m, x_shape = _conv_with_dequantized_weights(w, scale, zp, activation=False)
    x = rng.standard_normal(x_shape).astype(np.float32)
    expected, outs, graph, _ = run_all(m, [x], tmp_path)
    (chain,) = _weights(graph)
    assert chain[0].bits == 8 and chain[1] == ("Subtract", "Multiply")
    for got in outs:
        assert_close(got[0], expected[0], 1e-4, 1e-4)


def test_uniform_unsigned_zero_point_becomes_signed_storage(tmp_path):
    """u8 weights with zero point 128 everywhere are i8 weights with zero point 0: no Subtract."""
    w = rng.integers(1, 256, (4, 2, 3, 3)).astype(np.uint8)
    m, x_shape = _conv_with_dequantized_weights(w, np.float32([0.01, 0.02, 0.03, 0.04]), np.full(4, 128, np.uint8),
                                                activation=False)
    x = rng.standard_normal(x_shape).astype(np.float32)
    expected, outs, graph, _ = run_all(m, [x], tmp_path)
    assert _weights(graph) == [(ElementType.i8, ("Multiply",))]
    for got in outs:
        assert_close(got[0], expected[0], 1e-4, 1e-4)


@pytest.mark.parametrize("onnx_type,lo,hi,stored", [(TensorProto.INT4, -8, 7, ElementType.i4),
                                                     (TensorProto.UINT4, 0, 15, ElementType.u4)])
def test_four_bit_weights_stay_four_bit(tmp_path, onnx_type, lo, hi, stored):
    w = rng.integers(lo, hi + 1, (6, 4, 3, 3)).astype(np.int8)
    zp = np.full(6, 0 if lo < 0 else 8, np.int8)
    m, x_shape = _conv_with_dequantized_weights(w, rng.uniform(0.01, 0.1, 6).astype(np.float32), zp, opset=21,
                                                w_type=onnx_type, activation=False)
    x = rng.standard_normal(x_shape).astype(np.float32)
    expected, outs, graph, xml = run_all(m, [x], tmp_path)
    assert [c[0] for c in _weights(graph)] == [ElementType.i4]   # zero point 8 of u4 = i4 with zero point 0
    for got in outs:
        assert_close(got[0], expected[0], 1e-4, 1e-4)


def test_blocked_weights_of_a_matmul(tmp_path):
    """DequantizeLinear-21 with block_size 4 along K of MatMul weights [K, N]: one scale per 4 rows."""
    k, n_out, block = 16, 5, 4
    w = rng.integers(-8, 8, (k, n_out)).astype(np.int8)
    scale = rng.uniform(0.01, 0.1, (k // block, n_out)).astype(np.float32)
    zp = np.zeros((k // block, n_out), np.int8)
    m = model([helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["w"], axis=0, block_size=block),
               helper.make_node("MatMul", ["x", "w"], ["y"])],
              [value("x", F, (3, k))], [value("y", F, (3, n_out))],
              [init("wq", w, TensorProto.INT4), init("ws", scale), init("wz", zp, TensorProto.INT4)], opset=21)
    x = rng.standard_normal((3, k)).astype(np.float32)
    expected, outs, graph, _ = run_all(m, [x], tmp_path)
    assert [c[0] for c in _weights(graph)] == [ElementType.i4]
    for got in outs:
        assert_close(got[0], expected[0], 1e-5, 1e-5)


@pytest.mark.parametrize("columns", [12, 10])   # whole blocks, and a last block of 2
@pytest.mark.parametrize("constant", [True, False])
def test_blocked_quantize_and_dequantize(tmp_path, columns, constant):
    """QuantizeLinear-21 / DequantizeLinear-21 with block_size 4 along axis 1, parameters constant or inputs."""
    x = (rng.standard_normal((3, columns)) * 3).astype(np.float32)
    blocks = -(-columns // 4)
    scale = rng.uniform(0.02, 0.1, (3, blocks)).astype(np.float32)
    zp = rng.integers(-10, 10, (3, blocks)).astype(np.int8)
    q_in = rng.integers(-128, 128, (3, columns)).astype(np.int8)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1, block_size=4),
             helper.make_node("DequantizeLinear", ["qi", "s", "z"], ["d"], axis=1, block_size=4)]
    inputs = [value("x", F, x.shape), value("qi", TensorProto.INT8, q_in.shape)]
    feeds = [x, q_in]
    if constant:
        inits = [init("s", scale), init("z", zp)]
    else:
        inits = []
        inputs += [value("s", F, scale.shape), value("z", TensorProto.INT8, zp.shape)]
        feeds += [scale, zp]
    m = model(nodes, inputs, [value("q", TensorProto.INT8, x.shape), value("d", F, x.shape)], inits, opset=21)
    expected, outs, _, _ = run_all(m, feeds, tmp_path)
    for got in outs:
        np.testing.assert_array_equal(got[0], expected[0])
        assert_close(got[1], expected[1], 1e-6, 1e-6)


def test_int32_bias_becomes_float(tmp_path):
    b = rng.integers(-1000, 1000, 6).astype(np.int32)
    m = model([helper.make_node("DequantizeLinear", ["bq", "bs"], ["b"]), helper.make_node("Add", ["x", "b"], ["y"])],
              [value("x", F, (2, 6))], [value("y", F, (2, 6))], [init("bq", b), init("bs", np.float32(0.001))])
    x = rng.standard_normal((2, 6)).astype(np.float32)
    expected, outs, graph, _ = run_all(m, [x], tmp_path)
    assert "FakeQuantize" not in op_types(graph) and not _weights(graph)
    for got in outs:
        assert_close(got[0], expected[0], 1e-6, 1e-6)


def test_disable_weights_compression_keeps_f32_weights_under_fake_quantize(tmp_path):
    w = rng.integers(-127, 128, (8, 4, 3, 3)).astype(np.int8)
    m, x_shape = _conv_with_dequantized_weights(w, rng.uniform(0.001, 0.01, 8).astype(np.float32),
                                                np.zeros(8, np.int8))
    x = rng.standard_normal(x_shape).astype(np.float32)
    path, compressed, xml = convert(m, tmp_path / "compressed")
    _, expanded, xml_expanded = convert(m, tmp_path / "expanded", disable_weights_compression=True)
    assert op_types(expanded).get("FakeQuantize") == 2 and not _weights(expanded)
    fq_weights = [n for n in expanded.nodes_of(irforge.ops.FakeQuantize) if n.inputs[0].node.op.TYPE == "Const"]
    assert fq_weights and fq_weights[0].inputs[0].element_type == ElementType.f32
    assert xml_expanded.with_suffix(".bin").stat().st_size > 3 * xml.with_suffix(".bin").stat().st_size
    for run in (run_openvino, run_reference):
        assert_close(run(xml_expanded, [x])[0], run(xml, [x])[0], 1e-5, 1e-5)


# -- dynamic quantization ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["normal", "positive", "zeros"])
def test_dynamic_quantize_linear(tmp_path, kind):
    x = {"normal": rng.standard_normal((3, 20)) * 3, "positive": rng.uniform(0.5, 4, (3, 20)),
         "zeros": np.zeros((3, 20))}[kind].astype(np.float32)
    m = model([helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])], [value("x", F, x.shape)],
              [value("y", TensorProto.UINT8, x.shape), value("s", F, []), value("z", TensorProto.UINT8, [])], opset=11)
    expected, outs, _, _ = run_all(m, [x], tmp_path)
    for got in outs:
        assert_close(got[1], expected[1], 1e-6, 0)
        np.testing.assert_array_equal(got[2], expected[2])
        diff = np.abs(got[0].astype(int) - expected[0].astype(int))
        assert diff.max() <= 1 and np.mean(diff) <= 0.02   # x / scale at a midpoint may round either way


def test_conv_integer_and_matmul_integer_are_exact(tmp_path):
    x = rng.integers(0, 256, (1, 4, 6, 6)).astype(np.uint8)
    w = rng.integers(-128, 128, (6, 2, 3, 3)).astype(np.int8)
    a = rng.integers(0, 256, (2, 3, 10)).astype(np.uint8)
    b = rng.integers(0, 256, (10, 7)).astype(np.uint8)
    m = model([helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["c"], group=2, strides=[2, 1],
                                pads=[1, 0, 1, 2]),
               helper.make_node("MatMulInteger", ["a", "b", "az", "bz"], ["p"])],
              [value("x", TensorProto.UINT8, x.shape), value("a", TensorProto.UINT8, a.shape)],
              [value("c", TensorProto.INT32, None), value("p", TensorProto.INT32, None)],
              [init("w", w), init("xz", np.uint8(120)), init("wz", np.int8(0)), init("b", b),
               init("az", np.uint8(3)), init("bz", rng.integers(0, 256, 7).astype(np.uint8))], opset=10)
    expected, outs, graph, _ = run_all(m, [x, a], tmp_path)
    assert {c[0] for c in _weights(graph)} == {ElementType.i8, ElementType.u8}
    for got in outs:
        for g, e in zip(got, expected):
            assert g.dtype == np.int32
            np.testing.assert_array_equal(g, e)


# -- QOperator -----------------------------------------------------------------------------------------------------
def _qop_model(op_nodes, x_shape, out_scale, inits, out_shape=None, ms=False, opset=13, x_zp=128):
    """x -> QuantizeLinear(xs, xz) -> [op_nodes: 'xq' -> 'yq'] -> DequantizeLinear(ys, yz) -> y."""
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]), *op_nodes,
             helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"])]
    inits = [init("xs", np.float32(0.03)), init("xz", np.uint8(x_zp)), init("ys", np.float32(out_scale)),
             init("yz", np.uint8(128)), *inits]
    return model(nodes, [value("x", F, x_shape)], [value("y", F, out_shape)], inits, opset=opset, ms_domain=ms)


def _check_qop(tmp_path, m, x, out_scale, fake_quantize=None, share=0.02):
    expected, outs, graph, xml = run_all(m, [x], tmp_path)
    kinds = op_types(graph)
    assert "Round" not in kinds and "Divide" not in kinds, f"the integers were not lifted to floats: {kinds}"
    if fake_quantize is not None:
        assert kinds.get("FakeQuantize") == fake_quantize, kinds
    for got, who in zip(outs, ("OpenVINO", "reference")):
        assert_within_one_step(got[0], expected[0], out_scale, who, share)
    return graph


def test_qlinear_conv_with_bias_groups_and_per_channel_weights(tmp_path):
    w = rng.integers(-127, 128, (6, 2, 3, 3)).astype(np.int8)
    ws = rng.uniform(0.002, 0.01, 6).astype(np.float32)
    bias = rng.integers(-2000, 2000, 6).astype(np.int32)
    conv = helper.make_node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["yq"], group=2,
                            pads=[1, 1, 1, 1], strides=[2, 2])
    m = _qop_model([conv], (1, 4, 9, 9), 0.05, [init("w", w), init("ws", ws), init("wz", np.zeros(6, np.int8)),
                                               init("b", bias)])
    graph = _check_qop(tmp_path, m, rng.standard_normal((1, 4, 9, 9)).astype(np.float32) * 2, 0.05, 2)
    assert _weights(graph) == [(ElementType.i8, ("Multiply",))]


def test_qlinear_conv_channels_last(tmp_path):
    w = rng.integers(-127, 128, (5, 3, 3, 3)).astype(np.int8)
    conv = helper.make_node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["yq"], domain="com.microsoft",
                            channels_last=1, pads=[1, 1, 1, 1])
    m = _qop_model([conv], (1, 6, 6, 3), 0.05, [init("w", w), init("ws", np.float32(0.004)),
                                                init("wz", np.int8(0))], ms=True)
    _check_qop(tmp_path, m, rng.standard_normal((1, 6, 6, 3)).astype(np.float32) * 2, 0.05, 2)


def test_qlinear_matmul_per_column(tmp_path):
    b = rng.integers(0, 256, (8, 5)).astype(np.uint8)
    mm = helper.make_node("QLinearMatMul", ["xq", "xs", "xz", "b", "bs", "bz", "ys", "yz"], ["yq"])
    m = _qop_model([mm], (2, 3, 8), 0.1, [init("b", b), init("bs", rng.uniform(0.001, 0.01, 5).astype(np.float32)),
                                          init("bz", rng.integers(100, 150, 5).astype(np.uint8))])
    _check_qop(tmp_path, m, rng.standard_normal((2, 3, 8)).astype(np.float32) * 2, 0.1, 2)


@pytest.mark.parametrize("quantized_output", [True, False])
def test_qgemm(tmp_path, quantized_output):
    b = rng.integers(-127, 128, (5, 8)).astype(np.int8)   # transB: [N, K]
    c = rng.integers(-500, 500, 5).astype(np.int32)
    inputs = ["xq", "xs", "xz", "b", "bs", "bz", "c"] + (["ys", "yz"] if quantized_output else [])
    gemm = helper.make_node("QGemm", inputs, ["yq" if quantized_output else "y"], domain="com.microsoft", transB=1,
                            alpha=0.5)
    inits = [init("b", b), init("bs", rng.uniform(0.002, 0.01, 5).astype(np.float32)), init("bz", np.zeros(5, np.int8)),
             init("c", c)]
    x = rng.standard_normal((3, 8)).astype(np.float32) * 2
    if quantized_output:
        _check_qop(tmp_path, _qop_model([gemm], (3, 8), 0.02, inits, ms=True), x, 0.02, 2)
        return
    m = model([helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]), gemm], [value("x", F, (3, 8))],
              [value("y", F, None)], inits + [init("xs", np.float32(0.03)), init("xz", np.uint8(128))], ms_domain=True)
    expected, outs, _, _ = run_all(m, [x], tmp_path)
    for got in outs:
        assert_close(got[0], expected[0], 1e-4, 1e-4)


@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
def test_qlinear_binary_with_broadcast(tmp_path, op):
    other = rng.integers(0, 256, (1, 4, 1, 1)).astype(np.uint8)
    node = helper.make_node(op, ["xq", "xs", "xz", "o", "os", "oz", "ys", "yz"], ["yq"], domain="com.microsoft")
    m = _qop_model([node], (2, 4, 3, 3), 0.05, [init("o", other), init("os", np.float32(0.02)),
                                                init("oz", np.uint8(100))], ms=True)
    _check_qop(tmp_path, m, rng.standard_normal((2, 4, 3, 3)).astype(np.float32) * 2, 0.05)


@pytest.mark.parametrize("op,attrs", [("QLinearSigmoid", {}), ("QLinearLeakyRelu", {"alpha": 0.2}),
                                      ("QLinearGlobalAveragePool", {}),
                                      ("QLinearGlobalAveragePool", {"channels_last": 1}),
                                      ("QLinearAveragePool", {"kernel_shape": [3, 3], "strides": [2, 2],
                                                              "pads": [1, 1, 1, 1]}),
                                      ("QLinearAveragePool", {"kernel_shape": [2, 2], "channels_last": 1,
                                                              "count_include_pad": 1, "ceil_mode": 1})])
def test_qlinear_unary(tmp_path, op, attrs):
    node = helper.make_node(op, ["xq", "xs", "xz", "ys", "yz"], ["yq"], domain="com.microsoft", **attrs)
    # Scales that are no simple multiples of the input's 0.03: exact midpoints, where onnxruntime's lookup tables
    # and irforge's arithmetic round float dust either way, stay rare.
    out_scale = 0.00391 if op == "QLinearSigmoid" else 0.0217
    m = _qop_model([node], (1, 3, 7, 7), out_scale, [], ms=True)
    _check_qop(tmp_path, m, rng.standard_normal((1, 3, 7, 7)).astype(np.float32) * 2, out_scale)


def test_qlinear_concat(tmp_path):
    other = rng.integers(0, 256, (1, 2, 4)).astype(np.uint8)
    node = helper.make_node("QLinearConcat", ["ys", "yz", "xq", "xs", "xz", "o", "os", "oz"], ["yq"],
                            domain="com.microsoft", axis=1)
    m = _qop_model([node], (1, 3, 4), 0.04, [init("o", other), init("os", np.float32(0.01)),
                                             init("oz", np.uint8(0))], ms=True)
    _check_qop(tmp_path, m, rng.standard_normal((1, 3, 4)).astype(np.float32) * 2, 0.04)


def test_integer_maxpool_and_reshape_move_to_the_float_side(tmp_path):
    """QOperator models run MaxPool and Reshape on the integers between QLinear ops; the dequantization finds
    the quantization through them, so the whole chain runs on FakeQuantize'd floats."""
    w = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    b = rng.integers(-127, 128, (36, 5)).astype(np.int8)
    nodes = [helper.make_node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "cs", "cz"], ["cq"], pads=[1, 1, 1, 1]),
             helper.make_node("MaxPool", ["cq"], ["pq"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Reshape", ["pq", "shape"], ["rq"]),
             helper.make_node("QLinearMatMul", ["rq", "cs", "cz", "b", "bs", "bz", "ys", "yz"], ["yq"])]
    inits = [init("w", w), init("ws", np.float32(0.005)), init("wz", np.int8(0)), init("cs", np.float32(0.03)),
             init("cz", np.uint8(100)), init("shape", np.int64([1, 36])), init("b", b), init("bs", np.float32(0.004)),
             init("bz", np.int8(0))]
    m = _qop_model(nodes, (1, 3, 6, 6), 0.05, inits)
    graph = _check_qop(tmp_path, m, rng.standard_normal((1, 3, 6, 6)).astype(np.float32) * 2, 0.05, 3)
    assert sorted(c[0].value for c in _weights(graph)) == ["i8", "i8"]


def test_conversion_summary_counts_quantization(tmp_path, capsys):
    from irforge.cli.main import mo_main
    w = rng.integers(-127, 128, (8, 4, 3, 3)).astype(np.int8)
    m, _ = _conv_with_dequantized_weights(w, rng.uniform(0.001, 0.01, 8).astype(np.float32), np.zeros(8, np.int8))
    tmp_path.mkdir(exist_ok=True)
    onnx.save(m, str(tmp_path / "q.onnx"))
    assert mo_main(["--input_model", str(tmp_path / "q.onnx"), "--output_dir", str(tmp_path / "a")]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert "1 FakeQuantize, 1 weights stored as i8 (0.9 kB less than as floats)" in line, line
    assert mo_main(["--input_model", str(tmp_path / "q.onnx"), "--output_dir", str(tmp_path / "b"),
                    "--disable_weights_compression"]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert "2 FakeQuantize," in line and "stored as" not in line, line
