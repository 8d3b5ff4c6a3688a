"""Real transformer (Hugging Face) and detection / segmentation (torchvision) models with random weights, exported
to ONNX (zoo_exports.py), converted by irforge, and run by the real OpenVINO runtime (f32) and by the reference
runtime, both held against onnxruntime. Models with dynamic axes are converted once and run at several shapes:
the IR must keep those axes dynamic.

Tolerance: rtol 1e-4, plus an atol of ATOL_SCALE times the output's largest magnitude. An output element is a
float32 sum of hundreds of products (attention, 768-wide dense layers, 50257-wide logits); its rounding error
is proportional to the size of those terms, that is to the scale of the layer, not to the element itself, so an
element near zero in a layer whose values are ~|y|max cannot meet a pure relative bound. Scaling the atol with
the output keeps the check equally tight for outputs of 0.2 and of 10.

Detections are compared as sets: NMS keeps boxes in score order, and two runtimes may order equal-scored boxes
differently. Each expected detection must find one unmatched detection of the same label whose box and score
agree within the tolerance; masks of matched detections are then compared elementwise, allowing for the
small box differences (a mask is resampled on a grid the box places).

Run everything with `pytest -m heavy tests/frontends/onnx/test_zoo_models.py` (or `.ci/run -m heavy`); the
default run keeps a small BERT, a small GPT-2 and one detection model at a small input size.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import irforge
from irforge.core.shape import Interval
from oracles import assert_close, openvino, run_onnxruntime, run_openvino, run_reference

sys.path.insert(0, os.path.dirname(__file__))
import zoo_exports  # noqa: E402

RTOL = 1e-4
ATOL_SCALE = 1e-5


def _params(family: str, detection: bool = False):
    return [pytest.param(s, marks=[pytest.mark.heavy] if s.heavy else [], id=s.name)
            for s in zoo_exports.ZOO.values() if s.family == family and s.detection == detection]


def _require(package: str) -> None:
    """Skip without the package that builds the exports (found, not imported: cached runs never import it)."""
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed")


def _atol(expected: np.ndarray) -> float:
    return ATOL_SCALE * max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-30)


def _assert_shapes_as_static_as_openvino(graph, xml: Path) -> None:
    """OpenVINO re-infers every shape of our IR when it reads it (its bound and value propagation): each dim it
    finds static must be static, and the same, in irforge's inference; dims irforge finds static OpenVINO must
    not contradict. (Dynamic models lean on this: an attention Reshape that loses its head size, a Resize that
    loses its channels, makes every later shape in the IR "?".)"""
    model = openvino().Core().read_model(str(xml))
    ours = {n.name: n for n in graph.nodes}
    worse = []
    for op in model.get_ordered_ops():
        node = ours.get(op.get_friendly_name())
        if node is None or op.get_type_name() in ("Result", "Constant"):
            continue
        for port, out in zip(op.outputs(), node.outputs):
            theirs = port.get_partial_shape()
            if theirs.rank.is_dynamic:
                continue
            mine = out.shape
            assert mine.rank is not None, f"{node.name}: rank unknown, OpenVINO infers [{theirs}]"
            assert mine.rank == theirs.rank.get_length(), f"{node.name}: [{mine}] vs OpenVINO [{theirs}]"
            for a, b in zip(mine, theirs):
                if b.is_static and a != b.get_length():
                    worse.append(f"{node.name} ({node.op.TYPE}): [{mine}], OpenVINO [{theirs}]")
                    break
                assert not isinstance(a, int) or b.is_dynamic or a == b.get_length()
    assert not worse, f"{len(worse)} outputs less static than OpenVINO infers them:\n" + "\n".join(worse[:10])


def _convert(spec: zoo_exports.ZooModel, tmp_path: Path) -> tuple[Path, Path]:
    path = zoo_exports.export(spec)
    graph = irforge.convert_model(str(path))
    # The axes exported as dynamic stay dynamic in the IR; the static ones stay static.
    for param, spec_input in zip(graph.parameters, spec.inputs):
        assert param.name == spec_input.name
        shape = param.outputs[0].shape
        for dim, declared in zip(shape, spec_input.dims):
            assert isinstance(dim, Interval) if isinstance(declared, str) else dim == declared, \
                f"{param.name}: IR shape [{shape}] for ONNX dims {spec_input.dims}"
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / f"{spec.name}.xml")
    _assert_shapes_as_static_as_openvino(graph, xml)
    return path, xml


def _assert_same_dense(names: tuple[str, ...], got: list[np.ndarray], expected: list[np.ndarray], what: str) -> None:
    assert len(got) == len(expected), f"{what} gives {len(got)} outputs, onnxruntime {len(expected)}"
    for out, g, e in zip(names, got, expected):
        assert_close(g, e, RTOL, _atol(e), f"{out}: {what} vs onnxruntime")


def _check_dense(spec: zoo_exports.ZooModel, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    path, xml = _convert(spec, tmp_path)
    for axes in spec.shapes:
        feeds = zoo_exports.feeds(spec, axes)
        expected = run_onnxruntime(path, feeds)
        # Random weights must give a non-degenerate answer, or the comparison proves little.
        assert all(np.std(e) > 1e-3 * np.max(np.abs(e)) for e in expected), f"degenerate outputs at {axes}"
        _assert_same_dense(spec.outputs, run_openvino(xml, feeds), expected, f"OpenVINO at {axes}")
        _assert_same_dense(spec.outputs, run_reference(xml, feeds), expected, f"reference runtime at {axes}")


@pytest.mark.parametrize("spec", _params("transformers"))
def test_transformer(spec: zoo_exports.ZooModel, tmp_path: Path):
    """Hugging Face models built from their configs: token ids with a padded attention mask, or images."""
    _require("transformers")
    _check_dense(spec, tmp_path)


@pytest.mark.parametrize("spec", _params("torchvision"))
def test_segmentation(spec: zoo_exports.ZooModel, tmp_path: Path):
    """torchvision segmentation heads: dynamic batch and image size (the final Resize takes the input's size)."""
    _require("torchvision")
    _check_dense(spec, tmp_path)


def _match_detections(got: list[np.ndarray], expected: list[np.ndarray], what: str) -> None:
    """Detections (boxes [N, 4], labels [N], scores [N], masks [N, 1, H, W]?) as sets: each expected one must
    pair with an unpaired detection of the same label whose box and score agree; paired masks agree
    elementwise. The same tolerance as dense outputs, with the atol scaled to the largest box / score / mask."""
    boxes, labels, scores = expected[:3]
    got_boxes, got_labels, got_scores = got[:3]
    assert len(got_scores) == len(scores), f"{what}: {len(got_scores)} detections, onnxruntime {len(scores)}"
    box_tol = RTOL * np.abs(boxes) + _atol(boxes)
    score_tol = RTOL * np.abs(scores) + _atol(scores)
    free = np.ones(len(got_scores), bool)
    pairs = []
    for i in range(len(scores)):
        ok = (free & (got_labels == labels[i]) & (np.abs(got_scores - scores[i]) <= score_tol[i])
              & np.all(np.abs(got_boxes - boxes[i]) <= box_tol[i], axis=1))
        assert ok.any(), (f"{what}: no detection matches onnxruntime's #{i} (label {labels[i]}, score "
                          f"{scores[i]:.6g}, box {boxes[i].tolist()}); nearest box "
                          f"{got_boxes[np.argmin(np.abs(got_boxes - boxes[i]).max(axis=1))].tolist()}")
        j = int(np.flatnonzero(ok)[np.argmin(np.abs(got_boxes[ok] - boxes[i]).max(axis=1))])
        free[j] = False
        pairs.append(j)
    if len(expected) > 3:
        # Masks are pasted into the image on a grid placed by the box: a box that differs by d pixels moves every
        # sample by up to d, so a mask value may move by d times the mask's steepest slope (per pixel), on top of
        # the usual tolerance.
        masks, got_masks = expected[3], got[3][pairs]
        for i in range(len(masks)):
            shift = float(np.max(np.abs(got_boxes[pairs[i]] - boxes[i])))
            slope = max(float(np.max(np.abs(g))) for g in np.gradient(masks[i, 0].astype(np.float64)))
            assert_close(got_masks[i], masks[i], RTOL, _atol(masks) + 2 * shift * slope,
                         f"{what}: mask of onnxruntime's detection #{i} (box moved by {shift:.3g} px)")


@pytest.mark.parametrize("spec", _params("torchvision", detection=True))
def test_detection(spec: zoo_exports.ZooModel, tmp_path: Path):
    """torchvision detectors (their If / Loop / NonMaxSuppression / RoiAlign / TopK post-processing) with the
    score thresholds lowered so random weights still give detections."""
    _require("torchvision")
    pytest.importorskip("onnxruntime")
    path, xml = _convert(spec, tmp_path)
    feeds = zoo_exports.feeds(spec)
    expected = run_onnxruntime(path, feeds)
    assert len(expected[2]) >= 10, "too few detections to compare: lower the score threshold"
    _match_detections(run_openvino(xml, feeds), expected, "OpenVINO")
    _match_detections(run_reference(xml, feeds), expected, "reference runtime")
