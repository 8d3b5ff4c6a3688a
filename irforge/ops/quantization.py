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
    The four limits broadcast against the data (numpy rules). `round` is to nearest, ties to even (the
    runtime's nearbyint).
    """

    TYPE = "FakeQuantize"
    levels: int = 256
    auto_broadcast: str = "numpy"

    def infer(self, x: TensorInfo, in_low: TensorInfo, in_high: TensorInfo, out_low: TensorInfo,
              out_high: TensorInfo) -> list[TensorInfo]:
        if self.levels < 2:
            raise ValueError(f"FakeQuantize levels must be >= 2, got {self.levels}")
        if self.auto_broadcast not in ("numpy", "none"):
            raise ValueError(f"auto_broadcast {self.auto_broadcast!r} is not supported")
        same_element_type(self, x, in_low, in_high, out_low, out_high)
        return [broadcast_info(self, x, in_low, in_high, out_low, out_high)]

    def evaluate(self, x, in_low, in_high, out_low, out_high) -> list[np.ndarray]:
        steps = self.levels - 1
        with np.errstate(all="ignore"):
            q = np.round((x - in_low) / (in_high - in_low) * steps) / steps * (out_high - out_low) + out_low
        out = np.where(x <= np.minimum(in_low, in_high), out_low,
                       np.where(x > np.maximum(in_low, in_high), out_high, q))
        return [out.astype(x.dtype, copy=False)]


OPS: tuple[type[Op], ...] = (FakeQuantize,)
__all__ = [c.__name__ for c in OPS]
