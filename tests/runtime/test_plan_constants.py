"""The reference runtime loads each constant once per compiled model (a stream calls it frame after frame), and
an unaligned .bin blob is copied once into aligned memory (numpy's BLAS paths need alignment)."""
import numpy as np

import irforge
from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph
from irforge.core.shape import PartialShape


def test_constants_are_loaded_once_and_aligned(tmp_path):
    g = Graph("c")
    x = g.parameter("x", ElementType.f32, PartialShape((1, 3)))
    odd = g.constant(np.array([1], np.uint8))           # puts the next blob at an odd offset of the .bin
    w = g.constant(np.arange(12, dtype=np.float32).reshape(4, 3))
    y = g.out(ops.MatMul(False, True), x, w)
    g.result(g.out(ops.Add(), g.out(ops.Convert(ElementType.f32), odd), y), "y")
    xml, _ = irforge.save_model(g, tmp_path / "c.xml")
    assert 'shape="4, 3" offset="1"' in xml.read_text()  # the weights sit at an unaligned offset
    model = irforge.compile_model(xml)
    feed = np.ones((1, 3), np.float32)
    first = model(feed)["y"]
    cached = dict(model.plan.constants)
    assert cached and all(v.flags.aligned for v in cached.values())
    second = model(feed)["y"]
    assert {k: id(v) for k, v in model.plan.constants.items()} == {k: id(v) for k, v in cached.items()}
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, [[4, 13, 22, 31]])
