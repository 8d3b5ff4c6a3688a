"""The ONNX backend node suite as a ratchet: every case of the installed onnx package is converted by irforge and
run in the real OpenVINO runtime (reading our IR) and in irforge's reference runtime against the case's expected
outputs. A case listed in node_suite_expected_failures.txt must fail there (with the reason given); every other
case must pass. See node_suite.py for how the cases are made, run and compared."""
from __future__ import annotations

import os
import time

import onnx
import pytest

from node_suite import (EXPECTED_FILE, case_names, ensure_cases, ratchet_problems, read_expected, run_suite,
                        summary)


def test_onnx_node_suite(capsys):
    pytest.importorskip("openvino")
    root = ensure_cases()
    jobs = int(os.environ.get("IRFORGE_TEST_JOBS", min(4, os.cpu_count() or 1)))
    start = time.perf_counter()
    result = run_suite(root, case_names(root), jobs=jobs)
    with capsys.disabled():
        print("\n" + summary(result, time.perf_counter() - start))
    expected = read_expected()
    if expected.onnx_version != onnx.__version__:
        pytest.skip(f"{EXPECTED_FILE.name} was made with onnx {expected.onnx_version}, onnx {onnx.__version__} is "
                    "installed: its cases differ (counts printed above; rewrite the file with --update-expected)")
    problems = ratchet_problems(result, expected)
    assert not problems, f"{len(problems)} case(s) differ from {EXPECTED_FILE.name}:\n" + "\n".join(problems[:60])
