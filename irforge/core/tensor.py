"""Constant payloads: an in-memory numpy array, or a byte range of a file that stays on disk until it is needed."""
from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from .element_type import ElementType


@dataclass(frozen=True, slots=True)
class FileSlice:
    """`nbytes` bytes at `offset` of `path`, already in the IR's storage layout (little-endian, packed sub-byte).

    Weights of big models are referenced this way so that conversion never holds them in memory: the IR writer
    copies the byte range in chunks (`chunks()`), and `buffer()` memory-maps it when a pass or the runtime needs
    the values.
    """

    path: str
    offset: int
    nbytes: int

    def chunks(self, size: int = 1 << 22):
        """The bytes in pieces of at most `size`, read with pread: unlike a memory map, what was copied does not
        stay resident, so writing a model's weights costs one chunk of memory, not the weights' size."""
        fd = os.open(self.path, os.O_RDONLY)
        try:
            done = 0
            while done < self.nbytes:
                piece = os.pread(fd, min(size, self.nbytes - done), self.offset + done)
                if not piece:
                    from irforge.errors import InputError
                    raise InputError(f"weights run past the end of the file (wanted {self.nbytes} bytes)",
                                     path=self.path, offset=self.offset + done)
                done += len(piece)
                yield piece
        finally:
            os.close(fd)

    def buffer(self) -> memoryview:
        if self.nbytes == 0:
            return memoryview(b"")
        path = os.path.realpath(self.path)
        st = os.stat(path)
        # Keyed by the file's identity too: a path rewritten in place (an IR saved again) must be mapped anew.
        view = _mapped(path, st.st_ino, st.st_size, st.st_mtime_ns)
        if self.offset + self.nbytes > len(view):
            from irforge.errors import InputError
            raise InputError(f"weights run past the end of the file ({self.offset + self.nbytes} > {len(view)} bytes)",
                             path=self.path, offset=self.offset)
        return view[self.offset:self.offset + self.nbytes]


@dataclass(frozen=True, eq=False)
class ScaledWeights:
    """Float weights times a factor that broadcasts against them (a BatchNorm folded into a convolution's output
    channels), computed when read. The IR writer asks for them a block of rows at a time (`chunks()`) and the
    base stays where it was (a FileSlice on disk, or the array it already is), so folding every BatchNorm of a
    model into its convolutions holds no second copy of the weights.

    `factor` is float64 with the weights' rank; each product is rounded once to the element type."""

    base: FileSlice | np.ndarray | DeferredValue
    element_type: ElementType
    shape: tuple[int, ...]
    factor: np.ndarray

    @property
    def nbytes(self) -> int:
        return storage_nbytes(self.element_type, int(np.prod(self.shape, dtype=np.int64)))

    def scaled(self, factor: np.ndarray) -> ScaledWeights:
        """These weights times one more factor (fusions compose: one rounding in the end)."""
        return ScaledWeights(self.base, self.element_type, self.shape, self.factor * factor)

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) of the first axis, scaled."""
        if isinstance(self.base, FileSlice):
            w = _file_rows(self.base, self.element_type, self.shape, start, stop)
        elif isinstance(self.base, DeferredValue):
            w = self.base.array()[start:stop]
        else:
            w = self.base[start:stop]
        return self.scale_rows(w, start, stop)

    def scale_rows(self, w: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Base rows [start, stop) (given) times the factor's rows."""
        f = self.factor if self.factor.shape[0] == 1 else self.factor[start:stop]
        return (w.astype(np.float64) * f).astype(self.element_type.numpy)

    def array(self) -> np.ndarray:
        return self.rows(0, self.shape[0])

    def chunks(self, size: int = 1 << 22):
        for _, _, block in row_blocks(self, self.element_type, self.shape, size):
            yield pack(block, self.element_type)


@dataclass(frozen=True, eq=False)
class DeferredValue:
    """A constant computed when it is read: constant folding defers a big fold of one weight (a TensorFlow kernel
    transposed from HWIO into the IR's OIHW) to the moment the IR writer reaches it, so the folded copies of a
    model's weights are made one at a time and never all held together. `compute` must not fail (only folds of
    ops that cannot, on values already checked, are deferred)."""

    compute: Callable[[], np.ndarray]
    element_type: ElementType
    shape: tuple[int, ...]
    # What it is computed from (the op and its input Constants): lets a cheap comparison look at the sources
    # instead of computing the value.
    origin: tuple = ()

    @property
    def nbytes(self) -> int:
        return storage_nbytes(self.element_type, int(np.prod(self.shape, dtype=np.int64)))

    def array(self) -> np.ndarray:
        return np.asarray(self.compute(), dtype=self.element_type.numpy)

    def chunks(self, size: int = 1 << 22):
        for _, _, block in row_blocks(self, self.element_type, self.shape, size):
            yield pack(block, self.element_type)


# Payloads that are read (or computed) in pieces rather than held as one array.
STREAMED = (FileSlice, ScaledWeights, DeferredValue)


def read_values(data: FileSlice | np.ndarray | ScaledWeights | DeferredValue, element_type: ElementType,
                shape: tuple[int, ...]) -> np.ndarray:
    """A payload's values as a private array: a file's bytes are read with pread, not mapped, so once the array
    is dropped none of them stays resident."""
    if isinstance(data, FileSlice):
        return unpack(b"".join(data.chunks()), element_type, shape)
    if isinstance(data, (ScaledWeights, DeferredValue)):
        return data.array()
    return data


def row_blocks(data: FileSlice | np.ndarray | ScaledWeights | DeferredValue, element_type: ElementType,
               shape: tuple[int, ...], size: int = 1 << 22):
    """(start, stop, values of rows [start, stop) of the first axis) in blocks of about `size` bytes. A file's
    bytes are read with pread, not mapped, so reading a model's weights once leaves none of them resident."""
    rows = shape[0] if shape else 1
    row_bytes = max(1, storage_nbytes(element_type, int(np.prod(shape[1:], dtype=np.int64))))
    step = max(1, size // row_bytes)
    scaled = data if isinstance(data, ScaledWeights) else None
    if scaled is not None and not isinstance(scaled.base, FileSlice):
        data = read_values(scaled.base, element_type, shape)   # the base computed once, scaled block by block
    elif isinstance(data, DeferredValue):
        data = data.array()       # computed once (one weight in memory), then cut into blocks
    for start in range(0, rows, step):
        stop = min(start + step, rows)
        if isinstance(data, ScaledWeights):
            block = data.rows(start, stop)
        elif scaled is not None:
            block = scaled.scale_rows(data[start:stop], start, stop)
        elif isinstance(data, FileSlice):
            block = _file_rows(data, element_type, shape, start, stop)
        else:
            block = data[start:stop] if shape else data
        yield start, stop, block


def _file_rows(data: FileSlice, element_type: ElementType, shape: tuple[int, ...], start: int, stop: int
               ) -> np.ndarray:
    """Rows [start, stop) of the first axis of a tensor stored in a file, read with pread."""
    row_bytes = storage_nbytes(element_type, int(np.prod(shape[1:], dtype=np.int64)))
    piece = FileSlice(data.path, data.offset + start * row_bytes, (stop - start) * row_bytes)
    return unpack(b"".join(piece.chunks()), element_type, (stop - start, *shape[1:]))


def scaled_weights(data: FileSlice | np.ndarray | ScaledWeights | DeferredValue, element_type: ElementType,
                   shape: tuple[int, ...], factor: np.ndarray) -> ScaledWeights:
    """A constant's payload times `factor` (broadcasting against `shape`), lazily."""
    factor = np.asarray(factor, np.float64).reshape((1,) * (len(shape) - np.ndim(factor)) + np.shape(factor))
    if isinstance(data, ScaledWeights):
        return data.scaled(factor)
    return ScaledWeights(data, element_type, tuple(shape), factor)


@lru_cache(maxsize=64)
def _mapped(path: str, inode: int, size: int, mtime_ns: int) -> memoryview:
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return memoryview(b"")
        return memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))


def storage_nbytes(element_type: ElementType, count: int) -> int:
    """Bytes the IR needs for `count` elements (sub-byte types are packed)."""
    if element_type == ElementType.string:
        raise ValueError("string constants have variable size")
    return (count * element_type.bits + 7) // 8


def pack(array: np.ndarray, element_type: ElementType) -> bytes | memoryview:
    """Values (held unpacked, see ElementType.numpy) -> the IR's byte layout for that element type."""
    if element_type == ElementType.string:
        return _pack_strings(array)
    if element_type == ElementType.bf16:
        return (np.ascontiguousarray(array, np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
    if element_type.bits >= 8:
        data = np.ascontiguousarray(array, dtype=element_type.numpy.newbyteorder("<"))
        return memoryview(data).cast("B") if data.size else b""
    flat = np.ascontiguousarray(array).reshape(-1).astype(np.uint8) & ((1 << element_type.bits) - 1)
    if element_type == ElementType.u1:  # u1 is packed MSB first
        return np.packbits(flat.astype(bool)).tobytes()
    if flat.size % 2:  # 4-bit types: low nibble first
        flat = np.append(flat, 0)
    return (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8).tobytes()


def unpack(buffer: bytes | memoryview, element_type: ElementType, shape: tuple[int, ...]) -> np.ndarray:
    """The IR's byte layout -> a read-only numpy array (no copy for types of 8 bits and more)."""
    count = int(np.prod(shape, dtype=np.int64))
    if element_type == ElementType.string:
        return _unpack_strings(buffer, shape)
    if element_type == ElementType.bf16:
        raw = np.frombuffer(buffer, "<u2", count).astype(np.uint32) << 16
        return raw.view(np.float32).reshape(shape)
    if element_type.bits >= 8:
        return np.frombuffer(buffer, element_type.numpy.newbyteorder("<"), count).reshape(shape)
    raw = np.frombuffer(buffer, np.uint8)
    if element_type == ElementType.u1:
        return np.unpackbits(raw)[:count].reshape(shape)
    nibbles = np.stack([raw & 0xF, raw >> 4], axis=1).reshape(-1)[:count]
    if element_type == ElementType.i4:
        return ((nibbles.astype(np.int8) ^ 8) - 8).reshape(shape)
    return nibbles.reshape(shape)


def _pack_strings(array: np.ndarray) -> bytes:
    items = [s.encode() if isinstance(s, str) else bytes(s) for s in np.asarray(array, dtype=object).reshape(-1)]
    ends = np.cumsum([0] + [len(b) for b in items])
    return np.int32(len(items)).tobytes() + ends.astype("<i4").tobytes() + b"".join(items)


def _unpack_strings(buffer: bytes | memoryview, shape: tuple[int, ...]) -> np.ndarray:
    data = bytes(buffer)
    count = int(np.frombuffer(data, "<i4", 1)[0])
    ends = np.frombuffer(data, "<i4", count + 1, 4)
    base = 4 * (count + 2)
    out = np.array([data[base + ends[i]:base + ends[i + 1]].decode() for i in range(count)], dtype=object)
    return out.reshape(shape)
