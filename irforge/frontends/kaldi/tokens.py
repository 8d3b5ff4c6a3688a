"""Kaldi's serialisation (base/io-funcs, matrix/kaldi-matrix, compressed-matrix): one token stream over a whole
file, in the text or the binary form (binary files start with "\\0B").

Numbers go straight into numpy: binary matrices and vectors are np.frombuffer views over the memory-mapped file,
text ones are parsed by np.fromstring in C; no Python work per element. Every error names the file and the byte
offset where reading stopped making sense.
"""
from __future__ import annotations

import mmap
import os
import re
import struct
from dataclasses import dataclass

import numpy as np

from irforge.errors import InputError

_WS = b" \t\n\r\f\v"
_WORD = re.compile(rb"[^ \t\n\r\f\v]+")


@dataclass(frozen=True)
class Scalar:
    """A scalar whose type only its reader knows (binary ints and floats both take a size byte and 4 bytes)."""

    text: str | None        # text form
    raw: bytes | None       # binary form: the value bytes
    size: int               # binary size byte (4, 8; negative for unsigned)
    offset: int
    stream: KaldiStream

    def int(self) -> int:
        if self.text is not None:
            try:
                return int(self.text)
            except ValueError:
                raise self.stream.error(f"expected an integer, found {self.text!r}", self.offset) from None
        if self.size in (4, -4):
            return struct.unpack("<i" if self.size > 0 else "<I", self.raw)[0]
        if self.size in (8, -8):
            return struct.unpack("<q" if self.size > 0 else "<Q", self.raw)[0]
        raise self.stream.error(f"expected an integer, found a value of size byte {self.size}", self.offset)

    def float(self) -> float:
        if self.text is not None:
            try:
                return float(self.text)
            except ValueError:
                raise self.stream.error(f"expected a number, found {self.text!r}", self.offset) from None
        if self.size == 4:
            return struct.unpack("<f", self.raw)[0]
        if self.size == 8:
            return struct.unpack("<d", self.raw)[0]
        raise self.stream.error(f"expected a number, found a value of size byte {self.size}", self.offset)

    def bool(self) -> bool:
        if self.text in ("T", "F"):
            return self.text == "T"
        raise self.stream.error(f"expected T or F, found {self.text!r}", self.offset)


class KaldiStream:
    """A read position in a Kaldi file. `binary` is decided by the "\\0B" header at `start`."""

    def __init__(self, data: bytes | memoryview | mmap.mmap, path: str = "<memory>", start: int = 0):
        self.data = data
        self.path = path
        self.size = len(data)
        self.pos = start
        self.binary = False
        self.read_header()

    def read_header(self) -> bool:
        """Kaldi's binary marker "\0B" at the current position (each object of an archive has its own)."""
        self.binary = bytes(self.data[self.pos:self.pos + 2]) == b"\0B"
        if self.binary:
            self.pos += 2
        return self.binary

    @staticmethod
    def open(path: str) -> KaldiStream:
        try:
            with open(path, "rb") as f:
                if os.fstat(f.fileno()).st_size == 0:
                    raise InputError("the model file is empty", path=path)
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as e:
            raise InputError(f"cannot read the model: {e.strerror}", path=path) from None
        return KaldiStream(data, path)

    # -- errors and position ------------------------------------------------------------------------------------
    def error(self, message: str, offset: int | None = None) -> InputError:
        return InputError(message, path=self.path, offset=self.pos if offset is None else offset)

    def skip_ws(self) -> None:
        data, pos, size = self.data, self.pos, self.size
        while pos < size and data[pos] in _WS:
            pos += 1
        self.pos = pos

    def at_end(self) -> bool:
        self.skip_ws()
        return self.pos >= self.size

    def _need(self, count: int, what: str) -> None:
        if self.pos + count > self.size:
            raise self.error(f"the file ends inside {what} (needs {count} more bytes, "
                             f"{self.size - self.pos} left): truncated file?")

    # -- tokens ---------------------------------------------------------------------------------------------------
    def peek_word(self) -> str | None:
        """The next whitespace-delimited word without consuming it (None at the end of the file)."""
        self.skip_ws()
        m = _WORD.match(self.data, self.pos)
        return m.group().decode("latin-1") if m else None

    def peek_token(self) -> str | None:
        """The next <Token> if one comes next, else None."""
        self.skip_ws()
        if self.pos < self.size and self.data[self.pos] == 0x3C:  # '<'
            return self.peek_word()
        return None

    def read_word(self, what: str = "a token") -> str:
        self.skip_ws()
        m = _WORD.match(self.data, self.pos)
        if not m:
            raise self.error(f"the file ends where {what} should be: truncated file?")
        self.pos = m.end()
        return m.group().decode("latin-1")

    def read_token(self) -> str:
        start = self.pos
        word = self.read_word()
        if not (word.startswith("<") and word.endswith(">")):
            raise self.error(f"expected a <Token>, found {word[:40]!r}", start)
        return word

    def expect(self, *tokens: str) -> str:
        """Read a token that must be one of `tokens`; returns it."""
        self.skip_ws()
        start = self.pos
        word = self.read_word(f"the token {tokens[0]}")
        if word not in tokens:
            raise self.error(f"expected {' or '.join(tokens)}, found {word[:40]!r}", start)
        return word

    def maybe(self, token: str) -> bool:
        """Consume `token` if it comes next."""
        if self.peek_token() == token:
            self.read_word()
            return True
        return False

    # -- scalars --------------------------------------------------------------------------------------------------
    def read_scalar(self) -> Scalar:
        self.skip_ws()
        start = self.pos
        if not self.binary:
            word = self.read_word("a number")
            return Scalar(word, None, 0, start, self)
        self._need(1, "a number")
        size = struct.unpack("b", self.data[start:start + 1])[0]
        if abs(size) not in (1, 2, 4, 8):
            raise self.error(f"expected a number (a size byte 4 or 8), found byte 0x{size & 0xff:02x}", start)
        self._need(1 + abs(size), "a number")
        raw = bytes(self.data[start + 1:start + 1 + abs(size)])
        self.pos = start + 1 + abs(size)
        return Scalar(None, raw, size, start, self)

    def read_int(self) -> int:
        return self.read_scalar().int()

    def read_float(self) -> float:
        return self.read_scalar().float()

    def read_bool(self) -> bool:
        self.skip_ws()
        start = self.pos
        self._need(1, "a boolean")
        c = chr(self.data[start])
        if c not in "TF":
            raise self.error(f"expected T or F, found {c!r}", start)
        self.pos = start + 1
        return c == "T"

    # -- arrays ---------------------------------------------------------------------------------------------------
    def read_matrix(self) -> np.ndarray:
        """A float matrix [rows, cols] (float32; double matrices are converted, compressed ones expanded)."""
        value = self._read_array(matrix=True)
        return value if value.ndim == 2 else value.reshape(1 if value.size else 0, value.size)

    def read_vector(self) -> np.ndarray:
        value = self._read_array(matrix=False)
        if value.ndim != 1:
            raise self.error("expected a vector, found a matrix")
        return value

    def read_int_vector(self) -> np.ndarray:
        """WriteIntegerVector: binary = element-size byte, raw int32 count, raw data; text = [ 1 2 3 ]."""
        self.skip_ws()
        start = self.pos
        if self.binary:
            self._need(5, "an integer vector")
            size = self.data[start]
            if size != 4:
                raise self.error(f"expected an int32 vector (element size 4), found element size {size}", start)
            count = struct.unpack("<i", self.data[start + 1:start + 5])[0]
            if count < 0:
                raise self.error(f"negative integer vector length {count}", start)
            self._need(5 + 4 * count, "an integer vector")
            self.pos = start + 5 + 4 * count
            return np.frombuffer(self.data, "<i4", count, start + 5).astype(np.int32)
        body = self._bracket(start, "an integer vector")
        try:
            values = np.fromstring(body, dtype=np.float64, sep=" ") if body.strip() else np.zeros(0)
        except ValueError:
            raise self.error("an integer vector holds something that is not a number", start) from None
        if not np.all(values == np.round(values)):
            raise self.error("an integer vector holds non-integers", start)
        return values.astype(np.int32)

    def read_int_pair_vector(self) -> np.ndarray:
        """WriteIntegerPairVector: binary = element-size byte, raw int32 count, raw (first, second) int32 pairs;
        text = [ a,b c,d ]. Returns [count, 2]."""
        self.skip_ws()
        start = self.pos
        if self.binary:
            self._need(5, "an integer pair vector")
            if self.data[start] != 4:
                raise self.error(f"expected int32 pairs (element size 4), found {self.data[start]}", start)
            count = struct.unpack("<i", self.data[start + 1:start + 5])[0]
            if count < 0:
                raise self.error(f"negative integer pair vector length {count}", start)
            self._need(5 + 8 * count, "an integer pair vector")
            self.pos = start + 5 + 8 * count
            return np.frombuffer(self.data, "<i4", 2 * count, start + 5).reshape(count, 2).astype(np.int64)
        body = self._bracket(start, "an integer pair vector").replace(",", " ")
        try:
            values = np.fromstring(body, dtype=np.int64, sep=" ") if body.strip() else np.zeros(0, np.int64)
        except ValueError:
            raise self.error("an integer pair vector holds something that is not a pair of integers", start) from None
        if values.size % 2:
            raise self.error("an integer pair vector has an odd count of numbers", start)
        return values.reshape(-1, 2)

    def _bracket(self, start: int, what: str) -> str:
        if self.pos >= self.size or self.data[self.pos] != 0x5B:  # '['
            word = self.peek_word()
            raise self.error(f"expected {what} ('[ ... ]'), found {word[:40]!r}" if word else
                             f"the file ends where {what} should be: truncated file?", start)
        end = self.data.find(b"]", self.pos)
        if end < 0:
            raise self.error(f"{what} has no closing ']': truncated file?", start)
        body = bytes(self.data[self.pos + 1:end]).decode("latin-1")
        self.pos = end + 1
        return body

    def _read_array(self, matrix: bool) -> np.ndarray:
        self.skip_ws()
        start = self.pos
        what = "a matrix" if matrix else "a vector"
        if not self.binary:
            body = self._bracket(start, what)
            try:
                values = np.fromstring(body, dtype=np.float32, sep=" ") if body.strip() else np.zeros(0, np.float32)
            except ValueError:
                raise self.error(f"{what} holds something that is not a number", start) from None
            if not matrix:
                return values
            rows = sum(1 for line in body.split("\n") if line.strip())
            if rows == 0:
                return values.reshape(0, 0)
            if values.size % rows:
                raise self.error(f"a text matrix has rows of different lengths ({values.size} numbers in "
                                 f"{rows} rows)", start)
            return values.reshape(rows, values.size // rows)
        self._need(2, what)
        head = bytes(self.data[start:start + 2])
        if head in (b"FM", b"DM", b"FV", b"DV"):
            self.pos = start + 3  # "FM " ... the token's trailing space
            dtype = "<f4" if head[0:1] == b"F" else "<f8"
            is_matrix = head[1:2] == b"M"
            if is_matrix:
                rows, cols = self.read_int(), self.read_int()
            else:
                rows, cols = 1, self.read_int()
            if rows < 0 or cols < 0:
                raise self.error(f"negative {what} dimensions {rows} x {cols}", start)
            count = rows * cols
            nbytes = count * (4 if dtype == "<f4" else 8)
            self._need(nbytes, f"{what} of {rows} x {cols}")
            array = np.frombuffer(self.data, dtype, count, self.pos)
            self.pos += nbytes
            if dtype == "<f8":
                array = array.astype(np.float32)
            return array.reshape(rows, cols) if is_matrix else array
        if head == b"CM":
            return self._read_compressed(start)
        word = self.peek_word()
        raise self.error(f"expected {what} (FM/FV/DM/DV/CM), found {word[:40]!r}" if word else
                         f"the file ends where {what} should be: truncated file?", start)

    def _read_compressed(self, start: int) -> np.ndarray:
        """CompressedMatrix: CM (one byte + per-column percentile headers), CM2 (uint16), CM3 (uint8)."""
        kind = self.read_word()
        self.pos += 1  # the token's one trailing space (the header bytes that follow may look like blanks)
        self._need(16, "a compressed matrix header")
        min_value, value_range, rows, cols = struct.unpack("<ffii", self.data[self.pos:self.pos + 16])
        self.pos += 16
        if rows < 0 or cols < 0:
            raise self.error(f"negative compressed matrix dimensions {rows} x {cols}", start)
        if kind == "CM":
            self._need(8 * cols + rows * cols, "a compressed matrix")
            headers = np.frombuffer(self.data, "<u2", 4 * cols, self.pos).reshape(cols, 4).astype(np.float32)
            self.pos += 8 * cols
            percentiles = min_value + value_range * np.float32(1.52590218966964e-05) * headers  # [cols, 4]
            codes = np.frombuffer(self.data, np.uint8, rows * cols, self.pos).reshape(cols, rows).astype(np.float32)
            self.pos += rows * cols
            p0, p25, p75, p100 = (percentiles[:, i:i + 1] for i in range(4))
            out = np.where(codes <= 64, p0 + (p25 - p0) * codes * (1 / 64.0),
                           np.where(codes <= 192, p25 + (p75 - p25) * (codes - 64) * (1 / 128.0),
                                    p75 + (p100 - p75) * (codes - 192) * (1 / 63.0)))
            return np.ascontiguousarray(out.T, np.float32)
        if kind in ("CM2", "CM3"):
            width, dtype, scale = (2, "<u2", 1.52590218966964e-05) if kind == "CM2" else (1, np.uint8, 1 / 255.0)
            self._need(width * rows * cols, "a compressed matrix")
            codes = np.frombuffer(self.data, dtype, rows * cols, self.pos).reshape(rows, cols)
            self.pos += width * rows * cols
            return (min_value + value_range * np.float32(scale) * codes.astype(np.float32)).astype(np.float32)
        raise self.error(f"unknown compressed matrix type {kind!r}", start)

    # -- generic values (for fields whose type the reader learns only from the component) ---------------------------
    def next_is_value(self) -> bool:
        """True when a value (not a token, not the end) comes next."""
        self.skip_ws()
        return self.pos < self.size and self.data[self.pos] != 0x3C

    def read_value(self) -> Scalar | np.ndarray | bool:
        """A value of any kind, typed by how it is written: [..] / FM FV DM DV CM arrays, T/F, numbers.
        Text arrays with a line break after '[' are matrices; binary arrays say so in their header."""
        self.skip_ws()
        start = self.pos
        if start >= self.size:
            raise self.error("the file ends where a value should be: truncated file?")
        first = self.data[start]
        if self.binary:
            head = bytes(self.data[start:start + 2])
            if head in (b"FM", b"DM", b"CM"):
                return self.read_matrix()
            if head in (b"FV", b"DV"):
                return self.read_vector()
            if first in (0x54, 0x46):  # 'T' / 'F'
                return self.read_bool()
            return self.read_scalar()
        if first == 0x5B:  # '['
            end = self.data.find(b"]", start)
            body = bytes(self.data[start + 1:end if end >= 0 else self.size])
            first_line = body.split(b"\n", 1)[0]
            is_matrix = b"\n" in body and not first_line.strip()
            return self.read_matrix() if is_matrix else self.read_vector()
        word = self.peek_word()
        if word in ("T", "F"):
            self.read_word()
            return word == "T"
        return self.read_scalar()


def as_int(value, stream: KaldiStream, what: str) -> int:
    if isinstance(value, Scalar):
        return value.int()
    raise stream.error(f"{what}: expected an integer")


def as_float(value, stream: KaldiStream, what: str) -> float:
    if isinstance(value, Scalar):
        return value.float()
    raise stream.error(f"{what}: expected a number")
