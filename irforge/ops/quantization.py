"""Quantization: FakeQuantize."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Op, TensorInfo, broadcast_info, same_element_type


@dataclass(frozen=True)
class FakeQuantize(Op):
    """opset1 FakeQuantize: elementwise linear quantization into `levels` values, output still floating point.

    x <= min(in_low, in_high) gives out_low; x > max(in_low, in_high) gives out_high; otherwise
    round((x - in_low) / (in_high - in_low) * (levels - 1)) / (levels - 1) * (out_high - out_low) + out_low.
    The four limits broadcast against the data (numpy rules; with "none" they must have the data's shape).
    `round` is to nearest, ties to even (the runtime's nearbyint).

    Not constant-folded: a FakeQuantize is the quantization the runtime's low-precision transformations look for,
    and on constant weights it is what compress_quantized_weights turns into integer storage (or, with
    --disable_weights_compression, what stays in the IR on the f32 weights).
    """

    TYPE = "FakeQuantize"
    FOLDABLE = False
    levels: int = 256
    auto_broadcast: str = "numpy"

    def infer(self, x: TensorInfo, in_low: TensorInfo, in_high: TensorInfo, out_low: TensorInfo,
              out_high: TensorInfo) -> list[TensorInfo]:
        if self.levels < 2:
            raise ValueError(f"FakeQuantize levels must be >= 2, got {self.levels}")
        limits = (in_low, in_high, out_low, out_high)
        if self.auto_broadcast == "none":
            for info in limits:
                if x.shape.is_static and info.shape.is_static and info.shape.to_static() != x.shape.to_static():
                    raise ValueError(f"FakeQuantize with auto_broadcast none needs limits of the data's shape "
                                     f"[{x.shape}], got [{info.shape}]")
        elif self.auto_broadcast != "numpy":
            raise ValueError(f"FakeQuantize auto_broadcast {self.auto_broadcast!r} is not numpy or none")
        same_element_type(self, x, *limits)
        return [broadcast_info(self, x, *limits)]

    def evaluate(self, x, in_low, in_high, out_low, out_high) -> list[np.ndarray]:
        index = self.grid_index(x, in_low, in_high)
        with np.errstate(all="ignore"):
            out = index / np.asarray(self.levels - 1, x.dtype) * (out_high - out_low) + out_low
        # The spec's first two branches give out_low / out_high themselves (the formula may be an ulp off).
        out = np.where(x <= np.minimum(in_low, in_high), out_low, np.where(x > np.maximum(in_low, in_high),
                                                                            out_high, out))
        return [np.asarray(out, dtype=x.dtype)]

    def grid_index(self, x, in_low, in_high) -> np.ndarray:
        """Which of the `levels` values (0 .. levels-1) each element quantizes to, as floats of x's type: the
        spec's conditions and rounding, before the output range is applied. compress_quantized_weights stores
        these indices as the integer weights."""
        steps = np.asarray(self.levels - 1, x.dtype)
        with np.errstate(all="ignore"):  # in_low == in_high: the division is discarded by the conditions below
            q = np.round((x - in_low) / (in_high - in_low) * steps)
        index = np.where(x <= np.minimum(in_low, in_high), np.zeros((), x.dtype),
                         np.where(x > np.maximum(in_low, in_high), steps, q))
        return np.asarray(index, dtype=x.dtype)


OPS: tuple[type[Op], ...] = (FakeQuantize,)
__all__ = [c.__name__ for c in OPS]
