"""Input shapes, types and values end to end: --input_shape (several, -1 / ?, ranges), --batch (and its legacy
conflicts), --input name[shape]{type}->value, --freeze_placeholder_with_value, --static_shape and
--keep_shape_ops. Each IR runs in OpenVINO and in the reference runtime against onnxruntime."""
import numpy as np
import pytest

from oracles import openvino, run_onnxruntime
from tiny_models import (check_ir, conv_relu, flatten_by_shape, gather_rows, ir_files, mo, reshape_to_input, save,
                         two_images)


def read(xml):
    return openvino().Core().read_model(str(xml))


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_input_shape_makes_a_dynamic_model_static(tmp_path):
    path = save(conv_relu(shape=("N", 3, "H", "W")), tmp_path)
    run = mo(path, tmp_path / "ir", "--input_shape", "[2,3,6,10]")
    assert run.code == 0, run.err
    assert str(read(run.xml).input(0).get_partial_shape()) == "[2,3,6,10]"
    x = rand(2, 3, 6, 10)
    check_ir(run.xml, [x], run_onnxruntime(path, [x]))


def test_input_shape_with_dynamic_dims_and_ranges(tmp_path):
    path = save(conv_relu(shape=("N", 3, "H", "W")), tmp_path)
    run = mo(path, tmp_path / "ir", "--input_shape", "(1..4,3,?,-1)")
    assert run.code == 0, run.err
    assert str(read(run.xml).input(0).get_partial_shape()) == "[1..4,3,?,?]"
    for shape in ((3, 3, 5, 7), (1, 3, 8, 8)):
        x = rand(*shape)
        check_ir(run.xml, [x], run_onnxruntime(path, [x]))


def test_several_shapes_by_model_order_and_by_input_order(tmp_path):
    path = save(two_images(), tmp_path)
    a, b = rand(1, 3, 4, 4, seed=1), rand(1, 3, 4, 4, seed=2)
    expected = run_onnxruntime(path, [a, b])
    by_model_order = mo(path, tmp_path / "model_order", "--input_shape", "[1,3,4,4],[1,3,4,4]")
    assert by_model_order.code == 0, by_model_order.err
    check_ir(by_model_order.xml, [a, b], expected)
    named = mo(path, tmp_path / "named", "--input", "b,a", "--input_shape", "[1,3,4,4],(1,3,4,4)")
    assert named.code == 0, named.err
    assert [i.get_any_name() for i in read(named.xml).inputs] == ["b", "a"]
    check_ir(named.xml, [b, a], expected)


def test_batch_sets_the_first_dim_or_the_n_of_the_layout(tmp_path):
    path = save(conv_relu(shape=("N", 3, 8, 8)), tmp_path)
    run = mo(path, tmp_path / "ir", "--batch", "3")
    assert run.code == 0, run.err
    assert str(read(run.xml).input(0).get_partial_shape()) == "[3,3,8,8]"
    x = rand(3, 3, 8, 8)
    check_ir(run.xml, [x], run_onnxruntime(path, [x]))
    # A layout saying where N is: here the batch is the last dim of a [3,N] input.
    from tiny_models import _model  # noqa: PLC2701 - a one-node model for this case
    from onnx import TensorProto, helper
    relu = _model([helper.make_node("Relu", ["x"], ["y"])], [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                                           [3, "N"])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    run = mo(save(relu, tmp_path, "relu"), tmp_path / "cn", "--batch", "5", "--layout", "cn")
    assert run.code == 0, run.err
    assert str(read(run.xml).input(0).get_partial_shape()) == "[3,5]"


@pytest.mark.parametrize("args, words", [
    (["--batch", "2", "--input_shape", "[1,3,8,8]"],
     ["--batch", "Both --input_shape and --batch were provided. Please provide only one of them"]),
    (["--batch", "2", "--input", "x[1,3,8,8]"],
     ["--batch", "Shapes are specified using both --input and --batch command-line parameters, but only one "
                 "parameter is allowed"]),
    (["--input", "x[1,3,8,8]", "--input_shape", "[1,3,8,8]"], ["--input_shape", "only one parameter is allowed"]),
    (["--batch", "0"], ["--batch", "'0'", "positive integer"]),
    (["--batch", "two"], ["--batch", "'two'", "positive integer"]),
    (["--input_shape", "[1,3,8,w]"], ["--input_shape", "[1,3,8,w]", "a shape in brackets"]),
    (["--input_shape", "[1,3,8]"], ["--input_shape", "[1,3,8]", "rank 4"]),
    (["--input_shape", "[1,3,8,8],[1,3,8,8]"], ["--input_shape", "one shape per model input", "x"]),
    (["--input_shape", "[1,3,8,4..2]"], ["--input_shape", "empty"]),
    (["--input", "x,y", "--input_shape", "[1,3,8,8]"], ["--input_shape", "one shape per --input name"]),
    (["--input", "x{f33}"], ["--input", "x{f33}", "element type in braces", "i64"]),
    (["--input", "x[1,3,8,8]{f32}{i32}"], ["--input", "two element types"]),
    (["--input", "x,x"], ["--input", "each input named once"]),
    (["--batch", "2", "--layout", "chw..."], ["--batch", "no N"]),
])
def test_bad_shapes_fail_clearly_and_write_nothing(tmp_path, args, words):
    path = save(conv_relu(shape=("N", 3, 8, 8)), tmp_path)
    run = mo(path, tmp_path / "ir", *args)
    assert run.code == 1, run.err
    for word in words:
        assert word in run.err, (word, run.err)
    assert "expected" in run.err
    assert ir_files(tmp_path / "ir") == []


def test_element_type_in_braces_keeps_the_model_type_inside(tmp_path):
    path = save(gather_rows(), tmp_path)
    run = mo(path, tmp_path / "ir", "--input", "data,idx{i32}")
    assert run.code == 0, run.err
    assert [str(i.get_element_type()) for i in read(run.xml).inputs] == ["<Type: 'float32'>", "<Type: 'int32_t'>"]
    data, idx = rand(2, 5), np.array([4, 0, 2])
    check_ir(run.xml, [data, idx.astype(np.int32)], run_onnxruntime(path, [data, idx.astype(np.int64)]))


@pytest.mark.parametrize("args", [["--input", "x,shape[2]{i32}->[20,15]"], ["--input", "x,shape->[20 15]"],
                                  ["--freeze_placeholder_with_value", "shape->[20 15]"],
                                  ["--input", "shape{i64}->[20,15]"]])
def test_frozen_values_replace_the_input(tmp_path, args):
    path = save(reshape_to_input(), tmp_path)
    run = mo(path, tmp_path / "ir", *args)
    assert run.code == 0, run.err
    model = read(run.xml)
    assert [i.get_any_name() for i in model.inputs] == ["x"]
    assert str(model.output(0).get_partial_shape()) == "[20,15]"
    x = rand(300)
    check_ir(run.xml, [x], run_onnxruntime(path, [x, np.array([20, 15], np.int64)]))


@pytest.mark.parametrize("args, words", [
    (["--input", "shape[2]{i32}->[20.5,15]"], ["--input", "i32 numbers"]),
    (["--input", "shape[3]->[20,15]"], ["--input", "3 value(s) for the shape [3]", "2 value(s) given"]),
    (["--input", "shape->[20,15,1]"], ["--input", "shape [2]"]),
    (["--input", "shape->abc"], ["--input", "shape->abc", "a number, True/False"]),
    (["--input", "shape[?]->[1]"], ["--input", "static shape"]),
    (["--input", "shape->[1,2]", "--freeze_placeholder_with_value", "shape->[3,4]"],
     ["--freeze_placeholder_with_value", "Overriding replacement value"]),
    (["--freeze_placeholder_with_value", "shape"], ["--freeze_placeholder_with_value", "name->value"]),
])
def test_bad_values_fail_clearly(tmp_path, args, words):
    path = save(reshape_to_input(), tmp_path)
    run = mo(path, tmp_path / "ir", *args)
    assert run.code == 1, run.err
    for word in words:
        assert word in run.err, (word, run.err)
    assert ir_files(tmp_path / "ir") == []


def test_static_shape_requires_static_inputs(tmp_path):
    path = save(flatten_by_shape(), tmp_path)
    dynamic = mo(path, tmp_path / "dynamic", "--static_shape")
    assert dynamic.code == 1 and "--static_shape" in dynamic.err and "x[?,3,4,4]" in dynamic.err
    assert ir_files(tmp_path / "dynamic") == []
    run = mo(path, tmp_path / "ir", "--static_shape", "--input_shape", "[2,3,4,4]")
    assert run.code == 0, run.err
    assert "ShapeOf" not in [op.get_type_name() for op in read(run.xml).get_ops()]
    x = rand(2, 3, 4, 4)
    check_ir(run.xml, [x], run_onnxruntime(path, [x]))
    both = mo(path, tmp_path / "both", "--static_shape", "--keep_shape_ops")
    assert both.code == 1 and "--keep_shape_ops" in both.err


def test_keep_shape_ops_leaves_the_ir_reshapeable(tmp_path):
    path = save(flatten_by_shape(), tmp_path)
    ov = openvino()
    x2 = rand(2, 3, 4, 4)
    (expected,) = run_onnxruntime(path, [x2])
    kept = mo(path, tmp_path / "kept", "--input_shape", "[1,3,4,4]", "--keep_shape_ops")
    folded = mo(path, tmp_path / "folded", "--input_shape", "[1,3,4,4]")
    assert kept.code == 0 and folded.code == 0, kept.err + folded.err
    assert "ShapeOf" in [op.get_type_name() for op in read(kept.xml).get_ops()]
    assert "ShapeOf" not in [op.get_type_name() for op in read(folded.xml).get_ops()]
    core = ov.Core()
    model = core.read_model(str(kept.xml))
    model.reshape({"x": [2, 3, 4, 4]})  # the batch flows through the kept shape computation
    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    got = compiled([x2])[compiled.output(0)]
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    folded_model = core.read_model(str(folded.xml))  # the folded IR has [1,48] baked in: it cannot follow
    with pytest.raises(Exception):
        folded_model.reshape({"x": [2, 3, 4, 4]})
        core.compile_model(folded_model, "CPU")([x2])
