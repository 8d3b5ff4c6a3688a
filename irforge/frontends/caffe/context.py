"""LayerContext: what a Caffe layer translator sees: its inputs, its parameters with the schema's defaults, its
weights as constants of the shape the layer needs, and the builder verbs."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Origin, Output
from irforge.errors import ConversionError
from irforge.frontends.base import NodeBuilder

from .message import Message
from .net import Blob, CaffeLayer

if TYPE_CHECKING:
    from .converter import Converter


class LayerContext(NodeBuilder):
    def __init__(self, graph: Graph, layer: CaffeLayer, inputs: list[Output], converter: Converter):
        super().__init__(graph, Origin("caffe", layer.name, layer.type, converter.net.proto_path))
        self.layer = layer
        self.name = layer.name
        self.type = layer.type
        self.inputs = inputs
        self.converter = converter

    # -- inputs and parameters -------------------------------------------------------------------------------------
    def input(self, i: int = 0) -> Output:
        if i >= len(self.inputs):
            raise self.error(f"needs bottom {i} (it has {len(self.inputs)})")
        return self.inputs[i]

    def param(self, name: str) -> Message:
        return self.layer.param(name)

    def rank(self, x: Output, what: str = "its input") -> int:
        if x.shape.rank is None:
            raise self.error(f"{what} has an unknown rank")
        return x.shape.rank

    def static_shape(self, x: Output, what: str = "its input") -> tuple[int, ...]:
        if not x.shape.is_static:
            raise self.error(f"needs {what} of a static shape, got [{x.shape}]")
        return x.shape.to_static()

    def axis(self, axis: int, rank: int, what: str = "axis") -> int:
        if not -rank <= axis < rank:
            raise self.error(f"{what} {axis} is out of range for an input of rank {rank}")
        return axis + rank if axis < 0 else axis

    # -- weights -------------------------------------------------------------------------------------------------
    def has_blob(self, i: int) -> bool:
        return i < len(self.layer.blobs) or not self.converter.weights_given

    def _checked_blob(self, i: int, shape: Sequence[int], what: str) -> Blob | None:
        """The blob, checked to hold exactly the values `shape` needs (old 4-D shapes such as [1, 1, N, K] are
        read in the shape the layer needs). None when the net has no weights at all (topology only)."""
        if i < len(self.layer.blobs):
            blob = self.layer.blobs[i]
            needed = int(np.prod(shape, dtype=np.int64))
            if blob.count != needed:
                raise self.error(f"blob {i} ({what}) has shape {list(blob.shape)} ({blob.count} values); the layer "
                                 f"needs {list(shape)} ({needed} values)")
            return blob
        if self.converter.weights_given:
            raise self.error(f"the .caffemodel has no blob {i} ({what}) for this layer "
                             f"(it has {len(self.layer.blobs)})")
        return None

    def blob(self, i: int, shape: Sequence[int], what: str, fill: float = 0.0) -> Output:
        """Blob i as a constant of `shape`. Packed blobs stay in the .caffemodel (a FileSlice constant); without a
        .caffemodel (topology only) the constant holds `fill` (1 for multiplicative weights, else 0)."""
        shape = tuple(int(d) for d in shape)
        blob = self._checked_blob(i, shape, what)
        name = f"{self.name}/{what}"
        if blob is None:
            return self.graph.constant(np.full(shape, fill, np.float32), name=name)
        if isinstance(blob.data, np.ndarray):
            return self.graph.constant(blob.data.reshape(shape), name=name)
        return self.graph.constant_from_file(blob.data, ElementType.f32, shape, name=name)

    def blob_array(self, i: int, shape: Sequence[int], what: str, fill: float = 0.0) -> np.ndarray:
        """Blob i as a numpy array (for small blobs the translation computes with)."""
        shape = tuple(int(d) for d in shape)
        blob = self._checked_blob(i, shape, what)
        if blob is None:
            return np.full(shape, fill, np.float32)
        return np.asarray(blob.array(), np.float32).reshape(shape)

    def blob_shape(self, i: int) -> tuple[int, ...] | None:
        return self.layer.blobs[i].shape if i < len(self.layer.blobs) else None

    # -- errors --------------------------------------------------------------------------------------------------
    def error(self, message: str) -> ConversionError:
        return ConversionError(f"{message} ({self.layer.where} of the prototxt)", node=self.name, op_type=self.type)
