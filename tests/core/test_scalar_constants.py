"""Scalars stay scalars: a 0-D constant (TopK's k, a Reduce to a scalar) keeps shape [] when built and when folded
(np.ascontiguousarray would make it [1], which OpenVINO rejects where a scalar is required)."""
import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph
from irforge.core.shape import PartialShape
from irforge.transforms.fold_constants import fold_constants


def test_constant_keeps_scalar_shape():
    g = Graph()
    assert g.constant(np.int64(3)).shape == PartialShape(())
    assert g.constant(2.5).node.op.shape == ()


def test_folded_scalar_keeps_shape():
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([4]))
    total = g.out(ops.ReduceSum(keep_dims=False), g.constant(np.arange(4, dtype=np.float32)), g.constant(np.int64(0)))
    g.result(g.out(ops.Multiply(), x, total), name="y")
    assert fold_constants(g) >= 1
    folded = g.results[0].inputs[0].node.inputs[1].node.op
    assert isinstance(folded, ops.Constant) and folded.shape == () and folded.array().shape == ()
