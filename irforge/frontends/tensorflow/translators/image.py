"""Image resizing: ResizeBilinear / ResizeNearestNeighbor / ResizeBicubic -> Interpolate-11 on the spatial axes
of the NHWC tensor (no layout change needed: Interpolate takes the axes it resizes).

TensorFlow's pixel-centre conventions map onto Interpolate's coordinate transformation modes: align_corners ->
align_corners, half_pixel_centers -> half_pixel (tf_half_pixel_for_nn for nearest), neither -> asymmetric. Nearest
picks floor coordinates, except with align_corners (rounded, halves up)."""
from __future__ import annotations

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Output

from ..node import TfNode
from .generic import cast_to, i64


def resize(mode: str):
    def translate(n: TfNode) -> list[Output]:
        x, size = n.input(0), n.input(1)
        align, half = bool(n.attr("align_corners", False)), bool(n.attr("half_pixel_centers", False))
        if align and half:
            raise n.error("align_corners and half_pixel_centers cannot both be set")
        if align:
            transform = "align_corners"
        elif half:
            transform = "tf_half_pixel_for_nn" if mode == "nearest" else "half_pixel"
        else:
            transform = "asymmetric"
        nearest = "round_prefer_ceil" if align else "floor"
        op = ops.Interpolate11(mode=mode, shape_calculation_mode="sizes", coordinate_transformation_mode=transform,
                               nearest_mode=nearest, antialias=False, pads_begin=(0, 0, 0, 0),
                               pads_end=(0, 0, 0, 0), cube_coeff=-0.5 if mode == "cubic" else -0.75)
        if mode != "nearest":  # TensorFlow's bilinear and bicubic resizes always give float32
            x = cast_to(n, x, ElementType.f32)
        return [n.out(op, x, cast_to(n, size, ElementType.i64), n.const(i64([1, 2])))]
    translate.__doc__ = f"-> Interpolate-11 ({mode}) on axes 1, 2 of NHWC."
    return translate
