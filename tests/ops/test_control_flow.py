"""If, Loop and TensorIterator against the real OpenVINO runtime; the IR is also read back by irforge's reader
and run again, so the port maps, back edges and bodies round-trip."""
import numpy as np
import pytest

import irforge
from irforge import ops
from irforge.core.element_type import ElementType as ET
from irforge.core.graph import Graph
from irforge.core.shape import PartialShape
from irforge.ops.control_flow import BackEdge, InputMap, OutputMap, Slicing
from oracles import assert_close, check_op_against_openvino, run_reference

rng = np.random.default_rng(11)
f32 = np.float32


def i64(v):
    return np.asarray(v, np.int64)


def check(op, inputs, tmp_path, constant=None):
    ours = check_op_against_openvino(op, inputs, tmp_path, constant=constant)
    # The IR read back by irforge's reader gives the same values.
    xml = tmp_path / f"{op.TYPE}.xml"
    feeds = [np.asarray(v) for i, v in enumerate(inputs) if not (constant and constant[i])]
    for a, b in zip(run_reference(str(xml), feeds), ours):
        assert_close(a, b, what=f"{op.TYPE} read back")
    return ours


def rnn_body():
    """h' = tanh(h + x_t) with x_t of shape [2, 1, 3]: returns the body, h' as [2, 3] and as [2, 1, 3]."""
    body = Graph("body")
    x = body.parameter("x_t", ET.f32, PartialShape([2, 1, 3]))
    h = body.parameter("h", ET.f32, PartialShape([2, 3]))
    squeezed = body.out(ops.Squeeze(), x, body.constant(i64([1])))
    new_h = body.out(ops.Tanh(), body.out(ops.Add(), h, squeezed))
    body.result(new_h, "h_out")
    body.result(body.out(ops.Unsqueeze(), new_h, body.constant(i64([1]))), "h_seq")
    return body


@pytest.mark.parametrize("reverse", [False, True])
def test_tensor_iterator(tmp_path, reverse):
    body = rnn_body()
    cut = Slicing(axis=1, start=-1, end=0, stride=-1) if reverse else Slicing(axis=1)
    op = ops.TensorIterator(body, (InputMap(0, 0, cut), InputMap(1, 1)),
                            (OutputMap(0, 0), OutputMap(1, 1, Slicing(axis=1, start=-1, end=0, stride=-1)
                                                        if reverse else Slicing(axis=1))),
                            (BackEdge(0, 1),))
    x, h = rng.standard_normal((2, 5, 3)).astype(f32), rng.standard_normal((2, 3)).astype(f32)
    last, seq = check(op, [x, h], tmp_path)
    assert seq.shape == (2, 5, 3)


def counting_body(with_condition: bool):
    """acc' = acc + x * (i + 1); the condition (when asked) is acc' < 20."""
    body = Graph("body")
    i = body.parameter("i", ET.i64, PartialShape([]))
    acc = body.parameter("acc", ET.f32, PartialShape([2]))
    x = body.parameter("x", ET.f32, PartialShape([2]))
    factor = body.out(ops.Convert(ET.f32), body.out(ops.Add(), i, body.constant(i64(1))))
    new_acc = body.out(ops.Add(), acc, body.out(ops.Multiply(), x, factor))
    body.result(new_acc, "acc_out")
    body.result(body.out(ops.Unsqueeze(), new_acc, body.constant(i64([0]))), "acc_seq")
    if with_condition:
        total = body.out(ops.ReduceSum(keep_dims=False), new_acc, body.constant(i64([0])))
        body.result(body.out(ops.Less(), total, body.constant(np.array(20.0, f32))), "cond")
    else:
        body.result(body.constant(np.array(True)), "cond")
    return body


@pytest.mark.parametrize("trip_count,with_condition", [(4, False), (0, False), (10, True), (-1, True)])
def test_loop(tmp_path, trip_count, with_condition):
    body = counting_body(with_condition)
    outputs = [OutputMap(0, 0), OutputMap(1, 1, Slicing(axis=0)), OutputMap(-1, 2, purpose="execution_condition")]
    op = ops.Loop(body, (InputMap(-1, 0, purpose="current_iteration"), InputMap(2, 1), InputMap(3, 2)),
                  tuple(outputs), (BackEdge(0, 1),))
    acc, x = np.zeros(2, f32), np.array([1.0, 2.0], f32)
    if trip_count == 0:
        # The runtime cannot allocate the empty joined output: check the reference alone.
        g_out = op.evaluate(i64(0), np.array(True), acc, x)
        assert np.array_equal(g_out[0], acc) and g_out[1].shape == (0, 2)
        return
    last, seq = check(op, [i64(trip_count), np.array(True), acc, x], tmp_path,
                      constant=[True, True, False, False])
    assert seq.shape[0] == (trip_count if not with_condition else 4)  # 3, 9, 18, 30: stops after 30 >= 20


@pytest.mark.parametrize("condition", [True, False])
def test_if(tmp_path, condition):
    then, other = Graph("then"), Graph("else")
    a = then.parameter("a", ET.f32, PartialShape([3]))
    then.result(then.out(ops.Add(), a, then.constant(np.array(1.0, f32))), "y")
    b = other.parameter("b", ET.f32, PartialShape([3]))
    c = other.parameter("c", ET.f32, PartialShape([3]))
    other.result(other.out(ops.Multiply(), b, c), "y")
    op = ops.If(then, other, (InputMap(1, 0),), (InputMap(1, 0), InputMap(2, 1)), (OutputMap(0, 0),),
                (OutputMap(0, 0),))
    x, y = rng.standard_normal(3).astype(f32), rng.standard_normal(3).astype(f32)
    check(op, [np.array(condition), x, y], tmp_path)
