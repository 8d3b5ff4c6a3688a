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


def test_reads_openvino_written_loop_and_if(tmp_path):
    """IRs that OpenVINO's own serializer wrote (a Loop with a counter, an early exit and a joined output; an If)
    read back into irforge and run on the reference runtime with OpenVINO's answers."""
    ov = pytest.importorskip("openvino")
    import openvino.opset8 as o8
    x = o8.parameter([2], np.float32, name="x")
    limit = o8.parameter([], np.float32, name="limit")
    bx = o8.parameter([2], np.float32, name="bx")
    bi = o8.parameter([], np.int64, name="bi")
    bl = o8.parameter([], np.float32, name="bl")
    step = o8.add(o8.multiply(bx, o8.constant(np.float32(1.5))), o8.convert(bi, "f32"))
    go_on = o8.less(o8.reduce_sum(step, o8.constant(np.array([0])), False), bl)
    row = o8.unsqueeze(step, o8.constant(np.array([0])))
    loop = o8.loop(o8.constant(np.int64(10)), o8.constant(True))
    loop.set_function(ov.Model([step, go_on, row], [bx, bi, bl], "body"))
    loop.set_special_body_ports([1, 1])
    loop.set_merged_input(bx, x.output(0), step.output(0))
    loop.set_invariant_input(bl, limit.output(0))
    last = loop.get_iter_value(step.output(0), -1)
    joined = loop.get_concatenated_slices(row.output(0), 0, 1, 1, -1, 0)
    flag = o8.parameter([], np.bool_, name="flag")
    tp, ep = o8.parameter([2], np.float32), o8.parameter([2], np.float32)
    branch = o8.if_op(flag.output(0))
    branch.set_then_body(ov.Model([o8.result(o8.negative(tp))], [tp], "then"))
    branch.set_else_body(ov.Model([o8.result(o8.multiply(ep, o8.constant(np.float32(2))))], [ep], "else"))
    branch.set_input(last, tp, ep)
    picked = branch.set_output(branch.get_then_body().get_results()[0], branch.get_else_body().get_results()[0])
    model = ov.Model([picked, joined], [x, limit, flag], "flow")
    xml = tmp_path / "flow.xml"
    ov.save_model(model, str(xml), compress_to_fp16=False)
    compiled = ov.Core().compile_model(str(xml), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    for lim, which in ((1000.0, True), (20.0, False)):   # all 10 iterations, then an early exit
        feeds = [np.array([1.0, 2.0], np.float32), np.array(lim, np.float32), np.array(which)]
        expected = list(compiled(feeds).values())
        ours = run_reference(str(xml), feeds)
        for a, b in zip(ours, expected):
            assert_close(a, b, what=f"reference runtime on OpenVINO's IR (limit {lim})")


# Cases from the TensorFlow helper's minimal control flow tests (a condition computed from the carried value,
# the iteration counter as the last body Parameter, zero iterations with an empty concatenation).
def _acc_loop_body() -> Graph:
    """acc' = acc + x * i; cond' = max(acc') < limit; also emits acc' each iteration."""
    body = Graph("body")
    acc = body.parameter("acc", ET.f32, PartialShape([2]))
    x = body.parameter("x", ET.f32, PartialShape([2]))
    limit = body.parameter("limit", ET.f32, PartialShape([]))
    i = body.parameter("i", ET.i64, PartialShape([]))
    step = body.out(ops.Multiply(), x, body.out(ops.Convert(destination_type=ET.f32), i))
    new = body.out(ops.Add(), acc, step)
    body.result(new, "acc_out")
    body.result(body.out(ops.Less(), body.out(ops.ReduceMax(), new, body.constant(i64([0]))), limit), "cond")
    body.result(body.out(ops.Unsqueeze(), new, body.constant(i64([0]))), "each")
    return body


@pytest.mark.parametrize("trip,limit,start", [(10, 100.0, True), (3, 100.0, True), (10, 4.0, True),
                                              (-1, 30.0, True), (10, 100.0, False)])
def test_loop_condition_from_carried_value(tmp_path, trip, limit, start):
    op = ops.Loop(_acc_loop_body(),
                  (InputMap(2, 0), InputMap(3, 1), InputMap(4, 2), InputMap(-1, 3, purpose="current_iteration")),
                  (OutputMap(0, 0), OutputMap(1, 2, Slicing(0)),
                   OutputMap(-1, 1, purpose="execution_condition")),
                  (BackEdge(0, 0),))
    inputs = [i64(trip), np.array(start), np.array([1.0, 2.0], f32), np.array([0.5, 1.5], f32),
              np.array(limit, f32)]
    ours = check(op, inputs, tmp_path, constant=[True, False, False, False, False])
    if not start:  # zero iterations: the carried value is the initial one, the concatenation is empty
        np.testing.assert_array_equal(ours[0], inputs[2])
        assert ours[1].shape == (0, 2)
