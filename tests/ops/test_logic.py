"""Bitwise ops, shifts and float classification against the real OpenVINO runtime."""
import numpy as np
import pytest

from irforge import ops
from oracles import check_op_against_openvino

rng = np.random.default_rng(3)


@pytest.mark.parametrize("op", [ops.BitwiseAnd(), ops.BitwiseOr(), ops.BitwiseXor()])
@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.int64, np.bool_])
def test_bitwise_binary(tmp_path, op, dtype):
    if dtype == np.bool_:
        x, y = rng.integers(0, 2, (3, 4)).astype(bool), rng.integers(0, 2, (1, 4)).astype(bool)
    else:
        x = rng.integers(-100 if np.dtype(dtype).kind == "i" else 0, 100, (3, 4)).astype(dtype)
        y = rng.integers(0, 100, (1, 4)).astype(dtype)
    check_op_against_openvino(op, [x, y], tmp_path)


@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_])
def test_bitwise_not(tmp_path, dtype):
    x = rng.integers(0, 2, (5,)).astype(bool) if dtype == np.bool_ else rng.integers(0, 100, (5,)).astype(dtype)
    check_op_against_openvino(ops.BitwiseNot(), [x], tmp_path)


@pytest.mark.parametrize("op", [ops.BitwiseLeftShift(), ops.BitwiseRightShift()])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64, np.int32])
def test_shifts(tmp_path, op, dtype):
    x = np.array([16, 4, 1, 255, 7], dtype)
    y = np.array([1, 2, 3, 0, 2], dtype)
    check_op_against_openvino(op, [x, y], tmp_path)


def test_float_checks(tmp_path):
    x = np.array([1.0, np.inf, -np.inf, np.nan, -0.0, 3e38], np.float32)
    for op in (ops.IsInf(), ops.IsInf(detect_negative=False), ops.IsInf(detect_positive=False), ops.IsNaN(),
               ops.IsFinite()):
        check_op_against_openvino(op, [x], tmp_path)

