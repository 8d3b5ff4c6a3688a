"""Normalization ops against the real OpenVINO runtime, with negative and partial axes."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from irforge.core.op import TensorInfo
from irforge.core.shape import DYNAMIC, PartialShape
from oracles import check_op_against_openvino

rng = np.random.default_rng(5)
X = (rng.standard_normal((2, 4, 5, 6)) * 2 + 0.5).astype(np.float32)


@pytest.mark.parametrize("rank", [2, 3, 4, 5])
def test_batch_norm_inference(tmp_path, rank):
    x = rng.standard_normal((2, 3) + (4,) * (rank - 2)).astype(np.float32)
    gamma, beta, mean = (rng.standard_normal(3).astype(np.float32) for _ in range(3))
    var = rng.uniform(0.2, 2.0, 3).astype(np.float32)
    check_op_against_openvino(ops.BatchNormInference(epsilon=1e-3), [x, gamma, beta, mean, var], tmp_path,
                              constant=[False, True, True, True, True], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("axes", [[1, 2, 3], [2, 3], [-1], [-2, -1], [1]], ids=str)
@pytest.mark.parametrize("eps_mode", ["inside_sqrt", "outside_sqrt"])
@pytest.mark.parametrize("normalize_variance", [True, False])
def test_mvn(tmp_path, axes, eps_mode, normalize_variance):
    op = ops.MVN(normalize_variance=normalize_variance, eps=1e-4, eps_mode=eps_mode)
    check_op_against_openvino(op, [X, np.array(axes, np.int64)], tmp_path, constant=[False, True], rtol=1e-4,
                              atol=1e-5)


@pytest.mark.parametrize("axes", [[1], [2, 3], [-1], [1, 2, 3]], ids=str)
@pytest.mark.parametrize("eps_mode", ["add", "max"])
def test_normalize_l2(tmp_path, axes, eps_mode):
    op = ops.NormalizeL2(eps=1e-6, eps_mode=eps_mode)
    check_op_against_openvino(op, [X, np.array(axes, np.int64)], tmp_path, constant=[False, True], rtol=1e-5,
                              atol=1e-6)


@pytest.mark.parametrize("axes,size", [([1], 3), ([1], 5), ([2, 3], 3), ([1], 4)], ids=str)
def test_lrn(tmp_path, axes, size):
    op = ops.LRN(alpha=1e-2, beta=0.75, bias=2.0, size=size)
    check_op_against_openvino(op, [X, np.array(axes, np.int64)], tmp_path, constant=[False, True], rtol=1e-5,
                              atol=1e-6)


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_group_normalization(tmp_path, groups):
    scale = rng.standard_normal(4).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)
    op = ops.GroupNormalization(num_groups=groups, epsilon=1e-5)
    check_op_against_openvino(op, [X, scale, bias], tmp_path, constant=[False, True, True], rtol=1e-4, atol=1e-5)


def test_normalization_keeps_dynamic_shapes():
    x = TensorInfo(ElementType.f32, PartialShape([DYNAMIC, 4, DYNAMIC]))
    axes = TensorInfo(ElementType.i64, PartialShape([1]), np.array([-1]))
    assert ops.MVN().infer(x, axes)[0].shape == x.shape
    vec = TensorInfo(ElementType.f32, PartialShape([4]))
    assert ops.BatchNormInference().infer(x, vec, vec, vec, vec)[0].shape == x.shape


def test_batch_norm_rejects_rank_1():
    vec = TensorInfo(ElementType.f32, PartialShape([4]))
    with pytest.raises(ValueError):
        ops.BatchNormInference().infer(vec, vec, vec, vec, vec)
