"""compress_quantized_weights: FakeQuantize on constant weights -> integer Const -> Convert -> [Subtract] ->
[Multiply]. The stored form must reproduce the FakeQuantize's values (its own evaluation and the OpenVINO
runtime running the expanded IR); fold_constants and compress_to_fp16 must leave it alone; OpenVINO's CPU
plugin must run the consumer in INT8."""
from __future__ import annotations

import numpy as np
import pytest

import irforge
from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph
from irforge.core.shape import PartialShape
from irforge.transforms.compress_quantized_weights import (compress, compress_quantized_weights,
                                                           dequantization_nodes, summarize)
from irforge.transforms.compress_to_fp16 import compress_to_fp16
from irforge.transforms.fold_constants import fold_constants
from oracles import F32_HINT, assert_close, openvino, run_openvino, run_reference

rng = np.random.default_rng(21)


def f32(v):
    return np.asarray(v, np.float32)


def limits_symmetric(w, levels, axis_shape):
    """Per output channel, as symmetric quantizers write them: scale = amax / qmax, range [qmin, qmax] * scale
    with qmin = -(levels // 2), qmax = (levels - 1) // 2 (256 levels: -128 .. 127)."""
    qmax = (levels - 1) // 2
    scale = np.abs(w).reshape(w.shape[0], -1).max(1).reshape(axis_shape) / qmax
    low, high = f32(-(levels // 2) * scale), f32(qmax * scale)
    return [low, high, low, high]


def check(weights, limits, levels, element_type, subtract, multiply=True):
    fq = ops.FakeQuantize(levels=levels)
    c = compress(weights, limits, fq)
    assert c is not None
    assert c.element_type == element_type
    assert (c.zero_point is not None) == subtract
    assert (c.scale is not None) == multiply
    expected = fq.evaluate(weights, *limits)[0]
    step = (np.broadcast_to(limits[3], expected.shape) - np.broadcast_to(limits[2], expected.shape)) / (levels - 1)
    resolution = 8 * np.finfo(np.float32).eps * np.maximum(np.abs(limits[2]), np.abs(limits[3]))
    assert np.all(np.abs(c.dequantized(np.float32) - expected) <= np.maximum(1e-3 * np.abs(step), resolution))
    return c


@pytest.mark.parametrize("levels,stored", [(256, ElementType.i8), (255, ElementType.i8), (16, ElementType.i4),
                                           (15, ElementType.i4), (65536, ElementType.i16)])
def test_symmetric_weights_need_no_zero_point(levels, stored):
    w = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
    check(w, limits_symmetric(w, levels, (6, 1, 1, 1)), levels, stored, subtract=False)


def test_asymmetric_per_channel_weights_keep_integer_zero_points():
    w = rng.uniform(-0.2, 1.0, (4, 5)).astype(np.float32)
    low = f32(np.minimum(w.min(1, keepdims=True), 0))       # ranges hold 0, as quantizers make them
    high = f32(w.max(1, keepdims=True))
    scale = (high - low) / 255
    zp = np.round(-low / scale)                              # on the grid: low = -zp * scale
    low, high = f32(-zp * scale), f32((255 - zp) * scale)
    c = check(w, [low, high, low, high], 256, ElementType.u8, subtract=True)
    assert c.zero_point.dtype == np.uint8 and c.zero_point.shape == (4, 1)


def test_a_zero_point_between_integers_stays_float():
    w = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    limits = [f32(-1.0), f32(1.3), f32(-1.0), f32(1.3)]   # -low / scale = 110.87
    c = check(w, limits, 256, ElementType.u8, subtract=True)
    assert c.zero_point.dtype == np.float32


def test_output_range_different_from_input_range():
    w = rng.standard_normal((2, 8)).astype(np.float32)
    check(w, [f32(-2), f32(2), f32(-0.5), f32(1.5)], 256, ElementType.u8, subtract=True)


def test_unit_scale_needs_no_multiply():
    """ConvInteger weights: integers minus a zero point, scale 1."""
    w = f32(rng.integers(-128, 128, (3, 4)) - 5)
    c = check(w, [f32(-133), f32(122), f32(-133), f32(122)], 256, ElementType.i8, subtract=False, multiply=False)
    np.testing.assert_array_equal(c.stored, w.astype(np.int8))


def test_all_zero_channel_and_unrepresentable_cases():
    w = np.zeros((2, 3), np.float32)
    w[1] = [0.5, -0.25, 1.0]
    low, high = f32([[0.0], [-128 / 127]]), f32([[0.0], [1.0]])   # channel 0: range of width 0 at 0
    check(w, [low, high, low, high], 256, ElementType.i8, subtract=False)
    fq = ops.FakeQuantize(levels=256)
    assert compress(w, [f32(1), f32(1), f32(1), f32(1)], fq) is None        # a flat range away from 0
    assert compress(w, [f32(-1), f32(1), f32(-1), f32(1)], ops.FakeQuantize(levels=70000)) is None


def _conv_graph(weights, limits, levels=256, group=False):
    g = Graph("q")
    x = g.parameter("x", ElementType.f32, PartialShape((1, weights.shape[1] * (2 if group else 1), 6, 6)))
    xq = g.out(ops.FakeQuantize(levels=256), x, g.constant(f32(-3)), g.constant(f32(3)), g.constant(f32(-3)),
               g.constant(f32(3)))
    w = g.constant(weights, name="w")
    wq = g.out(ops.FakeQuantize(levels=levels), w, *(g.constant(v) for v in limits))
    attrs = dict(strides=(1, 1), pads_begin=(1, 1), pads_end=(1, 1), dilations=(1, 1))
    if group:
        shape = g.constant(np.asarray((2, weights.shape[0] // 2, *weights.shape[1:]), np.int64))
        y = g.out(ops.GroupConvolution(**attrs), xq, g.out(ops.Reshape(), wq, shape))
    else:
        y = g.out(ops.Convolution(**attrs), xq, wq)
    y.names.add("y")
    g.result(y)
    return g


@pytest.mark.parametrize("group", [False, True])
def test_pass_matches_the_expanded_graph_in_openvino_and_runs_int8(tmp_path, group):
    w = rng.standard_normal((8, 4, 3, 3)).astype(np.float32) * 0.1
    g = _conv_graph(w, limits_symmetric(w, 255, (8, 1, 1, 1)), 255, group)
    expanded = g.copy()
    assert compress_quantized_weights(g) == 1
    fold_constants(g)   # must not turn the integer weights back into f32 ones
    assert not any(isinstance(n.op, ops.Constant) and n.op.element_type == ElementType.f32 and n.op.shape == w.shape
                   for n in g.topological())
    xml, _ = irforge.save_model(g, tmp_path / "c" / "m.xml")
    xml_expanded, _ = irforge.save_model(expanded, tmp_path / "e" / "m.xml")
    assert xml.with_suffix(".bin").stat().st_size < 0.4 * xml_expanded.with_suffix(".bin").stat().st_size
    x = rng.standard_normal((1, w.shape[1] * (2 if group else 1), 6, 6)).astype(np.float32)
    for run in (run_openvino, run_reference):
        assert_close(run(xml, [x])[0], run(xml_expanded, [x])[0], 1e-5, 1e-5, run.__name__)
    ov = openvino()
    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(xml)), "CPU", F32_HINT)
    precisions = [op.get_rt_info()["runtimePrecision"].astype(str) for op in compiled.get_runtime_model().get_ordered_ops()
                  if op.get_rt_info()["layerType"].astype(str) in ("Convolution", "GroupConvolution")]
    assert precisions and all(p in ("u8", "i8") for p in precisions), precisions


def test_fold_constants_keeps_the_integer_chain_and_what_follows():
    """A Reshape of the dequantized grouped weights (a small weight: its value is known at inference) is not
    folded into an f32 constant, nor are the Convert / Multiply."""
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    g = _conv_graph(w, limits_symmetric(w, 256, (4, 1, 1, 1)), 256, group=True)
    compress_quantized_weights(g)
    kept = dequantization_nodes(g)
    assert len(kept) == 4   # i8 Const, Convert, Multiply, scale
    fold_constants(g)
    g.remove_dead_nodes()
    types = [n.op.TYPE for n in g.topological()]
    assert types.count("Convert") == 1 and "Reshape" in types
    big_f32 = [n for n in g.topological() if n.op.TYPE == "Const" and n.op.element_type == ElementType.f32
               and int(np.prod(n.op.shape)) >= w.size]
    assert not big_f32


def test_compress_to_fp16_leaves_quantization_alone():
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    expanded = _conv_graph(w, limits_symmetric(w, 256, (4, 1, 1, 1)))
    assert compress_to_fp16(expanded) == 0          # FakeQuantize limits and the weights under it stay f32
    g = _conv_graph(w, limits_symmetric(w, 256, (4, 1, 1, 1)))
    compress_quantized_weights(g)
    g.remove_dead_nodes()
    assert compress_to_fp16(g) == 0                 # the scales too
    assert all(n.op.element_type != ElementType.f16 for n in g.topological() if n.op.TYPE == "Const")


def test_summary():
    w = rng.standard_normal((8, 4, 3, 3)).astype(np.float32)
    g = _conv_graph(w, limits_symmetric(w, 256, (8, 1, 1, 1)))
    assert str(summarize(g)) == "2 FakeQuantize"
    compress_quantized_weights(g)
    g.remove_dead_nodes()
    s = summarize(g)
    assert (s.fake_quantize, s.compressed, s.bytes_saved, s.storage) == (1, 1, w.size * 3, ("i8",))
    assert str(s) == "1 FakeQuantize, 1 weights stored as i8 (0.9 kB less than as floats)"
