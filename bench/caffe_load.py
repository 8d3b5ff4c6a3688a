"""Caffe loading speed and peak memory on VGG16-sized weights (553 MB), against the legacy Model Optimizer.

    python bench/caffe_load.py [--write-docs] [--legacy-mo PATH/TO/mo]

Generates (once) a VGG16 deploy prototxt and a .caffemodel of random weights with the tests' wire-format writer
under ~/.cache/irforge/bench/caffe/, then runs each measurement in a fresh process (so that peak RSS is that
step's own): the frontend alone (prototxt + caffemodel -> Graph), and the whole `mo` command (-> IR on disk).
With --legacy-mo, the same `mo` command of another installation (e.g. openvino-dev 2024.4 in its own venv) is timed
too. --write-docs puts the table into docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "frontends" / "caffe"))
CACHE = Path(os.environ.get("IRFORGE_BENCH_CACHE", Path.home() / ".cache" / "irforge" / "bench")) / "caffe"

# VGG_ILSVRC_16_layers deploy: 13 3x3 convolutions in 5 blocks, 3 fully connected layers.
BLOCKS = [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
LEGACY_FIGURES = "158 s, 7 GB peak memory (the issue's measurement of the legacy mo on VGG16)"


def vgg16_prototxt() -> str:
    lines = ['name: "VGG_ILSVRC_16_layers"', 'input: "data"'] + [f"input_dim: {d}" for d in (1, 3, 224, 224)]
    bottom = "data"

    def layer(name, kind, params="", top=None):
        nonlocal bottom
        top = top or name
        lines.append(f'layer {{ name: "{name}" type: "{kind}" bottom: "{bottom}" top: "{top}" {params} }}')
        bottom = top

    for block, (channels, convs) in enumerate(BLOCKS, 1):
        for i in range(1, convs + 1):
            name = f"conv{block}_{i}"
            layer(name, "Convolution", f"convolution_param {{ num_output: {channels} pad: 1 kernel_size: 3 }}")
            layer(f"relu{block}_{i}", "ReLU", top=name)
        layer(f"pool{block}", "Pooling", "pooling_param { pool: MAX kernel_size: 2 stride: 2 }")
    for name, n in (("fc6", 4096), ("fc7", 4096), ("fc8", 1000)):
        layer(name, "InnerProduct", f"inner_product_param {{ num_output: {n} }}")
        if name != "fc8":
            layer(f"relu{name[2:]}", "ReLU", top=name)
            layer(f"drop{name[2:]}", "Dropout", "dropout_param { dropout_ratio: 0.5 }", top=name)
    layer("prob", "Softmax")
    return "\n".join(lines) + "\n"


def vgg16_blob_shapes() -> list[tuple[str, list[tuple[int, ...]]]]:
    shapes, channels = [], 3
    for block, (out, convs) in enumerate(BLOCKS, 1):
        for i in range(1, convs + 1):
            shapes.append((f"conv{block}_{i}", [(out, channels, 3, 3), (out,)]))
            channels = out
    inputs = channels * 7 * 7
    for name, n in (("fc6", 4096), ("fc7", 4096), ("fc8", 1000)):
        shapes.append((name, [(n, inputs), (n,)]))
        inputs = n
    return shapes


def make_model() -> tuple[Path, Path]:
    from caffe_writer import BlobSpec, LayerSpec, write_caffemodel
    CACHE.mkdir(parents=True, exist_ok=True)
    proto, model = CACHE / "vgg16.prototxt", CACHE / "vgg16.caffemodel"
    proto.write_text(vgg16_prototxt())
    if not model.exists():
        rng = np.random.default_rng(0)
        layers = [LayerSpec(name, "Convolution" if name.startswith("conv") else "InnerProduct",
                            blobs=[BlobSpec(rng.standard_normal(s, dtype=np.float32) * np.float32(0.01))
                                   for s in shapes]) for name, shapes in vgg16_blob_shapes()]
        tmp = model.with_name(model.name + ".tmp")
        write_caffemodel(tmp, layers, "VGG_ILSVRC_16_layers")
        tmp.replace(model)
    return proto, model


# -- measurements, each in a fresh process ------------------------------------------------------------------------
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the forking parent (which made the weights).
FRONTEND = """
import re, sys, time
t = time.perf_counter()
import irforge
g = irforge.convert_model(sys.argv[1], input_proto=sys.argv[2])
seconds = time.perf_counter() - t
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024
print(seconds, peak, len(g))
"""


def run_frontend(proto: Path, model: Path) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", FRONTEND, str(model), str(proto)], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
    return float(out[0]), int(out[1])


def run_command(command: list[str], env: dict | None = None) -> tuple[float, int]:
    """Wall time and peak RSS of a command, measured by a small go-between process: its RUSAGE_CHILDREN is the
    command's own peak (the go-between forks it after its exec, so no inherited high-water mark)."""
    script = ("import resource, subprocess, sys, time\n"
              "t = time.perf_counter()\n"
              "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
              "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n")
    out = subprocess.run([sys.executable, "-c", script, *command], check=True, capture_output=True, text=True,
                         env=env).stdout.split()
    return float(out[0]), int(out[1])


def legacy_version(mo: str) -> str:
    """"openvino-dev 2024.4.0" from the mo executable's own venv, else its path."""
    python = Path(mo).with_name("python")
    try:
        out = subprocess.run([str(python), "-c", "from importlib.metadata import version; "
                              "print(version('openvino-dev'))"], capture_output=True, text=True, check=True)
        return f"openvino-dev {out.stdout.strip()}"
    except (OSError, subprocess.CalledProcessError):
        return mo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--legacy-mo", help="another installation's mo executable to time on the same files")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (the best time is kept)")
    args = parser.parse_args()
    start = time.perf_counter()
    proto, model = make_model()
    weights = model.stat().st_size
    print(f"model: {model} ({weights / 1e6:.0f} MB), ready in {time.perf_counter() - start:.1f} s")
    rows = []
    frontend = min((run_frontend(proto, model) for _ in range(args.repeat)), key=lambda r: r[0])
    rows.append(("irforge frontend: prototxt + caffemodel -> Graph", *frontend))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as out:
        mo = [sys.executable, "-m", "irforge", "--input_model", str(model), "--input_proto", str(proto),
              "--output_dir", out]
        full = min((run_command(mo, env) for _ in range(args.repeat)), key=lambda r: r[0])
        rows.append(("irforge `mo`: -> IR (xml + bin) on disk", *full))
        if args.legacy_mo:
            legacy = [args.legacy_mo, "--input_model", str(model), "--input_proto", str(proto), "--output_dir", out,
                      "--framework", "caffe"]
            rows.append((f"legacy mo ({legacy_version(args.legacy_mo)}, same files, this machine)",
                         *run_command(legacy)))
    lines = ["| step | time | peak RSS | peak RSS / weights |", "|---|---|---|---|"]
    for what, seconds, rss in rows:
        lines.append(f"| {what} | {seconds:.2f} s | {rss / 2**20:.0f} MiB | {rss / weights:.2f}x |")
    lines.append(f"| legacy mo (issue figures) | 158 s | 7 GB | 12.6x |")
    table = "\n".join(lines)
    print(table)
    if args.write_docs:
        write_docs(table, weights)
    return 0


BEGIN, END = "<!-- bench/caffe_load.py: begin -->", "<!-- bench/caffe_load.py: end -->"


def write_docs(table: str, weights: int) -> None:
    path = ROOT / "docs" / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    cpu = platform.processor() or platform.machine()
    section = (f"{BEGIN}\n## Caffe: loading VGG16 (`bench/caffe_load.py`)\n\n"
               f"VGG16 deploy prototxt with random weights: a {weights / 1e6:.0f} MB .caffemodel (packed floats, as "
               f"Caffe writes them). Each step runs in a fresh process; the time is the best of 3 (the legacy mo: "
               f"one run) and the peak RSS is that process's high-water mark.\n\n"
               f"{table}\n\n"
               f"The legacy mo decodes every weight into a Python object ({LEGACY_FIGURES}; on this shared "
               f"machine it took longer). irforge reads the protobuf wire format itself and keeps each packed blob "
               f"as a byte range of the .caffemodel (FileSlice): the frontend reads only the net's structure, and "
               f"the IR writer copies the weights in chunks, so neither step holds them in memory.\n\n"
               f"Machine: {os.cpu_count()} cores ({cpu}) shared with other jobs, Python "
               f"{platform.python_version()}. Rerun: `PYTHONPATH=. python bench/caffe_load.py --write-docs "
               f"[--legacy-mo PATH/TO/mo]` (the legacy mo from `pip install 'openvino-dev[caffe]==2024.4.0' "
               f"'numpy<1.24'` in its own venv).\n{END}\n")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(section.replace("\\", "\\\\"), text)
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
