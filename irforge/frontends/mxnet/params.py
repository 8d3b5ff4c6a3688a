"""MXNet's NDArray container (`.params` checkpoints, `.nd` files): read without MXNet, write for
--save_params_from_nd.

Layout (little-endian, as MXNet's NDArray::Save / NDArray::Load write and read it):

    file     = u64 0x112 (list magic), u64 reserved, u64 count, count x array, u64 name count, names
    name     = u64 length, UTF-8 bytes          (no names at all: a plain list, as nd.save(list) writes)
    array V2 = u32 0xF993FAC9, i32 storage type (0 dense), shape, [context, i32 type flag, data]
    array V3 = u32 0xF993FACA, then as V2 (np-shape semantics: ndim 0 is a scalar, -1 an absent array)
    array V1 = u32 0xF993FAC8, shape, context, i32 type flag, data
    legacy   = u32 ndim, ndim x u32 dims, context, i32 type flag, data (files of MXNet < 0.9)
    shape    = i32 ndim, ndim x i64 dims;  context = i32 device type, i32 device id

An array with no shape (V2 ndim 0, V3 ndim -1) is "none" and carries no context, type or data. The data of each
array is left in the file: a StoredArray knows its byte range, so weights become FileSlices (no copy) or numpy
views over a memory map.
"""
from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.tensor import FileSlice
from irforge.errors import InputError

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA

# mshadow type flags -> element types (kBfloat16 = 12 is stored as raw 16-bit words).
TYPE_FLAGS: dict[int, ElementType] = {
    0: ElementType.f32, 1: ElementType.f64, 2: ElementType.f16, 3: ElementType.u8, 4: ElementType.i32,
    5: ElementType.i8, 6: ElementType.i64, 7: ElementType.boolean, 8: ElementType.i16, 9: ElementType.u16,
    10: ElementType.u32, 11: ElementType.u64, 12: ElementType.bf16,
}
FLAG_OF_TYPE = {et: flag for flag, et in TYPE_FLAGS.items()}
STORAGE_NAMES = {1: "row_sparse", 2: "csr"}


@dataclass(frozen=True)
class StoredArray:
    """One array of the file: its name (the `arg:`/`aux:` prefix kept), type, shape and where its bytes are."""

    name: str
    element_type: ElementType
    shape: tuple[int, ...]
    offset: int
    nbytes: int
    path: str

    def file_slice(self) -> FileSlice:
        return FileSlice(self.path, self.offset, self.nbytes)

    def array(self) -> np.ndarray:
        """A read-only numpy view over the memory-mapped file (no copy)."""
        from irforge.core.tensor import unpack
        return unpack(self.file_slice().buffer(), self.element_type, self.shape)


class _Reader:
    """Bounds-checked little-endian reads at a moving offset; every failure names the file and byte offset."""

    def __init__(self, buffer: memoryview | bytes, path: str):
        self.buffer = buffer
        self.path = path
        self.offset = 0

    def fail(self, message: str, offset: int | None = None) -> InputError:
        return InputError(f"not a valid MXNet NDArray file: {message}", path=self.path,
                          offset=self.offset if offset is None else offset)

    def take(self, fmt: str, what: str):
        size = struct.calcsize(fmt)
        if self.offset + size > len(self.buffer):
            raise self.fail(f"the file ends inside {what} ({len(self.buffer)} bytes in all)")
        values = struct.unpack_from(fmt, self.buffer, self.offset)
        self.offset += size
        return values if len(values) > 1 else values[0]

    def skip(self, nbytes: int, what: str) -> int:
        start = self.offset
        if nbytes < 0 or start + nbytes > len(self.buffer):
            raise self.fail(f"{what} needs {nbytes} bytes but only {len(self.buffer) - start} remain")
        self.offset += nbytes
        return start


def _map(path: str) -> memoryview:
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                return memoryview(b"")
            return memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
    except FileNotFoundError:
        raise InputError("the weights file does not exist", path=path) from None
    except OSError as e:
        raise InputError(f"cannot read the weights file: {e.strerror}", path=path) from None


def read_ndarray_file(path: str) -> list[StoredArray]:
    """Every array of a .params / .nd file, in file order. Unnamed lists get the names "0", "1", ...
    Arrays with no shape ("none" arrays) are skipped, as MXNet's loader gives them no data either."""
    r = _Reader(_map(path), path)
    magic = r.take("<Q", "the header")
    if magic != LIST_MAGIC:
        raise r.fail(f"the header is {magic:#x}, an NDArray list starts with {LIST_MAGIC:#x}", 0)
    r.take("<Q", "the header")
    count = r.take("<Q", "the array count")
    if count > len(r.buffer):
        raise r.fail(f"the array count {count} is larger than the file", r.offset - 8)
    arrays = [_read_array(r, i) for i in range(count)]
    name_count = r.take("<Q", "the name count")
    if name_count not in (0, count):
        raise r.fail(f"{count} arrays but {name_count} names", r.offset - 8)
    names = []
    for i in range(name_count):
        length = r.take("<Q", f"the length of name {i}")
        start = r.skip(length, f"name {i}")
        try:
            names.append(bytes(r.buffer[start:start + length]).decode("utf-8"))
        except UnicodeDecodeError:
            raise r.fail(f"name {i} is not UTF-8", start) from None
    if not names:
        names = [str(i) for i in range(count)]
    return [StoredArray(name, *array, path) for name, array in zip(names, arrays) if array is not None]


def _read_array(r: _Reader, index: int) -> tuple[ElementType, tuple[int, ...], int, int] | None:
    where = f"array {index}"
    start = r.offset
    magic = r.take("<I", f"the header of {where}")
    if magic in (V2_MAGIC, V3_MAGIC):
        storage = r.take("<i", f"the storage type of {where}")
        if storage != 0:
            raise r.fail(f"{where} is stored {STORAGE_NAMES.get(storage, storage)} (sparse); only dense arrays "
                         "convert: save it with .tostype('default')", start)
        ndim = r.take("<i", f"the shape of {where}")
        if ndim == -1 or (ndim == 0 and magic == V2_MAGIC):
            return None  # a "none" array
        shape = _dims(r, ndim, "<q", where)
    elif magic == V1_MAGIC:
        ndim = r.take("<I", f"the shape of {where}")
        if ndim == 0:
            return None
        shape = _dims(r, ndim, "<q", where)
    else:  # legacy layout: the first word is ndim, dims are u32
        if magic > 32:
            raise r.fail(f"{where} starts with {magic:#x}: neither an NDArray magic number nor a rank", start)
        if magic == 0:
            return None
        shape = _dims(r, magic, "<I", where)
    r.take("<ii", f"the context of {where}")
    flag = r.take("<i", f"the type of {where}")
    if flag not in TYPE_FLAGS:
        raise r.fail(f"{where} has the unknown type flag {flag}", r.offset - 4)
    et = TYPE_FLAGS[flag]
    count = int(np.prod(shape, dtype=np.int64))
    nbytes = count * (2 if et == ElementType.bf16 else et.numpy.itemsize)
    offset = r.skip(nbytes, f"the data of {where} ({et.value} {list(shape)})")
    return et, shape, offset, nbytes


def _dims(r: _Reader, ndim: int, fmt: str, where: str) -> tuple[int, ...]:
    if ndim < 0 or ndim > 32:
        raise r.fail(f"{where} has rank {ndim}", r.offset - 4)
    dims = tuple(int(d) for d in np.frombuffer(r.buffer, fmt, ndim, r.skip(ndim * struct.calcsize(fmt),
                                                                           f"the shape of {where}")))
    if any(d < 0 for d in dims):
        raise r.fail(f"{where} has the shape {list(dims)}", r.offset - ndim * struct.calcsize(fmt))
    return dims


def split_prefix(name: str) -> tuple[str, str]:
    """("arg" | "aux" | "", name without the prefix): checkpoints prefix their names, gluon and .nd files do not."""
    kind, sep, rest = name.partition(":")
    if sep and kind in ("arg", "aux"):
        return kind, rest
    return "", name


def write_ndarray_file(path: str, arrays: Iterable[tuple[str, ElementType, tuple[int, ...], bytes | memoryview]]
                       ) -> None:
    """Write a .params file (V2 arrays, CPU context) as MXNet's nd.save does; atomically (temp file + rename)."""
    items = list(arrays)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<QQQ", LIST_MAGIC, 0, len(items)))
        for _, et, shape, data in items:
            f.write(struct.pack("<Iii", V2_MAGIC, 0, len(shape)))
            f.write(np.asarray(shape, "<i8").tobytes())
            f.write(struct.pack("<iii", 1, 0, FLAG_OF_TYPE[et]))
            f.write(data)
        f.write(struct.pack("<Q", len(items)))
        for name, *_ in items:
            encoded = name.encode("utf-8")
            f.write(struct.pack("<Q", len(encoded)))
            f.write(encoded)
    os.replace(tmp, path)
