"""ReadValue / Assign: state carried between calls, against the real OpenVINO runtime (one infer request)."""
import numpy as np

import irforge
from irforge import ops
from irforge.core import ElementType
from irforge.core.graph import Graph
from irforge.core.shape import PartialShape
from oracles import F32_HINT, assert_close, openvino


def accumulator_graph() -> Graph:
    """y = x + previous state; state <- [last 2 rows of (state ; x)] (a shift register of 2 frames)."""
    g = Graph("state")
    x = g.parameter("x", ElementType.f32, PartialShape((1, 3)))
    init = g.constant(np.zeros((2, 3), np.float32))
    buf = g.out(ops.ReadValue("buf", ElementType.f32, PartialShape((2, 3))), init, name="buf/read")
    cat = g.out(ops.Concat(0), buf, x)
    nxt = g.out(ops.Slice(), cat, g.constant(np.array([1])), g.constant(np.array([3])), g.constant(np.array([1])))
    g.add_sink(ops.Assign("buf"), nxt, name="buf/assign")
    reduced = g.out(ops.ReduceSum(keep_dims=True), buf, g.constant(np.array([0])))
    y = g.out(ops.Add(), x, reduced, name="y")
    y.names.add("y")
    g.result(y, "y")
    return g


def expected(frames):
    hist, out = [np.zeros(3), np.zeros(3)], []
    for f in frames:
        out.append(f + hist[-1] + hist[-2])
        hist.append(f)
    return out


def test_read_value_assign_against_openvino(tmp_path):
    ov = openvino()
    g = accumulator_graph()
    xml, _ = irforge.save_model(g, tmp_path / "state.xml")
    text = xml.read_text()
    assert 'variable_id="buf" variable_type="f32" variable_shape="2,3"' in text
    assert text.index('type="Assign"') < text.index('type="Result"')  # sinks before Results
    frames = [np.full((1, 3), t + 1, np.float32) for t in range(5)]
    want = expected([f[0] for f in frames])

    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(xml)), "CPU", F32_HINT)
    request = compiled.create_infer_request()
    reference = irforge.compile_model(xml)
    assert len(reference.graph.sinks) == 1  # the reader keeps the Assign as a sink
    for _ in range(2):  # the second round checks reset_state() on both runtimes
        request.reset_state()
        reference.reset_state()
        for frame, w in zip(frames, want):
            theirs = request.infer({0: frame})[compiled.outputs[0]]
            ours = reference({"x": frame})["y"]
            assert_close(theirs[0], w, what="OpenVINO vs expected")
            assert_close(ours[0], w, what="reference vs expected")


def test_read_value_rejects_mismatched_initial_value():
    g = Graph()
    init = g.constant(np.zeros((2, 3), np.int32))
    try:
        g.add(ops.ReadValue("v", ElementType.f32, PartialShape((2, 3))), init)
    except irforge.errors.ShapeError as e:
        assert "i32" in str(e)
    else:
        raise AssertionError("a ReadValue with an i32 initial value for an f32 variable was accepted")
