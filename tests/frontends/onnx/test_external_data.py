"""ONNX models with external data convert without holding the weights in memory: a child process converts and
saves a model whose external weights take 300 MB, and its peak resident memory grows by far less than that.
The IR's .bin then holds the same bytes, and the OpenVINO runtime reading the IR matches onnxruntime."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from oracles import assert_close, run_onnxruntime, run_openvino

SIZE = 5000          # three [5000, 5000] f32 weights: 100 MB each
LAYERS = 3
WEIGHT_BYTES = LAYERS * SIZE * SIZE * 4
PROJECT = Path(__file__).resolve().parents[3]


def cached_model() -> Path:
    """model.onnx + weights.bin, written once (a block at a time, so making it needs little memory either)."""
    base = Path(os.environ.get("IRFORGE_TEST_CACHE", Path.home() / ".cache" / "irforge" / "test-models"))
    folder = base / "onnx-external-data" / f"matmul{LAYERS}x{SIZE}"
    model_path = folder / "model.onnx"
    if model_path.exists():
        return model_path
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(37)
    inits = []
    with open(folder / "weights.bin.tmp", "wb") as f:
        for k in range(LAYERS):
            offset = f.tell()
            for _ in range(0, SIZE, 500):   # 500 rows (10 MB) at a time
                f.write((rng.standard_normal((500, SIZE)) * (1 / np.sqrt(SIZE))).astype("<f4").tobytes())
            t = TensorProto(name=f"W{k}", data_type=TensorProto.FLOAT, dims=[SIZE, SIZE],
                            data_location=TensorProto.EXTERNAL)
            for key, value in (("location", "weights.bin"), ("offset", str(offset)),
                               ("length", str(SIZE * SIZE * 4))):
                entry = t.external_data.add()
                entry.key, entry.value = key, value
            inits.append(t)
    nodes = [helper.make_node("MatMul", ["x" if k == 0 else f"h{k}", f"W{k}"], [f"h{k + 1}" if k < LAYERS - 1 else "y"])
             for k in range(LAYERS)]
    graph = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, SIZE])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, SIZE])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    os.replace(folder / "weights.bin.tmp", folder / "weights.bin")
    onnx.save(model, str(model_path.with_suffix(".tmp")))
    os.replace(model_path.with_suffix(".tmp"), model_path)
    return model_path


CHILD = """
import json, resource, sys
import irforge
def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before = peak()
graph = irforge.convert_model(sys.argv[1])
irforge.save_model(graph, sys.argv[2])
print(json.dumps({"before": before, "after": peak()}))
"""


def test_external_weights_are_never_all_in_memory(tmp_path):
    model = cached_model()
    xml = tmp_path / "ir" / "big.xml"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-c", CHILD, str(model), str(xml)], capture_output=True, text=True,
                         env=env, timeout=600, check=True)
    memory = json.loads(out.stdout.strip().splitlines()[-1])
    growth = memory["after"] - memory["before"]
    # Conversion and writing may hold a few chunks and small tensors, never a weight (100 MB) or all (300 MB).
    assert growth < WEIGHT_BYTES / 6, f"peak RSS grew by {growth / 2**20:.0f} MB while converting " \
                                      f"{WEIGHT_BYTES / 2**20:.0f} MB of external weights"
    # The .bin holds the weights byte for byte.
    assert xml.with_suffix(".bin").stat().st_size == WEIGHT_BYTES
    with open(model.parent / "weights.bin", "rb") as f, open(xml.with_suffix(".bin"), "rb") as g:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            assert chunk == g.read(len(chunk)), "the .bin differs from the external weights"
    # And the OpenVINO runtime reading the IR agrees with onnxruntime.
    x = np.random.default_rng(1).standard_normal((2, SIZE)).astype(np.float32)
    assert_close(run_openvino(xml, [x])[0], run_onnxruntime(str(model), [x])[0], rtol=1e-3, atol=1e-4,
                 what="OpenVINO vs onnxruntime")
