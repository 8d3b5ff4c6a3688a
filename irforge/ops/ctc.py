"""CTC decoding: CTCGreedyDecoderSeqLen."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import DYNAMIC, ElementType, Op, PartialShape, TensorInfo


@dataclass(frozen=True)
class CTCGreedyDecoderSeqLen(Op):
    """opset6 CTCGreedyDecoderSeqLen: logits [N, T, C], sequence lengths [N], optional blank index (default C-1).

    Per sequence: the most probable class at each of its first sequence_length steps (the lowest class on ties),
    consecutive repeats merged when merge_repeated, then blanks removed. Outputs the classes [N, T], padded
    with -1, and the decoded lengths [N].
    """

    TYPE = "CTCGreedyDecoderSeqLen"
    VERSION = "opset6"
    merge_repeated: bool = True
    classes_index_type: ElementType = ElementType.i32
    sequence_length_type: ElementType = ElementType.i32

    def infer(self, data: TensorInfo, lengths: TensorInfo, blank: TensorInfo | None = None) -> list[TensorInfo]:
        if data.rank not in (None, 3):
            raise ValueError(f"CTCGreedyDecoderSeqLen logits must be 3-D [N, T, C], got [{data.shape}]")
        if lengths.rank not in (None, 1):
            raise ValueError(f"sequence_length must be 1-D, got [{lengths.shape}]")
        if not lengths.element_type.is_integral and lengths.element_type != ElementType.dynamic:
            raise ValueError(f"sequence_length must be an integer tensor, got {lengths.element_type.value}")
        if data.rank is None:
            n = lengths.shape[0] if lengths.rank == 1 else DYNAMIC
            return [TensorInfo(self.classes_index_type, PartialShape([n, DYNAMIC])),
                    TensorInfo(self.sequence_length_type, PartialShape([n]))]
        n, t = data.shape[0], data.shape[1]
        return [TensorInfo(self.classes_index_type, PartialShape([n, t])),
                TensorInfo(self.sequence_length_type, PartialShape([n]))]

    def evaluate(self, data: np.ndarray, lengths: np.ndarray, blank: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        n, t, c = data.shape
        blank_index = c - 1 if blank is None else int(np.asarray(blank).reshape(-1)[0])
        classes = np.full((n, t), -1, self.classes_index_type.numpy)
        decoded_lengths = np.zeros(n, self.sequence_length_type.numpy)
        for i in range(n):
            path = np.argmax(data[i, :int(lengths[i])], axis=-1)
            if self.merge_repeated and path.size:
                path = path[np.concatenate([[True], path[1:] != path[:-1]])]
            path = path[path != blank_index]
            classes[i, :path.size] = path
            decoded_lengths[i] = path.size
        return [classes, decoded_lengths]


OPS: tuple[type[Op], ...] = (CTCGreedyDecoderSeqLen,)
__all__ = [c.__name__ for c in OPS]
