"""Real classifier architectures from ONNX: converted by irforge, run by the real OpenVINO runtime (f32) and by the
reference runtime, both held against onnxruntime on seeded random inputs.

Tolerance: rtol 1e-4, and an atol of ATOL_SCALE times the output's largest magnitude. A float32 dot product of
thousands of terms carries a rounding error proportional to the size of its terms, not of its result, so an
output element that happens to be near zero in a layer whose values are ~|y|max cannot meet a pure relative
bound; the atol scales with the output so the check is equally tight for logits of 0.03 and of 2e4.

The slow models are marked `heavy` (run them with `pytest -m heavy`); the default run keeps a subset that covers
plain convolutions, grouped / depthwise convolutions, concat-heavy blocks, residual sums and a small transformer.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from irforge.frontends.onnx.table import OP_TABLE
from oracles import check_onnx_model, run_onnxruntime, run_openvino, run_reference

sys.path.insert(0, os.path.dirname(__file__))
import model_zoo  # noqa: E402

ATOL_SCALE = 1e-5
RTOL = 1e-4

# Ops a model needs that another part of the work brings; the test runs as soon as the table has them.
NEEDS = {"swin_t": ("ScatterND",)}   # torchvision builds the shifted-window attention mask with index_put

# Light models in the default run: cheap to convert and run in both runtimes.
DEFAULT_LIGHT = {"squeezenet", "shufflenet", "inception_v1", "resnet50"}


def _atols(expected: list[np.ndarray]) -> list[float]:
    return [ATOL_SCALE * max(float(np.max(np.abs(e))), 1e-30) for e in expected]


def _param(name: str, heavy: bool):
    return pytest.param(name, marks=[pytest.mark.heavy] if heavy else [], id=name)


@pytest.mark.parametrize("name", [_param(n, n not in DEFAULT_LIGHT) for n in model_zoo.LIGHT_MODELS])
def test_light_model_with_random_weights(name: str, tmp_path: Path):
    """The onnx package's light models (opset 9) with seeded random weights; the logits are a second output."""
    pytest.importorskip("onnxruntime")
    model = model_zoo.light_model(name)
    feeds = model_zoo.model_feeds(model)
    expected = run_onnxruntime(model, feeds)
    ends_in_softmax = any(n.op_type == "Softmax" for n in model.graph.node)
    assert len(expected) == (2 if ends_in_softmax else 1), "a final softmax's input should be a second output"
    graph = check_onnx_model(model, feeds, tmp_path, rtol=RTOL, atol=_atols(expected))
    assert [r.name for r in graph.results] == [o.name for o in model.graph.output]


@pytest.mark.parametrize("spec", [pytest.param(s, marks=[pytest.mark.heavy] if s.heavy else [], id=s.name)
                                  for s in model_zoo.TORCH_MODELS.values()])
def test_torchvision_export(spec: model_zoo.TorchModel, tmp_path: Path):
    """torchvision classifiers with random weights, exported by torch (opset 17)."""
    pytest.importorskip("torchvision")
    pytest.importorskip("onnxruntime")
    missing = [op for op in NEEDS.get(spec.name, ()) if op not in OP_TABLE]
    if missing:
        pytest.skip(f"{spec.name} needs ONNX {', '.join(missing)} (owned by the onnx-suite work)")
    path = model_zoo.torch_model(spec.name)
    feeds = model_zoo.model_feeds(path)
    assert feeds[0].shape == spec.input_shape
    expected = run_onnxruntime(path, feeds)
    # Random weights must give a non-degenerate answer, or the comparison proves little.
    assert np.std(expected[0]) > 1e-3 * np.max(np.abs(expected[0])), "degenerate logits"
    check_onnx_model(path, feeds, tmp_path, rtol=RTOL, atol=_atols(expected))


def test_mo_cli_converts_unmodified_light_resnet50(tmp_path: Path):
    """The README's command: `mo` on the file as shipped (ConstantOfShape weights), and the IR it writes runs in
    both runtimes with onnxruntime's answer. The uniform weights give equal logits, so the softmax is 1/1000."""
    pytest.importorskip("onnxruntime")
    path = model_zoo.light_path("resnet50")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parents[3])]
                                                      + os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    done = subprocess.run([sys.executable, "-c", "from irforge.cli.main import mo_main; raise SystemExit(mo_main())",
                           "--input_model", str(path), "--output_dir", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    xml = tmp_path / "light_resnet50.xml"
    assert xml.exists() and (tmp_path / "light_resnet50.bin").exists()
    feeds = model_zoo.model_feeds(path)
    expected = run_onnxruntime(path, feeds)[0]
    np.testing.assert_allclose(expected, np.full((1, 1000), 1e-3, np.float32), rtol=1e-4)
    for got in (run_openvino(xml, feeds)[0], run_reference(xml, feeds)[0]):
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-7)
