"""Activations against the real OpenVINO runtime (same one-op IR), with negative axes and integer inputs."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from irforge.core.op import TensorInfo
from irforge.core.shape import DYNAMIC, PartialShape
from oracles import check_op_against_openvino

rng = np.random.default_rng(3)
X = (rng.standard_normal((2, 3, 4, 5)) * 3).astype(np.float32)

UNARY = [ops.Relu(), ops.Sigmoid(), ops.Tanh(), ops.Elu(alpha=0.7), ops.Clamp(min=-1.5, max=2.25), ops.HSwish(),
         ops.HSigmoid(), ops.Mish(), ops.SoftPlus(), ops.SoftSign(), ops.Gelu(), ops.Gelu(approximation_mode="TANH")]


@pytest.mark.parametrize("op", UNARY, ids=lambda o: f"{o.TYPE}-{getattr(o, 'approximation_mode', '')}")
def test_unary_activation(tmp_path, op):
    check_op_against_openvino(op, [X], tmp_path, rtol=1e-5, atol=1e-6)


def test_softplus_large_inputs_do_not_overflow(tmp_path):
    x = np.array([-100.0, -20.0, 0.0, 20.0, 80.0, 100.0], np.float32)
    # The CPU kernel is off by ~2e-6 near zero output (it gives -1.9e-6 for softplus(-20) = 2e-9).
    out = check_op_against_openvino(ops.SoftPlus(), [x], tmp_path, rtol=1e-5, atol=1e-5)[0]
    np.testing.assert_allclose(out, np.logaddexp(0, x.astype(np.float64)), rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("op", [ops.Relu(), ops.Clamp(min=-1.5, max=2.5)], ids=lambda o: o.TYPE)
def test_integer_activation(tmp_path, op):
    """Clamp on integers clamps to ceil(min) and floor(max)."""
    x = np.arange(-4, 5, dtype=np.int32)
    check_op_against_openvino(op, [x], tmp_path)


@pytest.mark.parametrize("beta", [None, 0.5, 2.0])
def test_swish(tmp_path, beta):
    inputs = [X] if beta is None else [X, np.array(beta, np.float32)]
    check_op_against_openvino(ops.Swish(), inputs, tmp_path, constant=[False, True][:len(inputs)], rtol=1e-5,
                              atol=1e-6)


@pytest.mark.parametrize("slope_shape", [(1,), (3,), (3, 1, 1), (5,)], ids=str)
def test_prelu_slope_layouts(tmp_path, slope_shape):
    """A 1-D slope of the channel count goes on axis 1; other slopes broadcast numpy-style."""
    slope = rng.uniform(0.05, 0.5, slope_shape).astype(np.float32)
    check_op_against_openvino(ops.PRelu(), [X, slope], tmp_path, constant=[False, True])


def test_selu(tmp_path):
    alpha, lam = np.array([1.67326], np.float32), np.array([1.0507], np.float32)
    check_op_against_openvino(ops.Selu(), [X, alpha, lam], tmp_path, constant=[False, True, True], rtol=1e-5,
                              atol=1e-6)


@pytest.mark.parametrize("op_class", [ops.Softmax, ops.LogSoftmax], ids=lambda c: c.TYPE)
@pytest.mark.parametrize("axis", [0, 1, 3, -1, -3])
def test_softmax_axes(tmp_path, op_class, axis):
    check_op_against_openvino(op_class(axis=axis), [X * 5], tmp_path, rtol=1e-5, atol=1e-6)


def test_softmax_of_huge_equal_values_is_uniform(tmp_path):
    x = np.full((1, 8), 3e38, np.float32)
    out = check_op_against_openvino(ops.Softmax(axis=1), [x], tmp_path)[0]
    np.testing.assert_allclose(out, 1 / 8, rtol=1e-6)


def test_softmax_rejects_axis_out_of_range():
    with pytest.raises(ValueError):
        ops.Softmax(axis=4).infer(TensorInfo(ElementType.f32, PartialShape([2, 3, 4, 5])))


def test_activation_keeps_dynamic_shape():
    info = TensorInfo(ElementType.f32, PartialShape([DYNAMIC, 3]))
    for op in (ops.Relu(), ops.Softmax(axis=-1), ops.Swish()):
        assert op.infer(info)[0].shape == PartialShape([DYNAMIC, 3])
