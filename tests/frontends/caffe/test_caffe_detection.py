"""Faster R-CNN and R-FCN layers: Proposal (its own layer type and py-faster-rcnn's Python layer) against a numpy
copy of py-faster-rcnn's proposal layer (OpenCV's importer builds a different proposal algorithm), ROIPooling
against OpenCV, PSROIPooling against R-FCN's formula, ShuffleChannel against OpenCV."""
from __future__ import annotations

import numpy as np
import pytest

from caffe_oracle import check_against_numpy, check_against_opencv, convert_and_run, write_net

rng = np.random.default_rng(21)


def data(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# -- py-faster-rcnn's proposal layer, in numpy (the oracle) ---------------------------------------------------------
def generate_anchors(base_size=16, ratios=(0.5, 1, 2), scales=(8, 16, 32)):
    w = h = float(base_size)
    cx, cy = 0.5 * (w - 1), 0.5 * (h - 1)
    out = []
    for r in ratios:
        ws = np.round(np.sqrt(w * h / r))
        hs = np.round(ws * r)
        for s in scales:
            W, H = ws * s, hs * s
            out.append([cx - 0.5 * (W - 1), cy - 0.5 * (H - 1), cx + 0.5 * (W - 1), cy + 0.5 * (H - 1)])
    return np.array(out)


def py_faster_rcnn_proposals(scores, deltas, im_info, feat_stride, ratios=(0.5, 1, 2), scales=(8, 16, 32),
                             pre_nms=6000, post_nms=300, nms_thresh=0.7, min_size=16):
    anchors = generate_anchors(ratios=ratios, scales=scales)
    a = anchors.shape[0]
    scores = scores[:, a:]
    height, width = scores.shape[-2:]
    sx, sy = np.meshgrid(np.arange(width) * feat_stride, np.arange(height) * feat_stride)
    shifts = np.vstack((sx.ravel(), sy.ravel(), sx.ravel(), sy.ravel())).T
    boxes = (anchors.reshape(1, a, 4) + shifts.reshape(-1, 1, 4)).reshape(-1, 4)
    d = deltas.transpose(0, 2, 3, 1).reshape(-1, 4)
    s = scores.transpose(0, 2, 3, 1).reshape(-1)
    widths, heights = boxes[:, 2] - boxes[:, 0] + 1, boxes[:, 3] - boxes[:, 1] + 1
    cx, cy = boxes[:, 0] + 0.5 * widths, boxes[:, 1] + 0.5 * heights
    pcx, pcy = d[:, 0] * widths + cx, d[:, 1] * heights + cy
    pw, ph = np.exp(d[:, 2]) * widths, np.exp(d[:, 3]) * heights
    props = np.stack([pcx - 0.5 * pw, pcy - 0.5 * ph, pcx + 0.5 * pw, pcy + 0.5 * ph], axis=1)
    props[:, 0::2] = np.clip(props[:, 0::2], 0, im_info[1] - 1)
    props[:, 1::2] = np.clip(props[:, 1::2], 0, im_info[0] - 1)
    keep = np.flatnonzero((props[:, 2] - props[:, 0] + 1 >= min_size * im_info[2]) &
                          (props[:, 3] - props[:, 1] + 1 >= min_size * im_info[2]))
    props, s = props[keep], s[keep]
    order = np.argsort(-s, kind="stable")[:pre_nms]
    props, s = props[order], s[order]
    kept = []
    alive = np.ones(len(props), bool)
    for i in range(len(props)):
        if not alive[i]:
            continue
        kept.append(i)
        x0, y0 = np.maximum(props[i, 0], props[:, 0]), np.maximum(props[i, 1], props[:, 1])
        x1, y1 = np.minimum(props[i, 2], props[:, 2]), np.minimum(props[i, 3], props[:, 3])
        inter = np.maximum(0, x1 - x0 + 1) * np.maximum(0, y1 - y0 + 1)
        area = (props[:, 2] - props[:, 0] + 1) * (props[:, 3] - props[:, 1] + 1)
        overlap = inter / (area[i] + area - inter)
        alive &= ~(overlap > nms_thresh)
        alive[i] = False
    kept = kept[:post_nms]
    return np.concatenate([np.zeros((len(kept), 1)), props[kept]], axis=1).astype(np.float32), s[kept]


RPN = '''input: "data" input_shape { dim: 1 dim: 3 dim: 64 dim: 80 }
input: "im_info" input_shape { dim: 1 dim: 3 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 8 kernel_size: 3 pad: 1 stride: 4 } }
layer { name: "rpn_cls_score" type: "Convolution" bottom: "conv1" top: "rpn_cls_score"
        convolution_param { num_output: 18 kernel_size: 1 } }
layer { name: "rpn_bbox_pred" type: "Convolution" bottom: "conv1" top: "rpn_bbox_pred"
        convolution_param { num_output: 36 kernel_size: 1 } }
layer { name: "rpn_cls_score_reshape" type: "Reshape" bottom: "rpn_cls_score" top: "rpn_cls_score_reshape"
        reshape_param { shape { dim: 0 dim: 2 dim: -1 dim: 0 } } }
layer { name: "rpn_cls_prob" type: "Softmax" bottom: "rpn_cls_score_reshape" top: "rpn_cls_prob" }
layer { name: "rpn_cls_prob_reshape" type: "Reshape" bottom: "rpn_cls_prob" top: "rpn_cls_prob_reshape"
        reshape_param { shape { dim: 0 dim: 18 dim: -1 dim: 0 } } }
'''
PYTHON_LAYER = '''layer { name: "proposal" type: "Python" bottom: "rpn_cls_prob_reshape" bottom: "rpn_bbox_pred"
        bottom: "im_info" top: "rois" top: "scores"
        python_param { module: "rpn.proposal_layer" layer: "ProposalLayer" param_str: "'feat_stride': 4" } }
'''
PROPOSAL_LAYER = '''layer { name: "proposal" type: "Proposal" bottom: "rpn_cls_prob_reshape" bottom: "rpn_bbox_pred"
        bottom: "im_info" top: "rois" top: "scores"
        proposal_param { feat_stride: 4 min_size: 8 pre_nms_topn: 500 post_nms_topn: 60 nms_thresh: 0.6 } }
'''


@pytest.mark.parametrize("layer,settings", [
    (PYTHON_LAYER, dict(min_size=16)),
    (PROPOSAL_LAYER, dict(min_size=8, pre_nms=500, post_nms=60, nms_thresh=0.6)),
], ids=["python-layer", "proposal-layer"])
def test_proposal(tmp_path, layer, settings):
    blobs = {"conv1": [data(8, 3, 3, 3, scale=0.3), data(8)], "rpn_cls_score": [data(18, 8, 1, 1, scale=0.2), data(18, scale=0.1)],
             "rpn_bbox_pred": [data(36, 8, 1, 1, scale=0.05), data(36, scale=0.01)]}
    proto, model = write_net(tmp_path, RPN + layer, blobs)
    x = data(1, 3, 64, 80)
    info = np.array([[64, 80, 0.0625]], np.float32)   # a small image scale: no box falls under min_size
    feeds = {"data": x, "im_info": info}
    (rois, scores, probs, deltas), ref, _ = convert_and_run(
        model, proto, feeds, ["rois", "scores", "rpn_cls_prob_reshape", "rpn_bbox_pred"], tmp_path)
    expected, expected_scores = py_faster_rcnn_proposals(probs, deltas, info[0], 4, **settings)
    n = len(expected)
    assert 20 < n <= (settings.get("post_nms", 300)), "enough proposals to make the comparison worth it"
    for what, got, got_scores in (("OpenVINO", rois, scores), ("reference", ref[0], ref[1])):
        np.testing.assert_allclose(got[:n], expected, rtol=1e-4, atol=1e-3, err_msg=f"{what} rois")
        np.testing.assert_allclose(got_scores[:n, 0], expected_scores, rtol=1e-5, err_msg=f"{what} scores")
        if n < len(got):
            assert got[n, 0] == -1, f"{what}: the row after the last proposal starts with -1"


def test_roi_pooling(tmp_path):
    prototxt = ('input: "data" input_shape { dim: 2 dim: 4 dim: 12 dim: 14 }\n'
                'input: "rois" input_shape { dim: 7 dim: 5 }\n'
                'layer { name: "pool" type: "ROIPooling" bottom: "data" bottom: "rois" top: "pool" '
                'roi_pooling_param { pooled_h: 3 pooled_w: 2 spatial_scale: 0.5 } }\n')
    corners = rng.uniform(-4, 24, (7, 2))
    rois = np.concatenate([rng.integers(0, 2, (7, 1)), corners, corners + rng.uniform(0, 14, (7, 2))], axis=1)
    rois[0, 1:] = [1.0, 2.0, 1.0, 2.0]   # a degenerate box: one cell
    check_against_opencv(tmp_path, prototxt, {}, {"data": data(2, 4, 12, 14), "rois": rois.astype(np.float32)},
                         [("pool", "pool")])


def rfcn_psroi(x, rois, scale, output_dim, group):
    """R-FCN's PSROIPooling forward (average over each bin; channels by output channel, then bin)."""
    _, _, height, width = x.shape
    out = np.zeros((len(rois), output_dim, group, group), np.float32)
    for r, (b, x0, y0, x1, y1) in enumerate(rois):
        sw, sh = np.round(x0) * scale, np.round(y0) * scale
        ew, eh = (np.round(x1) + 1) * scale, (np.round(y1) + 1) * scale
        bw, bh = max(ew - sw, 0.1) / group, max(eh - sh, 0.1) / group
        for c in range(output_dim):
            for ph in range(group):
                for pw in range(group):
                    hs = min(max(int(np.floor(ph * bh + sh)), 0), height)
                    he = min(max(int(np.ceil((ph + 1) * bh + sh)), 0), height)
                    ws = min(max(int(np.floor(pw * bw + sw)), 0), width)
                    we = min(max(int(np.ceil((pw + 1) * bw + sw)), 0), width)
                    if he > hs and we > ws:
                        channel = (c * group + ph) * group + pw
                        out[r, c, ph, pw] = x[int(b), channel, hs:he, ws:we].mean()
    return out


def test_psroi_pooling(tmp_path):
    prototxt = ('input: "data" input_shape { dim: 1 dim: 18 dim: 10 dim: 12 }\n'
                'input: "rois" input_shape { dim: 5 dim: 5 }\n'
                'layer { name: "ps" type: "PSROIPooling" bottom: "data" bottom: "rois" top: "ps" '
                'psroi_pooling_param { spatial_scale: 0.25 output_dim: 2 group_size: 3 } }\n')
    x = data(1, 18, 10, 12)
    corners = rng.uniform(0, 30, (5, 2))
    rois = np.concatenate([np.zeros((5, 1)), corners, corners + rng.uniform(4, 20, (5, 2))], axis=1)
    rois = (rois + np.array([0, 0.3, 0.3, 0.3, 0.3])).astype(np.float32)   # no .5 ties in the rounding
    check_against_numpy(tmp_path, prototxt, {}, {"data": x, "rois": rois},
                        {"ps": rfcn_psroi(x, rois, 0.25, 2, 3)})


def test_shuffle_channel(tmp_path):
    prototxt = ('input: "data" input_shape { dim: 2 dim: 12 dim: 3 dim: 4 }\n'
                'layer { name: "shuffle" type: "ShuffleChannel" bottom: "data" top: "shuffle" '
                'shuffle_channel_param { group: 3 } }\n')
    check_against_opencv(tmp_path, prototxt, {}, {"data": data(2, 12, 3, 4)}, [("shuffle", "shuffle")])
