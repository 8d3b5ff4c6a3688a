"""Bilinear resizing in the OpenVINO CPU plugin: one Interpolate-11 (linear_onnx) against the two MatMuls with
constant weight matrices that frontends.resampling falls back to (the same values either way).

    python bench/resize_paths.py [--repeat 25] [--write-docs]

Each case is compiled twice (INFERENCE_PRECISION_HINT f32), with the plugin's default threads and with one thread;
figures are the median latency of `--repeat` inferences after a warm-up. --write-docs puts the table into
docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import irforge  # noqa: E402
from irforge import ops  # noqa: E402
from irforge.core.element_type import ElementType  # noqa: E402
from irforge.core.graph import Graph, Origin  # noqa: E402
from irforge.core.shape import PartialShape  # noqa: E402
from irforge.frontends.base import NodeBuilder  # noqa: E402
from irforge.frontends.resampling import interpolate_weights  # noqa: E402

CASES = [  # input shape, output size, what it is like
    ((1, 21, 65, 65), (513, 513), "DeepLab's final Interp (zoom 8)"),
    ((1, 3, 256, 256), (1024, 1024), "image upscaling x4"),
    ((1, 64, 128, 128), (256, 256), "feature map x2"),
    ((1, 256, 32, 32), (64, 64), "FPN level x2"),
]
BEGIN, END = "<!-- bench/resize_paths.py: begin -->", "<!-- bench/resize_paths.py: end -->"


def build(kind: str, shape, size, folder: Path) -> Path:
    rows = interpolate_weights("linear_onnx", "align_corners", "", size[0], shape[2])
    cols = interpolate_weights("linear_onnx", "align_corners", "", size[1], shape[3])
    g = Graph("resize")
    x = g.parameter("x", ElementType.f32, PartialShape(shape))
    b = NodeBuilder(g, Origin("bench", "resize", "Resize", ""))
    if kind == "Interpolate":
        op = ops.Interpolate11(mode="linear_onnx", shape_calculation_mode="sizes",
                               coordinate_transformation_mode="align_corners", pads_begin=(0, 0, 0, 0),
                               pads_end=(0, 0, 0, 0))
        y = b.out(op, x, b.const(np.array(size, np.int64)), b.const(np.array([2, 3], np.int64)))
    else:
        y = b.out(ops.MatMul(transpose_b=True), b.out(ops.MatMul(), b.const(rows), x), b.const(cols))
    y.names.add("y")
    g.result(y)
    xml, _ = irforge.save_model(g, folder / f"{kind}.xml")
    return xml


def latency(xml: Path, x: np.ndarray, threads: int | None, repeat: int) -> float:
    import openvino as ov
    core = ov.Core()
    config = {"INFERENCE_PRECISION_HINT": "f32"} | ({"INFERENCE_NUM_THREADS": threads} if threads else {})
    request = core.compile_model(core.read_model(str(xml)), "CPU", config).create_infer_request()
    request.infer([x])
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        request.infer([x])
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    import openvino as ov
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    lines = [BEGIN, "## Bilinear resizing in the CPU plugin: Interpolate vs constant-weight MatMuls "
             "(`bench/resize_paths.py`)", "",
             f"Command: `python bench/resize_paths.py --repeat {args.repeat}`. Machine: {platform.machine()}, 2 cores "
             f"shared with other jobs, openvino {ov.get_version().split('-')[0]}, irforge at {commit.strip()}. Median "
             "latency in ms of one resize (linear, corners aligned), with the plugin's default threads and with one; "
             "the MatMul form carries two [out, in] float32 matrices.", "",
             "| case | input | output | Interpolate ms | MatMul x2 ms | 1 thread: Interpolate | 1 thread: MatMul x2 "
             "| MatMul weights KB |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    with tempfile.TemporaryDirectory() as tmp:
        for shape, size, what in CASES:
            x = np.random.default_rng(0).random(shape, dtype=np.float32)
            xmls = {k: build(k, shape, size, Path(tmp)) for k in ("Interpolate", "MatMul")}
            figures = [latency(xmls[k], x, threads, args.repeat) for threads in (None, 1)
                       for k in ("Interpolate", "MatMul")]
            weights = 4 * (size[0] * shape[2] + size[1] * shape[3]) / 1024
            lines.append(f"| {what} | {list(shape)} | {list(size)} | " + " | ".join(f"{f:.1f}" for f in figures)
                         + f" | {weights:.0f} |")
            print(lines[-1], flush=True)
    lines.append(END)
    if args.write_docs:
        doc = ROOT / "docs" / "BENCHMARKS.md"
        text = doc.read_text()
        section = "\n".join(lines)
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
        doc.write_text(text)


if __name__ == "__main__":
    main()
