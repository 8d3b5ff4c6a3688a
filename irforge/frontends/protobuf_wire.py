"""The protobuf wire format, read directly: for frontends that find weight byte ranges in a model file and leave
them on disk (FileSlice) instead of parsing them into Python objects. Framework-neutral; any frontend may use it.
"""
from __future__ import annotations

import mmap
import os
from contextlib import contextmanager
from typing import Callable, Iterator

from irforge.errors import InputError

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


def read_varint(buf, pos: int, path: str) -> tuple[int, int]:
    """(value, position after it)."""
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise InputError("the file ends inside a protobuf varint (truncated?)", path=path, offset=pos)
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise InputError("malformed protobuf varint", path=path, offset=pos)


def encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1     # negative ints are written as 10-byte two's complement, as protobuf writes them
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def fields(buf, start: int, end: int, path: str) -> Iterator[tuple[int, int, int, int, int]]:
    """(field number, wire type, field start, value start, value end) of each field in buf[start:end]."""
    pos = start
    while pos < end:
        field_start = pos
        key, pos = read_varint(buf, pos, path)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            _, pos = read_varint(buf, pos, path)
            value_start = value_end = pos
        elif wire == FIXED64:
            value_start, pos = pos, pos + 8
            value_end = pos
        elif wire == LENGTH:
            length, value_start = read_varint(buf, pos, path)
            pos = value_end = value_start + length
        elif wire == FIXED32:
            value_start, pos = pos, pos + 4
            value_end = pos
        else:
            raise InputError(f"unexpected protobuf wire type {wire} (not the expected file format?)", path=path,
                             offset=field_start)
        if pos > end:
            raise InputError("a protobuf field runs past its message (truncated file?)", path=path,
                             offset=field_start)
        yield number, wire, field_start, value_start, value_end


def length_field(number: int, payload: bytes) -> bytes:
    """A length-delimited field, encoded."""
    return encode_varint((number << 3) | LENGTH) + encode_varint(len(payload)) + payload


DROP = b"\x00drop"  # a rewrite's answer that removes the field (b"" would keep it as an empty message)


def rewrite_fields(buf, start: int, end: int, path: str,
                   rewrite: Callable[[int, int, int], bytes | None]) -> bytes | None:
    """The message buf[start:end] with each length-delimited field replaced by rewrite(number, value start,
    value end) when that returns new bytes (DROP removes the field). None when nothing changed."""
    out = bytearray()
    changed = False
    for number, wire, field_start, value_start, value_end in fields(buf, start, end, path):
        if wire == LENGTH:
            new = rewrite(number, value_start, value_end)
            if new is not None:
                if new is not DROP:
                    out += length_field(number, new)
                changed = True
                continue
        out += buf[field_start:value_end]
    return bytes(out) if changed else None


def remove_nested(buf, start: int, end: int, path: str, chain: tuple[int, ...], found: list[tuple[int, int]],
                  min_bytes: int = 0) -> bytes | None:
    """The message buf[start:end] without the field at `chain` (nested field numbers) wherever that field is
    length-delimited and at least `min_bytes` long; each removed value's (offset, length) goes to `found`."""
    def rewrite(number: int, value_start: int, value_end: int) -> bytes | None:
        if number != chain[0]:
            return None
        if len(chain) == 1:
            if value_end - value_start < min_bytes:
                return None
            found.append((value_start, value_end - value_start))
            return DROP
        return remove_nested(buf, value_start, value_end, path, chain[1:], found, min_bytes)
    return rewrite_fields(buf, start, end, path, rewrite)


def string_field(buf, start: int, end: int, path: str, number: int) -> str | None:
    """The first length-delimited field `number` of a message, decoded as UTF-8."""
    for n, wire, _, value_start, value_end in fields(buf, start, end, path):
        if n == number and wire == LENGTH:
            return bytes(buf[value_start:value_end]).decode("utf-8", "replace")
    return None


@contextmanager
def mapped(path: str):
    """The file memory-mapped read-only (weights are not read until a byte range is copied)."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            raise InputError("the model file is empty", path=path)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            yield buf
