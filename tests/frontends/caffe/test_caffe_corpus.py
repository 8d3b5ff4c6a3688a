"""The real deploy nets of the shared corpus, filled with random weights, converted by irforge and run in the
OpenVINO runtime and the reference runtime, against OpenCV's Caffe importer on the same files.

Small inputs keep CI fast where the net allows (the weights are generated for that size); GoogLeNet and
ResNet-50 end in a 7x7 pooling and need 224. Random weights saturate a final Softmax, so the logits feeding it
are compared as well. OpenCV names a layer's output by the layer; irforge names tensors by blob, and an in-place
layer's blob holds its value after that layer: `pairs` says which OpenCV layer gives which blob."""
from __future__ import annotations

import numpy as np
import pytest

from caffe_oracle import (CORPUS, assert_matches, assert_same_detections, cached_caffemodel, convert_and_run,
                          run_opencv)

# name, input shape, [(OpenCV layer, irforge blob)] to compare, conv gains
NETS = [
    ("alexnet", (1, 3, 67, 67), [("fc8", "fc8"), ("prob", "prob")]),
    ("caffenet", (1, 3, 67, 67), [("fc8", "fc8"), ("prob", "prob")]),
    ("googlenet", (1, 3, 224, 224), [("loss3/classifier", "loss3/classifier"), ("prob", "prob")]),
    ("resnet50", (1, 3, 224, 224), [("fc1000", "fc1000"), ("prob", "prob")]),
    ("squeezenet_v1.0", (1, 3, 96, 96), [("relu_conv10", "conv10"), ("prob", "prob")]),
    ("squeezenet_v1.1", (2, 3, 96, 96), [("relu_conv10", "conv10"), ("prob", "prob")]),
    ("mobilenet_v1", (1, 3, 128, 128), [("fc7", "fc7"), ("prob", "prob")]),
    ("mobilenet_v2", (1, 3, 128, 128), [("fc7", "fc7"), ("prob", "prob")]),
]


@pytest.mark.parametrize("name,shape,pairs", NETS, ids=[n[0] for n in NETS])
def test_classification_net(tmp_path, name, shape, pairs):
    proto = CORPUS / f"{name}.prototxt"
    model = cached_caffemodel(proto, {"data": shape})
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    expected = run_opencv(proto, model, {"data": x}, [layer for layer, _ in pairs])
    got_ov, got_ref, graph = convert_and_run(model, proto, {"data": x}, [blob for _, blob in pairs], tmp_path)
    assert [r.name for r in graph.results][0] == "prob", "the net's own output comes first"
    for (layer, blob), exp, ov, ref in zip(pairs, expected, got_ov, got_ref):
        assert_matches(ov, exp, f"{name} {blob}: OpenVINO vs OpenCV")
        assert_matches(ref, exp, f"{name} {blob}: reference runtime vs OpenCV")


@pytest.mark.parametrize("size", [160, 300])
def test_mobilenet_ssd(tmp_path, size):
    """Priors, box and class predictions compared as tensors; the detections as sets of valid rows. The class
    layers get a gain so that scores spread past the net's 0.25 confidence threshold."""
    proto = CORPUS / "mobilenet_ssd.prototxt"
    shape = (1, 3, size, size)
    model = cached_caffemodel(proto, {"data": shape}, gains={"mbox_conf": 3.0})
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    blobs = ["mbox_priorbox", "mbox_loc", "mbox_conf_flatten", "detection_out"]
    expected = run_opencv(proto, model, {"data": x}, blobs)
    got_ov, got_ref, _ = convert_and_run(model, proto, {"data": x}, blobs, tmp_path)
    for blob, exp, ov, ref in zip(blobs[:3], expected, got_ov, got_ref):
        assert_matches(ov, exp, f"{blob}: OpenVINO vs OpenCV")
        assert_matches(ref, exp, f"{blob}: reference runtime vs OpenCV")
    assert len(expected[3].reshape(-1, 7)) >= 20, "the random weights should give a fair number of detections"
    assert_same_detections(got_ov[3], expected[3], "detection_out: OpenVINO vs OpenCV")
    assert_same_detections(got_ref[3], expected[3], "detection_out: reference runtime vs OpenCV")
