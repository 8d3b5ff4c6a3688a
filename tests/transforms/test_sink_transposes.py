"""sink_transposes: the NHWC<->NCHW transposes around channels-first ops cancel between layers, the values stay
the same (checked by running the graph before and after), and what must keep a transpose keeps it."""
import numpy as np

from irforge import ops
from irforge.core import ElementType
from irforge.core.graph import Graph
from irforge.core.interpret import Plan, run_graph
from irforge.core.shape import PartialShape
from irforge.transforms.sink_transposes import sink_transposes

rng = np.random.default_rng(2)
TO_NCHW, TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]


def _t(g: Graph, x, perm):
    return g.out(ops.Transpose(), x, g.constant(np.asarray(perm, np.int64)))


def _conv(g: Graph, x_nhwc, channels: int):
    """A channels-first convolution wrapped as the TensorFlow frontend wraps it."""
    w = g.constant(rng.standard_normal((channels, x_nhwc.shape[3], 1, 1)).astype(np.float32))
    y = g.out(ops.Convolution(strides=(1, 1), pads_begin=(0, 0), pads_end=(0, 0), dilations=(1, 1)),
              _t(g, x_nhwc, TO_NCHW), w)
    return _t(g, y, TO_NHWC)


def _check(g: Graph, feeds, transposes_after: int):
    before = run_graph(Plan(g), feeds)
    sink_transposes(g)
    g.remove_dead_nodes()
    after = run_graph(Plan(g), feeds)
    for a, b in zip(before, after):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert sum(isinstance(n.op, ops.Transpose) for n in g.topological()) == transposes_after


def test_chain_of_layers_keeps_only_the_boundaries():
    """conv -> bias (per-channel constant) -> relu -> conv -> residual add -> concat -> pad -> global mean."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([1, 5, 6, 3]))
    a = _conv(g, x, 4)
    a = g.out(ops.Relu(), g.out(ops.Add(), a, g.constant(rng.standard_normal(4).astype(np.float32))))
    b = _conv(g, a, 4)
    c = g.out(ops.Add(), a, b)                                    # both branches transposed alike
    d = g.out(ops.Concat(axis=-1), c, _conv(g, c, 2))             # channel concat: axis 3 -> 1
    e = g.out(ops.Pad(), d, g.constant(np.array([0, 1, 0, 0], np.int64)), g.constant(np.array([0, 0, 2, 0], np.int64)),
              g.constant(np.float32(0)))
    pooled = g.out(ops.ReduceMean(keep_dims=False), e, g.constant(np.array([1, 2], np.int64)))   # -> [1, 6]
    g.result(pooled, "pooled")
    g.result(_conv(g, e, 3), "map")                               # an NHWC output keeps one transpose
    feeds = [rng.standard_normal((1, 5, 6, 3)).astype(np.float32)]
    _check(g, feeds, transposes_after=2)                          # the input's and the NHWC output's


def test_layout_sensitive_consumer_keeps_its_transpose():
    """A Reshape (Flatten) reads the NHWC order: the transpose before it stays."""
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([2, 3, 4, 5]))
    y = g.out(ops.Sigmoid(), _conv(g, x, 6))
    g.result(g.out(ops.Reshape(), y, g.constant(np.array([2, -1], np.int64))), "flat")
    _check(g, [rng.standard_normal((2, 3, 4, 5)).astype(np.float32)], transposes_after=2)


def test_reduce_keep_dims_and_transpose_pairs():
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([1, 4, 4, 2]))
    y = g.out(ops.ReduceMax(keep_dims=True), _conv(g, x, 3), g.constant(np.array([1, 2], np.int64)))
    z = _t(g, _t(g, y, [0, 2, 1, 3]), [0, 2, 1, 3])               # an identity pair disappears
    g.result(z, "z")
    _check(g, [rng.standard_normal((1, 4, 4, 2)).astype(np.float32)], transposes_after=2)


def test_transpose_pairs_cancel_in_the_pipeline(tmp_path):
    """An exporter's NCHW -> NHWC -> elementwise -> NCHW round trip before a convolution leaves no Transpose in
    the IR, and OpenVINO and the reference runtime still give onnxruntime's answers."""
    from onnx_builder import OnnxBuilder, convert_and_check, op_types
    b = OnnxBuilder()
    x = b.input("x", [1, 3, 8, 8])
    y = b.node("Transpose", [x], perm=TO_NHWC)
    y = b.node("Mul", [b.node("Relu", [y]), b.random(3)])           # a per-channel scale on the NHWC last axis
    y = b.node("Transpose", [y], perm=TO_NCHW)
    graph = convert_and_check(b.model([b.node("Conv", [y, b.random(4, 3, 3, 3)])]), tmp_path)
    assert "Transpose" not in op_types(graph)
