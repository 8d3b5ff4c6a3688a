"""NonMaxSuppression-9 and ROIAlign-9 against the real OpenVINO runtime."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from oracles import check_op_against_openvino

rng = np.random.default_rng(19)
f32 = np.float32


def boxes(batches, count, flipped=False):
    y1, x1 = rng.uniform(0, 8, (2, batches, count))
    h, w = rng.uniform(1, 4, (2, batches, count))
    b = np.stack([y1, x1, y1 + h, x1 + w], axis=-1).astype(f32)
    if flipped:
        b = b[..., [2, 3, 0, 1]]
    return b


@pytest.mark.parametrize("sort", [True, False])
@pytest.mark.parametrize("flipped", [False, True])
def test_nms(tmp_path, sort, flipped):
    b = boxes(2, 10, flipped)
    scores = rng.uniform(0, 1, (2, 3, 10)).astype(f32)
    op = ops.NonMaxSuppression(sort_result_descending=sort)
    check_op_against_openvino(op, [b, scores, np.array(4), np.array(0.3, f32), np.array(0.2, f32)], tmp_path,
                              constant=[False, False, True, True, True])


def test_nms_center_encoding_i32_and_soft(tmp_path):
    b = boxes(1, 8)
    center = np.stack([(b[..., 1] + b[..., 3]) / 2, (b[..., 0] + b[..., 2]) / 2, b[..., 3] - b[..., 1],
                       b[..., 2] - b[..., 0]], axis=-1).astype(f32)
    scores = rng.uniform(0, 1, (1, 2, 8)).astype(f32)
    check_op_against_openvino(ops.NonMaxSuppression(box_encoding="center", output_type=ElementType.i32),
                              [center, scores, np.array(3), np.array(0.4, f32)], tmp_path,
                              constant=[False, False, True, True])
    check_op_against_openvino(ops.NonMaxSuppression(sort_result_descending=False),
                              [b, scores, np.array(5), np.array(0.5, f32), np.array(0.1, f32), np.array(0.5, f32)],
                              tmp_path, constant=[False, False, True, True, True, True], rtol=1e-4)


@pytest.mark.parametrize("limit", [300, 7])
def test_nms_many_boxes_with_ties_and_empty_boxes(tmp_path, limit):
    """A detector's load (thousands of boxes; equal scores; zero-area boxes) through the blocked hard-NMS path,
    against the runtime; the limit stops it inside a block, or not."""
    b = boxes(1, 3000)
    b[0, ::97, 2] = b[0, ::97, 0]                           # zero height: IoU 0 with everything
    scores = rng.uniform(0, 1, (1, 3, 3000)).astype(f32)
    scores[0, :, 1::7] = scores[0, :, 0:1]                  # ties: the lower box index goes first
    check_op_against_openvino(ops.NonMaxSuppression(), [b, scores, np.array(limit), np.array(0.5, f32),
                                                        np.array(0.05, f32)],
                              tmp_path, constant=[False, False, True, True, True])


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("aligned", ["asymmetric", "half_pixel_for_nn", "half_pixel"])
@pytest.mark.parametrize("sampling", [0, 2])
def test_roi_align(tmp_path, mode, aligned, sampling):
    data = rng.standard_normal((2, 3, 10, 12)).astype(f32)
    rois = np.array([[1, 1, 7, 6], [0, 0, 11.5, 9.5], [3.2, 2.1, 3.9, 2.4], [-2, -1, 4, 12]], f32)
    op = ops.ROIAlign(pooled_h=3, pooled_w=2, sampling_ratio=sampling, spatial_scale=0.8, mode=mode,
                      aligned_mode=aligned)
    check_op_against_openvino(op, [data, rois, np.array([0, 1, 1, 0], np.int32)], tmp_path,
                              constant=[False, True, True], rtol=1e-4, atol=1e-5)
