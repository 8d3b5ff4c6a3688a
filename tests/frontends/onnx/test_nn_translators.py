"""ONNX translators that decompose (LayerNormalization, even-size LRN) and Range, against onnxruntime with the
OpenVINO runtime and the reference runtime."""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from oracles import check_onnx_model

rng = np.random.default_rng(7)


def _model(node, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph([node], "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


@pytest.mark.parametrize("shape,axis", [((2, 5, 8), -1), ((2, 3, 4, 6), 2), ((2, 3, 4, 6), -3), ((4, 6), 0)],
                         ids=str)
@pytest.mark.parametrize("with_bias", [True, False])
def test_layer_normalization(tmp_path, shape, axis, with_bias):
    norm_shape = shape[axis:] if axis >= 0 else shape[len(shape) + axis:]
    scale = numpy_helper.from_array(rng.uniform(0.5, 1.5, norm_shape).astype(np.float32), "scale")
    bias = numpy_helper.from_array(rng.standard_normal(norm_shape).astype(np.float32), "bias")
    node = helper.make_node("LayerNormalization", ["x", "scale"] + (["bias"] if with_bias else []), ["y"],
                            axis=axis, epsilon=1e-3)
    model = _model(node, [_f32("x", shape)], [_f32("y", shape)], [scale] + ([bias] if with_bias else []))
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    check_onnx_model(model, [x], tmp_path, rtol=1e-4, atol=1e-5)


def test_layer_normalization_mean_and_inv_std_outputs(tmp_path):
    shape = (2, 3, 8)
    scale = numpy_helper.from_array(np.ones(8, np.float32), "scale")
    node = helper.make_node("LayerNormalization", ["x", "scale"], ["y", "mean", "inv_std"], axis=-1)
    model = _model(node, [_f32("x", shape)], [_f32("y", shape), _f32("mean", (2, 3, 1)), _f32("inv_std", (2, 3, 1))],
                   [scale])
    check_onnx_model(model, [(rng.standard_normal(shape) * 2).astype(np.float32)], tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("size", [3, 5])
@pytest.mark.parametrize("bias", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("shape", [(2, 7, 5, 4), (1, 6, 3, 3)], ids=str)   # onnxruntime's LRN is 4-D only
def test_lrn(tmp_path, size, bias, shape):
    """A fractional bias is scaled out of the LRN (the CPU plugin truncates LRN's bias to an integer)."""
    node = helper.make_node("LRN", ["x"], ["y"], size=size, alpha=0.02, beta=0.75, bias=bias)
    model = _model(node, [_f32("x", shape)], [_f32("y", shape)])
    check_onnx_model(model, [(rng.standard_normal(shape) * 2).astype(np.float32)], tmp_path, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("size", [2, 4, 6])
@pytest.mark.parametrize("shape", [(2, 7, 5, 4), (1, 6, 9)], ids=str)
def test_lrn_even_size(tmp_path, size, shape):
    """ONNX's even-size window is one longer after the channel than before: a decomposition. onnxruntime refuses
    even sizes and the onnx package's reference LRN loops over the batch axis instead of the channels, so the
    oracle is the spec's formula written out here."""
    import irforge
    from oracles import assert_close, run_openvino, run_reference
    alpha, beta, bias = 0.02, 0.75, 1.5
    node = helper.make_node("LRN", ["x"], ["y"], size=size, alpha=alpha, beta=beta, bias=bias)
    model = _model(node, [_f32("x", shape)], [_f32("y", shape)])
    x = (rng.standard_normal(shape) * 2).astype(np.float32)
    square_sum = np.zeros(shape, np.float64)
    channels = shape[1]
    for c in range(channels):
        lo, hi = max(0, c - (size - 1) // 2), min(channels - 1, c + size // 2)   # floor / ceil of (size-1)/2
        square_sum[:, c] = np.sum(x[:, lo:hi + 1].astype(np.float64) ** 2, axis=1)
    expected = (x / (bias + alpha / size * square_sum) ** beta).astype(np.float32)
    path = tmp_path / "lrn.onnx"
    path.write_bytes(model.SerializeToString())
    xml, _ = irforge.save_model(irforge.convert_model(str(path)), tmp_path / "ir" / "lrn.xml")
    assert_close(run_openvino(xml, [x])[0], expected, 1e-4, 1e-6, "OpenVINO vs the spec")
    assert_close(run_reference(xml, [x])[0], expected, 1e-4, 1e-6, "reference runtime vs the spec")


@pytest.mark.parametrize("dtype,start,limit,delta", [
    (np.int64, 0, 10, 3), (np.int64, 10, -3, -4), (np.int32, 5, 5, 1), (np.float32, 0.5, 3.0, 0.7),
    (np.float32, 1.0, -1.0, -0.3)], ids=str)
def test_range(tmp_path, dtype, start, limit, delta):
    onnx_type = {np.int64: TensorProto.INT64, np.int32: TensorProto.INT32, np.float32: TensorProto.FLOAT}[dtype]
    ins = [helper.make_tensor_value_info(n, onnx_type, []) for n in ("start", "limit", "delta")]
    node = helper.make_node("Range", ["start", "limit", "delta"], ["y"])
    model = _model(node, ins, [helper.make_tensor_value_info("y", onnx_type, None)], opset=11)
    feeds = [np.array(v, dtype) for v in (start, limit, delta)]
    # Run-time scalars: the output length is dynamic.
    check_onnx_model(model, feeds, tmp_path, rtol=1e-6, atol=1e-6)
