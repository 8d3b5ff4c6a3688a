"""Detection helpers: MultiBoxPrior's anchors depend only on the feature map's size and the attributes, so they
become a constant."""
from __future__ import annotations

import numpy as np

from irforge.core.graph import Output

from ..node import MxNode


def multibox_anchors(height: int, width: int, sizes, ratios, steps, offsets, clip: bool) -> np.ndarray:
    """[1, H * W * (len(sizes) + len(ratios) - 1), 4] corner boxes, normalized, in MXNet's order: per cell, every
    size at ratio 1, then every other ratio at the first size."""
    step_y = steps[0] if steps[0] > 0 else 1.0 / height
    step_x = steps[1] if steps[1] > 0 else 1.0 / width
    cy = (np.arange(height) + offsets[0]) * step_y
    cx = (np.arange(width) + offsets[1]) * step_x
    half = []
    for size in sizes:
        half.append((size * height / width / 2, size / 2))
    for ratio in ratios[1:]:
        r = np.sqrt(ratio)
        half.append((sizes[0] * height / width * r / 2, sizes[0] / r / 2))
    w = np.array([h[0] for h in half])
    h = np.array([h[1] for h in half])
    gy, gx = np.meshgrid(cy, cx, indexing="ij")                                  # [H, W]
    boxes = np.stack([gx[..., None] - w, gy[..., None] - h, gx[..., None] + w, gy[..., None] + h], axis=-1)
    boxes = boxes.reshape(1, -1, 4)
    if clip:
        boxes = np.clip(boxes, 0.0, 1.0)
    return boxes.astype(np.float32)


def multibox_prior(n: MxNode) -> list[Output]:
    """A constant: the anchors of the feature map size (sizes, ratios, steps, offsets, clip)."""
    x = n.input(0)
    if x.shape.rank != 4 or not all(isinstance(d, int) for d in x.shape.dims[2:]):  # type: ignore[index]
        raise n.error("MultiBoxPrior needs the feature map's H and W: give --input_shape")
    anchors = multibox_anchors(x.shape[2], x.shape[3], n.floats("sizes", (1.0,)), n.floats("ratios", (1.0,)),  # type: ignore
                               n.floats("steps", (-1.0, -1.0)), n.floats("offsets", (0.5, 0.5)), n.bool("clip"))
    return [n.const(anchors)]
