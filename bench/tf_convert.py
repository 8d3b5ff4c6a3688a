"""Frozen TensorFlow .pb -> IR: irforge against openvino.convert_model, side by side in one run.

Each converter runs in a fresh process (so imports and memory are its own); the figures are the conversion +
save time (imports excluded; the whole process's wall time is shown too) and the peak RSS of that process.
The model (Keras ResNet50, random weights, 224x224, frozen with TensorFlow) is built once and cached.

    python bench/tf_convert.py [--model resnet50] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path(os.environ.get("IRFORGE_TEST_CACHE", Path.home() / ".cache" / "irforge" / "test-models")) / "bench"
MODELS = {"resnet50": ("ResNet50", 224), "mobilenet_v2": ("MobileNetV2", 224), "inception_v3": ("InceptionV3", 299)}

CHILD = r"""
import json, sys, time
kind, model, out = sys.argv[1:4]
start = time.perf_counter()
if kind == "irforge":
    import irforge
    imported = time.perf_counter()
    graph = irforge.convert_model(model)
    irforge.save_model(graph, out)
else:
    import openvino as ov
    imported = time.perf_counter()
    m = ov.convert_model(model)
    ov.save_model(m, out, compress_to_fp16=False)
done = time.perf_counter()
# VmHWM is this process's own high-water mark (ru_maxrss would carry the parent's over fork + exec).
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"convert_s": done - imported, "import_s": imported - start, "peak_rss_mb": hwm / 1024}))
"""


def frozen_model(name: str) -> Path:
    ctor, size = MODELS[name]
    path = CACHE / f"tf_{name}_{size}_frozen.pb"
    if path.exists():
        return path
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    keras.utils.set_random_seed(0)
    model = getattr(keras.applications, ctor)(weights=None, input_shape=(size, size, 3))
    fn = tf.function(lambda x: model(x, training=False))
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function(tf.TensorSpec([1, size, size, 3])))
    CACHE.mkdir(parents=True, exist_ok=True)
    tf.io.write_graph(frozen.graph.as_graph_def(), str(CACHE), path.name + ".tmp", as_text=False)
    os.replace(CACHE / (path.name + ".tmp"), path)
    return path


def run(kind: str, model: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, kind, str(model), str(Path(tmp) / "model.xml")],
                              capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", choices=sorted(MODELS),
                        help="models to convert (default: all); repeat the flag for several")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for name in args.model or list(MODELS):
        model = frozen_model(name)
        runs: dict[str, list[dict]] = {"irforge": [], "openvino": []}
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            for kind in runs:
                runs[kind].append(run(kind, model))
        med = {k: sorted(v, key=lambda r: r["convert_s"])[len(v) // 2] for k, v in runs.items()}
        rows.append((name, model.stat().st_size / 2 ** 20, med))
    print("| model (frozen .pb) | MB | irforge s | ovc s | time ratio | irforge peak MB | ovc peak MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, size, med in rows:
        a, b = med["irforge"], med["openvino"]
        print(f"| {name} | {size:.0f} | {a['convert_s']:.2f} | {b['convert_s']:.2f} | "
              f"{a['convert_s'] / b['convert_s']:.2f} | {a['peak_rss_mb']:.0f} | {b['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
