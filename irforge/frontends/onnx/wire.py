"""Read an ONNX file without holding its weights: the initializers' raw_data byte ranges are found in the
protobuf wire format and left on disk (FileSlice), and only the rest of the model is parsed.

ModelProto.graph is field 7, GraphProto.initializer field 5, TensorProto.name field 8 and raw_data field 9
(onnx.proto). Only the main graph's initializers are handled this way; sub-graph initializers stay inline.
"""
from __future__ import annotations

import onnx

from irforge.core.tensor import FileSlice
from irforge.frontends.protobuf_wire import mapped, remove_nested, rewrite_fields, string_field

MODEL_GRAPH, GRAPH_INITIALIZER, TENSOR_NAME, TENSOR_RAW_DATA = 7, 5, 8, 9


def read_without_weights(path: str) -> tuple[onnx.ModelProto, dict[str, FileSlice]]:
    """The model with its main-graph initializers' raw_data removed, and where each of those bytes lies."""
    slices: dict[str, FileSlice] = {}
    with mapped(path) as buf:
        def initializer(number: int, start: int, end: int) -> bytes | None:
            if number != GRAPH_INITIALIZER:
                return None
            name = string_field(buf, start, end, path, TENSOR_NAME)
            if name is None or name in slices:
                return None
            found: list[tuple[int, int]] = []
            stripped = remove_nested(buf, start, end, path, (TENSOR_RAW_DATA,), found)
            if found:
                slices[name] = FileSlice(path, *found[0])
            return stripped

        def graph(number: int, start: int, end: int) -> bytes | None:
            return rewrite_fields(buf, start, end, path, initializer) if number == MODEL_GRAPH else None

        data = rewrite_fields(buf, 0, len(buf), path, graph)
        model = onnx.ModelProto()
        model.ParseFromString(bytes(buf) if data is None else data)
    return model, slices
