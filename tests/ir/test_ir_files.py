"""IR files: deterministic output, our reader on IRs written by OpenVINO's own tools (v10 and v11), round trips."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import irforge
from oracles import assert_close, openvino, run_openvino, run_reference


def small_cnn(tmp_path: Path) -> Path:
    """Conv -> BN -> Relu -> MaxPool -> GlobalAveragePool -> Flatten -> Gemm -> Softmax, random weights."""
    rng = np.random.default_rng(3)
    inits = [
        numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.3, "w"),
        numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "b"),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 8).astype(np.float32), "gamma"),
        numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "beta"),
        numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "mean"),
        numpy_helper.from_array(rng.uniform(0.5, 2.0, 8).astype(np.float32), "var"),
        numpy_helper.from_array(rng.standard_normal((5, 8)).astype(np.float32), "fc_w"),
        numpy_helper.from_array(rng.standard_normal(5).astype(np.float32), "fc_b"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["bn"], name="bn"),
        helper.make_node("Relu", ["bn"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
        helper.make_node("GlobalAveragePool", ["p"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["logits"], transB=1, name="fc"),
        helper.make_node("Softmax", ["logits"], ["prob"], axis=1, name="softmax"),
    ]
    graph = helper.make_graph(nodes, "small_cnn", [helper.make_tensor_value_info("x", 1, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("prob", 1, [1, 5])], inits)
    path = tmp_path / "small_cnn.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_conversion_is_byte_identical_across_processes(tmp_path):
    model = small_cnn(tmp_path)
    outs = []
    for run in range(2):
        out = tmp_path / f"run{run}"
        subprocess.run([sys.executable, "-m", "irforge", "--input_model", str(model), "--output_dir", str(out),
                        "--silent"], check=True)
        outs.append(((out / "small_cnn.xml").read_bytes(), (out / "small_cnn.bin").read_bytes()))
    assert outs[0] == outs[1]


def test_our_ir_read_and_saved_again_is_identical(tmp_path):
    graph = irforge.convert_model(str(small_cnn(tmp_path)))
    xml, binp = irforge.save_model(graph, tmp_path / "a" / "m.xml")
    xml2, bin2 = irforge.save_model(irforge.read_model(xml), tmp_path / "b" / "m.xml")
    assert xml.read_bytes() == xml2.read_bytes()
    assert binp.read_bytes() == bin2.read_bytes()


@pytest.mark.parametrize("version,compress", [("IR_V11", False), ("IR_V11", True), ("IR_V10", False)])
def test_reference_runtime_runs_irs_written_by_openvino(tmp_path, version, compress):
    ov = openvino()
    model = small_cnn(tmp_path)
    ov_model = ov.convert_model(str(model))
    xml = tmp_path / "ov" / "m.xml"
    xml.parent.mkdir()
    if version == "IR_V10":
        ov.serialize(ov_model, str(xml), version="IR_V10")
    else:
        ov.save_model(ov_model, str(xml), compress_to_fp16=compress)
    x = np.random.default_rng(0).standard_normal((1, 3, 16, 16)).astype(np.float32)
    expected = run_openvino(xml, [x])
    compiled = irforge.compile_model(xml)
    got = compiled([x])
    assert len(got) == len(expected)
    for g, e in zip(got.values(), expected):
        assert_close(g, e, rtol=1e-3 if compress else 1e-5, atol=1e-6)
    assert "prob" in compiled.output_names


def test_output_names_reach_the_runtime(tmp_path):
    openvino()
    graph = irforge.convert_model(str(small_cnn(tmp_path)))
    xml, _ = irforge.save_model(graph, tmp_path / "m.xml")
    import openvino as ov
    m = ov.Core().read_model(str(xml))
    assert [o.get_any_name() for o in m.outputs] == ["prob"]
    assert m.inputs[0].get_any_name() == "x"
    x = np.random.default_rng(1).standard_normal((1, 3, 16, 16)).astype(np.float32)
    assert_close(run_openvino(xml, {"x": x})[0], run_reference(xml, {"x": x})[0], rtol=1e-4, atol=1e-6)


def test_identical_constants_are_stored_once(tmp_path):
    from irforge.core import ElementType, Graph, PartialShape
    from irforge import ops
    g = Graph("dedup")
    x = g.parameter("x", ElementType.f32, PartialShape([4]))
    a = g.constant(np.arange(4, dtype=np.float32), name="a")
    b = g.constant(np.arange(4, dtype=np.float32), name="b")
    y = g.out(ops.Add(), g.out(ops.Add(), x, a), b)
    y.names.add("y")
    g.result(y)
    _, binp = irforge.save_model(g, tmp_path / "d.xml")
    assert binp.stat().st_size == 16
