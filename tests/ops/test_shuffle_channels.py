"""ShuffleChannels against the real OpenVINO runtime."""
import numpy as np
import pytest

from irforge import ops
from oracles import check_op_against_openvino

rng = np.random.default_rng(3)


@pytest.mark.parametrize("shape,axis,group", [((1, 12, 3, 3), 1, 3), ((2, 6, 4), -2, 2), ((4, 6), 0, 4),
                                              ((1, 8, 2, 2), 1, 8), ((1, 5, 2, 2), 1, 1)])
def test_shuffle_channels(tmp_path, shape, axis, group):
    x = rng.standard_normal(shape).astype(np.float32)
    ours = check_op_against_openvino(ops.ShuffleChannels(axis=axis, group=group), [x], tmp_path)
    a = axis % len(shape)
    moved = np.moveaxis(x, a, 0)
    expected = np.moveaxis(moved.reshape(group, -1, *moved.shape[1:]).swapaxes(0, 1).reshape(moved.shape), 0, a)
    np.testing.assert_array_equal(ours[0], expected)


def test_shuffle_channels_rejects_uneven_groups():
    from irforge.core.element_type import ElementType
    from irforge.core.graph import Graph
    from irforge.core.shape import PartialShape
    from irforge.errors import ShapeError
    g = Graph()
    x = g.parameter("x", ElementType.f32, PartialShape([1, 6, 2]))
    with pytest.raises(ShapeError):
        g.add(ops.ShuffleChannels(axis=1, group=4), x)
