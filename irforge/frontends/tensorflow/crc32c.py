"""CRC32C (Castagnoli), as TensorFlow's record files and tensor bundles use it, in numpy without TensorFlow.

Large buffers are cut into equal chunks whose CRCs are computed side by side (one vectorised table step per byte
position), then chained: the CRC register is linear over GF(2), so the state after chunk k moved through
`chunk` more bytes is a fixed linear map of it, applied with four 256-entry tables.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

POLY = 0x82F63B78  # reflected Castagnoli polynomial
MASK_DELTA = 0xA282EAD8
CHUNK = 4096


def _byte_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(POLY), table >> 1).astype(np.uint32)
    return table


TABLE = _byte_table()
_TABLE_LIST = TABLE.tolist()


def _raw_small(state: int, data: bytes | memoryview) -> int:
    """Register update without the initial/final inversion, byte by byte (for short inputs)."""
    table = _TABLE_LIST
    for b in bytes(data):
        state = table[(state ^ b) & 0xFF] ^ (state >> 8)
    return state


@lru_cache(maxsize=4)
def _shift_tables(nbytes: int) -> list[list[int]]:
    """Tables of the linear map 'feed nbytes zero bytes into the register', split by register byte."""
    columns = []
    for bit in range(32):
        columns.append(_raw_small(1 << bit, bytes(nbytes)))
    tables = []
    for byte in range(4):
        t = []
        for v in range(256):
            acc = 0
            for k in range(8):
                if v >> k & 1:
                    acc ^= columns[8 * byte + k]
            t.append(acc)
        tables.append(t)
    return tables


def _raw(state: int, data: bytes | memoryview) -> int:
    n = len(data)
    if n < 4 * CHUNK:
        return _raw_small(state, data)
    count = n // CHUNK
    blocks = np.frombuffer(data, np.uint8, count * CHUNK).reshape(count, CHUNK)
    states = np.zeros(count, np.uint32)
    table = TABLE
    for i in range(CHUNK):  # every chunk advances one byte per step
        states = table[(states ^ blocks[:, i]) & 0xFF] ^ (states >> 8)
    t0, t1, t2, t3 = _shift_tables(CHUNK)
    for chunk_state in states.tolist():
        state = (t0[state & 0xFF] ^ t1[(state >> 8) & 0xFF] ^ t2[(state >> 16) & 0xFF] ^ t3[state >> 24]) ^ chunk_state
    return _raw_small(state, data[count * CHUNK:])


def crc32c(data: bytes | memoryview) -> int:
    return _raw(0xFFFFFFFF, memoryview(data).cast("B")) ^ 0xFFFFFFFF


def masked_crc32c(data: bytes | memoryview) -> int:
    """The masked form TensorFlow stores (so that CRCs of CRCs stay well distributed)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + MASK_DELTA) & 0xFFFFFFFF


def unmask(masked: int) -> int:
    rot = (masked - MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF
