"""quantized_weights_layout: Transpose / Reshape / Unsqueeze of a FakeQuantize of constant weights moves into the
weights and the limits. The values must stay the same (the graph run before and after, in the reference runtime
and in OpenVINO reading the IR), the limits must shrink to the per-channel shape of the new layout, and what
cannot move (a FakeQuantize shared by two consumers, computed limits) must stay."""
import numpy as np

import irforge
from irforge import ops
from irforge.core import ElementType
from irforge.core.graph import Graph
from irforge.core.interpret import Plan, run_graph
from irforge.core.shape import PartialShape
from irforge.transforms.compress_quantized_weights import compress_quantized_weights
from irforge.transforms.quantized_weights_layout import quantized_weights_layout
from oracles import assert_close, run_openvino

rng = np.random.default_rng(8)
CONV = {"strides": (1, 1), "pads_begin": (1, 1), "pads_end": (1, 1), "dilations": (1, 1)}


def i64(v):
    return np.asarray(v, np.int64)


def fake_quantized(g: Graph, w: np.ndarray, axis: int, levels: int = 255):
    """Symmetric per-channel fake quantization of `w` along `axis` (limits of w's rank, size 1 elsewhere)."""
    reduce = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.abs(w).max(axis=reduce, keepdims=True).astype(np.float32)
    low, high = g.constant(-amax), g.constant(amax)
    return g.out(ops.FakeQuantize(levels=levels), g.constant(w), low, high, low, high)


def check(g: Graph, feeds, tmp_path, moved: int):
    before = run_graph(Plan(g), feeds)
    assert quantized_weights_layout(g) == moved
    g.remove_dead_nodes()
    after = run_graph(Plan(g), feeds)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    limits = [tuple(x.shape.to_static() for x in fq.inputs) for fq in g.nodes_of(ops.FakeQuantize)]
    assert compress_quantized_weights(g) == len(limits)
    g.remove_dead_nodes()
    xml, _ = irforge.save_model(g, tmp_path / "model.xml")
    for got, want in zip(run_openvino(xml, feeds), before):
        assert_close(got, want, what="OpenVINO")
    return limits


def test_transposed_filters(tmp_path):
    """HWIO filters quantized per output channel, transposed to OIHW for the convolution: the FakeQuantize takes
    OIHW weights and [O, 1, 1, 1] limits; no Transpose is left."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([1, 4, 6, 6]))
    w = fake_quantized(g, rng.standard_normal((3, 3, 4, 6)).astype(np.float32), axis=3)
    oihw = g.out(ops.Transpose(), w, g.constant(i64([3, 2, 0, 1])))
    g.result(g.out(ops.Convolution(**CONV), x, oihw), "y")
    shapes = check(g, [rng.standard_normal((1, 4, 6, 6)).astype(np.float32)], tmp_path, moved=1)
    assert shapes == [((6, 4, 3, 3), *[(6, 1, 1, 1)] * 4)]
    assert not g.nodes_of(ops.Transpose)
    stored = [n for n in g.nodes if n.op.TYPE == "Const" and n.outputs[0].element_type == ElementType.i8]
    assert [n.outputs[0].shape.to_static() for n in stored] == [(6, 4, 3, 3)]


def test_depthwise_filters_transpose_then_unsqueeze(tmp_path):
    """[H, W, C, 1] depthwise filters quantized per channel C: Transpose -> [C, 1, H, W] and Unsqueeze -> the
    [C, 1, 1, H, W] groups, both moved; limits [C, 1, 1, 1, 1]."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([1, 5, 6, 6]))
    w = fake_quantized(g, rng.standard_normal((3, 3, 5, 1)).astype(np.float32), axis=2)
    w = g.out(ops.Transpose(), w, g.constant(i64([2, 3, 0, 1])))
    w = g.out(ops.Unsqueeze(), w, g.constant(i64([2])))
    g.result(g.out(ops.GroupConvolution(**CONV), x, w), "y")
    shapes = check(g, [rng.standard_normal((1, 5, 6, 6)).astype(np.float32)], tmp_path, moved=2)
    assert shapes == [((5, 1, 1, 3, 3), *[(5, 1, 1, 1, 1)] * 4)]
    assert not g.nodes_of(ops.Transpose) and not g.nodes_of(ops.Unsqueeze)


def test_reshape_keeps_per_channel_limits_small():
    """[4, 6] weights quantized per column, reshaped to [2, 2, 6]: limits [1, 1, 6]. Per-row limits of [6, 4]
    weights reshaped to [3, 8] (blocked scales) would grow to [3, 8]: that Reshape stays."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([2, 2, 6]))
    cols = fake_quantized(g, rng.standard_normal((4, 6)).astype(np.float32), axis=1)
    cols = g.out(ops.Reshape(), cols, g.constant(i64([2, 2, 6])))
    rows = fake_quantized(g, rng.standard_normal((6, 4)).astype(np.float32), axis=0)
    rows = g.out(ops.Reshape(), rows, g.constant(i64([3, 8])))
    g.result(g.out(ops.Add(), x, cols), "cols")
    g.result(g.out(ops.MatMul(), g.out(ops.Reshape(), x, g.constant(i64([-1, 3]))), rows), "rows")
    feeds = [rng.standard_normal((2, 2, 6)).astype(np.float32)]
    before = run_graph(Plan(g), feeds)
    assert quantized_weights_layout(g) == 1
    g.remove_dead_nodes()
    for a, b in zip(before, run_graph(Plan(g), feeds)):
        np.testing.assert_array_equal(a, b)
    shapes = sorted(fq.inputs[1].shape.to_static() for fq in g.nodes_of(ops.FakeQuantize))
    assert shapes == [(1, 1, 6), (6, 1)]


def test_what_cannot_move_stays():
    """A FakeQuantize feeding two layout ops (moving it would store the weights twice), and one whose limits are
    computed, keep their Transposes."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([2, 4]))
    shared = fake_quantized(g, rng.standard_normal((4, 4)).astype(np.float32), axis=1)
    a = g.out(ops.Transpose(), shared, g.constant(i64([1, 0])))
    b = g.out(ops.Reshape(), shared, g.constant(i64([2, 8])))
    amax = g.out(ops.ReduceMax(keep_dims=True), x, g.constant(i64([0])))
    computed = g.out(ops.FakeQuantize(levels=256), g.constant(rng.standard_normal((4, 4)).astype(np.float32)),
                     g.out(ops.Negative(), amax), amax, g.out(ops.Negative(), amax), amax)
    c = g.out(ops.Transpose(), computed, g.constant(i64([1, 0])))
    for i, y in enumerate((g.out(ops.MatMul(), x, a), b, g.out(ops.MatMul(), x, c))):
        g.result(y, f"y{i}")
    assert quantized_weights_layout(g) == 0
    assert len(g.nodes_of(ops.Transpose)) == 2
