"""--tensorboard_logdir: the graph as TensorBoard reads it, written without TensorFlow.

An events file is a sequence of TFRecords: uint64 length, masked CRC32C of the length, the data, masked CRC32C of
the data. The first record is an Event with file_version "brain.Event:2"; the next holds the serialized GraphDef.
"""
from __future__ import annotations

import os
import socket
import struct
import time

from irforge.errors import InputError

from . import protos
from .crc32c import masked_crc32c


def record(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))


def write_graph(graph_def: bytes, logdir: str) -> str:
    """Write a serialized GraphDef into a new events file under `logdir`; returns its path."""
    try:
        os.makedirs(logdir, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create the TensorBoard log directory: {e.strerror}", path=logdir) from None
    now = time.time()
    path = os.path.join(logdir, f"events.out.tfevents.{int(now)}.{socket.gethostname()}.{os.getpid()}.irforge")
    version = protos.Event(wall_time=now, step=0, file_version="brain.Event:2")
    graph = protos.Event(wall_time=now, step=0, graph_def=graph_def)
    with open(path, "wb") as f:
        f.write(record(version.SerializeToString()))
        f.write(record(graph.SerializeToString()))
    return path
