"""Loop and If against the real OpenVINO runtime: back edges, concatenated outputs, the iteration counter, the
condition, zero iterations, invariant inputs, both If branches; and the IR read back by irforge."""
import numpy as np
import pytest

import irforge
from irforge import ops
from irforge.core import ElementType
from irforge.core.graph import Graph
from irforge.core.shape import PartialShape
from irforge.ops import PortIn, PortOut
from oracles import run_openvino, run_reference

f32, i64, boolean = ElementType.f32, ElementType.i64, ElementType.boolean


def _loop_body() -> Graph:
    """acc' = acc + x * i; cond' = acc' < limit; also emits acc' each iteration."""
    body = Graph("body")
    acc = body.parameter("acc", f32, PartialShape([2]))
    x = body.parameter("x", f32, PartialShape([2]))
    limit = body.parameter("limit", f32, PartialShape([]))
    i = body.parameter("i", i64, PartialShape([]))
    step = body.out(ops.Multiply(), x, body.out(ops.Convert(destination_type=f32), i))
    new = body.out(ops.Add(), acc, step)
    body.result(new, "acc_out")
    body.result(body.out(ops.Less(), body.out(ops.ReduceMax(), new, body.constant(np.array([0]))), limit), "cond")
    body.result(body.out(ops.Unsqueeze(), new, body.constant(np.array([0]))), "each")
    return body


def _loop_model(trip: int) -> Graph:
    g = Graph("loop")
    acc0 = g.parameter("acc0", f32, PartialShape([2]))
    x = g.parameter("x", f32, PartialShape([2]))
    limit = g.parameter("limit", f32, PartialShape([]))
    start = g.parameter("start", boolean, PartialShape([]))
    op = ops.Loop(_loop_body(), inputs=(PortIn(2, 0), PortIn(3, 1), PortIn(4, 2)),
                  outputs=(PortOut(0, 0), PortOut(1, 2, axis=0)), back_edges=((0, 0),), current_iteration=3,
                  condition=1)
    node = g.add(op, g.constant(np.array(trip, np.int64)), start, acc0, x, limit, name="loop")
    for k, out in enumerate(node.outputs):
        out.names.add(f"out{k}")
        g.result(out)
    return g


@pytest.mark.parametrize("trip,limit,start", [(10, 100.0, True), (3, 100.0, True), (10, 4.0, True),
                                              (-1, 30.0, True), (10, 100.0, False)])
def test_loop(tmp_path, trip, limit, start):
    g = _loop_model(trip)
    feeds = [np.array([1.0, 2.0], np.float32), np.array([0.5, 1.5], np.float32), np.array(limit, np.float32),
             np.array(start)]
    xml, _ = irforge.save_model(g, tmp_path / "loop.xml")
    ours = run_reference(g, feeds)
    theirs = run_openvino(xml, feeds)
    read_back = run_reference(xml, feeds)
    for a, b, c in zip(ours, theirs, read_back):
        np.testing.assert_allclose(a, b, rtol=1e-6)
        np.testing.assert_allclose(c, b, rtol=1e-6)
    if not start:  # zero iterations: the carried value is the initial one, the concatenation is empty
        np.testing.assert_array_equal(ours[0], feeds[0])
        assert ours[1].shape == (0, 2)


def _branch(kind: str) -> Graph:
    body = Graph(kind)
    a = body.parameter("a", f32, PartialShape([3]))
    if kind == "then":
        b = body.parameter("b", f32, PartialShape([3]))
        body.result(body.out(ops.Add(), a, b), "r")
    else:
        body.result(body.out(ops.Multiply(), a, a), "r")
    return body


@pytest.mark.parametrize("cond", [True, False])
def test_if(tmp_path, cond):
    g = Graph("if")
    c = g.parameter("c", boolean, PartialShape([]))
    a = g.parameter("a", f32, PartialShape([3]))
    b = g.parameter("b", f32, PartialShape([3]))
    op = ops.If(_branch("then"), _branch("else"), (PortIn(1, 0), PortIn(2, 1)), (PortIn(1, 0),),
                (PortOut(0, 0),), (PortOut(0, 0),))
    out = g.add(op, c, a, b, name="if").outputs[0]
    out.names.add("y")
    g.result(out)
    feeds = [np.array(cond), np.array([1, -2, 3], np.float32), np.array([4, 5, 6], np.float32)]
    xml, _ = irforge.save_model(g, tmp_path / "if.xml")
    expected = feeds[1] + feeds[2] if cond else feeds[1] * feeds[1]
    for got in (run_reference(g, feeds), run_openvino(xml, feeds), run_reference(xml, feeds)):
        np.testing.assert_allclose(got[0], expected)
