"""Detection: a GluonCV SSD with --enable_ssd_gluoncv and MultiBoxDetection, both as DetectionOutput; compared with
MXNet as sets of valid detections (DetectionOutput lists them in rows, MXNet in its own layouts)."""
from __future__ import annotations

import numpy as np
import pytest

import irforge
from irforge import ops
from irforge.errors import UnsupportedOps
from check import convert_case
from mxnet_oracle import models_dir
from oracles import run_openvino, run_reference

needs_detection_output = pytest.mark.skipif(
    not hasattr(ops, "DetectionOutput"),
    reason="DetectionOutput (helper caffe's ops/detection.py) has not landed in this branch yet")


def valid_rows(detections: np.ndarray) -> np.ndarray:
    """DetectionOutput [1, 1, K, 7] -> [M, 6] (label, score, box) rows before the first image -1, by score."""
    rows = detections.reshape(-1, 7)
    end = np.nonzero(rows[:, 0] < 0)[0]
    rows = rows[: end[0] if end.size else len(rows)]
    rows = rows[np.argsort(-rows[:, 2], kind="stable")]
    return rows[:, 1:]


def assert_same_detections(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Rows (class, score, x1, y1, x2, y2), compared in score order."""
    expected = expected[np.argsort(-expected[:, 1], kind="stable")]
    assert len(got) == len(expected), f"{what}: {len(got)} detections, MXNet has {len(expected)}"
    np.testing.assert_array_equal(got[:, 0], expected[:, 0], err_msg=f"{what}: classes")
    np.testing.assert_allclose(got[:, 1], expected[:, 1], rtol=1e-4, atol=1e-6, err_msg=f"{what}: scores")
    scale = max(float(np.abs(expected[:, 2:]).max()), 1.0)
    np.testing.assert_allclose(got[:, 2:], expected[:, 2:], rtol=1e-4, atol=1e-4 * scale, err_msg=f"{what}: boxes")


@needs_detection_output
def test_ssd_gluoncv(tmp_path):
    xml, manifest, inputs, expected = convert_case(models_dir(), "ssd_mobilenet", tmp_path)
    ids, scores, boxes = (expected[name] for name in manifest["outputs"])
    valid = ids[0, :, 0] >= 0
    mxnet_rows = np.concatenate([ids[0, valid] + 1, scores[0, valid], boxes[0, valid]], axis=1)  # label = id + 1
    assert 0 < len(mxnet_rows)
    for runtime, run in (("OpenVINO", run_openvino), ("reference runtime", run_reference)):
        (detections,) = run(xml, inputs)
        assert_same_detections(valid_rows(detections), mxnet_rows, f"SSD, {runtime}")


def test_ssd_without_the_flag_lists_its_postprocessing(tmp_path):
    folder = models_dir()
    with pytest.raises(UnsupportedOps) as e:
        irforge.convert_model(str(folder / "ssd_mobilenet-0000.params"), input_shape="[1,3,256,256]")
    assert "_contrib_box_decode" in e.value.counts
    assert "_contrib_box_nms" not in e.value.counts   # box_nms converts on its own (test_ops.py box_nms_* cases)


@needs_detection_output
def test_multibox_detection(tmp_path):
    xml, manifest, inputs, expected = convert_case(models_dir(), "multibox_detection", tmp_path)
    rows = expected[manifest["outputs"][0]][0]
    mxnet_rows = rows[rows[:, 0] >= 0]
    assert 0 < len(mxnet_rows)
    for runtime, run in (("OpenVINO", run_openvino), ("reference runtime", run_reference)):
        (detections,) = run(xml, inputs)
        assert_same_detections(valid_rows(detections), mxnet_rows, f"MultiBoxDetection, {runtime}")


@pytest.mark.skipif(not hasattr(ops, "Proposal"),
                    reason="Proposal (helper caffe's ops/detection.py) has not landed in this branch yet")
def test_proposal(tmp_path):
    """Rois (batch, x1, y1, x2, y2) and their scores, row for row (every row is a distinct survivor)."""
    from check import check_case
    check_case(models_dir(), "proposal", tmp_path)
