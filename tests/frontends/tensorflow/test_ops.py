"""TensorFlow ops, one small frozen graph each: TensorFlow's outputs against OpenVINO and the reference runtime
reading irforge's IR."""
import numpy as np
import pytest

from tf_models import check_function, tf

rng = np.random.default_rng(11)


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# -- StridedSlice with every mask -----------------------------------------------------------------------------------
SLICES = {
    "begin_end": lambda x: x[1:3, :, 2:],
    "negative_stride": lambda x: x[::-1, 1:, ::-2],
    "shrink": lambda x: x[1, :, 3],
    "ellipsis": lambda x: x[..., 1:3],
    "ellipsis_middle_shrink": lambda x: x[1, ..., 1],
    "new_axis": lambda x: x[:, None, 1:, None],
    "all_masks": lambda x: x[None, 1, ..., ::2, None],
    "negative_indices": lambda x: x[-2:, -3:-1, -1],
}


@pytest.mark.parametrize("name", sorted(SLICES))
def test_strided_slice(name, tmp_path):
    check_function(SLICES[name], [f32(4, 5, 6, 2)], tmp_path)


def test_strided_slice_dynamic_bounds(tmp_path):
    t = tf()

    def fn(x, k):
        return x[:, k[0]:k[1]]
    check_function(fn, [f32(2, 8), np.array([1, 6], np.int32)], tmp_path)


# -- space <-> batch, fake quantization ------------------------------------------------------------------------------
def test_space_to_batch_conv_batch_to_space(tmp_path):
    """The dilated-convolution pattern of TF1 (atrous_conv2d): SpaceToBatchND -> Conv2D -> BatchToSpaceND."""
    t = tf()
    w = t.constant(f32(3, 3, 3, 4))

    def fn(x):
        y = t.space_to_batch_nd(x, [2, 2], [[2, 3], [2, 1]])
        y = t.nn.conv2d(y, w, 1, "VALID")
        return t.batch_to_space(y, [2, 2], [[0, 1], [0, 1]])
    check_function(fn, [f32(2, 9, 11, 3)], tmp_path)


@pytest.mark.parametrize("num_bits,narrow", [(8, False), (8, True), (4, False)])
def test_fake_quant(num_bits, narrow, tmp_path):
    t = tf()

    def fn(x):
        a = t.quantization.fake_quant_with_min_max_vars(x, -1.3, 2.1, num_bits=num_bits, narrow_range=narrow)
        b = t.quantization.fake_quant_with_min_max_args(x, min=-0.7, max=0.9, num_bits=num_bits,
                                                        narrow_range=narrow)
        c = t.quantization.fake_quant_with_min_max_vars_per_channel(
            x, [-1.0, -0.2, -3.0], [1.0, 0.5, 0.01], num_bits=num_bits, narrow_range=narrow)
        return a, b, c
    check_function(fn, [f32(2, 5, 3, scale=1.5)], tmp_path)


# -- elementwise math and activations ---------------------------------------------------------------------------
UNARY = ["abs", "negative", "sign", "floor", "ceil", "round", "sqrt", "rsqrt", "square", "reciprocal", "exp",
         "expm1", "log", "log1p", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh",
         "erf", "erfc", "sigmoid", "tanh", "softplus", "softsign", "relu", "relu6", "elu", "selu", "leaky_relu"]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name, tmp_path):
    t = tf()
    fn = {"relu": t.nn.relu, "relu6": t.nn.relu6, "elu": t.nn.elu, "selu": t.nn.selu, "softplus": t.nn.softplus,
          "softsign": t.nn.softsign, "leaky_relu": lambda x: t.nn.leaky_relu(x, 0.3)}.get(name)
    fn = fn or getattr(t.math, name)
    x = f32(3, 7) * 0.9
    if name in ("sqrt", "rsqrt", "log", "log1p"):
        x = np.abs(x) + 0.1
    if name in ("asin", "acos", "atanh"):
        x = np.clip(x, -0.9, 0.9)
    if name == "round":
        x = np.array([[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.3]], np.float32)
    check_function(fn, [x], tmp_path)


BINARY = {
    "add": lambda t: t.math.add, "sub": lambda t: t.math.subtract, "mul": lambda t: t.math.multiply,
    "realdiv": lambda t: t.math.divide, "floordiv": lambda t: t.math.floordiv, "floormod": lambda t: t.math.floormod,
    "maximum": lambda t: t.math.maximum, "minimum": lambda t: t.math.minimum, "pow": lambda t: t.math.pow,
    "squared_difference": lambda t: t.math.squared_difference, "div_no_nan": lambda t: t.math.divide_no_nan,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name, tmp_path):
    t = tf()
    x, y = f32(2, 3, 4), f32(3, 1)
    if name == "pow":
        x = np.abs(x) + 0.5
    if name == "div_no_nan":
        y[1, 0] = 0
    check_function(BINARY[name](t), [x, y], tmp_path)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_division(dtype, tmp_path):
    t = tf()
    x = np.array([7, -7, 7, -7, 0], dtype)
    y = np.array([2, 2, -2, -2, 3], dtype)
    check_function(lambda a, b: (t.math.floordiv(a, b), t.math.floormod(a, b), t.truncatediv(a, b),
                                 t.truncatemod(a, b)), [x, y], tmp_path)


def test_comparison_and_select(tmp_path):
    t = tf()

    def fn(a, b):
        m = t.logical_and(t.greater(a, b), t.not_equal(a, 0.0))
        return (t.where(m, a, b), t.cast(t.less_equal(a, b), t.int32), t.raw_ops.Select(condition=m[:, 0], x=a,
                                                                                          y=b))
    check_function(fn, [f32(4, 3), f32(4, 3)], tmp_path)


# -- reductions ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(op, keepdims, tmp_path):
    t = tf()
    check_function(lambda x: getattr(t.math, op)(x, axis=[1, -1], keepdims=keepdims), [f32(2, 3, 4)], tmp_path)


def test_arg_max_min(tmp_path):
    t = tf()
    x = f32(3, 5, 4)
    x[0, 1, :] = x[0, 3, :]  # ties: TensorFlow picks the first
    check_function(lambda a: (t.math.argmax(a, axis=1), t.math.argmin(a, axis=-1, output_type=t.int32)), [x],
                   tmp_path)
