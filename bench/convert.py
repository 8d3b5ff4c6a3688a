"""Conversion time and peak memory: irforge's `mo` next to OpenVINO's own converter, on the same ONNX files.

Run by hand (not a test):

    python bench/convert.py [--repeat 3] [--only NAME,...] [--no-write]

Models: the onnx package's nine light models with seeded random weights (written once to the test-model cache)
and the torchvision exports of tests/frontends/onnx/model_zoo.py (exported when absent). For each model the two
converters run in turn, each in a fresh child process, `--repeat` times, interleaved (mo, ovc, mo, ovc, ...), so
machine load hits both alike:

- mo:  irforge's `mo --input_model M --output_dir D` (the same entry point as the console script)
- ovc: `openvino.save_model(openvino.convert_model(M), D/M.xml, compress_to_fp16=False)`

Wall time is the child's, start to exit; peak memory is the child's RSS high-water mark (os.wait4's ru_maxrss),
so both include starting Python and importing the converter. The medians are reported, with ratios mo / ovc
(below 1: irforge is faster / leaner). The figures and the command replace the marked section of
docs/BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "frontends" / "onnx"))
import model_zoo  # noqa: E402

BEGIN = "<!-- bench/convert.py: begin -->"
END = "<!-- bench/convert.py: end -->"

MO = "import sys; from irforge.cli.main import mo_main; raise SystemExit(mo_main(sys.argv[1:]))"
OVC = ("import sys, openvino as ov; m = ov.convert_model(sys.argv[1]); "
       "ov.save_model(m, sys.argv[2], compress_to_fp16=False)")


def light_file(name: str) -> Path:
    """The light model with random weights, saved once in the test-model cache (real weight bytes to convert)."""
    import onnx
    path = model_zoo.cache_dir() / f"light_{name}-seed{model_zoo.SEED}-r{model_zoo.RECIPE}.onnx"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        onnx.save(model_zoo.light_model(name, expose_logits=False), str(tmp))
        os.replace(tmp, path)
    return path


# A lean launcher runs each measured command: a child's RSS high-water mark starts from the memory of the process
# it was forked from (Linux keeps it across exec), so forking from this script (torch loaded) would inflate it.
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_child(args: list[str], env: dict[str, str]) -> tuple[float, int, int, str]:
    """(seconds, peak RSS bytes, exit code, first stderr line) of one command, measured by the launcher."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *args], capture_output=True, text=True, env=env)
    seconds, rss_kib, code = done.stdout.split()
    err = done.stderr.strip().splitlines()
    return float(seconds), int(rss_kib) * 1024, int(code), err[0] if err else ""


def measure(model: Path, repeat: int, env: dict[str, str]) -> dict[str, dict]:
    results: dict[str, dict] = {"mo": {"t": [], "rss": [], "err": ""}, "ovc": {"t": [], "rss": [], "err": ""}}
    for _ in range(repeat):
        for tool in ("mo", "ovc"):
            out = Path(tempfile.mkdtemp(prefix=f"bench-{tool}-"))
            try:
                if tool == "mo":
                    args = [sys.executable, "-c", MO, "--input_model", str(model), "--output_dir", str(out),
                            "--model_name", "m"]
                else:
                    args = [sys.executable, "-c", OVC, str(model), str(out / "m.xml")]
                seconds, rss, code, err = run_child(args, env)
                if code == 0 and (out / "m.xml").exists():
                    results[tool]["t"].append(seconds)
                    results[tool]["rss"].append(rss)
                else:
                    results[tool]["err"] = err or f"exit {code}"
            finally:
                shutil.rmtree(out, ignore_errors=True)
    return results


def _fmt_t(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "fail"


def _fmt_m(values: list[int]) -> str:
    return f"{statistics.median(values) / 2 ** 20:.0f}" if values else "fail"


def _ratio(a: list[float], b: list[float]) -> str:
    return f"{statistics.median(a) / statistics.median(b):.2f}" if a and b else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated model names (light_NAME or torchvision names)")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave docs/BENCHMARKS.md alone")
    args = parser.parse_args()

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    names = [f"light_{n}" for n in model_zoo.LIGHT_MODELS] + list(model_zoo.TORCH_MODELS)
    if args.only:
        wanted = set(args.only.split(","))
        names = [n for n in names if n in wanted]

    # Start-up alone: Python plus importing each converter (part of every figure below).
    startup = {"mo": run_child([sys.executable, "-c", "import irforge.cli.main"], env),
               "ovc": run_child([sys.executable, "-c", "import openvino"], env)}
    rows = []
    for name in names:
        path = light_file(name[len("light_"):]) if name.startswith("light_") else model_zoo.torch_model(name)
        size_mb = path.stat().st_size / 2 ** 20
        r = measure(path, args.repeat, env)
        rows.append((name, size_mb, r))
        print(f"{name:22s} {size_mb:7.1f} MB  mo {_fmt_t(r['mo']['t'])} s {_fmt_m(r['mo']['rss'])} MB"
              f"  ovc {_fmt_t(r['ovc']['t'])} s {_fmt_m(r['ovc']['rss'])} MB"
              f"  {r['mo']['err'] or ''} {r['ovc']['err'] or ''}", flush=True)

    lines = [BEGIN, "## Conversion: `mo` (irforge) vs OpenVINO's converter (ONNX)", "",
             f"Command: `python bench/convert.py --repeat {args.repeat}"
             + (f" --only {args.only}" if args.only else "") + "` (from the repository root).", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs, Python "
             f"{platform.python_version()}, openvino {_version('openvino')}, irforge at "
             f"{_git_head()}. Each figure is the median of {args.repeat} runs in a fresh child process, the two "
             "converters interleaved; time is the child's wall time and memory its peak RSS, both including "
             "Python start-up and the converter's imports "
             f"(start-up alone: mo {startup['mo'][0]:.2f} s / {startup['mo'][1] / 2 ** 20:.0f} MB, "
             f"ovc {startup['ovc'][0]:.2f} s / {startup['ovc'][1] / 2 ** 20:.0f} MB). "
             "ovc = `openvino.convert_model` + `openvino.save_model(..., compress_to_fp16=False)`. "
             "Ratios are mo / ovc: below 1, irforge is faster or leaner.", "",
             "| model | ONNX MB | mo s | ovc s | time ratio | mo peak MB | ovc peak MB | memory ratio |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, size_mb, r in rows:
        mo, ovc = r["mo"], r["ovc"]
        note = f" ({mo['err'][:80]})" if not mo["t"] and mo["err"] else ""
        lines.append(f"| {name}{note} | {size_mb:.1f} | {_fmt_t(mo['t'])} | {_fmt_t(ovc['t'])} | "
                     f"{_ratio(mo['t'], ovc['t'])} | {_fmt_m(mo['rss'])} | {_fmt_m(ovc['rss'])} | "
                     f"{_ratio(mo['rss'], ovc['rss'])} |")
    both = [(r["mo"], r["ovc"]) for _, _, r in rows if r["mo"]["t"] and r["ovc"]["t"]]
    if both:
        t_ratio = statistics.geometric_mean([statistics.median(a["t"]) / statistics.median(b["t"]) for a, b in both])
        m_ratio = statistics.geometric_mean([statistics.median(a["rss"]) / statistics.median(b["rss"])
                                             for a, b in both])
        lines += ["", f"Geometric mean over the {len(both)} models both convert: time ratio {t_ratio:.2f}, "
                      f"memory ratio {m_ratio:.2f}."]
    lines.append(END)
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        write_section(ROOT / "docs" / "BENCHMARKS.md", table)
    return 0


def write_section(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else (
        "# Benchmarks\n\nFigures measured on this project's machine; each section names the command that made it.\n")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def _version(package: str) -> str:
    try:
        from importlib.metadata import version
        return version(package)
    except Exception:
        return "?"


def _git_head() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except Exception:
        return "?"


if __name__ == "__main__":
    raise SystemExit(main())
