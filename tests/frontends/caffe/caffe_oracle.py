"""What the Caffe tests share: cached random-weight caffemodels, OpenCV's Caffe importer as the oracle, and
irforge's conversion run in the real OpenVINO runtime and in the reference runtime."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest

import irforge
from oracles import SHARED, run_openvino, run_reference

from caffe_netgen import make_caffemodel

CORPUS = SHARED / "corpus" / "caffe"
CACHE = Path(os.environ.get("IRFORGE_TEST_CACHE", Path.home() / ".cache" / "irforge" / "test-models")) / "caffe"
GENERATOR = (Path(__file__).parent / "caffe_netgen.py", Path(__file__).parent / "caffe_writer.py")


def cv2():
    module = pytest.importorskip("cv2")
    if not hasattr(module, "dnn") or not hasattr(module.dnn, "readNetFromCaffe"):
        pytest.skip("this OpenCV has no Caffe importer (OpenCV 5 removed it; the tests pin opencv<5)")
    return module


def cached_caffemodel(proto: Path, input_shapes: dict[str, Sequence[int]], seed: int = 0,
                      gains: dict[str, float] | None = None) -> Path:
    """Random weights for `proto` at these input shapes, generated once and kept under the test cache, keyed by
    everything that produced them (the prototxt, shapes, seed, gains and the generator's own source)."""
    digest = hashlib.sha256()
    for part in (proto.read_bytes(), repr(sorted(input_shapes.items())).encode(), repr(seed).encode(),
                 repr(sorted((gains or {}).items())).encode(), *(p.read_bytes() for p in GENERATOR)):
        digest.update(part)
    path = CACHE / f"{proto.stem}-{digest.hexdigest()[:16]}.caffemodel"
    if not path.exists():
        make_caffemodel(str(proto), path, input_shapes, seed, gains)
    return path


def run_opencv(proto: Path, model: Path | None, feeds: dict[str, np.ndarray], outputs: Sequence[str]
               ) -> list[np.ndarray]:
    """OpenCV's own Caffe importer and CPU backend (Winograd off: exact 3x3 convolutions)."""
    cv = cv2()
    net = cv.dnn.readNetFromCaffe(str(proto), str(model)) if model else cv.dnn.readNetFromCaffe(str(proto))
    net.enableWinograd(False)
    net.setPreferableBackend(cv.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv.dnn.DNN_TARGET_CPU)
    for name, value in feeds.items():
        net.setInput(np.ascontiguousarray(value), name)
    return [np.asarray(o) for o in net.forward(list(outputs))]


def convert_and_run(model: Path | None, proto: Path, feeds: dict[str, np.ndarray], outputs: Sequence[str],
                    tmp_path: Path, **options) -> tuple[list[np.ndarray], list[np.ndarray], irforge.Model]:
    """Convert with irforge, expose the named blobs as extra outputs, save the IR, and run it in OpenVINO and in
    the reference runtime. Returns the values of `outputs` (blob names) from both, in that order."""
    shapes = {k: list(v.shape) for k, v in feeds.items()}
    graph = irforge.convert_model(str(model) if model else None, input_proto=str(proto),
                                  input=",".join(shapes), input_shape=list(shapes.values()), **options)
    position = {r.name: i for i, r in enumerate(graph.results)}
    for name in outputs:
        if name not in position:
            tensor = next((o for n in graph.nodes for o in n.outputs if name in o.names), None)
            assert tensor is not None, f"no tensor named {name!r} in the converted graph"
            graph.result(tensor, name=name)
            position[name] = len(graph.results) - 1
    xml, _ = irforge.save_model(graph, tmp_path / "ir" / f"{proto.stem}.xml")
    ov = run_openvino(xml, dict(feeds))
    ref = run_reference(xml, dict(feeds))
    return [ov[position[n]] for n in outputs], [ref[position[n]] for n in outputs], graph


def assert_matches(got: np.ndarray, expected: np.ndarray, what: str, rtol: float = 1e-4) -> None:
    """Same shape; every element within rtol of the expected value or rtol of the tensor's largest magnitude
    (random deep nets produce values near 0 whose own relative error means nothing)."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != expected {expected.shape}"
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * max(scale, 1e-6), err_msg=what)


def detections(rows: np.ndarray) -> np.ndarray:
    """The valid rows of a DetectionOutput result (image id >= 0, up to the first -1)."""
    rows = np.asarray(rows).reshape(-1, 7)
    end = np.flatnonzero(rows[:, 0] < 0)
    return rows[:end[0] if end.size else len(rows)]


def assert_same_detections(got: np.ndarray, expected: np.ndarray, what: str, tol: float = 1e-4) -> None:
    """The same set of detections (order aside): each expected row matches one row of `got` within tol."""
    got, expected = detections(got), detections(expected)
    assert len(got) == len(expected), f"{what}: {len(got)} detections, expected {len(expected)}"
    used = np.zeros(len(got), bool)
    for row in expected:
        distance = np.abs(got - row).max(axis=1)
        distance[used] = np.inf
        j = int(np.argmin(distance))
        assert distance[j] <= tol * max(1.0, float(np.abs(row).max())), \
            f"{what}: no detection matches {row.tolist()} (closest {got[j].tolist()})"
        used[j] = True


def write_net(tmp_path: Path, prototxt: str, blobs: dict[str, list], name: str = "net",
              v1: bool = False, style: str = "shape", packed: bool = True) -> tuple[Path, Path]:
    """A test net: the prototxt text and a caffemodel holding `blobs` (arrays, or BlobSpecs for the old forms) by
    layer name; `v1` writes the V1 `layers` format."""
    from caffe_writer import BlobSpec, LayerSpec, write_caffemodel
    from irforge.frontends.caffe.prototxt import parse_text
    net = parse_text(prototxt)
    types = {m.get("name"): m.get("type") for m in net.list("layer") or net.list("layers")}
    if v1:   # the V1 enum label -> the layer type name the writer maps back to its number
        from irforge.frontends.caffe.schema import V1_LAYER_TYPES
        types = {k: V1_LAYER_TYPES[v] for k, v in types.items()}
    proto = tmp_path / f"{name}.prototxt"
    proto.write_text(prototxt)
    model = tmp_path / f"{name}.caffemodel"
    layers = [LayerSpec(layer, types[layer], blobs=[v if isinstance(v, BlobSpec) else
                                                     BlobSpec(np.asarray(v, np.float32), style, packed)
                                                     for v in values]) for layer, values in blobs.items()]
    write_caffemodel(model, layers, name, v1=v1)
    return proto, model


def check_against_opencv(tmp_path: Path, prototxt: str, blobs: dict[str, list[np.ndarray]],
                         feeds: dict[str, np.ndarray], pairs: Sequence[tuple[str, str]], rtol: float = 1e-4,
                         **options) -> list[np.ndarray]:
    """Convert a small net and require OpenVINO and the reference runtime to give what OpenCV gives for each
    (OpenCV layer, irforge blob) pair. Returns OpenCV's values."""
    proto, model = write_net(tmp_path, prototxt, blobs)
    expected = run_opencv(proto, model, feeds, [layer for layer, _ in pairs])
    got_ov, got_ref, _ = convert_and_run(model, proto, feeds, [blob for _, blob in pairs], tmp_path, **options)
    for (layer, blob), exp, ov, ref in zip(pairs, expected, got_ov, got_ref):
        assert_matches(ov, exp, f"{blob}: OpenVINO vs OpenCV", rtol)
        assert_matches(ref, exp, f"{blob}: reference runtime vs OpenCV", rtol)
    return expected


def check_against_numpy(tmp_path: Path, prototxt: str, blobs: dict[str, list[np.ndarray]],
                        feeds: dict[str, np.ndarray], expected: dict[str, np.ndarray], rtol: float = 1e-4,
                        **options) -> None:
    """For layers OpenCV does not import: the expected values come from the test's own numpy formula."""
    proto, model = write_net(tmp_path, prototxt, blobs)
    got_ov, got_ref, _ = convert_and_run(model, proto, feeds, list(expected), tmp_path, **options)
    for (blob, exp), ov, ref in zip(expected.items(), got_ov, got_ref):
        assert_matches(ov, exp, f"{blob}: OpenVINO vs numpy", rtol)
        assert_matches(ref, exp, f"{blob}: reference runtime vs numpy", rtol)
