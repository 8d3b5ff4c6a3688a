"""ONNX If, Loop and Scan against onnxruntime: outer values captured at two levels of nesting, early exit, scan
outputs, Scan's axes and directions, and If on a condition computed at run time."""
import numpy as np
import pytest
from onnx import TensorProto, helper

from oracles import check_onnx_model

rng = np.random.default_rng(41)
F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def vi(name, et, shape):
    return helper.make_tensor_value_info(name, et, shape)


def test_loop_with_nested_if_capturing_outer_values(tmp_path):
    """for i < 6 while sum < limit: acc = acc * 0.9 + (i even ? x : y) * bias; scan out acc each step."""
    inner_then = helper.make_graph([helper.make_node("Mul", ["x", "bias"], ["t"])], "then", [], [vi("t", F, [3])])
    inner_else = helper.make_graph([helper.make_node("Mul", ["y", "bias"], ["e"])], "else", [], [vi("e", F, [3])])
    body = helper.make_graph(
        [helper.make_node("Mod", ["i", "two"], ["parity"]),
         helper.make_node("Equal", ["parity", "zero"], ["even"]),
         helper.make_node("If", ["even"], ["pick"], then_branch=inner_then, else_branch=inner_else),
         helper.make_node("Mul", ["acc_in", "decay"], ["kept"]),
         helper.make_node("Add", ["kept", "pick"], ["acc_out"]),
         helper.make_node("ReduceSum", ["acc_out"], ["total"], keepdims=0),
         helper.make_node("Less", ["total", "limit"], ["go_on"]),
         helper.make_node("Identity", ["acc_out"], ["acc_scan"])],
        "body", [vi("i", I64, []), vi("cond", B, []), vi("acc_in", F, [3])],
        [vi("go_on", B, []), vi("acc_out", F, [3]), vi("acc_scan", F, [3])])
    inits = [helper.make_tensor("two", I64, [], [2]), helper.make_tensor("zero", I64, [], [0]),
             helper.make_tensor("decay", F, [], [0.9]), helper.make_tensor("trip", I64, [], [6]),
             helper.make_tensor("yes", B, [], [True]), helper.make_tensor("bias", F, [3], [1.0, 2.0, 0.5])]
    graph = helper.make_graph(
        [helper.make_node("Loop", ["trip", "yes", "acc0"], ["acc", "history"], body=body)], "loop",
        [vi("acc0", F, [3]), vi("x", F, [3]), vi("y", F, [3]), vi("limit", F, [])],
        [vi("acc", F, [3]), vi("history", F, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    x, y = np.array([1, 2, 3], np.float32), np.array([-1, 0.5, 2], np.float32)
    for limit in (100.0, 12.0):   # all 6 iterations, then an early exit
        check_onnx_model(model, [np.zeros(3, np.float32), x, y, np.array(limit, np.float32)], tmp_path)


@pytest.mark.parametrize("reverse_in,reverse_out", [(0, 0), (1, 0), (0, 1)])
def test_scan_axes_and_directions(tmp_path, reverse_in, reverse_out):
    """state += a_t * w + b_t; outputs the running state; a scanned along axis 1, b along axis 0. (w is a scalar:
    with a [2] vector the CPU plugin of OpenVINO 2026.4 miscomputes the Multiply inside a TensorIterator or Loop body,
    as a body built with its own Python API shows.)"""
    body = helper.make_graph(
        [helper.make_node("Mul", ["a_t", "w"], ["aw"]),
         helper.make_node("Add", ["s_in", "aw"], ["s1"]),
         helper.make_node("Add", ["s1", "b_t"], ["s_out"]),
         helper.make_node("Identity", ["s_out"], ["y_t"])],
        "body", [vi("s_in", F, [2]), vi("a_t", F, [2]), vi("b_t", F, [2])],
        [vi("s_out", F, [2]), vi("y_t", F, [2])])
    graph = helper.make_graph(
        [helper.make_node("Scan", ["s0", "a", "b"], ["s", "ys"], body=body, num_scan_inputs=2,
                          scan_input_axes=[1, 0], scan_input_directions=[reverse_in, 0],
                          scan_output_axes=[1], scan_output_directions=[reverse_out])], "scan",
        [vi("s0", F, [2]), vi("a", F, [2, 5]), vi("b", F, [5, 2])], [vi("s", F, [2]), vi("ys", F, [2, 5])],
        [helper.make_tensor("w", F, [], [0.5])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    check_onnx_model(model, [rng.standard_normal(2).astype(np.float32), rng.standard_normal((2, 5)).astype(np.float32),
                             rng.standard_normal((5, 2)).astype(np.float32)], tmp_path)


def test_if_on_a_runtime_condition(tmp_path):
    """Branches read different outer values; the condition comes from the data."""
    then = helper.make_graph([helper.make_node("Add", ["x", "y"], ["r"])], "then", [], [vi("r", F, [4])])
    other = helper.make_graph([helper.make_node("Sub", ["x", "z"], ["r2"])], "else", [], [vi("r2", F, [4])])
    graph = helper.make_graph(
        [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
         helper.make_node("Greater", ["s", "zero"], ["c"]),
         helper.make_node("If", ["c"], ["out"], then_branch=then, else_branch=other)], "if",
        [vi("x", F, [4]), vi("y", F, [4]), vi("z", F, [4])], [vi("out", F, [4])],
        [helper.make_tensor("zero", F, [], [0.0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    y, z = np.ones(4, np.float32), np.full(4, 2.0, np.float32)
    for x in (np.array([1, 2, 3, 4], np.float32), np.array([-1, -2, 0, 1], np.float32)):
        check_onnx_model(model, [x, y, z], tmp_path)
