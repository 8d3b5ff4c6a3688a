"""--data_type and --compress_to_fp16 end to end: which flags compress, the .bin halves, and the IR computes
what onnxruntime computes with the weights rounded to f16 by hand (exact weights when they do not fit f16)."""
import numpy as np
import pytest

import irforge
from oracles import openvino, run_onnxruntime
from tiny_models import check_ir, conv_relu, dense, ir_files, mo, rounded, save


def const_types(xml):
    return sorted(str(op.get_element_type()) for op in openvino().Core().read_model(str(xml)).get_ops()
                  if op.get_type_name() == "Constant")


@pytest.mark.parametrize("args, compressed", [
    (["--data_type", "FP16"], True), (["--data_type", "half"], True), (["--compress_to_fp16"], True),
    (["--compress_to_fp16", "True"], True), (["--data_type", "FP32"], False), (["--data_type", "float"], False),
    ([], False), (["--compress_to_fp16", "false"], False),
])
def test_which_flags_compress(tmp_path, args, compressed):
    model = conv_relu()
    path = save(model, tmp_path)
    run = mo(path, tmp_path / "ir", *args)
    assert run.code == 0, run.err
    x = np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)
    if compressed:
        assert const_types(run.xml) == ["<Type: 'float16'>"] * 2
        check_ir(run.xml, [x], run_onnxruntime(rounded(model), [x]), rtol=1e-5, atol=1e-5)
        # The inputs and outputs stay f32 (as the legacy --data_type FP16 did since OpenVINO 2022.1).
        m = openvino().Core().read_model(str(run.xml))
        assert m.input(0).get_element_type() == openvino().Type.f32 == m.output(0).get_element_type()
    else:
        assert const_types(run.xml) == ["<Type: 'float32'>"] * 2
        check_ir(run.xml, [x], run_onnxruntime(model, [x]))


def test_compression_halves_the_weights_and_keeps_big_values_exact(tmp_path):
    w = np.random.default_rng(1).standard_normal((64, 32)).astype(np.float32)
    big = w.copy()
    big[5, 5] = 1e6
    for name, weights, f16 in (("normal", w, True), ("big", big, False)):
        model = dense(weights, shape=(2, 64))
        path = save(model, tmp_path, name)
        full = mo(path, tmp_path / f"{name}_full", name=name)
        half = mo(path, tmp_path / f"{name}_half", "--data_type", "FP16", name=name)
        assert full.code == 0 and half.code == 0, full.err + half.err
        full_size = full.xml.with_suffix(".bin").stat().st_size
        half_size = half.xml.with_suffix(".bin").stat().st_size
        x = np.random.default_rng(2).standard_normal((2, 64)).astype(np.float32)
        if f16:
            assert half_size == full_size // 2
            check_ir(half.xml, [x], run_onnxruntime(rounded(model), [x]), rtol=1e-5, atol=1e-5)
        else:
            assert half_size > full_size * 0.9  # W stays f32; only the bias halves
            check_ir(half.xml, [x], run_onnxruntime(model, [x]), rtol=1e-5, atol=1e-4)


def test_python_api_compresses_in_the_returned_model(tmp_path):
    model = conv_relu()
    graph = irforge.convert_model(str(save(model, tmp_path)), compress_to_fp16=True)
    xml, _ = irforge.save_model(graph, tmp_path / "api" / "m.xml")
    assert const_types(xml) == ["<Type: 'float16'>"] * 2
    x = np.random.default_rng(3).standard_normal((1, 3, 8, 8)).astype(np.float32)
    check_ir(xml, [x], run_onnxruntime(rounded(model), [x]), rtol=1e-5, atol=1e-5)


def test_bad_data_type(tmp_path):
    run = mo(save(conv_relu(), tmp_path), tmp_path / "ir", "--data_type", "FP8")
    assert run.code == 1 and "--data_type" in run.err and "'FP8'" in run.err and "FP16, FP32" in run.err
    assert ir_files(tmp_path / "ir") == []
