"""Embedded ONNX weights stay in the model file: the loader finds their bytes in the protobuf wire format."""
import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import irforge
from irforge.core.tensor import FileSlice
from irforge.errors import InputError
from irforge.frontends.onnx.wire import read_without_weights


def _model(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = np.arange(4, dtype=np.int64)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"]), helper.make_node("Cast", ["b"], ["bf"], to=1),
         helper.make_node("Add", ["y", "bf"], ["z"])], "g",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("z", onnx.TensorProto.FLOAT, [2, 3])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b[:3], "b")])
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path, w, b[:3]


def test_weights_are_file_slices_with_the_right_bytes(tmp_path):
    path, w, b = _model(tmp_path)
    model, slices = read_without_weights(str(path))
    assert set(slices) == {"w", "b"}
    assert all(not t.raw_data for t in model.graph.initializer)
    data = path.read_bytes()
    assert data[slices["w"].offset:slices["w"].offset + slices["w"].nbytes] == w.tobytes()
    assert isinstance(slices["b"], FileSlice) and slices["b"].nbytes == b.nbytes


def test_converted_model_keeps_values(tmp_path):
    path, w, b = _model(tmp_path)
    x = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    out = irforge.compile_model(irforge.convert_model(str(path)))([x])
    np.testing.assert_allclose(out["z"], x @ w + b, rtol=1e-6)


def test_truncated_file_names_the_offset(tmp_path):
    path, _, _ = _model(tmp_path)
    data = path.read_bytes()
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(data[: len(data) - 7])
    with pytest.raises(InputError, match="byte offset"):
        read_without_weights(str(bad))
