"""RegionYolo and ReorgYolo against the real OpenVINO runtime, and against Darknet's own loops (tests/darknet.py)."""
import numpy as np
import pytest

import darknet
from irforge import ops
from oracles import check_op_against_openvino

rng = np.random.default_rng(41)
f32 = np.float32


@pytest.mark.parametrize("shape,stride", [((1, 8, 4, 6), 2), ((2, 18, 6, 3), 3), ((1, 4, 2, 2), 1)])
def test_reorg_yolo(tmp_path, shape, stride):
    x = rng.standard_normal(shape).astype(f32)
    ours = check_op_against_openvino(ops.ReorgYolo(stride=(stride, stride)), [x], tmp_path)
    np.testing.assert_array_equal(ours[0], darknet.reorg(x, stride))


@pytest.mark.parametrize("axis,end_axis,batch", [(1, 3, 2), (1, -1, 1), (2, 3, 1), (0, 1, 2)])
def test_region_yolo_v2(tmp_path, axis, end_axis, batch):
    """do_softmax: `num` regions, output flattened from axis to end_axis."""
    coords, classes, num = 4, 3, 2
    x = (rng.standard_normal((batch, num * (coords + 1 + classes), 3, 4)) * 3).astype(f32)
    op = ops.RegionYolo(coords=coords, classes=classes, num=num, do_softmax=True, axis=axis, end_axis=end_axis,
                        anchors=(1.08, 1.19, 3.42, 4.41))
    ours = check_op_against_openvino(op, [x], tmp_path, rtol=1e-5, atol=1e-6)
    expected = darknet.region(x, coords, classes, num, True)
    np.testing.assert_allclose(ours[0].reshape(-1), expected.reshape(-1), rtol=1e-5, atol=1e-6)


def test_region_yolo_v3(tmp_path):
    """Without softmax: the regions are the mask's anchors, classes get a sigmoid each, shape unchanged."""
    coords, classes, mask = 4, 5, (3, 4, 5)
    x = (rng.standard_normal((1, len(mask) * (coords + 1 + classes), 5, 4)) * 3).astype(f32)
    op = ops.RegionYolo(coords=coords, classes=classes, num=9, do_softmax=False, mask=mask, axis=1, end_axis=3,
                        anchors=tuple(float(v) for v in range(1, 19)))
    ours = check_op_against_openvino(op, [x], tmp_path, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[0], darknet.region(x, coords, classes, len(mask), False), rtol=1e-5,
                               atol=1e-6)


def test_inference_checks():
    from irforge.core.op import TensorInfo
    from irforge.core.element_type import ElementType
    from irforge.core.shape import PartialShape
    with pytest.raises(ValueError, match="channels"):
        ops.RegionYolo(coords=4, classes=3, num=2).infer(TensorInfo(ElementType.f32, PartialShape([1, 15, 3, 3])))
    with pytest.raises(ValueError, match="divide by the stride"):
        ops.ReorgYolo(stride=(2, 2)).infer(TensorInfo(ElementType.f32, PartialShape([1, 8, 3, 4])))
    with pytest.raises(ValueError, match="equal positive"):
        ops.ReorgYolo(stride=(2, 3)).infer(TensorInfo(ElementType.f32, PartialShape([1, 8, 4, 4])))
