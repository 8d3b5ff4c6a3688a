"""The ONNX backend node-test cases through irforge: each case's model is converted, saved as an IR, and run in the
real OpenVINO runtime (reading our IR, f32 precision) and in irforge's reference runtime; both must give the
expected outputs that the onnx package ships with the case.

test_node_suite.py runs it as a ratchet against node_suite_expected_failures.txt. By hand:

    PYTHONPATH=$PWD python tests/frontends/onnx/node_suite.py                 # counts, and the failing cases
    PYTHONPATH=$PWD python tests/frontends/onnx/node_suite.py -k resize       # cases whose name contains "resize"
    PYTHONPATH=$PWD python tests/frontends/onnx/node_suite.py --update-expected   # rewrite the ratchet file

The cases are written once into ${IRFORGE_TEST_CACHE:-~/.cache/irforge/test-models}/onnx-node-suite/onnx-<version>
(one directory per case: model.onnx and test_data_set_0/{input,output}_N.pb). A case whose data numpy cannot
hold is not counted. Cases run in worker subprocesses: the OpenVINO reader can crash the process (SIGSEGV) on a
malformed layer, and a crash or a hang then fails that one case instead of the test run.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[2]
EXPECTED_FILE = HERE / "node_suite_expected_failures.txt"
RUNTIMES = ("ov", "ref")
CASE_TIMEOUT = 30.0  # seconds per case (conversion + both runtimes); the slowest passing case takes about 3 s
RTOL, ATOL = 1e-3, 1e-7


# -- the cases on disk ------------------------------------------------------------------------------------------
def cache_dir() -> Path:
    import onnx
    base = Path(os.environ.get("IRFORGE_TEST_CACHE", Path.home() / ".cache" / "irforge" / "test-models"))
    return base / "onnx-node-suite" / f"onnx-{onnx.__version__}"


def ensure_cases() -> Path:
    """Write every node case of the installed onnx package once (a lock keeps parallel runs from racing)."""
    root = cache_dir()
    done = root / ".complete"
    if done.exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            _write_cases(root)
            done.write_text("")
    return root


def _write_cases(root: Path) -> None:
    import warnings

    from onnx import numpy_helper
    from onnx.backend.test.case import node as node_cases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = node_cases.collect_testcases(None)
    for case in cases:
        data_dir = root / case.name / "test_data_set_0"
        data_dir.mkdir(parents=True, exist_ok=True)
        (root / case.name / "model.onnx").write_bytes(case.model.SerializeToString())
        if not case.data_sets:
            continue
        inputs, outputs = case.data_sets[0]
        graph = case.model.graph
        try:
            for kind, values, infos in (("input", inputs, graph.input), ("output", outputs, graph.output)):
                for j, x in enumerate(values):
                    proto = numpy_helper.from_array(np.asarray(x) if not isinstance(x, (list, dict)) else x,
                                                    infos[j].name)
                    (data_dir / f"{kind}_{j}.pb").write_bytes(proto.SerializeToString())
        except Exception:  # noqa: BLE001 - data numpy cannot hold (sequences, optionals, float8...): not counted
            for p in data_dir.glob("*.pb"):
                p.unlink()


def load_data(case_dir: Path) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
    """(inputs, expected outputs) of a case, or None when its data cannot be held by numpy (not counted)."""
    import onnx
    from onnx import numpy_helper
    data_dir = case_dir / "test_data_set_0"

    def numbered(kind: str) -> list[Path]:
        return sorted(data_dir.glob(f"{kind}_*.pb"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    try:
        inputs = [numpy_helper.to_array(onnx.load_tensor(str(p))) for p in numbered("input")]
        outputs = [numpy_helper.to_array(onnx.load_tensor(str(p))) for p in numbered("output")]
    except Exception:  # noqa: BLE001
        return None
    return (inputs, outputs) if outputs else None


def case_names(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir())


# -- comparing ------------------------------------------------------------------------------------------------
def mismatch(got: list[np.ndarray], expected: list[np.ndarray]) -> str:
    """"" when every expected output matches (rtol 1e-3, atol 1e-7; same shape or same size reshaped; ints and
    bools exact; NaN equals NaN), else what differs first."""
    if len(got) < len(expected):
        return f"mismatch: {len(got)} outputs, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        g = np.asarray(g)
        if g.shape != e.shape and g.size == e.size:
            g = g.reshape(e.shape)
        if g.shape != e.shape:
            return f"mismatch: output {i} has shape {list(g.shape)}, expected {list(e.shape)}"
        try:
            if e.dtype.kind in "fc":
                ok = bool(np.allclose(g.astype(e.dtype), e, rtol=RTOL, atol=ATOL, equal_nan=True))
            else:
                ok = bool(np.array_equal(g.astype(e.dtype), e))
        except (TypeError, ValueError) as err:
            return f"mismatch: output {i}: {err}"
        if not ok:
            if e.dtype.kind in "fc" and e.size:
                with np.errstate(all="ignore"):
                    diff = np.nanmax(np.abs(g.astype(np.float64) - e.astype(np.float64)))
                return f"mismatch: output {i} differs (max abs diff {diff:.3g})"
            return f"mismatch: output {i} differs"
    return ""


def short(e: BaseException) -> str:
    if type(e).__name__ == "UnsupportedOps":
        return "UnsupportedOps: " + ", ".join(sorted(e.counts))  # type: ignore[attr-defined]
    text = str(e).strip().splitlines()
    first = text[0] if text else ""
    if "Exception from src/" in first and len(text) > 1:  # OpenVINO: the message is on the following lines
        first = " ".join(t.strip() for t in text[1:4])
    return f"{type(e).__name__}: {first[:200]}"


# -- the worker (a subprocess; prints one JSON line per runtime result) -------------------------------------------
class CaseTimeout(Exception):
    pass


def _alarm(*_):
    raise CaseTimeout()


def _ov_tensor(ov, value: np.ndarray):
    """bf16 data (ml_dtypes) goes in as its bits: OpenVINO's Python API would convert a 0-d one by value."""
    if value.dtype.name == "bfloat16":
        tensor = ov.Tensor(ov.Type.bf16, ov.Shape(list(value.shape)))
        tensor.data[...] = value.view(np.float16)
        return tensor
    return value


def worker(root: Path) -> None:
    import warnings
    warnings.filterwarnings("ignore")
    import openvino as ov

    import irforge
    core = ov.Core()
    signal.signal(signal.SIGALRM, _alarm)
    out = sys.stdout
    with tempfile.TemporaryDirectory(prefix="irforge-node-suite-") as tmp:
        for line in sys.stdin:
            name = line.strip()
            if not name:
                continue
            case_dir = root / name
            data = load_data(case_dir)
            if data is None:
                out.write(json.dumps({"case": name, "skip": True}) + "\n")
                out.flush()
                continue
            feeds, expected = data
            # Writable copies: OpenVINO's Python API refuses read-only 0-d arrays (which onnx.load_tensor gives).
            feeds = [np.array(f) for f in feeds]
            xml = Path(tmp) / name / "model.xml"
            start = time.perf_counter()
            status: dict[str, str] = {}
            signal.setitimer(signal.ITIMER_REAL, CASE_TIMEOUT)
            try:
                graph = irforge.convert_model(str(case_dir / "model.onnx"))
                irforge.save_model(graph, xml)
            except CaseTimeout:
                status = {r: "timeout while converting" for r in RUNTIMES}
            except BaseException as e:  # noqa: BLE001
                status = {r: "convert: " + short(e) for r in RUNTIMES}
            if not status:
                try:
                    got = list(irforge.compile_model(xml)(feeds).values())
                    status["ref"] = mismatch(got, expected) or "pass"
                except CaseTimeout:
                    status["ref"] = "timeout"
                except BaseException as e:  # noqa: BLE001
                    status["ref"] = short(e)
            signal.setitimer(signal.ITIMER_REAL, 0)
            # The reference result is out before OpenVINO reads the IR: a crash there loses only the OV result.
            out.write(json.dumps({"case": name, **{k: v for k, v in status.items()}}) + "\n")
            out.flush()
            if "ov" not in status:
                signal.setitimer(signal.ITIMER_REAL, CASE_TIMEOUT)
                try:
                    compiled = core.compile_model(core.read_model(str(xml)), "CPU",
                                                  {"INFERENCE_PRECISION_HINT": "f32"})
                    result = compiled([_ov_tensor(ov, f) for f in feeds])
                    # OpenVINO's Python API returns bf16 outputs as float16 arrays holding the bf16 bits.
                    got = [result[o].view(e.dtype) if o.get_element_type() == ov.Type.bf16 and e.itemsize == 2
                           else result[o] for o, e in zip(compiled.outputs, expected)]
                    status["ov"] = mismatch(got, expected) or "pass"
                except CaseTimeout:
                    status["ov"] = "timeout"
                except BaseException as e:  # noqa: BLE001
                    status["ov"] = short(e)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                out.write(json.dumps({"case": name, "ov": status["ov"],
                                      "seconds": round(time.perf_counter() - start, 3)}) + "\n")
                out.flush()
            for p in xml.parent.glob("*"):
                p.unlink()


# -- the driver -----------------------------------------------------------------------------------------------
@dataclass
class SuiteResult:
    status: dict[str, dict[str, str]] = field(default_factory=dict)  # case -> runtime -> "pass" | reason
    skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def passed(self, runtime: str) -> int:
        return sum(1 for s in self.status.values() if s.get(runtime) == "pass")

    @property
    def counted(self) -> int:
        return len(self.status)

    def failures(self, runtime: str) -> dict[str, str]:
        return {c: s[runtime] for c, s in self.status.items() if s.get(runtime) != "pass"}


class _Worker:
    def __init__(self, root: Path, cases: list[str]):
        self.pending = list(cases)
        self.current: str | None = None
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT),
                                                                         os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", str(root)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("".join(c + "\n" for c in cases).encode())
        self.proc.stdin.close()
        self.fd = self.proc.stdout.fileno()
        self.buffer = b""
        self.last = time.monotonic()

    def read_lines(self) -> list[str] | None:
        """The complete lines available now; None at the end of the stream (the worker exited)."""
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            return None
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [line.decode() for line in lines]


def run_suite(root: Path, cases: list[str], jobs: int = 2, progress: bool = False) -> SuiteResult:
    """Run the cases over `jobs` worker processes; a worker that crashes or hangs fails its current case
    (OpenVINO result "crash" / "timeout") and a new worker takes the rest of its cases."""
    result = SuiteResult()
    jobs = max(1, min(jobs, len(cases)))
    workers = [_Worker(root, cases[i::jobs]) for i in range(jobs)]
    done = 0
    while workers:
        streams = {w.fd: w for w in workers}
        ready, _, _ = select.select(list(streams), [], [], 5.0)
        now = time.monotonic()
        for fd in ready:
            w = streams[fd]
            lines = w.read_lines()
            if lines is not None:
                w.last = now
                for line in lines:
                    msg = json.loads(line)
                    case = msg.pop("case")
                    if msg.pop("skip", False):
                        result.skipped.append(case)
                        w.pending.remove(case)
                        continue
                    seconds = msg.pop("seconds", None)
                    result.status.setdefault(case, {}).update(msg)
                    w.current = case
                    if "ov" in msg:
                        w.pending.remove(case)
                        w.current = None
                        done += 1
                        if seconds is not None:
                            result.seconds[case] = seconds
                        if progress and done % 200 == 0:
                            print(f"  {done} cases", file=sys.stderr)
                continue
            # End of stream: the worker finished or died.
            code = w.proc.wait()
            workers.remove(w)
            _restart_after_failure(root, w, result, workers, f"crash (exit {code})")
        for w in list(workers):
            if now - w.last > CASE_TIMEOUT + 30:
                w.proc.kill()
                w.proc.wait()
                workers.remove(w)
                _restart_after_failure(root, w, result, workers, "timeout (worker killed)")
    return result


def _restart_after_failure(root: Path, w: _Worker, result: SuiteResult, workers: list[_Worker], why: str) -> None:
    if not w.pending:
        return
    failed = w.current or w.pending[0]
    status = result.status.setdefault(failed, {})
    for r in RUNTIMES:
        status.setdefault(r, why)
    w.pending.remove(failed)
    if w.pending:
        workers.append(_Worker(root, w.pending))


# -- the ratchet file -------------------------------------------------------------------------------------------
@dataclass
class Expected:
    onnx_version: str = ""
    failures: dict[str, dict[str, str]] = field(default_factory=dict)  # case -> runtime -> reason


def read_expected(path: Path = EXPECTED_FILE) -> Expected:
    """Lines `case<TAB>runtimes<TAB>reason` (runtimes: ov, ref or ov,ref); `# onnx X` names the onnx version."""
    exp = Expected()
    if not path.exists():
        return exp
    for line in path.read_text().splitlines():
        if line.startswith("# onnx "):
            exp.onnx_version = line.split()[2].rstrip(":")
        if not line.strip() or line.startswith("#"):
            continue
        case, runtimes, reason = (line.split("\t") + ["", ""])[:3]
        for r in runtimes.split(","):
            exp.failures.setdefault(case, {})[r.strip()] = reason
    return exp


HEADER = """\
# ONNX backend node cases that irforge is expected to fail, and why: a ratchet for test_node_suite.py.
# The test fails when a case listed here passes (remove its line) or a case not listed fails (fix it).
# Format: case<TAB>runtimes (ov = the OpenVINO runtime reading our IR, ref = irforge's reference runtime)<TAB>reason
# Rewrite with: PYTHONPATH=$PWD python tests/frontends/onnx/node_suite.py --update-expected (reasons are kept)
"""


def write_expected(result: SuiteResult, old: Expected, path: Path = EXPECTED_FILE) -> None:
    import onnx
    lines = [HEADER + f"# onnx {onnx.__version__}: {result.counted} counted cases; "
             f"pass: ov {result.passed('ov')}, ref {result.passed('ref')}"]
    for case in sorted(result.status):
        failing = [r for r in RUNTIMES if result.status[case].get(r) != "pass"]
        if not failing:
            continue
        known = old.failures.get(case, {})
        reasons = {r: known.get(r) or result.status[case][r] for r in failing}
        if len(set(reasons.values())) == 1:
            lines.append(f"{case}\t{','.join(failing)}\t{reasons[failing[0]]}")
        else:
            lines.extend(f"{case}\t{r}\t{reasons[r]}" for r in failing)
    path.write_text("\n".join(lines) + "\n")


def ratchet_problems(result: SuiteResult, expected: Expected) -> list[str]:
    problems = []
    for case, status in sorted(result.status.items()):
        for r in RUNTIMES:
            listed = r in expected.failures.get(case, {})
            if status.get(r) == "pass" and listed:
                problems.append(f"{case} [{r}] now passes: remove it from {EXPECTED_FILE.name}")
            elif status.get(r) != "pass" and not listed:
                problems.append(f"{case} [{r}] fails: {status.get(r)}")
    return problems


def summary(result: SuiteResult, seconds: float) -> str:
    return (f"ONNX node suite: {result.counted} counted cases ({len(result.skipped)} not counted); "
            f"OpenVINO runtime {result.passed('ov')} pass, reference runtime {result.passed('ref')} pass; "
            f"{seconds:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("-k", dest="pattern", default="", help="only cases whose name contains this")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--update-expected", action="store_true", help="rewrite the expected-failures file")
    parser.add_argument("--json", help="write every case's status to this file")
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker))
        return
    root = ensure_cases()
    cases = [c for c in case_names(root) if args.pattern in c]
    start = time.perf_counter()
    result = run_suite(root, cases, args.jobs, progress=True)
    elapsed = time.perf_counter() - start
    expected = read_expected()
    for case, status in sorted(result.status.items()):
        bad = {r: s for r, s in status.items() if s != "pass"}
        if bad:
            print(f"{case}\t" + "\t".join(f"{r}: {s}" for r, s in bad.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(result.status, indent=1, sort_keys=True))
    if args.update_expected:
        write_expected(result, expected)
    slow = sorted(result.seconds.items(), key=lambda kv: -kv[1])[:5]
    print("slowest: " + ", ".join(f"{c} {s:.1f}s" for c, s in slow))
    print(summary(result, elapsed))


if __name__ == "__main__":
    main()
