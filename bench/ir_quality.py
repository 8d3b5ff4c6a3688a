"""IR quality next to OpenVINO's own converter: each corpus model (bench/corpus.py) is converted by irforge and by
openvino.convert_model (FP32, saved with compress_to_fp16=False) in the same run; we count ops, weigh the .bin,
and time both IRs on the OpenVINO CPU plugin (1 stream, 2 threads, f32 hint, interleaved runs, medians).

usage: python bench/ir_quality.py [--only NAME,...] [--no-latency] [--seconds S] [--sessions N]
                                  [--write docs/BENCHMARKS.md]
"""
from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402

NOT_COUNTED = {"Parameter", "Result", "Const"}
CONFIG = {"INFERENCE_PRECISION_HINT": "f32", "NUM_STREAMS": "1", "INFERENCE_NUM_THREADS": "2",
          "PERFORMANCE_HINT": "LATENCY"}


def op_counts(xml: Path) -> collections.Counter:
    """Layer types of the top-level graph of an IR file."""
    root = ET.parse(xml).getroot()
    return collections.Counter(layer.get("type") for layer in root.find("layers"))


def convert_ours(onnx_path: Path, out: Path) -> tuple[Path, float]:
    import irforge
    start = time.perf_counter()
    graph = irforge.convert_model(str(onnx_path))
    xml, _ = irforge.save_model(graph, out / "ours.xml")
    return Path(xml), time.perf_counter() - start


def convert_theirs(onnx_path: Path, out: Path) -> tuple[Path, float]:
    import openvino as ov
    start = time.perf_counter()
    model = ov.convert_model(str(onnx_path))
    ov.save_model(model, str(out / "theirs.xml"), compress_to_fp16=False)
    return out / "theirs.xml", time.perf_counter() - start


def latency_ratio(ours: Path, theirs: Path, seconds: float, sessions: int = 4, block_ms: float = 25.0
                  ) -> dict[str, float]:
    """Latency of each IR and the ratio ours / theirs, measured so that neither the shared machine's load nor
    the luck of one compilation decides it:
      - in each of `sessions` sessions, ours is compiled once and theirs twice (in a rotating order: compiled
        instances of one IR differ by a few percent, from where their memory lands), and ~25 ms blocks of
        inferences of the three run interleaved, in a rotating order, so all see the same background load;
      - ratio = median over ours' blocks / median over theirs' blocks (wall clock); the CPU-time ratio uses the
        process CPU time of the same blocks, which the other processes on the machine disturb much less;
      - the A/A control is the same ratio between theirs' two instances: what two identical IRs get here.
    """
    import gc

    import openvino as ov
    core = ov.Core()
    wall: dict[str, list[float]] = {"ours": [], "theirs_a": [], "theirs_b": []}
    cpu: dict[str, list[float]] = {k: [] for k in wall}
    rng = np.random.default_rng(0)
    executed = {"ours": executed_nodes(core, ours), "theirs_a": executed_nodes(core, theirs)}
    for session in range(sessions):
        kinds = list(np.roll(["ours", "theirs_a", "theirs_b"], session))
        requests = {}
        for kind in kinds:
            compiled = core.compile_model(core.read_model(str(ours if kind == "ours" else theirs)), "CPU", CONFIG)
            r = compiled.create_infer_request()
            for inp in compiled.inputs:
                shape = tuple(inp.get_partial_shape().to_shape())
                r.set_tensor(inp, ov.Tensor(rng.standard_normal(shape).astype(np.float32)))
            for _ in range(3):     # warm up
                r.infer()
            requests[kind] = r
        t0 = time.perf_counter()
        requests["theirs_a"].infer()
        per_block = max(1, int(block_ms / 1e3 / max(time.perf_counter() - t0, 1e-6)))
        deadline = time.perf_counter() + seconds / sessions
        round_ = 0
        while time.perf_counter() < deadline or round_ < 4:
            for kind in np.roll(kinds, round_):
                t0, c0 = time.perf_counter(), time.process_time()
                for _ in range(per_block):
                    requests[kind].infer()
                wall[kind].append((time.perf_counter() - t0) / per_block)
                cpu[kind].append((time.process_time() - c0) / per_block)
            round_ += 1
        del requests, compiled, r
        gc.collect()
    med = {k: statistics.median(v) for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    theirs_all = statistics.median(wall["theirs_a"] + wall["theirs_b"])
    return {"ms_ours": med["ours"] * 1e3, "ms_theirs": theirs_all * 1e3, "ratio": med["ours"] / theirs_all,
            "cpu_ratio": med_cpu["ours"] / statistics.median(cpu["theirs_a"] + cpu["theirs_b"]),
            "control": med["theirs_a"] / med["theirs_b"],
            "exec_ours": executed["ours"], "exec_theirs": executed["theirs_a"]}


def executed_nodes(core, xml: Path) -> int:
    """Nodes the CPU plugin executes per inference, after its own fusions (PERF_COUNT status EXECUTED: nodes it
    computes once at compile time, such as a Transpose of constant weights, do not count)."""
    config = dict(CONFIG, PERF_COUNT="YES")
    compiled = core.compile_model(core.read_model(str(xml)), "CPU", config)
    request = compiled.create_infer_request()
    for inp in compiled.inputs:
        request.set_tensor(inp, _zeros(inp))
    request.infer()
    return sum(str(p.status).rsplit(".", 1)[-1] == "EXECUTED" for p in request.profiling_info)


def _zeros(inp):
    import openvino as ov
    return ov.Tensor(np.zeros(tuple(inp.get_partial_shape().to_shape()), np.float32))


def measure(name: str, path: Path, seconds: float, latency: bool, sessions: int = 4) -> dict:
    with tempfile.TemporaryDirectory(prefix="irforge-bench-") as tmp:
        out = Path(tmp)
        row: dict = {"model": name}
        try:
            ours, row["t_ours"] = convert_ours(path, out)
        except Exception as e:  # noqa: BLE001 - a benchmark reports failures and goes on
            row["error"] = f"irforge: {type(e).__name__}: {str(e)[:200]}"
            return row
        theirs, row["t_theirs"] = convert_theirs(path, out)
        for key, xml in (("ours", ours), ("theirs", theirs)):
            counts = op_counts(xml)
            row[f"ops_{key}"] = sum(v for k, v in counts.items() if k not in NOT_COUNTED)
            row[f"total_{key}"] = sum(counts.values())
            row[f"bin_{key}"] = xml.with_suffix(".bin").stat().st_size if xml.with_suffix(".bin").exists() else 0
            row[f"counts_{key}"] = counts
        if latency:
            row.update(latency_ratio(ours, theirs, seconds, sessions))
        return row


def op_diff(row: dict) -> str:
    ours, theirs = row["counts_ours"], row["counts_theirs"]
    parts = []
    for t in sorted(set(ours) | set(theirs)):
        if t in NOT_COUNTED or ours[t] == theirs[t]:
            continue
        parts.append(f"{t} {ours[t]}/{theirs[t]}")
    return ", ".join(parts)


def table(rows: list[dict]) -> str:
    lines = ["| model | ops ours / ovc | all layers ours / ovc | .bin MB ours / ovc | convert s ours / ovc | "
             "CPU plugin nodes ours / ovc | latency ms ours / ovc | ratio | CPU-time ratio | A/A control | "
             "op types that differ (ours/ovc) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | failed: {r['error']} | | | | | | | | | |")
            continue
        lat = f"{r['ms_ours']:.2f} / {r['ms_theirs']:.2f}" if "ratio" in r else "-"
        executed = f"{r['exec_ours']} / {r['exec_theirs']}" if "exec_ours" in r else "-"
        ratio = f"{r['ratio']:.3f}" if "ratio" in r else "-"
        control = f"{r['control']:.3f}" if "control" in r else "-"
        cpu = f"{r['cpu_ratio']:.3f}" if "cpu_ratio" in r else "-"
        lines.append(f"| {r['model']} | {r['ops_ours']} / {r['ops_theirs']} | {r['total_ours']} / "
                     f"{r['total_theirs']} | {r['bin_ours'] / 1e6:.2f} / {r['bin_theirs'] / 1e6:.2f} | "
                     f"{r['t_ours']:.1f} / {r['t_theirs']:.1f} | {executed} | {lat} | "
                     f"{ratio} | {cpu} | {control} | {op_diff(r)} |")
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    """Geometric means over the models measured, and how many executed graphs are the same size or smaller."""
    timed = [r for r in rows if "ratio" in r]
    if not timed:
        return ""

    def gmean(key: str) -> float:
        return float(np.exp(np.mean([np.log(r[key]) for r in timed])))
    fewer_ops = sum(r["ops_ours"] <= r["ops_theirs"] for r in rows if "ops_ours" in r)
    same = sum(r["exec_ours"] == r["exec_theirs"] for r in timed)
    smaller = sum(r["exec_ours"] < r["exec_theirs"] for r in timed)
    return (f"Ops: irforge has no more ops than ovc on {fewer_ops} of {len(rows)} models. Executed graphs: "
            f"{smaller} smaller than ovc's, {same} the same size, {len(timed) - same - smaller} larger. Median "
            f"latency ratio over {len(timed)} models {statistics.median(r['ratio'] for r in timed):.3f} (A/A "
            f"controls {min(r['control'] for r in timed):.3f} to {max(r['control'] for r in timed):.3f}). "
            f"Geometric means: latency ratio {gmean('ratio'):.3f}, CPU-time ratio {gmean('cpu_ratio'):.3f}, "
            f"A/A control {gmean('control'):.3f}.")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--seconds", type=float, default=24.0, help="latency measurement time per model")
    ap.add_argument("--sessions", type=int, default=6, help="compilations of each IR per model (see latency_ratio)")
    ap.add_argument("--write", default="")
    args = ap.parse_args()
    import logging
    logging.disable(logging.WARNING)
    wanted = set(filter(None, args.only.split(",")))
    rows = []
    for name, path in corpus.corpus().items():
        if wanted and name not in wanted:
            continue
        row = measure(name, path, args.seconds, not args.no_latency, args.sessions)
        rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
    text = table(rows) + "\n\n" + summary(rows)
    print()
    print(text)
    if args.write:
        write_section(Path(args.write), text, len(rows), args.seconds, args.sessions)


def _commit() -> str:
    import subprocess
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent).stdout.strip() or "?"
    except OSError:
        return "?"


def write_section(path: Path, text: str, count: int, seconds: float, sessions: int) -> None:
    import openvino as ov
    begin, end = "<!-- ir_quality:begin -->", "<!-- ir_quality:end -->"
    section = (f"{begin}\n## IR quality next to openvino.convert_model\n\n"
               f"`python bench/ir_quality.py --write docs/BENCHMARKS.md` ({count} models, OpenVINO "
               f"{ov.__version__.split('-')[0]}, irforge at {_commit()}). Ops exclude Parameter, Result and "
               f"Const; \"all layers\" counts them too. Both IRs are FP32 (ovc saved with compress_to_fp16=False). "
               f"Latency: OpenVINO CPU, 1 stream, 2 threads, f32 hint. In each of {sessions} sessions ours is "
               f"compiled once and ovc's IR twice (rotating the order), and ~25 ms blocks of inferences of the "
               f"three run interleaved ({seconds:g} s per model in all); ratio = median of ours' blocks / median "
               f"of ovc's (below 1: ours is faster). The CPU-time ratio is the same over process CPU time, which "
               f"the other processes on this shared 2-core machine disturb less. The A/A control is the ratio "
               f"between ovc's two instances: what two identical IRs get here. \"CPU plugin nodes\" counts the "
               f"nodes the CPU plugin executes per inference after its own fusions (PERF_COUNT status EXECUTED): "
               f"equal counts mean the same executed graph, where any latency ratio is noise.\n\n{text}\n{end}\n")
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in old:
        head, rest = old.split(begin, 1)
        old = head + section + rest.split(end, 1)[1].lstrip("\n")
    else:
        old = old.rstrip("\n") + "\n\n" + section
    path.write_text(old)


if __name__ == "__main__":
    main()
