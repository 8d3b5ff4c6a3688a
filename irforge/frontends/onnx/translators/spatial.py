"""Spatial rearrangement and sampling: DepthToSpace, SpaceToDepth, GridSample, Col2Im, DeformConv."""
from __future__ import annotations

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import OnnxNode
from .nn import add_bias

# ONNX DCR reads the channel index as (block offsets, channel), OpenVINO's blocks_first; CRD is depth_first.
BLOCK_MODES = {"DCR": "blocks_first", "CRD": "depth_first"}


def _block_mode(n: OnnxNode) -> str:
    mode = n.attr("mode", "DCR")
    if mode not in BLOCK_MODES:
        raise n.error(f"mode {mode!r} is not DCR or CRD")
    return BLOCK_MODES[mode]


def depth_to_space(n: OnnxNode) -> list[Output]:
    return [n.out(ops.DepthToSpace(mode=_block_mode(n), block_size=int(n.attr("blocksize"))), n.input(0))]


def space_to_depth(n: OnnxNode) -> list[Output]:
    return [n.out(ops.SpaceToDepth(mode=_block_mode(n), block_size=int(n.attr("blocksize"))), n.input(0))]


GRID_MODES = {"linear": "bilinear", "bilinear": "bilinear", "nearest": "nearest", "cubic": "bicubic",
              "bicubic": "bicubic"}


def grid_sample(n: OnnxNode) -> list[Output]:
    x, grid = n.input(0), n.input(1)
    if x.shape.rank not in (4, None):
        raise n.error(f"GridSample supports 4-D inputs (OpenVINO's GridSample is 2-D), got [{x.shape}]")
    mode = n.attr("mode", "bilinear" if n.opset < 20 else "linear")
    if mode not in GRID_MODES:
        raise n.error(f"mode {mode!r} is not one of {list(GRID_MODES)}")
    if grid.element_type != x.element_type:
        grid = n.out(ops.Convert(x.element_type), grid)
    op = ops.GridSample(align_corners=bool(n.attr("align_corners", 0)), mode=GRID_MODES[mode],
                        padding_mode=n.attr("padding_mode", "zeros"))
    return [n.out(op, x, grid)]


def col2im(n: OnnxNode) -> list[Output]:
    x, image, block = n.input(0), n.input(1), n.input(2)
    spatial = image.shape[0] if image.shape.rank == 1 else None
    if spatial != 2:
        raise n.error("Col2Im supports 2-D images (OpenVINO's Col2Im)")
    pads = n.ints("pads", [0, 0, 0, 0])
    op = ops.Col2Im(strides=tuple(n.ints("strides", [1, 1])), dilations=tuple(n.ints("dilations", [1, 1])),
                    pads_begin=tuple(pads[:2]), pads_end=tuple(pads[2:]))
    return [n.out(op, x, n.out(ops.Convert(ElementType.i64), image), n.out(ops.Convert(ElementType.i64), block))]


def deform_conv(n: OnnxNode) -> list[Output]:
    """DeformConv-19 -> DeformableConvolution-8 with bilinear_interpolation_pad (ONNX reads taps from the input
    padded with zeros, as torchvision does), then the bias."""
    x, w, offsets = n.input(0), n.input(1), n.input(2)
    if w.shape.rank not in (4, None):
        raise n.error("DeformConv supports 2-D kernels (OpenVINO's DeformableConvolution)")
    pads = n.ints("pads", [0, 0, 0, 0])
    op = ops.DeformableConvolution(strides=tuple(n.ints("strides", [1, 1])), pads_begin=tuple(pads[:2]),
                                   pads_end=tuple(pads[2:]), dilations=tuple(n.ints("dilations", [1, 1])),
                                   group=int(n.attr("group", 1)), deformable_group=int(n.attr("offset_group", 1)),
                                   bilinear_interpolation_pad=True)
    inputs = [x, offsets, w] + ([n.input(4)] if n.has(4) else [])
    return [add_bias(n, n.out(op, *inputs), n.optional(3))]
