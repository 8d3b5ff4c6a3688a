"""ONNX Flatten with dynamic dims, as the zoo's detectors revealed it: each graph is converted once, its inferred
shapes checked, and run at several input shapes by the OpenVINO runtime and the reference runtime against
onnxruntime."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import irforge
from oracles import assert_close, run_onnxruntime, run_openvino, run_reference

rng = np.random.default_rng(11)


def _convert_and_run(model, feeds_at, tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(model.SerializeToString())
    graph = irforge.convert_model(str(path))
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / "model.xml")
    for feeds in feeds_at:
        expected = run_onnxruntime(path, feeds)
        for what, got in (("OpenVINO", run_openvino(xml, feeds)), ("reference", run_reference(xml, feeds))):
            for g, e in zip(got, expected):
                assert_close(g, e, 1e-5, 1e-6, f"{what} at {[f.shape for f in feeds]}")
    return graph


def _shape_of(graph, tensor_name: str) -> str:
    for node in graph.nodes:
        for out in node.outputs:
            if tensor_name in out.names:
                return str(out.shape)
    raise KeyError(tensor_name)


def test_flatten_of_dynamic_boxes_keeps_the_box_size_for_nms(tmp_path):
    """retinanet: boxes [?, 1, 4] flattened (axis 1) then NonMaxSuppression. A [prod(lead), -1] target left the
    flattened boxes [?, ?], and OpenVINO's NonMaxSuppression refuses boxes without a static last dim 4."""
    nodes = [
        helper.make_node("Flatten", ["boxes"], ["flat"], axis=1),
        helper.make_node("Unsqueeze", ["flat", "zero"], ["batched"]),
        helper.make_node("Unsqueeze", ["scores", "zeros"], ["batched_scores"]),
        helper.make_node("NonMaxSuppression", ["batched", "batched_scores", "limit", "iou"], ["selected"]),
    ]
    inits = [numpy_helper.from_array(np.array([0], np.int64), "zero"),
             numpy_helper.from_array(np.array([0, 1], np.int64), "zeros"),
             numpy_helper.from_array(np.array([50], np.int64), "limit"),
             numpy_helper.from_array(np.array([0.5], np.float32), "iou")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, ["n", 1, 4]),
                                           helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["n"])],
                              [helper.make_tensor_value_info("selected", TensorProto.INT64, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

    def feeds(n):
        corner = rng.uniform(0, 20, (n, 1, 2)).astype(np.float32)
        return [np.concatenate([corner, corner + rng.uniform(2, 8, (n, 1, 2)).astype(np.float32)], axis=2),
                rng.random(n).astype(np.float32)]
    converted = _convert_and_run(model, [feeds(30), feeds(7)], tmp_path)
    assert _shape_of(converted, "flat") == "?,4"


@pytest.mark.parametrize("dims,axis,expected", [
    (["n", 3, 4, 5], 1, "?,60"), (["n", 3, 4, 5], 2, "?,20"), (["n", 3, "w", 5], 3, "?,5"),
    (["n", 3, "w", 5], 2, "?,?")], ids=str)
def test_flatten_with_dynamic_dims_on_either_side(tmp_path, dims, axis, expected):
    """A static trailing part gives a constant [-1, size] target; with dynamic dims on both sides both products
    are computed from the shape (no -1 left to resolve)."""
    graph = helper.make_graph([helper.make_node("Flatten", ["x"], ["y"], axis=axis)], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    shapes = [(2, 3, 4, 5), (1, 3, 4, 5)] if "w" not in dims else [(2, 3, 4, 5), (3, 3, 1, 5)]
    converted = _convert_and_run(model, [[rng.standard_normal(s).astype(np.float32)] for s in shapes], tmp_path)
    assert _shape_of(converted, "y") == expected
