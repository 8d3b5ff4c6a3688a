"""--mean_file: a mean image stored as a BlobProto (.binaryproto, as Caffe's compute_image_mean writes it),
cropped to the input's height and width."""
from __future__ import annotations

import numpy as np

from irforge.errors import InputError, OptionError

from .caffemodel import read_message
from .net import blob_from_message


def read_mean_image(path: str, input_shape: tuple[int, ...], offsets: tuple[int, int] | None) -> np.ndarray:
    """The [C, H, W] mean for an input of shape [N, C, H, W]. `offsets` are (row, column) of the crop's top-left
    corner in the mean image: the legacy Model Optimizer applied --mean_file_offsets "(x,y)" this way, the first
    value along the height. Without offsets the crop is centred."""
    try:
        blob = blob_from_message(read_message(path, "BlobProto"), path, "mean", 0)
    except InputError as e:
        raise InputError(f"cannot read the mean file: {e}") from None
    mean = np.asarray(blob.array(), np.float32)
    if mean.ndim == 4 and mean.shape[0] == 1:
        mean = mean[0]
    if mean.ndim != 3:
        raise InputError(f"the mean image has shape {list(blob.shape)}; expected [1, C, H, W] or [C, H, W]",
                         path=path)
    _, channels, height, width = input_shape
    if mean.shape[0] != channels:
        raise InputError(f"the mean image has {mean.shape[0]} channels, the input {channels}", path=path)
    if height > mean.shape[1] or width > mean.shape[2]:
        raise InputError(f"the input [{height}x{width}] is larger than the mean image "
                         f"[{mean.shape[1]}x{mean.shape[2]}]", path=path)
    if offsets is None:
        top, left = (mean.shape[1] - height) // 2, (mean.shape[2] - width) // 2
    else:
        top, left = offsets
    if top < 0 or left < 0 or top + height > mean.shape[1] or left + width > mean.shape[2]:
        raise OptionError("--mean_file_offsets", f"({top},{left})",
                          f"offsets that keep a {height}x{width} crop inside the {mean.shape[1]}x{mean.shape[2]} "
                          "mean image")
    return np.ascontiguousarray(mean[:, top:top + height, left:left + width])
