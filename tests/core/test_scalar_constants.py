"""Scalars stay scalars: graph.constant and constant folding once turned a 0-d value into shape [1]
(np.ascontiguousarray returns at least 1-d), which OpenVINO rejects where a scalar is required (Swish beta)."""
import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph
from irforge.core.shape import PartialShape
from irforge.transforms.fold_constants import fold_constants


def test_constant_of_a_scalar_is_0d():
    g = Graph()
    assert g.constant(np.float32(2.5)).shape.rank == 0
    assert g.constant(3.0).shape.rank == 0
    assert g.constant(np.array(7, np.int64)).shape.rank == 0


def test_folded_scalar_is_0d():
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([2]))
    big = np.arange(5000, dtype=np.float32)           # over the known-value limit: folded by the pass
    total = g.out(ops.ReduceSum(keep_dims=False), g.constant(big), g.constant(np.array([0], np.int64)))
    g.result(g.out(ops.Add(), x, total))
    assert fold_constants(g) == 1
    add = next(n for n in g.nodes if isinstance(n.op, ops.Add))
    assert add.inputs[1].shape.rank == 0 and float(add.inputs[1].node.op.array()) == float(big.sum())
