"""Darknet's own YOLO layers in numpy, loop for loop (the oracle for RegionYolo / ReorgYolo, as OpenCV's
importers compute something else or lack the parameters): reorg_cpu and forward_region_layer / forward_yolo_layer
(the activations only, before box decoding)."""
from __future__ import annotations

import numpy as np


def reorg(x: np.ndarray, stride: int) -> np.ndarray:
    """reorg_cpu(input, w, h, c, batch, stride, forward=0, output), as YOLO v2's reorg layer calls it."""
    n, c, h, w = x.shape
    out_c = c // (stride * stride)
    flat_in, flat_out = x.reshape(-1), np.empty(x.size, x.dtype)
    for b in range(n):
        for k in range(c):
            for j in range(h):
                for i in range(w):
                    in_index = i + w * (j + h * (k + c * b))
                    c2 = k % out_c
                    offset = k // out_c
                    w2 = i * stride + offset % stride
                    h2 = j * stride + offset // stride
                    out_index = w2 + w * stride * (h2 + h * stride * (c2 + out_c * b))
                    flat_out[in_index] = flat_in[out_index]
    return flat_out.reshape(n, c * stride * stride, h // stride, w // stride)


def region(x: np.ndarray, coords: int, classes: int, regions: int, softmax: bool) -> np.ndarray:
    """The region (v2, softmax over the classes) / yolo (v3, logistic on every class) layer's activations:
    logistic on x, y and the objectness of each region's entries, in place over the flat [N, C, H, W] buffer.
    Returns the buffer in the input's shape."""
    n, c, h, w = x.shape
    out = x.astype(np.float64).reshape(-1).copy()
    area = h * w
    outputs = regions * (coords + 1 + classes) * area

    def entry_index(batch: int, location: int, entry: int) -> int:
        region_n, loc = location // area, location % area
        return batch * outputs + region_n * area * (coords + classes + 1) + entry * area + loc

    logistic = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    for b in range(n):
        for r in range(regions):
            i = entry_index(b, r * area, 0)
            out[i:i + 2 * area] = logistic(out[i:i + 2 * area])
            i = entry_index(b, r * area, coords)
            span = area if softmax else (1 + classes) * area
            out[i:i + span] = logistic(out[i:i + span])
            if softmax:
                i = entry_index(b, r * area, coords + 1)
                for loc in range(area):
                    scores = out[i + loc:i + loc + classes * area:area]
                    e = np.exp(scores - scores.max())
                    out[i + loc:i + loc + classes * area:area] = e / e.sum()
    return out.reshape(x.shape)
