"""frontends.resampling: per-axis weight matrices -> the cheapest exact graph (Interpolate, Slice + Interpolate,
Gathers, MatMuls). Each path is run in the OpenVINO runtime and the reference runtime against rows @ x @ cols^T
in float64, and the op it chose is checked."""
from __future__ import annotations

import numpy as np
import pytest

import irforge
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Origin
from irforge.core.shape import PartialShape
from irforge.frontends.base import NodeBuilder
from irforge.frontends.resampling import interpolate_for, resize_2d
from oracles import assert_close, run_openvino, run_reference

rng = np.random.default_rng(5)


def aligned(size_in: int, size_out: int, begin: int = 0, used: int | None = None) -> np.ndarray:
    """Bilinear, corners aligned, over x[begin:begin + used] (Caffe's Interp rule, in float64)."""
    used = size_in if used is None else used
    m = np.zeros((size_out, size_in))
    for i in range(size_out):
        src = i * (used - 1) / (size_out - 1) if size_out > 1 else 0.0
        lo = min(int(src), used - 1)
        hi = min(lo + 1, used - 1)
        m[i, begin + lo] += 1 - (src - lo)
        m[i, begin + hi] += src - lo
    return m


def half_pixel(size_in: int, size_out: int) -> np.ndarray:
    m = np.zeros((size_out, size_in))
    for i in range(size_out):
        src = min(max((i + 0.5) * size_in / size_out - 0.5, 0.0), size_in - 1)
        lo = int(src)
        hi = min(lo + 1, size_in - 1)
        m[i, lo] += 1 - (src - lo)
        m[i, hi] += src - lo
    return m


def picks(size_in: int, index) -> np.ndarray:
    m = np.zeros((len(index), size_in))
    m[np.arange(len(index)), index] = 1
    return m


def run(tmp_path, x: np.ndarray, rows: np.ndarray, cols: np.ndarray, tol: float = 1e-5) -> list[str]:
    g = Graph("resize")
    p = g.parameter("x", ElementType.f32, PartialShape(x.shape))
    out = resize_2d(NodeBuilder(g, Origin("test", "resize", "Resize", "")), p, rows, cols)
    out.names.add("y")
    g.result(out)
    expected = np.einsum("oh,...hw,pw->...op", rows, x.astype(np.float64), cols)
    xml, _ = irforge.save_model(g, tmp_path / "resize.xml")
    for name, got in (("OpenVINO", run_openvino(xml, [x])[0]), ("reference", run_reference(xml, [x])[0])):
        assert_close(got, expected, rtol=tol, atol=tol, what=name)
    return sorted(n.op.TYPE for n in g.nodes if n.op.TYPE not in ("Parameter", "Result", "Const"))


@pytest.mark.parametrize("shape_out", [(13, 15), (4, 3), (1, 1), (64, 33)])
def test_aligned_corners_become_one_interpolate(tmp_path, shape_out):
    x = rng.standard_normal((2, 3, 7, 8)).astype(np.float32)
    used = run(tmp_path, x, aligned(7, shape_out[0]), aligned(8, shape_out[1]))
    assert used == ["Interpolate"]


def test_half_pixel_on_a_large_map(tmp_path):
    """The runtime's float32 source coordinates near 130 are good to ~1.5e-5 (their ulp): so are the weights."""
    x = rng.standard_normal((1, 2, 97, 130)).astype(np.float32)
    assert run(tmp_path, x, half_pixel(97, 256), half_pixel(130, 41), tol=1e-4) == ["Interpolate"]


def test_columns_no_output_reads_are_cropped_first(tmp_path):
    """Caffe's negative pads: the rule reads x[1:6, 2:9] only."""
    x = rng.standard_normal((1, 2, 7, 11)).astype(np.float32)
    assert run(tmp_path, x, aligned(7, 9, 1, 5), aligned(11, 12, 2, 7)) == ["Interpolate", "Slice"]


def test_nearest_with_a_rule_interpolate_lacks_becomes_gathers(tmp_path):
    x = rng.standard_normal((1, 2, 5, 6)).astype(np.float32)
    assert run(tmp_path, x, picks(5, [4, 0, 2]), picks(6, [1, 1, 5, 0])) == ["Gather", "Gather"]


def test_nearest_that_interpolate_computes(tmp_path):
    x = rng.standard_normal((1, 2, 5, 6)).astype(np.float32)
    assert run(tmp_path, x, picks(5, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]), picks(6, [0, 2, 4])) == ["Interpolate"]


def test_other_weights_become_matmuls(tmp_path):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    rows, cols = rng.uniform(0, 1, (6, 4)), aligned(5, 7)
    assert run(tmp_path, x, rows, cols) == ["MatMul", "MatMul"]


def test_modes_are_told_apart():
    """Close but different rules must not match (align_corners vs half_pixel differ by less than 0.01 here)."""
    assert interpolate_for(aligned(100, 101), aligned(100, 101)).coordinate_transformation_mode == "align_corners"
    assert interpolate_for(half_pixel(100, 101), half_pixel(100, 101)).coordinate_transformation_mode == "half_pixel"
    assert interpolate_for(aligned(100, 101), half_pixel(100, 101)) is None


def test_other_ranks(tmp_path):
    """The last two axes of a 3-D tensor (Interpolate) and of a 5-D one (MatMuls)."""
    x3 = rng.standard_normal((3, 7, 8)).astype(np.float32)
    assert run(tmp_path, x3, aligned(7, 13), aligned(8, 3)) == ["Interpolate"]
    x5 = rng.standard_normal((2, 1, 3, 4, 5)).astype(np.float32)
    assert run(tmp_path, x5, rng.uniform(0, 1, (3, 4)), aligned(5, 6)) == ["MatMul", "MatMul"]
