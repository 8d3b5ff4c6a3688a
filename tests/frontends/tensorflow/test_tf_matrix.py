"""Every model x every TensorFlow format (tf_matrix.py): saved by TensorFlow, converted by irforge with that
format's options, run by the real OpenVINO runtime and by irforge's reference runtime, compared with TensorFlow.

Tolerance: |got - want| <= 1e-4 * |want| + 1e-5 * max|want| per output. A purely relative bound fails on outputs
near zero that are sums of many larger terms (a convolution's, a dense layer's, a LayerNorm's): their float32
rounding error follows the size of the terms, not of the result. The output's largest magnitude stands for the
size of those terms (1e-5 of it is ~100 float32 ulps), so a scale error, a wrong weight or a transposed layout,
all far larger, still fails. Integer outputs (NMS indices, counts) must be equal.

The default run is every cell of the small models and one cell per application (every format several times, ~15 s
on a warm cache); the rest are `heavy`:
    pytest tests/frontends/tensorflow/test_tf_matrix.py -m heavy                  # the heavy cells only
    pytest tests/frontends/tensorflow/test_tf_matrix.py -m 'heavy or not heavy'   # the whole matrix
Set IRFORGE_TF_MATRIX_LOG=FILE to append one JSON line per cell (errors, seconds, errors against TensorFlow);
tf_matrix_table.py turns that log into docs/TF_MATRIX.md.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

import irforge
from oracles import assert_close, run_openvino, run_reference
from tf_matrix import FORMATS, MATRIX, matrix_case

# The default subset: every cell of the small models (each well under a second on a warm cache), and each
# application once, the formats spread over them (frozen and .pbtxt are the same graph: the big .pbtxt files take
# the text parser tens of seconds, so only a small one is here).
SMALL = ("bert_encoder", "lstm_gru", "tf1_while_loop", "wide_and_deep", "detection_nms")
DEFAULT = {
    *((name, fmt) for name in SMALL for fmt in FORMATS),
    ("resnet50", "frozen"), ("mobilenet_v2", "keras_export"), ("mobilenet_v3_small", "pbtxt"),
    ("mobilenet_v3_large", "tf_save"), ("efficientnet_b0", "meta_ckpt"), ("inception_v3", "frozen"),
    ("densenet121", "graph_ckpt"), ("nasnet_mobile", "tf_save"), ("xception", "meta_ckpt"),
    ("convnext_tiny", "keras_export"), ("vgg16", "graph_ckpt"),
}
# (model, format) -> why it fails today (strict: a cell that starts passing fails the run until listed here no more)
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _cells():
    for name, model in MATRIX.items():
        for fmt in FORMATS:
            marks = []
            if fmt in model.impossible:
                marks.append(pytest.mark.skip(reason=f"{name} cannot be saved as {fmt}: {model.impossible[fmt]}"))
            elif (name, fmt) not in DEFAULT:
                marks.append(pytest.mark.heavy)
            if (name, fmt) in KNOWN_FAILURES:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[(name, fmt)]))
            yield pytest.param(name, fmt, marks=marks, id=f"{name}-{fmt}")


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """max |got - want| / max |want| (0 or inf for integer outputs: equal or not)."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return float("inf")
    if want.dtype.kind != "f":
        return 0.0 if np.array_equal(got, want) else float("inf")
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    return float(np.max(np.abs(got.astype(np.float64) - want))) / max(scale, 1e-30) if want.size else 0.0


def _log(record: dict) -> None:
    path = os.environ.get("IRFORGE_TF_MATRIX_LOG")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(record) + "\n")


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("name,fmt", list(_cells()))
def test_matrix(name, fmt, tmp_path):
    started = time.perf_counter()
    record = {"model": name, "format": fmt, "status": "fail"}
    try:
        c = matrix_case(name, fmt)
        record["build_s"] = round(time.perf_counter() - started, 1)
        options = dict(c.options)
        graph = irforge.convert_model(options.pop("input_model", None), **options)
        xml, _ = irforge.save_model(graph, Path(tempfile.mkdtemp(prefix="ir-", dir=tmp_path)) / "model.xml")
        feeds = dict(zip(c.input_names, c.inputs))
        runtimes = {"openvino": run_openvino(xml, feeds), "reference": run_reference(xml, feeds)}
        for runtime, got in runtimes.items():
            assert len(got) == len(c.expected), f"{runtime} gives {len(got)} outputs, TensorFlow {len(c.expected)}"
            record[runtime] = max((relative_error(g, e) for g, e in zip(got, c.expected)), default=0.0)
        for runtime, got in runtimes.items():
            for i, (g, e) in enumerate(zip(got, c.expected)):
                scale = float(np.max(np.abs(e))) if e.size and e.dtype.kind == "f" else 0.0
                assert_close(g, e, 1e-4, 1e-5 * scale, f"{name} {fmt} output {i}: {runtime} vs TensorFlow")
        record["status"] = "pass"
    except BaseException as e:
        record["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
        raise
    finally:
        record["seconds"] = round(time.perf_counter() - started, 1)
        _log(record)


NO_TENSORFLOW = """
import sys
sys.modules["tensorflow"] = sys.modules["keras"] = None  # any import of them fails
import irforge
for options in {options!r}:
    irforge.convert_model(options.pop("input_model", None), **options)
assert not any(m.split(".")[0] in ("tensorflow", "keras") for m in sys.modules if sys.modules[m] is not None)
"""


def test_conversion_imports_no_tensorflow():
    """Every format converts with TensorFlow and Keras unimportable (a fresh process: this one has imported them
    to build the cells). The model is the one every format can hold."""
    cells = [matrix_case("detection_nms", fmt).options for fmt in FORMATS]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(irforge.__file__).parents[1]),
                                                         os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", NO_TENSORFLOW.format(options=cells)], check=True, env=env, timeout=300)
