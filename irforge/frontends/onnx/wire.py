"""Read an ONNX file without holding its weights: the initializers' raw_data byte ranges are found in the
protobuf wire format and left on disk (FileSlice), and only the rest of the model is parsed.

ModelProto.graph is field 7, GraphProto.initializer field 5, TensorProto.name field 8 and raw_data field 9
(onnx.proto). Only the main graph's initializers are handled this way; sub-graph initializers stay inline.
"""
from __future__ import annotations

import mmap
import os

import onnx

from irforge.core.tensor import FileSlice
from irforge.errors import InputError

MODEL_GRAPH, GRAPH_INITIALIZER, TENSOR_NAME, TENSOR_RAW_DATA = 7, 5, 8, 9


def _varint(buf, pos: int, path: str) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise InputError("the ONNX file ends inside a varint (truncated?)", path=path, offset=pos)
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise InputError("malformed varint in the ONNX file", path=path, offset=pos)


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
            raise InputError(f"unexpected protobuf wire type {wire} (not an ONNX model?)", path=path,
                             offset=field_start)
        if pos > end:
            raise InputError("a protobuf field runs past its message (truncated file?)", path=path,
                             offset=field_start)
        yield number, wire, field_start, value_start, value_end


def _length_field(number: int, payload: bytes) -> bytes:
    return _encode_varint((number << 3) | 2) + _encode_varint(len(payload)) + payload


def _strip_tensor(buf, start: int, end: int, path: str, slices: dict[str, FileSlice]) -> bytes:
    name, raw = None, None
    kept = bytearray()
    for number, wire, field_start, value_start, value_end in _fields(buf, start, end, path):
        if number == TENSOR_RAW_DATA and wire == 2:
            raw = (value_start, value_end - value_start)
            continue
        if number == TENSOR_NAME and wire == 2:
            name = bytes(buf[value_start:value_end]).decode("utf-8", "replace")
        kept += buf[field_start:value_end]
    if raw is None or name is None or name in slices:
        return bytes(buf[start:end])
    slices[name] = FileSlice(path, raw[0], raw[1])
    return bytes(kept)


def read_without_weights(path: str) -> tuple[onnx.ModelProto, dict[str, FileSlice]]:
    """The model with its main-graph initializers' raw_data removed, and where each of those bytes lies."""
    slices: dict[str, FileSlice] = {}
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            raise InputError("the model file is empty", path=path)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            out = bytearray()
            for number, wire, field_start, value_start, value_end in _fields(buf, 0, len(buf), path):
                if number != MODEL_GRAPH or wire != 2:
                    out += buf[field_start:value_end]
                    continue
                graph = bytearray()
                for g_number, g_wire, g_start, g_vstart, g_vend in _fields(buf, value_start, value_end, path):
                    if g_number == GRAPH_INITIALIZER and g_wire == 2:
                        graph += _length_field(GRAPH_INITIALIZER, _strip_tensor(buf, g_vstart, g_vend, path, slices))
                    else:
                        graph += buf[g_start:g_vend]
                out += _length_field(MODEL_GRAPH, bytes(graph))
    model = onnx.ModelProto()
    model.ParseFromString(bytes(out))
    return model, slices
