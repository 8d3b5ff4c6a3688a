"""Read a binary GraphDef without holding its weights: the byte ranges of big Const tensors' tensor_content are
found in the protobuf wire format and left on disk (FileSlice); only the rest of the graph is parsed.

GraphDef.node is field 1; NodeDef.name 1, NodeDef.attr 5 (map entries: key 1, value 2); AttrValue.tensor 8;
TensorProto.tensor_content 4 (graph.proto, node_def.proto, attr_value.proto, tensor.proto). Only the top-level
graph's nodes are handled; function bodies keep their tensors inline.
"""
from __future__ import annotations

import mmap
import os

from irforge.core.tensor import FileSlice
from irforge.errors import InputError

from . import protos

GRAPH_NODE, NODE_NAME, NODE_ATTR, ENTRY_KEY, ENTRY_VALUE, ATTR_TENSOR, TENSOR_CONTENT = 1, 1, 5, 1, 2, 8, 4
MIN_BYTES = 1024  # smaller tensors stay inline (the shape arithmetic reads them while translating anyway)


def _varint(buf, pos: int, path: str) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise InputError("the GraphDef ends inside a varint (truncated?)", path=path, offset=pos)
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise InputError("malformed varint in the GraphDef", path=path, offset=pos)


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(buf, start: int, end: int, path: str):
    """(field number, wire type, field start, value start, value end) of each field in buf[start:end]."""
    pos = start
    while pos < end:
        field_start = pos
        key, pos = _varint(buf, pos, path)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(buf, pos, path)
            value_start = value_end = pos
        elif wire == 1:
            value_start, pos = pos, pos + 8
            value_end = pos
        elif wire == 2:
            length, value_start = _varint(buf, pos, path)
            pos = value_end = value_start + length
        elif wire == 5:
            value_start, pos = pos, pos + 4
            value_end = pos
        else:
            raise InputError(f"unexpected protobuf wire type {wire} (not a binary GraphDef?)", path=path,
                             offset=field_start)
        if pos > end:
            raise InputError("a protobuf field runs past its message (truncated file?)", path=path,
                             offset=field_start)
        yield number, wire, field_start, value_start, value_end


def _length_field(number: int, payload: bytes) -> bytes:
    return _encode_varint((number << 3) | 2) + _encode_varint(len(payload)) + payload


def _rebuild(buf, start: int, end: int, path: str, chain: tuple[int, ...], found: list) -> bytes | None:
    """The message buf[start:end] with the field at `chain` (nested field numbers) removed when it is a big
    length-delimited value; its (offset, length) goes to `found`. None when nothing was removed."""
    out = bytearray()
    changed = False
    for number, wire, field_start, value_start, value_end in _fields(buf, start, end, path):
        if number == chain[0] and wire == 2:
            if len(chain) == 1:
                if value_end - value_start >= MIN_BYTES:
                    found.append((value_start, value_end - value_start))
                    changed = True
                    continue
            else:
                inner = _rebuild(buf, value_start, value_end, path, chain[1:], found)
                if inner is not None:
                    out += _length_field(number, inner)
                    changed = True
                    continue
        out += buf[field_start:value_end]
    return bytes(out) if changed else None


def _node(buf, start: int, end: int, path: str, slices: dict[str, FileSlice]) -> bytes:
    """A NodeDef with its attr["value"].tensor.tensor_content moved out (when big)."""
    name, kept, changed = None, bytearray(), False
    for number, wire, field_start, value_start, value_end in _fields(buf, start, end, path):
        if number == NODE_NAME and wire == 2:
            name = bytes(buf[value_start:value_end]).decode("utf-8", "replace")
        if number == NODE_ATTR and wire == 2:
            key = next((bytes(buf[vs:ve]) for n, w, _, vs, ve in _fields(buf, value_start, value_end, path)
                        if n == ENTRY_KEY and w == 2), b"")
            found: list[tuple[int, int]] = []
            if key == b"value":
                entry = _rebuild(buf, value_start, value_end, path, (ENTRY_VALUE, ATTR_TENSOR, TENSOR_CONTENT), found)
                if entry is not None and found:
                    kept += _length_field(NODE_ATTR, entry)
                    slices[name or ""] = FileSlice(path, *found[0])
                    changed = True
                    continue
        kept += buf[field_start:value_end]
    return bytes(kept) if changed else bytes(buf[start:end])


def read_graph_def(path: str):
    """The GraphDef with its big Const tensors' contents removed, and {node name: FileSlice of the content}."""
    slices: dict[str, FileSlice] = {}
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            raise InputError("the model file is empty", path=path)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            out = bytearray()
            for number, wire, field_start, value_start, value_end in _fields(buf, 0, len(buf), path):
                if number == GRAPH_NODE and wire == 2:
                    out += _length_field(GRAPH_NODE, _node(buf, value_start, value_end, path, slices))
                else:
                    out += buf[field_start:value_end]
    graph = protos.GraphDef()
    graph.ParseFromString(bytes(out))
    return graph, slices
