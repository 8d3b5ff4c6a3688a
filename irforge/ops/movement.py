"""Data movement between positions of a tensor: ShuffleChannels."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Op, TensorInfo, normalize_axis


@dataclass(frozen=True)
class ShuffleChannels(Op):
    """opset1 ShuffleChannels: the `axis` dim, seen as [group, C / group], is transposed to [C / group, group]
    (ShuffleNet's channel shuffle)."""

    TYPE = "ShuffleChannels"
    axis: int = 1
    group: int = 1

    def infer(self, x: TensorInfo) -> list[TensorInfo]:
        if x.rank is not None:
            if x.rank < 1:
                raise ValueError("ShuffleChannels needs an input of rank >= 1")
            dim = x.shape[normalize_axis(self.axis, x.rank)]
            if self.group < 1 or (isinstance(dim, int) and dim % self.group):
                raise ValueError(f"group {self.group} does not divide the {dim} channels")
        return [TensorInfo(x.element_type, x.shape)]

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        axis = normalize_axis(self.axis, x.ndim)
        lead, channels = x.shape[:axis], x.shape[axis]
        split = x.reshape(lead + (self.group, channels // self.group) + x.shape[axis + 1:])
        return [np.swapaxes(split, axis, axis + 1).reshape(x.shape)]


OPS: tuple[type[Op], ...] = (ShuffleChannels,)
__all__ = [c.__name__ for c in OPS]
