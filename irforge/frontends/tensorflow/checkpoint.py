"""TensorFlow checkpoints (tensor bundles) read without TensorFlow.

A bundle is PREFIX.index plus PREFIX.data-SSSSS-of-NNNNN shards. The index is a LevelDB-style table (SSTable):
data blocks of prefix-compressed (key, value) entries, an index block pointing at them and a 48-byte footer.
Its first key "" holds a BundleHeaderProto; every other key is a tensor name whose value is a BundleEntryProto
(dtype, shape, shard, offset, size). Numeric tensors are stored raw and little-endian in the shard, so they are
handed on as FileSlices and stay on disk until the IR writer copies them.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.tensor import FileSlice
from irforge.errors import InputError

from . import protos
from .crc32c import crc32c, unmask
from .tensors import element_type_of, shape_of

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
BLOCK_TRAILER = 5  # compression type byte + masked crc32c


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def snappy_decompress(data: bytes) -> bytes:
    """The snappy block format (tables written with compression on): literals and back-references."""
    size, pos = _varint(data, 0)
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            length = tag >> 2
            if length >= 60:
                extra = length - 59
                length = int.from_bytes(data[pos:pos + extra], "little")
                pos += extra
            length += 1
            out += data[pos:pos + length]
            pos += length
            continue
        if kind == 1:
            length = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + 2], "little")
            pos += 2
        else:
            length = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + 4], "little")
            pos += 4
        start = len(out) - offset
        for i in range(length):  # references may overlap what they write
            out.append(out[start + i])
    if len(out) != size:
        raise ValueError(f"snappy block decompressed to {len(out)} bytes, expected {size}")
    return bytes(out)


class SSTable:
    """Every (key, value) of a LevelDB-format table, in key order."""

    def __init__(self, path: str):
        self.path = path
        try:
            with open(path, "rb") as f:
                self.data = f.read()
        except OSError as e:
            raise InputError(f"cannot read the checkpoint index: {e.strerror}", path=path) from None
        if len(self.data) < FOOTER_SIZE:
            raise InputError("the checkpoint index is too short to be a table", path=path)
        footer = self.data[-FOOTER_SIZE:]
        if struct.unpack("<Q", footer[-8:])[0] != TABLE_MAGIC:
            raise InputError("not a TensorFlow checkpoint index (bad table magic)", path=path,
                             offset=len(self.data) - 8)
        _, pos = _varint(footer, 0)
        _, pos = _varint(footer, pos)  # the metaindex handle (unused)
        index_offset, pos = _varint(footer, pos)
        index_size, _ = _varint(footer, pos)
        self.index_handle = (index_offset, index_size)

    def _block(self, offset: int, size: int) -> bytes:
        end = offset + size
        if end + BLOCK_TRAILER > len(self.data):
            raise InputError("a table block runs past the end of the index", path=self.path, offset=offset)
        raw = self.data[offset:end]
        kind = self.data[end]
        stored = struct.unpack("<I", self.data[end + 1:end + 5])[0]
        if crc32c(self.data[offset:end + 1]) != unmask(stored):
            raise InputError("checksum mismatch in a table block (the index is corrupt)", path=self.path,
                             offset=offset)
        if kind == 0:
            return raw
        if kind == 1:
            return snappy_decompress(raw)
        raise InputError(f"unknown table block compression {kind}", path=self.path, offset=end)

    @staticmethod
    def _entries(block: bytes):
        restarts = struct.unpack("<I", block[-4:])[0]
        limit = len(block) - 4 - 4 * restarts
        pos, key = 0, b""
        while pos < limit:
            shared, pos = _varint(block, pos)
            unshared, pos = _varint(block, pos)
            length, pos = _varint(block, pos)
            key = key[:shared] + block[pos:pos + unshared]
            pos += unshared
            yield key, block[pos:pos + length]
            pos += length

    def items(self):
        index = self._block(*self.index_handle)
        for _, handle in self._entries(index):
            offset, p = _varint(handle, 0)
            size, _ = _varint(handle, p)
            yield from self._entries(self._block(offset, size))


@dataclass(frozen=True)
class BundleTensor:
    """One tensor of a checkpoint: its type, shape and where its bytes are."""

    name: str
    element_type: ElementType
    shape: tuple[int, ...]
    data: FileSlice


class Checkpoint:
    """A tensor bundle opened by its prefix (".../variables/variables" or "model.ckpt-1000")."""

    def __init__(self, prefix: str):
        prefix = resolve_prefix(prefix)
        self.prefix = prefix
        table = SSTable(prefix + ".index")
        self.entries: dict[str, object] = {}
        self.num_shards = 1
        for key, value in table.items():
            if key == b"":
                header = protos.BundleHeaderProto.FromString(value)
                self.num_shards = max(header.num_shards, 1)
                if header.endianness != 0:
                    raise InputError("big-endian checkpoints are not supported", path=prefix + ".index")
                continue
            self.entries[key.decode("utf-8", "replace")] = protos.BundleEntryProto.FromString(value)

    def shard_path(self, shard: int) -> str:
        return f"{self.prefix}.data-{shard:05d}-of-{self.num_shards:05d}"

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def keys(self) -> list[str]:
        return list(self.entries)

    def tensor(self, name: str) -> BundleTensor:
        entry = self.entries.get(name)
        if entry is None:
            raise KeyError(name)
        if len(entry.slices):
            raise InputError(f"checkpoint tensor '{name}' is saved as partitioned slices, which irforge does "
                             "not read yet", path=self.prefix + ".index")
        et = element_type_of(entry.dtype, name)
        path = self.shard_path(entry.shard_id)
        if not os.path.exists(path):
            raise InputError(f"checkpoint data shard for '{name}' is missing", path=path)
        return BundleTensor(name, et, shape_of(entry.shape), FileSlice(path, entry.offset, entry.size))

    def array(self, name: str) -> np.ndarray:
        t = self.tensor(name)
        buffer = t.data.buffer()
        if t.element_type == ElementType.string:
            return _strings(bytes(buffer), int(np.prod(t.shape, dtype=np.int64))).reshape(t.shape)
        from irforge.core.tensor import unpack
        return unpack(buffer, t.element_type, t.shape)

    @cached_property
    def object_graph(self):
        """The TrackableObjectGraph a TF2 checkpoint stores under _CHECKPOINTABLE_OBJECT_GRAPH (or None)."""
        key = "_CHECKPOINTABLE_OBJECT_GRAPH"
        if key not in self.entries:
            return None
        raw = self.array(key).reshape(-1)[0]
        return protos.TrackableObjectGraph.FromString(raw)


def _strings(data: bytes, count: int) -> np.ndarray:
    """String tensors: count varint64 lengths, a 4-byte checksum of them, then the bytes back to back."""
    lengths, pos = [], 0
    for _ in range(count):
        n, pos = _varint(data, pos)
        lengths.append(n)
    pos += 4
    out = np.empty(count, dtype=object)
    for i, n in enumerate(lengths):
        out[i] = data[pos:pos + n]
        pos += n
    return out


def resolve_prefix(path: str) -> str:
    """A checkpoint prefix from what users pass: the prefix itself, its .index file, a data shard, or a
    directory holding a `checkpoint` state file or a single .index."""
    if os.path.isdir(path):
        state = os.path.join(path, "checkpoint")
        if os.path.exists(state):
            with open(state) as f:
                for line in f:
                    if line.startswith("model_checkpoint_path:"):
                        name = line.split(":", 1)[1].strip().strip('"')
                        return resolve_prefix(name if os.path.isabs(name) else os.path.join(path, name))
        indexes = sorted(p for p in os.listdir(path) if p.endswith(".index"))
        if len(indexes) == 1:
            return os.path.join(path, indexes[0][:-len(".index")])
        raise InputError("cannot tell which checkpoint of the directory to read: give its prefix", path=path)
    if path.endswith(".index"):
        return path[:-len(".index")]
    if ".data-" in path:
        return path[:path.rindex(".data-")]
    if os.path.exists(path + ".index"):
        return path
    if os.path.exists(path) and not os.path.exists(path + ".index"):
        raise InputError("this looks like a TF1 V1 checkpoint (one file, no .index): irforge reads V2 "
                         "checkpoints (PREFIX.index + PREFIX.data-*) only; re-save it with tf.train.Saver "
                         "(write_version=V2)", path=path)
    raise InputError("checkpoint not found (expected PREFIX.index and PREFIX.data-* files)", path=path)
