"""A missing or corrupt model gets a one-line reason (no traceback), a non-zero exit, and no file written."""
import subprocess
import sys

import pytest


def run_mo(*args):
    return subprocess.run([sys.executable, "-m", "irforge", *args], capture_output=True, text=True)


def no_ir_written(folder):
    return not any(p.suffix in (".xml", ".bin", ".tmp") for p in folder.rglob("*"))


@pytest.mark.parametrize("content", [None, b"", b"\x08\x07garbage that is not protobuf" * 3, b"\xff" * 40])
def test_missing_or_corrupt_onnx(tmp_path, content):
    model = tmp_path / "model.onnx"
    if content is not None:
        model.write_bytes(content)
    out = tmp_path / "out"
    r = run_mo("--input_model", str(model), "--output_dir", str(out))
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("[ ERROR ]") and str(model) in lines[0], r.stderr
    assert not out.exists() or no_ir_written(out)


def test_unsupported_ops_are_all_listed_with_counts(tmp_path):
    import onnx
    from onnx import helper
    nodes = [helper.make_node("FancyOp", ["x"], ["a"], name="f1", domain="acme"),
             helper.make_node("FancyOp", ["a"], ["b"], name="f2", domain="acme"),
             helper.make_node("OtherOp", ["b"], ["c"], name="o1", domain="acme"),
             helper.make_node("Relu", ["c"], ["y"], name="relu")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", 1, [2])],
                              [helper.make_tensor_value_info("y", 1, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("acme", 1)])
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    r = run_mo("--input_model", str(path), "--output_dir", str(tmp_path / "out"))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "acme::FancyOp x2: 'f1', 'f2'" in r.stderr
    assert "acme::OtherOp x1: 'o1'" in r.stderr
    assert no_ir_written(tmp_path)
