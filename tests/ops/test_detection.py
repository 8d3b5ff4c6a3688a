"""Detection ops: irforge's evaluate against the real OpenVINO runtime on the same one-op IR."""
import numpy as np
import pytest

from irforge import ops
import irforge
from oracles import assert_close, check_op_against_openvino, run_openvino, run_reference, single_op_graph

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


def _rpn_inputs(batch=1, anchors=9, height=6, width=7, seed=3):
    r = np.random.default_rng(seed)
    logits = r.normal(0, 2, (batch, 2, anchors, height, width))
    probs = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).reshape(batch, 2 * anchors, height, width)
    deltas = r.normal(0, 0.3, (batch, 4 * anchors, height, width))
    return probs.astype(np.float32), deltas.astype(np.float32)


def check_proposal(tmp_path, op, inputs):
    """The proposals with a positive score must agree, in order. After them come boxes whose score the min_size
    filter zeroed, in an order neither implementation fixes (ties), and after the -1 end marker the CPU plugin
    leaves stale values."""
    g = single_op_graph(op, inputs, [False, False, True])
    ours = run_reference(g, inputs[:2])
    xml, _ = irforge.save_model(g, tmp_path / "proposal.xml")
    theirs = run_openvino(xml, inputs[:2])
    per_image = op.post_nms_topn
    for b in range(inputs[0].shape[0]):
        rows = slice(b * per_image, (b + 1) * per_image)
        ends = [int(np.flatnonzero(np.append(r[rows][:, 0], -1) == -1)[0]) for r in (ours[0], theirs[0])]
        assert ends[0] == ends[1], f"image {b}: {ends[0]} proposals, OpenVINO {ends[1]}"
        scored = [int(np.count_nonzero(p[rows][:end] > 0)) for p, end in zip((ours[1], theirs[1]), ends)]
        assert scored[0] == scored[1] > 0, f"image {b}: {scored[0]} scored proposals, OpenVINO {scored[1]}"
        valid = slice(b * per_image, b * per_image + scored[0])
        assert_close(ours[0][valid], theirs[0][valid], 1e-5, 1e-4, f"image {b} rois")
        assert_close(ours[1][valid], theirs[1][valid], 1e-5, 1e-6, f"image {b} scores")


@pytest.mark.parametrize("attrs,image", [
    (dict(pre_nms_topn=100, post_nms_topn=20, nms_thresh=0.7, min_size=4), [112.0, 100.0, 1.0]),
    (dict(pre_nms_topn=300, post_nms_topn=50, nms_thresh=0.5, min_size=16, base_size=8, ratio=(1.0, 2.0),
          scale=(4.0, 8.0), feat_stride=8), [50.0, 60.0, 0.5, 0.8]),
    (dict(pre_nms_topn=60, post_nms_topn=40, nms_thresh=0.6, min_size=1, clip_after_nms=True, normalize=True),
     [100.0, 120.0, 1.0]),
    (dict(pre_nms_topn=200, post_nms_topn=30, nms_thresh=0.7, min_size=2, clip_before_nms=False),
     [112.0, 100.0, 1.0]),
])
def test_proposal(tmp_path, attrs, image):
    anchors = len(attrs.get("ratio", (0.5, 1, 2))) * len(attrs.get("scale", (8, 16, 32)))
    probs, deltas = _rpn_inputs(anchors=anchors)
    check_proposal(tmp_path, ops.Proposal(**attrs), [probs, deltas, np.array(image, np.float32)])


def test_proposal_two_images(tmp_path):
    probs, deltas = _rpn_inputs(batch=2)
    op = ops.Proposal(pre_nms_topn=120, post_nms_topn=25, nms_thresh=0.7, min_size=4)
    check_proposal(tmp_path, op, [probs, deltas, np.array([112.0, 100.0, 1.0], np.float32)])


def _rois(count, width, height, batch=1, seed=4):
    r = np.random.default_rng(seed)
    x0, y0 = r.uniform(-3, width * 0.8, count), r.uniform(-3, height * 0.8, count)
    x1, y1 = x0 + r.uniform(0, width * 0.6, count), y0 + r.uniform(0, height * 0.6, count)
    return np.stack([r.integers(0, batch, count), x0, y0, x1, y1], axis=1).astype(np.float32)


@pytest.mark.parametrize("pooled,scale", [((3, 3), 0.25), ((2, 4), 0.5), ((1, 1), 1.0)])
def test_roi_pooling_max(tmp_path, pooled, scale):
    x = rng.standard_normal((2, 3, 10, 12)).astype(np.float32)
    rois = _rois(8, 12 / scale, 10 / scale, batch=2)
    op = ops.ROIPooling(pooled_h=pooled[0], pooled_w=pooled[1], spatial_scale=scale, method="max")
    check_op_against_openvino(op, [x, rois], tmp_path)


def test_roi_pooling_bilinear(tmp_path):
    x = rng.standard_normal((1, 3, 8, 9)).astype(np.float32)
    r = np.random.default_rng(9)
    starts = r.uniform(0, 0.5, (6, 2))
    rois = np.concatenate([np.zeros((6, 1)), starts, starts + r.uniform(0.1, 0.5, (6, 2))], axis=1)
    op = ops.ROIPooling(pooled_h=3, pooled_w=2, spatial_scale=1.0, method="bilinear")
    check_op_against_openvino(op, [x, rois.astype(np.float32)], tmp_path)


@pytest.mark.parametrize("mode,attrs,channels", [
    ("average", dict(output_dim=2, group_size=3, spatial_scale=0.25), 18),
    ("bilinear", dict(output_dim=3, group_size=2, spatial_scale=0.1, spatial_bins_x=2, spatial_bins_y=3), 18),
])
def test_psroi_pooling(tmp_path, mode, attrs, channels):
    x = rng.standard_normal((1, channels, 9, 11)).astype(np.float32)
    scale = attrs["spatial_scale"]
    rois = _rois(5, 11 / scale * 0.9, 9 / scale * 0.9)
    rois[:, 1:] = np.clip(rois[:, 1:], 0, None)
    check_op_against_openvino(ops.PSROIPooling(mode=mode, **attrs), [x, rois], tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape,axis,group", [((2, 6, 3, 4), 1, 3), ((2, 5, 8), -1, 4), ((12,), 0, 2)])
def test_shuffle_channels(tmp_path, shape, axis, group):
    x = rng.standard_normal(shape).astype(np.float32)
    check_op_against_openvino(ops.ShuffleChannels(axis=axis, group=group), [x], tmp_path)
