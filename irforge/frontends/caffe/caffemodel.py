"""The protobuf wire format of .caffemodel / .binaryproto files, read by irforge's own schema.

The file is memory-mapped and walked field by field; nothing is decoded that the conversion does not need. A
blob's packed float data is never decoded at all: it becomes a FileSlice (offset and length into the file), which
is already the IR's little-endian f32 layout, so the weights go from the .caffemodel to the .bin without passing
through Python objects. Old files that store floats one field at a time are read with numpy over the whole run.
"""
from __future__ import annotations

import mmap
import os
from dataclasses import dataclass

import numpy as np

from irforge.core.tensor import FileSlice
from irforge.errors import InputError

from .message import Message
from .schema import ENUMS, FLOAT_KINDS, Field, MessageType, message_type

VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5
# Blob value fields: data (float) and double_data; the gradients (diff) are skipped unread.
_BLOB_VALUES = {5: np.dtype("<f4"), 8: np.dtype("<f8")}
_BLOB_DIFFS = {6, 9}
# The wire types each kind is written with (repeated scalars may also come packed, as LEN).
_WIRE_TYPES = {"message": (LEN,), "string": (LEN,), "bytes": (LEN,), "float": (FIXED32,), "double": (FIXED64,),
               "int32": (VARINT,), "int64": (VARINT,), "uint32": (VARINT,), "uint64": (VARINT,), "bool": (VARINT,),
               "enum": (VARINT,)}


@dataclass(frozen=True)
class BlobValues:
    """One run of a blob's values: a range of the file (packed floats) or an array read from non-packed fields."""

    dtype: np.dtype
    count: int
    source: FileSlice | np.ndarray


class WireReader:
    """Decodes messages of one file. `view` is the whole file; offsets in errors are file offsets."""

    def __init__(self, view: memoryview, path: str):
        self.view = view
        self.path = path

    def fail(self, message: str, offset: int) -> InputError:
        return InputError(f"{message}; the file is truncated or not a Caffe binary protobuf", path=self.path,
                          offset=offset)

    def varint(self, pos: int, end: int) -> tuple[int, int]:
        view = self.view
        result = shift = 0
        start = pos
        while True:
            if pos >= end:
                raise self.fail("a varint runs past the end of its message", start)
            b = view[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result, pos
            shift += 7
            if shift > 63:
                raise self.fail("a varint is longer than 10 bytes", start)

    def message(self, start: int, end: int, mtype: MessageType) -> Message:
        out = Message(mtype, f"byte offset {start}")
        pos = start
        is_blob = mtype.name == "BlobProto"
        while pos < end:
            tag_at = pos
            tag, pos = self.varint(pos, end)
            number, wire = tag >> 3, tag & 7
            if number == 0:
                raise self.fail(f"field number 0 in {mtype.name}", tag_at)
            if is_blob and number in _BLOB_VALUES:
                pos = self.blob_values(out, number, wire, tag_at, pos, end)
                continue
            if is_blob and number in _BLOB_DIFFS:
                pos = self.skip(wire, pos, end, tag_at)
                continue
            field = mtype.by_number.get(number)
            if field is None or wire not in _WIRE_TYPES[field.kind] and not (field.repeated and wire == LEN):
                # Unknown, or another fork's field under the same number: not ours to read.
                pos = self.skip(wire, pos, end, tag_at)
                continue
            pos = self.field(out, field, wire, tag_at, pos, end)
        if pos != end:
            raise self.fail(f"the last field of {mtype.name} runs past its end", pos)
        return out

    def skip(self, wire: int, pos: int, end: int, tag_at: int) -> int:
        if wire == VARINT:
            return self.varint(pos, end)[1]
        if wire == FIXED64:
            nxt = pos + 8
        elif wire == FIXED32:
            nxt = pos + 4
        elif wire == LEN:
            length, pos = self.varint(pos, end)
            nxt = pos + length
        else:
            raise self.fail(f"unsupported wire type {wire}", tag_at)
        if nxt > end:
            raise self.fail(f"a field needs {nxt - pos} bytes but its message has {end - pos} left", tag_at)
        return nxt

    def field(self, out: Message, field: Field, wire: int, tag_at: int, pos: int, end: int) -> int:
        kind = field.kind
        if wire == LEN:
            length, pos = self.varint(pos, end)
            if pos + length > end:
                raise self.fail(f"{out.type_name}.{field.name} needs {length} bytes but only {end - pos} remain",
                                tag_at)
            stop = pos + length
            if kind == "message":
                out.add(field.name, self.message(pos, stop, message_type(field.type_name)))
            elif kind in ("string", "bytes"):
                raw = bytes(self.view[pos:stop])
                out.add(field.name, raw.decode("utf-8", errors="replace") if kind == "string" else raw)
            else:  # packed repeated scalars
                p = pos
                while p < stop:
                    value, p = self.scalar(field, VARINT if kind not in FLOAT_KINDS else
                                           (FIXED32 if kind == "float" else FIXED64), p, stop, tag_at)
                    out.add(field.name, value)
            return stop
        value, pos = self.scalar(field, wire, pos, end, tag_at)
        out.add(field.name, value)
        return pos

    def scalar(self, field: Field, wire: int, pos: int, end: int, tag_at: int):
        if wire == VARINT:
            raw, pos = self.varint(pos, end)
            if field.kind == "bool":
                return bool(raw), pos
            if field.kind == "enum":
                by_value = {v: k for k, v in ENUMS[field.type_name].items()}
                return by_value.get(raw, raw), pos
            if field.kind in ("int32", "int64") and raw >= 1 << 63:
                raw -= 1 << 64   # negative values are sign-extended to 64 bits
            return raw, pos
        width = 4 if wire == FIXED32 else 8 if wire == FIXED64 else 0
        if not width:
            raise self.fail(f"{field.name} has wire type {wire}", tag_at)
        if pos + width > end:
            raise self.fail(f"{field.name} needs {width} bytes but only {end - pos} remain", tag_at)
        dtype = ("<f4" if field.kind == "float" else "<i4") if width == 4 else \
            ("<f8" if field.kind == "double" else "<i8")
        return np.frombuffer(self.view, dtype, 1, pos)[0].item(), pos + width

    def blob_values(self, out: Message, number: int, wire: int, tag_at: int, pos: int, end: int) -> int:
        """BlobProto.data / double_data: packed -> a FileSlice; one value per field -> one numpy pass."""
        dtype = _BLOB_VALUES[number]
        name = "data" if number == 5 else "double_data"
        if wire == LEN:
            length, pos = self.varint(pos, end)
            if pos + length > end:
                raise self.fail(f"blob {name} needs {length} bytes but only {end - pos} remain", tag_at)
            if length % dtype.itemsize:
                raise self.fail(f"blob {name} has {length} bytes, not a whole number of values", tag_at)
            out.add(name, BlobValues(dtype, length // dtype.itemsize, FileSlice(self.path, pos, length)))
            return pos + length
        expected_wire = FIXED32 if dtype.itemsize == 4 else FIXED64
        if wire != expected_wire:
            raise self.fail(f"blob {name} has wire type {wire}", tag_at)
        # Non-packed: tag byte + value, again and again. Find the run with one vectorized comparison.
        tag = (number << 3) | wire
        stride = 1 + dtype.itemsize
        start = pos - 1          # the tag is one byte for these small field numbers
        room = (end - start) // stride
        raw = np.frombuffer(self.view, np.uint8, room * stride, start).reshape(room, stride)
        mismatch = np.flatnonzero(raw[:, 0] != tag)
        count = int(mismatch[0]) if mismatch.size else room
        values = np.ascontiguousarray(raw[:count, 1:]).view(dtype).reshape(count)
        out.add(name, BlobValues(dtype, count, values))
        return start + count * stride


def open_view(path: str) -> memoryview:
    """The whole file, memory-mapped (read-only)."""
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                raise InputError("the file is empty", path=path)
            return memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
    except OSError as e:
        raise InputError(f"cannot read the file: {e.strerror}", path=path) from None


def read_message(path: str, root: str) -> Message:
    view = open_view(path)
    return WireReader(view, path).message(0, len(view), message_type(root))


def read_caffemodel(path: str) -> Message:
    """The NetParameter of a .caffemodel (layers with their blobs; the blob values stay in the file)."""
    return read_message(path, "NetParameter")
