"""Conversion time and peak memory of MXNet gluon model-zoo nets: irforge next to the legacy Model Optimizer.

    python bench/mxnet_convert.py [--legacy-mo PATH/TO/mo] [--repeat 3] [NAME ...]

The nets are exported with random weights (real sizes, 224x224 inputs; inception v3 299x299) by MXNet in the
test oracle venv (tests/frontends/mxnet/mxnet_oracle.py) and cached under ~/.cache/irforge/bench/mxnet/. Every
conversion runs in a fresh child process: the time is the conversion plus writing the IR as the child measures
it (interpreter start-up and imports excluded; they are reported once as the baseline), and the memory is the
child's peak resident set (os.wait4's ru_maxrss), the import baseline included. The baseline imports irforge and
every module a conversion loads (listed by converting the smallest net once beforehand): code is a fixed cost of
the process, the column above it is what the conversion itself holds (graph, weights touched, IR text). The
legacy mo (openvino-dev
2024.4.0, the last with MXNet support) is timed the same way, from its process start to its end.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "frontends" / "mxnet"))

NETS = {"resnet50_v1": 224, "resnet50_v2": 224, "mobilenet1.0": 224, "mobilenetv2_1.0": 224, "squeezenet1.0": 224,
        "vgg16_bn": 224, "densenet121": 224, "inceptionv3": 299, "alexnet": 224}
CACHE = Path.home() / ".cache" / "irforge" / "bench" / "mxnet"

EXPORT = """
import sys, mxnet as mx, numpy as np
from mxnet.gluon.model_zoo import vision
name, size, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
net = vision.get_model(name)
net.initialize(mx.init.Xavier())
net.hybridize()
net(mx.nd.zeros((1, 3, size, size)))
net.export(prefix)
"""

# The modules a conversion imports, one per line (the baseline child imports them all).
MODULES = """
import sys
before = set(sys.modules)
import irforge
irforge.save_model(irforge.convert_model(sys.argv[1], input_shape=sys.argv[2]), sys.argv[3])
print("\\n".join(sorted(set(sys.modules) - before)))
"""

CHILD = """
import sys, time, importlib
t0 = time.perf_counter()
import irforge
t1 = time.perf_counter()
if sys.argv[1] == "--baseline":
    for name in sys.argv[2:]:
        importlib.import_module(name)
else:
    graph = irforge.convert_model(sys.argv[1], input_shape=sys.argv[2])
    irforge.save_model(graph, sys.argv[3])
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def export(name: str, size: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    prefix = CACHE / name
    params = CACHE / f"{name}-0000.params"
    if not params.exists():
        from mxnet_oracle import oracle_python
        subprocess.run([oracle_python(), "-c", EXPORT, name, str(size), str(prefix)], check=True,
                       capture_output=True)
    return params


def run_child(argv: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """(wall seconds, peak RSS bytes, stdout) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv[:3]} failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss * 1024, out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=list(NETS))
    parser.add_argument("--legacy-mo", default=str(Path.home() / ".cache/irforge/venv-legacy-mo/bin/mo"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    python = sys.executable
    smallest = min(args.names, key=lambda n: export(n, NETS[n]).stat().st_size)
    with tempfile.TemporaryDirectory() as tmp:
        _, _, listed = run_child([python, "-c", MODULES, str(export(smallest, NETS[smallest])),
                                  f"[1,3,{NETS[smallest]},{NETS[smallest]}]", f"{tmp}/m.xml"], env)
    modules = [m for m in listed.split() if m and not m.startswith("__")]
    _, base_rss, base_out = run_child([python, "-c", CHILD, "--baseline", *modules], env)
    print(f"irforge import: {float(base_out.split()[0]):.2f} s; with the {len(modules)} modules a conversion "
          f"loads: {base_rss / 2**20:.0f} MiB resident")
    print()
    print("| net | weights | irforge time | irforge peak RSS | above the import baseline | legacy mo time | "
          "legacy mo peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    legacy = Path(args.legacy_mo)
    for name in args.names:
        size = NETS[name]
        params = export(name, size)
        weights = params.stat().st_size
        shape = f"[1,3,{size},{size}]"
        times, peaks = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.repeat):
                _, rss, out = run_child([python, "-c", CHILD, str(params), shape, f"{tmp}/{name}.xml"], env)
                times.append(float(out.split()[1]))
                peaks.append(rss)
            above = min(peaks) - base_rss
            row = (f"| {name} | {weights / 2**20:.0f} MiB | {min(times):.2f} s | {min(peaks) / 2**20:.0f} MiB | "
                   f"{above / 2**20:.0f} MiB ({above / weights:.2f}x weights) |")
            if legacy.exists():
                wall, rss, _ = run_child([str(legacy), "--framework", "mxnet", "--input_model", str(params),
                                          "--input_shape", shape, "--output_dir", f"{tmp}/legacy"])
                row += f" {wall:.1f} s | {rss / 2**20:.0f} MiB |"
            else:
                row += " - | - |"
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
