"""MatMul and Einsum against the real OpenVINO runtime; MatMul shape inference with 1-D operands, transposes,
batch broadcasting and dynamic dims."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from irforge.core.op import TensorInfo
from irforge.core.shape import DYNAMIC, Interval, PartialShape
from oracles import check_op_against_openvino

rng = np.random.default_rng(4)


@pytest.mark.parametrize("a_shape,b_shape,ta,tb", [
    ((3, 4), (4, 5), False, False),
    ((4, 3), (4, 5), True, False),
    ((3, 4), (5, 4), False, True),
    ((4, 3), (5, 4), True, True),
    ((2, 3, 4), (4, 5), False, False),
    ((2, 1, 3, 4), (5, 4, 6), False, False),       # batch broadcasting
    ((4,), (4, 5), False, False),                  # 1-D first operand
    ((3, 4), (4,), False, False),                  # 1-D second operand
    ((4,), (4,), False, False),                    # dot product: a scalar
    ((4,), (2, 4, 5), True, False),                # transpose on a 1-D operand is ignored
    ((2, 3, 4), (2, 5, 4), False, True),
], ids=str)
def test_matmul(tmp_path, a_shape, b_shape, ta, tb):
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape).astype(np.float32)
    check_op_against_openvino(ops.MatMul(transpose_a=ta, transpose_b=tb), [a, b], tmp_path, rtol=1e-5, atol=1e-5)


def test_matmul_with_constant_weights(tmp_path):
    a = rng.standard_normal((2, 7, 16)).astype(np.float32)
    w = rng.standard_normal((8, 16)).astype(np.float32)
    check_op_against_openvino(ops.MatMul(transpose_b=True), [a, w], tmp_path, constant=[False, True], rtol=1e-5,
                              atol=1e-5)


def test_integer_matmul(tmp_path):
    a = rng.integers(-5, 5, (3, 4)).astype(np.int32)
    b = rng.integers(-5, 5, (4, 2)).astype(np.int32)
    check_op_against_openvino(ops.MatMul(), [a, b], tmp_path)


def _info(dims):
    return TensorInfo(ElementType.f32, PartialShape(dims))


def test_matmul_inference_dynamic_dims():
    out = ops.MatMul().infer(_info([DYNAMIC, 1, Interval(2, 9), 4]), _info([3, DYNAMIC, 7]))[0]
    assert out.shape == PartialShape([DYNAMIC, 3, Interval(2, 9), 7])


def test_matmul_inference_unknown_rank():
    assert ops.MatMul().infer(_info(None), _info([4, 5]))[0].shape.rank is None


def test_matmul_inference_rejects_inner_mismatch():
    with pytest.raises(ValueError):
        ops.MatMul().infer(_info([3, 4]), _info([5, 6]))
    with pytest.raises(ValueError):
        ops.MatMul(transpose_b=True).infer(_info([3, 4]), _info([4, 6]))


def test_matmul_inference_rejects_scalars():
    with pytest.raises(ValueError):
        ops.MatMul().infer(_info([]), _info([4]))


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ii->i", [(4, 4)]),
    ("ij->ji", [(3, 4)]),
    ("i,i->", [(5,), (5,)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("abc,cd->abd", [(2, 3, 4), (4, 6)]),
    ("ij->i", [(3, 4)]),
], ids=lambda v: str(v))
def test_einsum(tmp_path, equation, shapes):
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    check_op_against_openvino(ops.Einsum(equation=equation), xs, tmp_path, rtol=1e-5, atol=1e-5)
