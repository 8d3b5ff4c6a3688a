"""--input / --output cutting end to end: the IR in OpenVINO and in the reference runtime against onnxruntime on
the same sub-model cut by onnx.utils.extract_model (an independent cut)."""
import numpy as np
import pytest

from oracles import openvino, run_onnxruntime
from tiny_models import chain, check_ir, extract, ir_files, mo, save


@pytest.fixture
def model(tmp_path):
    return save(chain(), tmp_path)


@pytest.fixture
def x():
    return np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)


def io_names(xml):
    m = openvino().Core().read_model(str(xml))
    return [i.get_any_name() for i in m.inputs], [o.get_any_name() for o in m.outputs]


def ops_of(xml):
    return [op.get_type_name() for op in openvino().Core().read_model(str(xml)).get_ordered_ops()]


@pytest.mark.parametrize("output, tensor", [("t2", "t2"), ("relu1", "t2"), ("relu1:0", "t2"), ("0:conv2", "t2"),
                                            ("tanh", "t4"), ("split:1", "s1"), ("1:add", "t4")])
def test_output_forms(tmp_path, model, x, output, tensor):
    run = mo(model, tmp_path / "ir", "--output", output)
    assert run.code == 0, run.err
    expected = run_onnxruntime(extract(model, ["x"], [tensor], tmp_path), [x])
    check_ir(run.xml, [x], expected)
    assert io_names(run.xml) == (["x"], [output])
    assert "Sigmoid" not in ops_of(run.xml)  # what no longer feeds an output is gone


def test_several_outputs_in_the_order_given(tmp_path, model, x):
    run = mo(model, tmp_path / "ir", "--output", "z,t3,split")
    assert run.code == 0, run.err
    expected = run_onnxruntime(extract(model, ["x"], ["z", "t3", "s0", "s1"], tmp_path), [x])
    check_ir(run.xml, [x], expected)
    assert io_names(run.xml)[1] == ["z", "t3", "s0", "s1"]  # a node with two outputs gives both


def test_input_at_a_tensor_with_a_new_shape(tmp_path, model):
    # t2 is read by conv2 and by add: both are fed by the new input, and x is no longer needed.
    run = mo(model, tmp_path / "ir", "--input", "t2[2,4,5,5],t4[2,4,5,5]", "--output", "y,z")
    assert run.code == 0, run.err
    t2, t4 = np.random.default_rng(1).standard_normal((2, 2, 4, 5, 5)).astype(np.float32)
    expected = run_onnxruntime(extract(model, ["t2", "t4"], ["y", "z"], tmp_path, any_shape=True), [t2, t4])
    check_ir(run.xml, [t2, t4], expected)
    inputs, outputs = io_names(run.xml)
    assert inputs == ["t2", "t4"] and outputs == ["y", "z"]
    assert "Convolution" in ops_of(run.xml) and ops_of(run.xml).count("Convolution") == 1  # conv1 is cut off


def test_input_port_forms(tmp_path, model, x):
    t2 = np.random.default_rng(2).standard_normal((1, 4, 8, 8)).astype(np.float32)
    # "relu1:0": the output port of relu1 becomes an input, relu1 itself is cut off.
    out_port = mo(model, tmp_path / "out_port", "--input", "relu1:0", "--output", "y")
    assert out_port.code == 0, out_port.err
    check_ir(out_port.xml, [t2], run_onnxruntime(extract(model, ["t2"], ["y"], tmp_path), [t2]))
    assert "ReLU" not in ops_of(out_port.xml)
    # "0:conv2": only the edge into conv2 is cut; add still reads relu1's t2 computed from x.
    in_port = mo(model, tmp_path / "in_port", "--input", "0:conv2")
    assert in_port.code == 0, in_port.err
    assert io_names(in_port.xml) == (["0:conv2", "x"], ["y", "z", "w"])
    (y,) = run_onnxruntime(extract(model, ["t2"], ["y"], tmp_path), [t2])
    z, w = run_onnxruntime(extract(model, ["x"], ["z", "w"], tmp_path), [x])
    check_ir(in_port.xml, [t2, x], [y, z, w])


def test_input_node_name_feeds_the_node(tmp_path, model, x):
    # A node name: the node stays and its non-constant input is fed by a new input (legacy mo semantics).
    run = mo(model, tmp_path / "ir", "--input", "conv2[1,4,3,3]", "--output", "sig")
    assert run.code == 0, run.err
    t2 = np.random.default_rng(3).standard_normal((1, 4, 3, 3)).astype(np.float32)
    check_ir(run.xml, [t2], run_onnxruntime(extract(model, ["t2"], ["y"], tmp_path, any_shape=True), [t2]))
    assert io_names(run.xml) == (["conv2"], ["sig"])
    # add has two computed inputs: both become inputs (shape inferred), in port order.
    both = mo(model, tmp_path / "both", "--input", "add", "--output", "z")
    assert both.code == 0, both.err
    assert io_names(both.xml) == (["0:add", "1:add"], ["z"])
    t2, t4 = np.random.default_rng(4).standard_normal((2, 1, 4, 8, 8)).astype(np.float32)
    check_ir(both.xml, [t2, t4], run_onnxruntime(extract(model, ["t2", "t4"], ["z"], tmp_path), [t2, t4]))


def test_frozen_value_inside_the_model(tmp_path, model, x):
    run = mo(model, tmp_path / "ir", "--input", "t4->0.5", "--output", "z")
    assert run.code == 0, run.err
    assert io_names(run.xml) == (["x"], ["z"])
    t4 = np.full((1, 4, 8, 8), 0.5, np.float32)
    sub = extract(model, ["x", "t4"], ["z"], tmp_path)
    check_ir(run.xml, [x], run_onnxruntime(sub, [x, t4]))


@pytest.mark.parametrize("args, words", [
    (["--output", "nothing_here"], ["--output", "'nothing_here'", "node:K", "x"]),
    (["--output", "relu,t9"], ["--output", "'relu'", "'t9'", "did you mean"]),
    (["--input", "t7[1,4,8,8]"], ["--input", "'t7'", "inputs are: x"]),
    (["--freeze_placeholder_with_value", "nope->1"], ["--freeze_placeholder_with_value", "'nope'"]),
    (["--input", "relu1:3"], ["--input", "relu1:3", "output port of node 'relu1'", "0..0"]),
    (["--input", "5:add"], ["--input", "5:add", "input port of node 'add'", "0..1"]),
    (["--output", "split:2"], ["--output", "split:2", "ports 0..1"]),
    (["--input", "add[1,4,8,8]"], ["--input", "more than 1 input", "K:add"]),
    (["--input", "t2[1,4,8]"], ["--input", "rank 4"]),
    (["--input", "t2->[1,2]"], ["--input", "t2->[1, 2]", "shape [1,4,8,8]"]),
])
def test_bad_cuts_fail_clearly_and_write_nothing(tmp_path, model, args, words):
    run = mo(model, tmp_path / "ir", *args)
    assert run.code == 1, run.err
    for word in words:
        assert word in run.err, (word, run.err)
    assert "expected" in run.err
    assert ir_files(tmp_path / "ir") == []
