"""Kaldi archives of matrices (feats.ark, nnet3-compute output): `key [text matrix]` or `key \\0B FM...` per
utterance, text and binary objects mixed as Kaldi allows."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from irforge.errors import InputError

from .tokens import KaldiStream


def strip_specifier(spec: str) -> tuple[str, bool | None]:
    """"ark:f", "ark,t:f" (Kaldi r/wspecifiers) or a plain path -> (path, text?): None when unsaid."""
    if ":" in spec and spec.split(":", 1)[0].startswith("ark"):
        head, path = spec.split(":", 1)
        return path, ("t" in head.split(",")[1:])
    return spec, None


def is_ark(spec: str) -> bool:
    path, _ = strip_specifier(spec)
    return spec.startswith("ark") and ":" in spec or path.endswith(".ark")


def read_ark(spec: str) -> dict[str, np.ndarray]:
    """Every matrix of the archive, in file order (float32)."""
    path, _ = strip_specifier(spec)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"cannot read the archive: {e.strerror}", path=path) from None
    stream = KaldiStream(data, path)
    out: dict[str, np.ndarray] = {}
    while not stream.at_end():
        key = stream.read_word("an utterance key")
        stream.pos += 1  # the one space after the key; a binary object starts right after it
        if stream.pos > stream.size:
            raise stream.error(f"utterance '{key}' has no matrix: truncated archive?")
        stream.read_header()
        matrix = stream.read_matrix()
        out[key] = np.array(matrix, np.float32)
        stream.binary = False
    if not out:
        raise InputError("the archive holds no matrices", path=path)
    return out


def write_ark(spec: str, matrices: dict[str, np.ndarray], binary: bool = False) -> None:
    path, text = strip_specifier(spec)
    if text is not None and spec.startswith("ark"):
        binary = not text
    with open(path, "wb") as f:
        for key, m in matrices.items():
            m = np.asarray(m, np.float32)
            if binary:
                f.write(key.encode() + b" \0BFM " + struct.pack("<bibi", 4, m.shape[0], 4, m.shape[1]))
                f.write(np.ascontiguousarray(m, "<f4").tobytes())
            elif m.shape[0] == 0:
                f.write(f"{key}  [ ]\n".encode())
            else:
                row_format = "  " + " ".join(["%.9g"] * m.shape[1]) + " "
                rows = "\n".join(row_format % tuple(row) for row in m.tolist())
                f.write(f"{key}  [\n{rows}]\n".encode())
