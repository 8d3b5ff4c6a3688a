"""Read a binary GraphDef without holding its weights: the byte ranges of big Const tensors' tensor_content are
found in the protobuf wire format and left on disk (FileSlice); only the rest of the graph is parsed.

GraphDef.node is field 1; NodeDef.name 1, NodeDef.attr 5 (map entries: key 1, value 2); AttrValue.tensor 8;
TensorProto.tensor_content 4 (graph.proto, node_def.proto, attr_value.proto, tensor.proto). Only the top-level
graph's nodes are handled; function bodies keep their tensors inline.
"""
from __future__ import annotations

from irforge.core.tensor import FileSlice
from irforge.frontends.protobuf_wire import mapped, remove_nested, rewrite_fields, string_field

from . import protos

GRAPH_NODE, NODE_NAME, NODE_ATTR, ENTRY_KEY, ENTRY_VALUE, ATTR_TENSOR, TENSOR_CONTENT = 1, 1, 5, 1, 2, 8, 4
MIN_BYTES = 1024  # smaller tensors stay inline (the shape arithmetic reads them while translating anyway)


def _node(buf, start: int, end: int, path: str, slices: dict[str, FileSlice]) -> bytes | None:
    """A NodeDef with its attr["value"].tensor.tensor_content moved out (when big); None when unchanged."""
    name = string_field(buf, start, end, path, NODE_NAME) or ""

    def attr(number: int, value_start: int, value_end: int) -> bytes | None:
        if number != NODE_ATTR or string_field(buf, value_start, value_end, path, ENTRY_KEY) != "value":
            return None
        found: list[tuple[int, int]] = []
        entry = remove_nested(buf, value_start, value_end, path, (ENTRY_VALUE, ATTR_TENSOR, TENSOR_CONTENT), found,
                              MIN_BYTES)
        if found:
            slices[name] = FileSlice(path, *found[0])
        return entry

    return rewrite_fields(buf, start, end, path, attr)


def read_graph_def(path: str):
    """The GraphDef with its big Const tensors' contents removed, and {node name: FileSlice of the content}."""
    slices: dict[str, FileSlice] = {}
    with mapped(path) as buf:
        def node(number: int, start: int, end: int) -> bytes | None:
            return _node(buf, start, end, path, slices) if number == GRAPH_NODE else None

        data = rewrite_fields(buf, 0, len(buf), path, node)
        graph = protos.GraphDef()
        graph.ParseFromString(bytes(buf) if data is None else data)
    return graph, slices
