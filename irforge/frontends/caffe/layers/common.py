"""Helpers the Caffe layer translators share."""
from __future__ import annotations

from typing import Callable

import numpy as np

from irforge import ops
from irforge.core.graph import Output
from irforge.core.op import Op

from ..context import LayerContext

Translator = Callable[[LayerContext], list[Output]]


def i64(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def f32(value) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def unary(op_class: type[Op], **attrs) -> Translator:
    """top = Op(bottom)."""
    def translate(ctx: LayerContext) -> list[Output]:
        return [ctx.out(op_class(**attrs), ctx.input())]
    translate.__doc__ = f"-> {op_class.TYPE}"
    return translate


def identity(ctx: LayerContext) -> list[Output]:
    """Layers that do nothing at inference (Dropout) or copy their bottom to every top (Split)."""
    return [ctx.input()] * max(len(ctx.layer.tops), 1)


def scale_by(ctx: LayerContext, x: Output, factor: float) -> Output:
    return x if factor == 1.0 else ctx.out(ops.Multiply(), x, ctx.const(f32(factor)))


def shift_by(ctx: LayerContext, x: Output, shift: float) -> Output:
    return x if shift == 0.0 else ctx.out(ops.Add(), x, ctx.const(f32(shift)))


def broadcast_shape(shape: tuple[int, ...], axis: int, rank: int) -> tuple[int, ...]:
    """The shape that puts a parameter covering axes [axis, axis + len(shape)) of a rank-`rank` tensor in place
    for numpy broadcasting: leading dims come for free, trailing ones are 1s (Scale / Bias semantics)."""
    return tuple(shape) + (1,) * (rank - axis - len(shape))


def spatial_values(p, name: str, h_name: str, w_name: str, spatial: int, default: int) -> list[int]:
    """Caffe's kernel/stride/pad rule: `name_h`/`name_w` (2-D only) win, else `name` gives one value for all
    spatial axes or one per axis, else the default."""
    if p.has(h_name) or p.has(w_name):
        if spatial != 2:
            raise ValueError(f"{h_name}/{w_name} are for 2-D inputs only")
        return [int(p.get(h_name)), int(p.get(w_name))]
    values = p.list(name)   # repeated in ConvolutionParameter, singular in PoolingParameter
    if not values:
        return [default] * spatial
    if len(values) == 1:
        return [int(values[0])] * spatial
    if len(values) != spatial:
        raise ValueError(f"{name} has {len(values)} values for {spatial} spatial axes")
    return [int(v) for v in values]
