"""Interpolate-4 and Interpolate-11 against the real OpenVINO runtime: every mode, coordinate transformation and
nearest rounding, sizes and scales, up- and downsampling, pads, antialiasing."""
import numpy as np
import pytest

from irforge import ops
from oracles import assert_close, check_op_against_openvino, fold_with_openvino

rng = np.random.default_rng(7)
X = rng.standard_normal((1, 2, 5, 7)).astype(np.float32)
COORDS = ["half_pixel", "pytorch_half_pixel", "asymmetric", "tf_half_pixel_for_nn", "align_corners"]
AXES = np.array([2, 3], np.int64)


def run4(tmp_path, x, sizes, scales, **attrs):
    op = ops.Interpolate(**attrs)
    return check_op_against_openvino(op, [x, np.array(sizes, np.int64), np.array(scales, np.float32), AXES],
                                     tmp_path, constant=[False, True, True, True], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("coord", COORDS)
@pytest.mark.parametrize("nearest", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"])
@pytest.mark.parametrize("target", [([8, 13], [1.6, 1.857]), ([3, 4], [0.6, 0.571])])
def test_nearest(tmp_path, coord, nearest, target):
    for calc in ("sizes", "scales"):
        run4(tmp_path, X, *target, mode="nearest", shape_calculation_mode=calc, coordinate_transformation_mode=coord,
             nearest_mode=nearest)


@pytest.mark.parametrize("mode", ["linear_onnx", "cubic", "linear"])
@pytest.mark.parametrize("coord", COORDS)
@pytest.mark.parametrize("target", [([8, 13], [1.6, 1.857]), ([3, 4], [0.6, 0.571]), ([5, 14], [1.0, 2.0])])
def test_linear_and_cubic(tmp_path, mode, coord, target):
    for calc in ("sizes", "scales"):
        run4(tmp_path, X, *target, mode=mode, shape_calculation_mode=calc, coordinate_transformation_mode=coord)


@pytest.mark.parametrize("mode", ["linear_onnx", "cubic"])
def test_antialias_changes_nothing_outside_linear(tmp_path, mode):
    x = rng.standard_normal((1, 1, 12, 10)).astype(np.float32)
    run4(tmp_path, x, [5, 4], [0.4, 0.4], mode=mode, antialias=True, coordinate_transformation_mode="half_pixel")


def test_linear_antialias_against_the_reference_implementation(tmp_path):
    """The CPU plugin ignores antialias (docs/OPENVINO_QUIRKS.md): the spec's answer is OpenVINO's folding."""
    x = rng.standard_normal((1, 2, 12, 10)).astype(np.float32)
    op = ops.Interpolate(mode="linear", antialias=True, coordinate_transformation_mode="half_pixel")
    inputs = [x, np.array([5, 4], np.int64), np.array([0.4, 0.4], np.float32), AXES]
    assert_close(op.evaluate(*inputs)[0], fold_with_openvino(op, inputs, tmp_path)[0], rtol=1e-5, atol=1e-6)


def test_cube_coeff_and_pads(tmp_path):
    run4(tmp_path, X, [9, 10], [1.5, 1.5], mode="cubic", cube_coeff=-0.5, pads_begin=(0, 0, 1, 0),
         pads_end=(0, 0, 0, 1), shape_calculation_mode="scales")
    run4(tmp_path, X, [9, 10], [1.5, 1.5], mode="nearest", pads_begin=(0, 0, 1, 2), pads_end=(0, 0, 2, 1))


def test_all_axes_without_axes_input(tmp_path):
    op = ops.Interpolate(mode="nearest", shape_calculation_mode="scales")
    check_op_against_openvino(op, [X, np.array([1, 2, 10, 14], np.int64), np.array([1, 1, 2, 2], np.float32)],
                              tmp_path, constant=[False, True, True])


def test_integer_data(tmp_path):
    x = rng.integers(0, 200, (1, 1, 4, 6)).astype(np.uint8)
    run4(tmp_path, x, [8, 9], [2.0, 1.5], mode="nearest")
    run4(tmp_path, x.astype(np.int32), [7, 9], [2.0, 1.5], mode="linear_onnx")


@pytest.mark.parametrize("mode", ["nearest", "linear_onnx", "cubic", "bilinear_pillow", "bicubic_pillow"])
@pytest.mark.parametrize("calc", ["sizes", "scales"])
def test_v11(tmp_path, mode, calc):
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    for sizes, scales in (([4, 5], [0.5, 0.625]), ([13, 17], [1.5, 2.125])):
        target = np.array(sizes, np.int64) if calc == "sizes" else np.array(scales, np.float32)
        # (The CPU plugin's Pillow bicubic always uses a = -0.5: give it that; see the next test for others.)
        op = ops.Interpolate11(mode=mode, shape_calculation_mode=calc, coordinate_transformation_mode="half_pixel",
                               cube_coeff=-0.5 if mode == "bicubic_pillow" else -0.75)
        check_op_against_openvino(op, [x, target, AXES], tmp_path, constant=[False, True, True], rtol=1e-4,
                                  atol=1e-5)


def test_bicubic_pillow_cube_coeff_against_the_reference_implementation(tmp_path):
    x = rng.standard_normal((1, 2, 9, 8)).astype(np.float32)
    op = ops.Interpolate11(mode="bicubic_pillow", shape_calculation_mode="sizes", cube_coeff=-0.75)
    inputs = [x, np.array([4, 5], np.int64), AXES]
    assert_close(op.evaluate(*inputs)[0], fold_with_openvino(op, inputs, tmp_path)[0], rtol=1e-5, atol=1e-6)
