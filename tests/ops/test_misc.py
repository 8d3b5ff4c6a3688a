"""DepthToSpace, SpaceToDepth, GridSample and Col2Im against the real OpenVINO runtime."""
import numpy as np
import pytest

from irforge import ops
from oracles import check_op_against_openvino

rng = np.random.default_rng(29)
f32 = np.float32


@pytest.mark.parametrize("mode", ["blocks_first", "depth_first"])
@pytest.mark.parametrize("shape,block", [((2, 8, 3, 2), 2), ((1, 27, 2, 1, 2), 3)])
def test_depth_to_space(tmp_path, mode, shape, block):
    check_op_against_openvino(ops.DepthToSpace(mode=mode, block_size=block), [rng.standard_normal(shape).astype(f32)],
                              tmp_path)


@pytest.mark.parametrize("mode", ["blocks_first", "depth_first"])
@pytest.mark.parametrize("shape,block", [((2, 3, 4, 6), 2), ((1, 2, 3, 6, 3), 3)])
def test_space_to_depth(tmp_path, mode, shape, block):
    check_op_against_openvino(ops.SpaceToDepth(mode=mode, block_size=block), [rng.standard_normal(shape).astype(f32)],
                              tmp_path)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample(tmp_path, mode, padding, align):
    data = rng.standard_normal((2, 3, 5, 6)).astype(f32)
    grid = rng.uniform(-1.6, 1.6, (2, 4, 7, 2)).astype(f32)
    check_op_against_openvino(ops.GridSample(align_corners=align, mode=mode, padding_mode=padding), [data, grid],
                              tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("strides,dilations,pads", [((1, 1), (1, 1), (0, 0, 0, 0)), ((2, 1), (1, 2), (1, 0, 1, 2))])
@pytest.mark.parametrize("batched", [True, False])
def test_col2im(tmp_path, strides, dilations, pads, batched):
    size, kernel = np.array([6, 7]), np.array([2, 3])
    op = ops.Col2Im(strides=strides, dilations=dilations, pads_begin=pads[:2], pads_end=pads[2:])
    bh = (6 + pads[0] + pads[2] - (dilations[0] * 1 + 1)) // strides[0] + 1
    bw = (7 + pads[1] + pads[3] - (dilations[1] * 2 + 1)) // strides[1] + 1
    shape = (2, 3 * 6, bh * bw) if batched else (3 * 6, bh * bw)
    check_op_against_openvino(op, [rng.standard_normal(shape).astype(f32), size, kernel], tmp_path,
                              constant=[False, True, True])


@pytest.mark.parametrize("group,deformable_group", [(1, 1), (2, 1), (1, 2)])
@pytest.mark.parametrize("with_mask", [False, True])
@pytest.mark.parametrize("pad", [False, True])
def test_deformable_convolution(tmp_path, group, deformable_group, with_mask, pad):
    data = rng.standard_normal((2, 4, 6, 7)).astype(f32)
    kh, kw = 3, 2
    op = ops.DeformableConvolution(strides=(1, 2), pads_begin=(1, 0), pads_end=(1, 1), dilations=(1, 1),
                                   group=group, deformable_group=deformable_group, bilinear_interpolation_pad=pad)
    oh, ow = 6, 4
    offsets = (rng.standard_normal((2, deformable_group * kh * kw * 2, oh, ow)) * 1.5).astype(f32)
    filters = rng.standard_normal((6, 4 // group, kh, kw)).astype(f32)
    inputs = [data, offsets, filters] + ([rng.uniform(0, 1, (2, deformable_group * kh * kw, oh, ow)).astype(f32)]
                                         if with_mask else [])
    check_op_against_openvino(op, inputs, tmp_path, constant=[False, False, True] + ([False] if with_mask else []),
                              rtol=1e-4, atol=1e-4)
