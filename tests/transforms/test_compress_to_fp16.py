"""The compress_to_fp16 pass: f32 weights become f16 + Convert(f32) marked `decompression` (OpenVINO's layout);
out-of-range values, shape computations and non-f32 constants stay as they are. The compressed IR must give, in
OpenVINO and in the reference runtime, what onnxruntime gives with the weights rounded to f16 by hand."""
import numpy as np
import pytest

import irforge
from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Graph
from irforge.core.shape import PartialShape
from irforge.transforms.compress_to_fp16 import compress_to_fp16
from irforge.transforms.fold_constants import fold_constants
from oracles import openvino, run_onnxruntime
from tiny_models import check_ir, dense, rounded, save


def weights(seed=0, shape=(4, 3)):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def consts(graph: Graph) -> dict[str, ElementType]:
    return {n.name: n.op.element_type for n in graph.nodes if isinstance(n.op, Constant)}


def test_weights_are_stored_as_f16_with_a_marked_convert(tmp_path):
    model = dense(weights())
    graph = irforge.convert_model(str(save(model, tmp_path)))
    assert compress_to_fp16(graph) == 2  # W and bias
    assert consts(graph) == {"W_compressed": ElementType.f16, "bias_compressed": ElementType.f16}
    converts = {n.name: n for n in graph.nodes if isinstance(n.op, ops.Convert)}
    assert set(converts) == {"W", "bias"}
    assert all(c.rt_info == {"decompression": ""} and c.op.destination_type == ElementType.f32
               for c in converts.values())
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "m.xml")
    x = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    check_ir(xml, [x], run_onnxruntime(rounded(model), [x]), rtol=1e-5, atol=1e-6)
    # OpenVINO reads the mark as its own: the Convert is a decompression, not a computation.
    core_model = openvino().Core().read_model(str(xml))
    marked = [op.get_friendly_name() for op in core_model.get_ops()
              if any(key.startswith("decompression") for key in op.get_rt_info().keys())]
    assert sorted(marked) == ["W", "bias"]


def test_same_constants_as_openvinos_own_compression(tmp_path):
    model = dense(weights(2, (4, 6)))
    graph = irforge.convert_model(str(save(model, tmp_path)))
    plain, _ = irforge.save_model(graph, tmp_path / "plain" / "m.xml")
    ov = openvino()
    ov.save_model(ov.Core().read_model(str(plain)), str(tmp_path / "ov.xml"), compress_to_fp16=True)
    theirs = {op.get_friendly_name() for op in ov.Core().read_model(str(tmp_path / "ov.xml")).get_ops()
              if op.get_type_name() == "Constant" and op.get_element_type() == ov.Type.f16}
    compress_to_fp16(graph)
    ours = {name for name, et in consts(graph).items() if et == ElementType.f16}
    assert ours == theirs == {"W_compressed", "bias_compressed"}


def test_values_outside_the_f16_range_keep_the_constant_f32(tmp_path):
    w = weights(3)
    w[0, 0] = 70000.0  # beyond 65504: OpenVINO would clamp it; irforge keeps the whole constant exact
    model = dense(w)
    graph = irforge.convert_model(str(save(model, tmp_path)))
    compress_to_fp16(graph)
    assert consts(graph) == {"W": ElementType.f32, "bias_compressed": ElementType.f16}
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "m.xml")
    x = np.random.default_rng(4).standard_normal((2, 4)).astype(np.float32)
    (expected,) = run_onnxruntime(model, [x])  # bias 0.5 is exact in f16, W untouched
    check_ir(xml, [x], [expected], rtol=1e-5, atol=1e-6)
    assert np.isfinite(expected).all()


@pytest.mark.parametrize("values, stays_f32", [
    (np.full((4, 3), 1e-9, np.float32), True),                            # all would underflow to 0
    (np.where(np.arange(12).reshape(4, 3) < 2, 1e-9, 0.5).astype(np.float32), False),  # a few tiny ones: fine
    (np.array([[-np.inf, 1.0, 2.0]] * 4, np.float32), False),              # inf is exact in f16
    (np.zeros((4, 3), np.float32), False),
])
def test_underflow_and_special_values(tmp_path, values, stays_f32):
    graph = irforge.convert_model(str(save(dense(values), tmp_path)))
    compress_to_fp16(graph)
    assert (consts(graph).get("W") == ElementType.f32) is stays_f32


def test_shape_computations_and_integers_are_left_alone(tmp_path):
    g = Graph("shapes")
    x = g.parameter("x", ElementType.f32, PartialShape([2, 6]))
    target = g.out(ops.Convert(ElementType.i64), g.constant(np.array([3.0, 4.0], np.float32), name="target_f32"))
    y = g.out(ops.Reshape(), x, target)
    y = g.out(ops.Multiply(), y, g.constant(np.full((3, 4), 2.0, np.float32), name="weights"))
    idx = g.constant(np.array([0, 2], np.int64), name="indices")
    y = g.out(ops.Gather(), y, idx, g.constant(np.array(1, np.int64), name="axis"))
    y.names.add("y")
    g.result(y)
    assert compress_to_fp16(g) == 1
    kinds = consts(g)
    assert kinds["target_f32"] == ElementType.f32 and kinds["indices"] == ElementType.i64
    assert kinds["weights_compressed"] == ElementType.f16
    data = np.arange(12, dtype=np.float32).reshape(2, 6)
    xml, _ = irforge.save_model(g, tmp_path / "shapes.xml")
    check_ir(xml, [data], [(data.reshape(3, 4) * 2)[:, [0, 2]]])


def test_idempotent_and_never_folded_back(tmp_path):
    graph = irforge.convert_model(str(save(dense(weights(5)), tmp_path)))
    assert compress_to_fp16(graph) == 2
    assert compress_to_fp16(graph) == 0
    fold_constants(graph)  # the decompression Converts have constant inputs but must stay
    assert sorted(n.name for n in graph.nodes if isinstance(n.op, ops.Convert)) == ["W", "bias"]


def test_save_model_compresses_a_copy(tmp_path):
    model = dense(weights(6))
    graph = irforge.convert_model(str(save(model, tmp_path)))
    xml, binp = irforge.save_model(graph, tmp_path / "half" / "m.xml", compress_to_fp16=True)
    plain_xml, plain_bin = irforge.save_model(graph, tmp_path / "full" / "m.xml")
    assert consts(graph) == {"W": ElementType.f32, "bias": ElementType.f32}  # the caller's graph is unchanged
    assert binp.stat().st_size == plain_bin.stat().st_size // 2
    x = np.random.default_rng(7).standard_normal((2, 4)).astype(np.float32)
    check_ir(xml, [x], run_onnxruntime(rounded(model), [x]), rtol=1e-5, atol=1e-6)


def test_big_weights_are_compressed_when_written(tmp_path):
    """A 2 MB weight left in the model file: its f16 copy is made when the IR is written (a DeferredValue), not
    held by the graph; the IR has the rounded weights."""
    from irforge.core.tensor import DeferredValue
    w = weights(3, (1024, 512)) / 8
    model = dense(w, shape=(2, 1024))
    graph = irforge.convert_model(str(save(model, tmp_path)), compress_to_fp16=True)
    big = [n.op for n in graph.nodes if isinstance(n.op, Constant) and n.op.shape == (1024, 512)]
    assert len(big) == 1 and big[0].element_type == ElementType.f16 and isinstance(big[0].data, DeferredValue)
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "m.xml")
    x = np.random.default_rng(2).standard_normal((2, 1024)).astype(np.float32)
    check_ir(xml, [x], run_onnxruntime(rounded(model), [x]), rtol=1e-4, atol=1e-4)
