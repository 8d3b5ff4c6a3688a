"""A writer of Caffe's binary protobuf files (.caffemodel, .binaryproto) for the tests and the benchmark: the wire
format written by hand (field numbers of the public caffe.proto), streamed so that a 500 MB model never sits in
memory twice. It writes what Caffe itself writes for a trained net: layers with name, type, bottoms, tops and
blobs (packed floats with a BlobShape), and, on request, the old forms: V1 `layers`, num/channels/height/width
blob dims, one field per float, double data."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO, Sequence

import numpy as np

from irforge.frontends.protobuf_wire import encode_varint as varint
from irforge.frontends.protobuf_wire import length_field as length_delimited

VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5

# V1LayerParameter.LayerType numbers of the layer types the tests write in the old format.
V1_TYPES = {"Convolution": 4, "InnerProduct": 14, "ReLU": 18, "Pooling": 17, "Softmax": 20, "Concat": 3,
            "Dropout": 6, "LRN": 15, "Eltwise": 25, "Sigmoid": 19, "TanH": 23, "Power": 26, "Flatten": 8}


def key(number: int, wire: int) -> bytes:
    return varint((number << 3) | wire)


def string(number: int, text: str) -> bytes:
    return length_delimited(number, text.encode())


@dataclass
class BlobSpec:
    """One blob to write. `style`: "shape" (BlobShape), "legacy" (num/channels/height/width, 4-D only) or
    "flat" (no shape at all). `packed=False` writes one field per value; `double=True` writes double_data."""

    values: np.ndarray
    style: str = "shape"
    packed: bool = True
    double: bool = False

    def header(self) -> bytes:
        shape = self.values.shape
        if self.style == "shape":
            dims = b"".join(varint(int(d)) for d in shape)
            return length_delimited(7, length_delimited(1, dims))
        if self.style == "legacy":
            assert len(shape) == 4, "legacy blob dims are 4-D"
            return b"".join(key(n, VARINT) + varint(int(d)) for n, d in zip((1, 2, 3, 4), shape))
        return b""

    def data_size(self) -> int:
        count = int(self.values.size)
        width = 8 if self.double else 4
        if self.packed:
            return len(key(8 if self.double else 5, LEN)) + len(varint(count * width)) + count * width
        return count * (1 + width)

    def size(self) -> int:
        return len(self.header()) + self.data_size()

    def write(self, out: BinaryIO) -> None:
        out.write(self.header())
        number = 8 if self.double else 5
        flat = np.ascontiguousarray(self.values.reshape(-1), dtype="<f8" if self.double else "<f4")
        if self.packed:
            out.write(key(number, LEN) + varint(flat.nbytes))
            for start in range(0, flat.size, 1 << 22):          # 16 MB at a time
                out.write(flat[start:start + (1 << 22)].tobytes())
            return
        width = flat.itemsize
        rows = np.empty((flat.size, 1 + width), np.uint8)
        rows[:, 0] = (number << 3) | (FIXED64 if self.double else FIXED32)
        rows[:, 1:] = flat.view(np.uint8).reshape(-1, width)
        out.write(rows.tobytes())


@dataclass
class LayerSpec:
    name: str
    type: str
    bottoms: Sequence[str] = ()
    tops: Sequence[str] = ()
    blobs: list[BlobSpec] = field(default_factory=list)

    def body_parts(self, v1: bool) -> tuple[bytes, list[BlobSpec]]:
        if v1:   # V1LayerParameter: bottom 2, top 3, name 4, type 5 (enum), blobs 6
            head = b"".join(string(2, b) for b in self.bottoms) + b"".join(string(3, t) for t in self.tops)
            head += string(4, self.name) + key(5, VARINT) + varint(V1_TYPES[self.type])
        else:    # LayerParameter: name 1, type 2, bottom 3, top 4, blobs 7
            head = string(1, self.name) + string(2, self.type)
            head += b"".join(string(3, b) for b in self.bottoms) + b"".join(string(4, t) for t in self.tops)
        return head, self.blobs

    def write(self, out: BinaryIO, v1: bool) -> None:
        head, blobs = self.body_parts(v1)
        blob_number = 6 if v1 else 7
        size = len(head) + sum(len(key(blob_number, LEN)) + len(varint(b.size())) + b.size() for b in blobs)
        out.write(key(2 if v1 else 100, LEN) + varint(size) + head)
        for b in blobs:
            out.write(key(blob_number, LEN) + varint(b.size()))
            b.write(out)


def write_caffemodel(path, layers: Sequence[LayerSpec], name: str = "net", v1: bool = False) -> None:
    with open(path, "wb") as out:
        out.write(string(1, name))
        for layer in layers:
            layer.write(out, v1)


def write_binaryproto(path, blob: BlobSpec) -> None:
    with open(path, "wb") as out:
        blob.write(out)
