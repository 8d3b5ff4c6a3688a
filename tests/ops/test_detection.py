"""Detection ops: irforge's evaluate against the real OpenVINO runtime on the same one-op IR."""
import numpy as np
import pytest

from irforge import ops
from oracles import check_op_against_openvino

rng = np.random.default_rng(7)


@pytest.mark.parametrize("attrs", [
    dict(min_size=(30.0,), max_size=(60.0,), aspect_ratio=(2.0, 3.0), flip=True, clip=False,
         variance=(0.1, 0.1, 0.2, 0.2)),
    dict(min_size=(10.0, 20.0), max_size=(15.0, 30.0), aspect_ratio=(2.0,), flip=False, clip=True, step=8.0,
         offset=0.3, variance=(0.1,)),
    dict(min_size=(12.5,), aspect_ratio=(2.0, 0.5, 2.0), flip=True, variance=()),
    dict(min_size=(30.0,), max_size=(60.0,), aspect_ratio=(2.0,), flip=True, min_max_aspect_ratios_order=False,
         variance=(0.1, 0.1, 0.2, 0.2)),
    dict(fixed_size=(32.0,), density=(2.0,), aspect_ratio=(2.0,), flip=False, variance=(0.1,), clip=True),
    dict(fixed_size=(16.0, 32.0), fixed_ratio=(1.0,), density=(1.0, 2.0), variance=(0.1,)),
])
def test_prior_box(tmp_path, attrs):
    op = ops.PriorBox(**attrs)
    check_op_against_openvino(op, [np.array([5, 7], np.int64), np.array([100, 140], np.int64)], tmp_path,
                              constant=[True, True])


@pytest.mark.parametrize("attrs", [
    dict(width=(10.0, 20.5, 30.0), height=(15.0, 20.0, 8.0), clip=True, variance=(0.1, 0.1, 0.2, 0.2)),
    dict(width=(10.0,), height=(15.0,), clip=False, step=16.0, offset=0.25, variance=(0.2,)),
    dict(width=(40.0, 8.0), height=(15.0, 80.0), clip=True, step_w=10.0, step_h=12.0, variance=()),
])
def test_prior_box_clustered(tmp_path, attrs):
    op = ops.PriorBoxClustered(**attrs)
    check_op_against_openvino(op, [np.array([4, 6], np.int64), np.array([64, 96], np.int64)], tmp_path,
                              constant=[True, True])


def _ssd_inputs(images=1, priors=40, classes=5, share_location=True, normalized=True, variance_in_target=False):
    centers = rng.uniform(0.1, 0.9, (priors, 2)).astype(np.float32)
    sizes = rng.uniform(0.05, 0.4, (priors, 2)).astype(np.float32)
    boxes = np.concatenate([centers - sizes / 2, centers + sizes / 2], axis=1)
    if not normalized:
        boxes = np.concatenate([np.zeros((priors, 1), np.float32), boxes * 300], axis=1)
    rows = [boxes.reshape(-1)]
    if not variance_in_target:   # the variance row has the same length; its first 4 * priors values count
        variances = np.tile(np.array([0.1, 0.1, 0.2, 0.2], np.float32), priors)
        rows.append(np.pad(variances, (0, rows[0].size - variances.size)))
    proposals = np.stack(rows)[np.newaxis].astype(np.float32)
    loc_classes = 1 if share_location else classes
    loc = rng.normal(0, 1, (images, priors * loc_classes * 4)).astype(np.float32)
    logits = rng.normal(0, 2, (images, priors, classes))
    conf = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).reshape(images, -1).astype(np.float32)
    return loc, conf, proposals


@pytest.mark.parametrize("attrs,inputs", [
    (dict(keep_top_k=(20,), top_k=15, nms_threshold=0.45, confidence_threshold=0.1, share_location=True,
          code_type="caffe.PriorBoxParameter.CENTER_SIZE", normalized=True), {}),
    (dict(keep_top_k=(-1,), top_k=10, nms_threshold=0.3, confidence_threshold=0.05, share_location=False,
          code_type="caffe.PriorBoxParameter.CORNER", normalized=True, background_label_id=-1),
     dict(share_location=False)),
    (dict(keep_top_k=(50,), top_k=-1, nms_threshold=0.5, confidence_threshold=0.2, share_location=True,
          code_type="caffe.PriorBoxParameter.CENTER_SIZE", normalized=False, input_height=300, input_width=300,
          clip_before_nms=True), dict(images=2, normalized=False)),
    (dict(keep_top_k=(10,), top_k=30, nms_threshold=0.45, confidence_threshold=0.0, share_location=True,
          code_type="caffe.PriorBoxParameter.CENTER_SIZE", normalized=True, variance_encoded_in_target=True,
          clip_after_nms=True), dict(variance_in_target=True)),
    (dict(keep_top_k=(30,), top_k=25, nms_threshold=0.45, confidence_threshold=0.1, share_location=True,
          code_type="caffe.PriorBoxParameter.CENTER_SIZE", normalized=True, decrease_label_id=True), {}),
])
def test_detection_output(tmp_path, attrs, inputs):
    op = ops.DetectionOutput(**attrs)
    check_op_against_openvino(op, list(_ssd_inputs(**inputs)), tmp_path)
