"""Kaldi archives in and out of `irforge infer`: text and binary, several utterances, Kaldi's r/wspecifiers,
and compressed feature matrices (CM, CM2, CM3) decoded as Kaldi decodes them."""
from __future__ import annotations

import struct

import numpy as np

from irforge.cli.infer import infer_main
from irforge.frontends.kaldi.ark import read_ark
from kaldi_helpers import CORPUS, assert_matches_kaldi, convert, read_text_ark

rng = np.random.default_rng(2)
CASE = CORPUS / "ngaffine_12x5_T20_S1_o-1_0_1"


def binary_ark(utterances: dict[str, np.ndarray]) -> bytes:
    out = b""
    for key, m in utterances.items():
        out += key.encode() + b" \0BFM \x04" + struct.pack("<i", m.shape[0]) + b"\x04" + struct.pack("<i", m.shape[1])
        out += m.astype("<f4").tobytes()
    return out


def read_binary_ark(data: bytes) -> dict[str, np.ndarray]:
    out, pos = {}, 0
    while pos < len(data):
        space = data.index(b" ", pos)
        key = data[pos:space].decode()
        assert data[space + 1:space + 6] == b"\0BFM ", data[space:space + 8]
        rows, cols = struct.unpack("<xixi", data[space + 6:space + 16])
        start = space + 16
        out[key] = np.frombuffer(data, "<f4", rows * cols, start).reshape(rows, cols)
        pos = start + 4 * rows * cols
    return out


def test_binary_archive_in_and_out(tmp_path):
    xml = convert(CASE / "model.raw", tmp_path)
    x = next(iter(read_text_ark(CASE / "input.ark").values())).astype(np.float32)
    utterances = {"first": x, "second": x[5:9], "one-frame": x[:1]}
    ark = tmp_path / "feats.ark"
    ark.write_bytes(binary_ark(utterances))
    text_out, binary_out = tmp_path / "text.ark", tmp_path / "binary.ark"
    assert infer_main([str(xml), "--input", f"ark:{ark}", "--output", f"ark,t:{text_out}", "--device", "CPU"]) == 0
    assert infer_main([str(xml), "--input", str(ark), "--output", str(binary_out), "--binary"]) == 0
    text, binary = read_text_ark(text_out), read_binary_ark(binary_out.read_bytes())
    assert list(text) == list(binary) == list(utterances)
    for key in utterances:
        assert text[key].shape == (len(utterances[key]), 5)
        assert_matches_kaldi(binary[key].astype(np.float64), text[key], key)
    ref = next(iter(read_text_ark(CASE / "output.ark").values()))
    assert_matches_kaldi(text["first"], ref, "binary input")
    # The short utterance is padded from its own edges, not from the long one's frames.
    short = tmp_path / "short.ark"
    short.write_bytes(binary_ark({"second": x[5:9]}))
    alone = tmp_path / "alone.ark"
    assert infer_main([str(xml), "--input", str(short), "--output", str(alone)]) == 0
    assert_matches_kaldi(read_text_ark(alone)["second"], text["second"], "utterances are independent")


def test_kaldi_wspecifier_ark_colon_writes_binary(tmp_path):
    xml = convert(CASE / "model.raw", tmp_path)
    out = tmp_path / "out.ark"
    assert infer_main([str(xml), "--input", str(CASE / "input.ark"), "--output", f"ark:{out}"]) == 0
    assert b"\0BFM " in out.read_bytes()[:40]


def uint16_to_float(lo, span, v):
    return lo + span * 1.52590218966964e-05 * v


def test_compressed_matrices_decode_as_kaldi(tmp_path):
    rows, cols = 5, 3
    lo, span = -2.0, 4.0
    codes16 = rng.integers(0, 65536, (rows, cols)).astype("<u2")
    codes8 = rng.integers(0, 256, (rows, cols)).astype(np.uint8)
    header = struct.pack("<ffii", lo, span, rows, cols)
    percentiles = np.sort(rng.integers(0, 65536, (cols, 4)), axis=1).astype("<u2")
    col_codes = rng.integers(0, 256, (cols, rows)).astype(np.uint8)
    data = (b"cm2 \0BCM2 " + header + codes16.tobytes() +
            b"cm3 \0BCM3 " + header + codes8.tobytes() +
            b"cm \0BCM " + header + percentiles.tobytes() + col_codes.tobytes())
    ark = tmp_path / "compressed.ark"
    ark.write_bytes(data)
    got = read_ark(str(ark))
    np.testing.assert_allclose(got["cm2"], uint16_to_float(lo, span, codes16.astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(got["cm3"], lo + span / 255.0 * codes8.astype(np.float64), rtol=1e-6, atol=1e-6)
    want = np.zeros((rows, cols))
    for c in range(cols):
        p0, p25, p75, p100 = (uint16_to_float(lo, span, float(p)) for p in percentiles[c])
        for r in range(rows):
            v = int(col_codes[c, r])
            want[r, c] = (p0 + (p25 - p0) * v / 64.0 if v <= 64 else
                          p25 + (p75 - p25) * (v - 64) / 128.0 if v <= 192 else
                          p75 + (p100 - p75) * (v - 192) / 63.0)
    np.testing.assert_allclose(got["cm"], want, rtol=1e-5, atol=1e-5)


def test_archive_errors(tmp_path, capsys):
    xml = convert(CASE / "model.raw", tmp_path)
    bad = tmp_path / "bad.ark"
    bad.write_bytes(b"utt1  [\n 1 2 3\n")
    assert infer_main([str(xml), "--input", str(bad), "--output", str(tmp_path / "o.ark")]) == 1
    err = capsys.readouterr().err
    assert "no closing ']'" in err and "byte offset" in err
    wrong = tmp_path / "wrong.ark"
    wrong.write_bytes(binary_ark({"u": np.zeros((3, 7), np.float32)}))
    for device in ("CPU", "reference"):
        assert infer_main([str(xml), "--input", str(wrong), "--output", str(tmp_path / "o.ark"),
                           "--device", device]) == 1
        assert "utterance 'u' has 7 features per frame, the model takes 12" in capsys.readouterr().err
