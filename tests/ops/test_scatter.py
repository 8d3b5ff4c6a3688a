"""Scatters, gathers, OneHot, NonZero, CumSum, Unique and ReverseSequence against the real OpenVINO runtime."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from oracles import check_op_against_openvino

rng = np.random.default_rng(5)
f32 = np.float32


def test_scatter_update(tmp_path):
    data = rng.standard_normal((4, 3, 2)).astype(f32)
    for axis, indices in ((0, np.array([3, 0], np.int64)), (1, np.array([[2], [0]], np.int32))):
        upd_shape = data.shape[:axis] + indices.shape + data.shape[axis + 1:]
        updates = rng.standard_normal(upd_shape).astype(f32)
        check_op_against_openvino(ops.ScatterUpdate(), [data, indices, updates, np.array(axis, np.int64)], tmp_path,
                                  constant=[False, True, False, True])


@pytest.mark.parametrize("reduction", ["none", "sum", "prod", "min", "max", "mean"])
@pytest.mark.parametrize("use_init_val", [True, False])
def test_scatter_elements_update(tmp_path, reduction, use_init_val):
    data = rng.standard_normal((3, 4)).astype(f32)
    indices = np.array([[0, 1, 1], [2, -1, 1]], np.int64)   # duplicates on purpose, and a negative index
    updates = rng.standard_normal((2, 3)).astype(f32)
    if reduction == "none" and not use_init_val:
        return
    for axis in (0, 1, -1):
        check_op_against_openvino(ops.ScatterElementsUpdate(reduction, use_init_val),
                                  [data, indices, updates, np.array(axis, np.int64)], tmp_path,
                                  constant=[False, True, False, True])


@pytest.mark.parametrize("reduction", ["none", "sum", "sub", "prod", "min", "max"])
def test_scatter_nd_update(tmp_path, reduction):
    data = rng.standard_normal((4, 3, 2)).astype(f32)
    indices = np.array([[1, 2], [3, 0], [1, 2]], np.int64) if reduction != "none" else np.array([[1, 2], [3, 0]])
    updates = rng.standard_normal(indices.shape[:1] + (2,)).astype(f32)
    check_op_against_openvino(ops.ScatterNDUpdate(reduction), [data, indices, updates], tmp_path,
                              constant=[False, True, False])


@pytest.mark.parametrize("batch_dims", [0, 1])
def test_gather_nd(tmp_path, batch_dims):
    data = rng.standard_normal((2, 3, 4)).astype(f32)
    indices = np.array([[[1], [0]], [[2], [1]]], np.int64) if batch_dims else np.array([[1, 2], [0, -1]], np.int64)
    check_op_against_openvino(ops.GatherND(batch_dims), [data, indices], tmp_path, constant=[False, True])


def test_gather_elements(tmp_path):
    data = rng.standard_normal((3, 4)).astype(f32)
    indices = np.array([[0, -1], [3, 3], [0, 1]], np.int64)
    check_op_against_openvino(ops.GatherElements(axis=1), [data, indices], tmp_path, constant=[False, True])
    check_op_against_openvino(ops.GatherElements(axis=0), [data, np.array([[2, 0, 1, -3]])], tmp_path,
                              constant=[False, True])


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_hot(tmp_path, axis):
    indices = np.array([[0, 2], [5, 1]], np.int64)   # 5 is out of range: a row of off values
    check_op_against_openvino(ops.OneHot(axis=axis), [indices, np.array(4, np.int64), np.array(3.0, f32),
                                                      np.array(-1.0, f32)], tmp_path,
                              constant=[False, True, True, True])


def test_non_zero(tmp_path):
    x = np.array([[0, 1.5, 0], [2, 0, -1]], f32)
    check_op_against_openvino(ops.NonZero(ElementType.i64), [x], tmp_path)
    check_op_against_openvino(ops.NonZero(ElementType.i32), [np.array([True, False, True])], tmp_path)


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumsum(tmp_path, exclusive, reverse):
    x = rng.standard_normal((3, 4)).astype(f32)
    for axis in (0, -1):
        check_op_against_openvino(ops.CumSum(exclusive, reverse), [x, np.array(axis, np.int64)], tmp_path,
                                  constant=[False, True])
    check_op_against_openvino(ops.CumSum(exclusive, reverse), [np.arange(6, dtype=np.int32), np.array(0)], tmp_path,
                              constant=[False, True])


@pytest.mark.parametrize("sorted_", [True, False])
def test_unique(tmp_path, sorted_):
    x = np.array([3, 1, 3, 2, 1, 5], f32)
    check_op_against_openvino(ops.Unique(sorted=sorted_), [x], tmp_path)
    m = np.array([[1, 2], [3, 4], [1, 2], [0, 9]], np.int32)
    check_op_against_openvino(ops.Unique(sorted=sorted_), [m, np.array(0, np.int64)], tmp_path,
                              constant=[False, True])


def test_reverse_sequence(tmp_path):
    x = rng.standard_normal((4, 3, 2)).astype(f32)
    check_op_against_openvino(ops.ReverseSequence(batch_axis=1, seq_axis=0), [x, np.array([4, 1, 3], np.int64)],
                              tmp_path, constant=[False, True])
    check_op_against_openvino(ops.ReverseSequence(batch_axis=0, seq_axis=1), [x, np.array([1, 2, 3, 0], np.int32)],
                              tmp_path, constant=[False, True])
